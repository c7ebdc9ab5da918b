import UnixSignals
import SalesforceModel
import Foundation
import JSON
import Logging
import Salesforce
import ServiceLifecycle
import Store
import SyncEngine
import Shell

/// What `sfsh daemon` was asked for.
public struct DaemonOptions: Sendable {
    public var home: String?
    /// `--ca-bundle` (else `SFSH_CA_BUNDLE`).
    public var caBundle: String?
    /// Run what is due now, then exit (for cron or a systemd timer).
    public var once = false
    /// One JSON object per event line instead of text.
    public var json = false

    public init() {}
}

/// `sfsh daemon`: the engine's `Daemon` in the foreground, every org of the
/// home, one log line per event on stderr. SIGINT and SIGTERM go through
/// swift-service-lifecycle's graceful shutdown: no job starts after them, the
/// running one stops at its next checkpoint (its run marked interrupted) and
/// the process exits 0.
public enum DaemonLauncher {
    public static func run(_ options: DaemonOptions, environment: [String: String]) async -> Int32 {
        let io = ShellIO.process(environment: environment)
        let caBundle: String?
        switch Launcher.caBundle(option: options.caBundle, environment: environment) {
        case let .success(path): caBundle = path
        case let .failure(error):
            io.stderr.write("sfsh daemon: error: \(error.message)\n")
            return ExitStatus.usage.rawValue
        }
        let home = SfshHome.resolve(option: options.home, environment: environment)
        let store: Store
        do { store = try Store(home: home) } catch {
            io.stderr.write("sfsh daemon: error: \(error.description)\n")
            return ExitStatus.failure.rawValue
        }
        store.onBusy { message in io.stderr.write("sfsh daemon: \(message)\n") }
        let clock = SystemClock()
        let connector = OrgConnector(store: store, transport: CurlTransport(stallSeconds: Launcher.stallSeconds(environment), caBundle: caBundle),
                                     clock: clock)
        let lock = NSLock()
        let log: @Sendable (DaemonEvent) -> Void = { event in
            let line = options.json ? event.json(at: clock.now()).serialized() : TerminalText.sanitize(event.text(at: clock.now()))
            lock.withLock { io.stderr.write(line + "\n") }
        }
        let daemon = Daemon(connector: connector, events: log)
        if options.once {
            let outcomes = await daemon.runDue()
            if outcomes.isEmpty { log(.note(org: nil, job: nil, text: "nothing is due")) }
            return outcomes.contains { $0.status == .failed } ? ExitStatus.failure.rawValue : ExitStatus.ok.rawValue
        }
        let orgs = ((try? store.orgs()) ?? []).map(\.alias)
        log(.note(org: nil, job: nil, text: "sfsh daemon (pid \(getpid())) for \(orgs.isEmpty ? "no org yet" : orgs.joined(separator: ", ")) in \(home.path)"))
        var logger = Logger(label: "sfsh.daemon")
        logger.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [.init(service: DaemonService(daemon: daemon, log: log))],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do { try await group.run() } catch {
            io.stderr.write("sfsh daemon: error: \(error)\n")
            return ExitStatus.failure.rawValue
        }
        return ExitStatus.ok.rawValue
    }
}

/// The daemon as a service: a graceful shutdown stops it.
struct DaemonService: Service {
    let daemon: Daemon
    let log: @Sendable (DaemonEvent) -> Void

    func run() async throws {
        await withGracefulShutdownHandler {
            await daemon.run()
        } onGracefulShutdown: {
            log(.stopping(reason: "asked to stop: no job starts now; a running one stops at its next checkpoint"))
            daemon.stop()
        }
    }
}
