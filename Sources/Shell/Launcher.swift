import SyncEngine
import SalesforceModel
import Foundation
import Salesforce
import Store

/// What the `sfsh` command line asked for.
public struct LaunchOptions: Sendable {
    public var files: [String] = []
    public var commands: [String] = []
    public var keepGoing = false
    public var home: String?
    /// `--ca-bundle` (else `SFSH_CA_BUNDLE`).
    public var caBundle: String?
    public var org: String?
    /// Start the simulated demo org and log into it first.
    public var demo = false
    /// How to start it (the executable provides sfsim's).
    public var demoStarter: DemoOrgStarter?

    public init() {}
}

/// Starts a session and picks the line source: `-f` files, `-c` text, the
/// terminal (libedit) when stdin and stdout are both terminals, else stdin.
public enum Launcher {
    public static func run(_ options: LaunchOptions, environment: [String: String]) async -> Int32 {
        let (code, session) = await start(options, environment: environment)
        await session?.shutDown()
        return code
    }

    /// `SFSH_STALL_SECONDS` (1–600, default 30): how long a server may send almost nothing before a request
    /// is given up (each retry gets as long again).
    public static func stallSeconds(_ environment: [String: String]) -> Int {
        environment["SFSH_STALL_SECONDS"].flatMap { Int($0) }.map { min(600, max(1, $0)) } ?? 30
    }

    /// The CA bundle of `--ca-bundle`, else `SFSH_CA_BUNDLE`: a readable file, or a message saying why not.
    public static func caBundle(option: String?, environment: [String: String]) -> Result<String?, ShellError> {
        guard let path = option ?? environment["SFSH_CA_BUNDLE"].flatMap({ $0.isEmpty ? nil : $0 }) else { return .success(nil) }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard FileManager.default.isReadableFile(atPath: absolute),
              let text = try? String(contentsOfFile: absolute, encoding: .utf8), text.contains("-----BEGIN CERTIFICATE-----") else {
            return .failure(ShellError(.usage, "the CA bundle \(Invocation.excerpt(path)) is not a readable PEM file of certificates",
                                       hint: "--ca-bundle FILE / SFSH_CA_BUNDLE name the CAs to trust (-----BEGIN CERTIFICATE----- …)"))
        }
        return .success(absolute)
    }

    static func start(_ options: LaunchOptions, environment: [String: String]) async -> (Int32, ShellSession?) {
        let io = ShellIO.process(environment: environment)
        let caBundle: String?
        switch Self.caBundle(option: options.caBundle, environment: environment) {
        case let .success(path): caBundle = path
        case let .failure(error):
            io.stderr.write("sfsh: error: \(error.message)\n" + (error.hint.map { "  \($0)\n" } ?? ""))
            return (ExitStatus.usage.rawValue, nil)
        }
        let home = SfshHome.resolve(option: options.home, environment: environment)
        let session: ShellSession
        // A script's session opens the database at its first use, so `-c help` or `-c 'echo x'` never opens,
        // migrates or checkpoints it (issue 25); a terminal session opens it now, to say at once when it cannot.
        let interactive = options.files.isEmpty && options.commands.isEmpty && !options.demo
            && isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
        do {
            let store = try Store(home: home, openNow: interactive)
            let interruption = Interruption.sigint
            session = ShellSession(table: Commands.table, store: store, io: io,
                                       transport: CurlTransport(stallSeconds: Self.stallSeconds(environment), caBundle: caBundle,
                                                                isInterrupted: interruption.isPending),
                                       interruption: interruption)
        } catch {
            io.stderr.write("sfsh: error: \(error.description)\n")
            return (ExitStatus.failure.rawValue, nil)
        }
        let stderr = io.stderr
        session.store.onBusy { message in stderr.write("sfsh: \(message)\n") }
        session.demoStarter = options.demoStarter
        session.caBundle = caBundle
        session.keepGoing = options.keepGoing
        session.orgOverride = options.org
        if let alias = options.org {
            do {
                if try session.store.org(alias) == nil {
                    io.stderr.write("sfsh: error: no org called '\(alias)'\n  'sfsh -c orgs' lists them\n")
                    return (ExitStatus.usage.rawValue, session)
                }
            } catch {
                io.stderr.write("sfsh: error: \(error.description)\n")
                return (ExitStatus.failure.rawValue, session)
            }
        }
        if options.demo {
            do {
                _ = try await session.execute(words: ["login", "--demo"])
            } catch let error as ShellError {
                session.report(error, location: nil, json: false)
                return (error.status.rawValue, session)
            } catch {
                io.stderr.write("sfsh: error: \(error)\n")
                return (ExitStatus.failure.rawValue, session)
            }
        }

        if !options.files.isEmpty || !options.commands.isEmpty {
            var lastFailure: ExitStatus?
            for file in options.files {
                let result: RunResult
                do {
                    result = try await session.runFile(file)
                } catch let error as ShellError {
                    session.report(error, location: nil, json: false)
                    result = .stopped(error.status)
                } catch {
                    result = .stopped(.failure)
                }
                switch result {
                case .exited, .stopped: return (result.exitCode, session)
                case let .completed(failure): lastFailure = failure ?? lastFailure
                }
            }
            for text in options.commands {
                let result = await session.run(reader: TextLineReader(text: text))
                switch result {
                case .exited, .stopped: return (result.exitCode, session)
                case let .completed(failure): lastFailure = failure ?? lastFailure
                }
            }
            return (lastFailure?.rawValue ?? 0, session)
        }

        if isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 {
            let store = session.store
            let override = options.org
            let environment = session.io.environment
            let sessionOrg = session.sessionOrg
            let completer = Completer(table: Commands.table, source: StoreCompletionSource(store: store, currentOrg: {
                if let override { return override }
                if environment["SF_ACCESS_TOKEN"]?.isEmpty == false, environment["SF_INSTANCE_URL"]?.isEmpty == false {
                    return ShellSession.environmentAlias
                }
                return sessionOrg.resolve { (try? store.setting("current_org", scope: Store.stateScope)) ?? nil }
            }))
            // Read the setting each time, so `set history_size N` applies at once.
            let historyLimit: @Sendable () -> Int = {
                Int(((try? store.setting("history_size", scope: Store.defaultScope)) ?? nil) ?? "")
                    ?? Int(SettingsRegistry.spec("history_size")?.defaultValue ?? "") ?? 1000
            }
            if let reader = EditLineReader(completer: completer, history: session.history,
                                           historyLimit: historyLimit) {
                return (await session.run(reader: reader).exitCode, session)
            }
        }
        return (await session.run(reader: DescriptorLineReader(fd: STDIN_FILENO)).exitCode, session)
    }
}
