public import SyncEngine
import SalesforceModel
import JSON
import CEditLine
import Foundation
public import Salesforce
public import Store

/// How a run of lines ended.
public enum RunResult: Sendable, Equatable {
    /// All lines ran; the status of the last failed command, if any (with `--keep-going`).
    case completed(lastFailure: ExitStatus?)
    /// A command failed and the run stopped there.
    case stopped(ExitStatus)
    /// `exit`/`quit` asked to leave with this code.
    case exited(Int32)

    /// The process exit code this result stands for.
    public var exitCode: Int32 {
        switch self {
        case let .completed(failure): failure?.rawValue ?? 0
        case let .stopped(status): status.rawValue
        case let .exited(code): code
        }
    }
}

/// The terminal facts and streams a session writes to, injected so tests,
/// scripts and the terminal drive the same object.
public struct ShellIO: Sendable {
    public var stdout: any TextSink
    public var stderr: any TextSink
    public var environment: [String: String]
    public var stdoutIsTerminal: Bool
    public var stderrIsTerminal: Bool
    /// Columns available for tables; nil means do not cut.
    public var terminalWidth: @Sendable () -> Int?

    public init(stdout: any TextSink, stderr: any TextSink, environment: [String: String] = [:],
                stdoutIsTerminal: Bool = false, stderrIsTerminal: Bool = false,
                terminalWidth: @escaping @Sendable () -> Int? = { nil }) {
        self.stdout = stdout
        self.stderr = stderr
        self.environment = environment
        self.stdoutIsTerminal = stdoutIsTerminal
        self.stderrIsTerminal = stderrIsTerminal
        self.terminalWidth = terminalWidth
    }

    /// The process's own stdout and stderr.
    public static func process(environment: [String: String]) -> ShellIO {
        let outIsTTY = isatty(STDOUT_FILENO) == 1
        return ShellIO(
            stdout: FileDescriptorSink(fd: STDOUT_FILENO), stderr: FileDescriptorSink(fd: STDERR_FILENO),
            environment: environment, stdoutIsTerminal: outIsTTY, stderrIsTerminal: isatty(STDERR_FILENO) == 1,
            terminalWidth: {
                if outIsTTY { return TerminalSize.columns() }
                return environment["COLUMNS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
            })
    }
}

/// An error already shown to the user (by a sourced script); it only carries the status on.
struct ReportedFailure: Error {
    let status: ExitStatus
    /// A closing remark for stderr (the details were already printed).
    var note: String?
}

/// One shell: the command table, the store, the output, and the loop that
/// reads lines, runs them and decides whether to go on.
public final class ShellSession {
    public let table: CommandTable
    public let store: Store
    public let io: ShellIO
    public let history: HistoryFile
    /// Continue after a failed command in scripts (`--keep-going`).
    public var keepGoing = false
    /// The reader of the lines being run (for secrets), innermost first.
    var readers: [any LineReader] = []
    /// The scripts being sourced, outermost first (real paths), to stop loops.
    var sourceStack: [String] = []
    static let sourceDepthLimit = 16
    /// The home-wide settings, read at the first use (so a session that only runs `help` never opens the store).
    var settingsCache: [String: String] {
        get {
            if let loadedSettings { return loadedSettings }
            // A store that cannot be read shows no stored settings here; the command's own store access says why.
            guard let settings = try? store.settingsWithoutOpening(scope: Store.defaultScope) else { return [:] }
            loadedSettings = settings
            return settings
        }
        set { loadedSettings = newValue }
    }
    private var loadedSettings: [String: String]?
    private let input = InputThread(onStart: { sfsh_mark_reader_thread() })
    /// The time, injected so tests can move it (the engine's clock).
    public let clock: any EngineClock
    /// `--org ALIAS` for this invocation.
    public var orgOverride: String?
    /// The org this session acts on when neither `--org` nor the environment names one (read once).
    let sessionOrg = SessionOrg()
    /// How HTTP goes out (libcurl unless a test says otherwise).
    public var transport: any HTTPTransport { connector.transport }
    /// The engine's connections to orgs: clients, ledger, refreshed tokens.
    public let connector: OrgConnector
    /// The engine's describe cache.
    public let describes: DescribeCache
    public var retryPolicy: RetryPolicy {
        get { connector.retry }
        set { connector.retry = newValue }
    }
    /// The in-process simulated org behind `--demo`, once started.
    public var demoOrg: (any DemoOrg)?
    /// Ctrl-C, as commands and jobs check it.
    public let interruption: Interruption
    /// How `--demo` and `login --demo` start the demo org (the executable provides sfsim's).
    public var demoStarter: DemoOrgStarter?
    /// The CA bundle the transport trusts instead of the system's (`--ca-bundle`, `SFSH_CA_BUNDLE`), for `check`.
    public var caBundle: String?

    public init(table: CommandTable, store: Store, io: ShellIO, clock: any EngineClock = SystemClock(),
                transport: any HTTPTransport = CurlTransport(), interruption: Interruption = .never) {
        self.interruption = interruption
        self.table = table
        self.store = store
        self.io = io
        self.clock = clock
        self.connector = OrgConnector(store: store, transport: transport, clock: clock)
        self.describes = DescribeCache(store: store, clock: clock)
        self.history = HistoryFile(path: store.home.historyPath)
    }

    // MARK: Running

    /// Asks for a secret with echo off on the current line source.
    public func readSecret(prompt: String) async -> String? {
        guard let reader = readers.last else { return nil }
        let box = UncheckedReader(reader: reader)
        return await input.run { box.reader.readSecret(prompt: prompt) }
    }

    /// Asks for a visible line (a username) on the current line source.
    public func readVisible(prompt: String) async -> String? {
        guard let reader = readers.last else { return nil }
        let box = UncheckedReader(reader: reader)
        let answer = await input.run { () -> LineInput in
            if box.reader.isInteractive { return box.reader.readLine(prompt: prompt) }
            return box.reader.readSecret(prompt: prompt).map(LineInput.line) ?? .end
        }
        if case let .line(text) = answer { return text.trimmingBlanks }
        return nil
    }

    /// Waits, giving up with an error when Ctrl-C is pressed.
    public func pause(seconds: Double) async throws(ShellError) {
        var left = seconds
        while left > 0 {
            if interruption.take() { throw ShellError(.failure, "interrupted") }
            let step = min(0.1, left)
            try? await Task.sleep(nanoseconds: UInt64(step * 1_000_000_000))
            left -= step
        }
    }

    /// Reads lines from `reader` and runs them until the end, an `exit`, or
    /// (when not interactive and not `keepGoing`) the first failure.
    public func run(reader: any LineReader, origin: String? = nil) async -> RunResult {
        readers.append(reader)
        defer { readers.removeLast() }
        let box = UncheckedReader(reader: reader)
        var lastFailure: ExitStatus?
        var lineNumber = 0
        while true {
            let prompt = reader.isInteractive ? (currentOrgAlias.map { "sfsh:\($0)> " } ?? "sfsh> ") : ""
            var input = await self.input.run { box.reader.readLine(prompt: prompt) }
            guard case var .line(line) = input else {
                if input == .interrupted { continue }
                return .completed(lastFailure: reader.isInteractive ? nil : lastFailure)
            }
            lineNumber += 1
            let firstLine = lineNumber
            while Lexer.continues(line) {
                line = Lexer.dropContinuation(line)
                input = await self.input.run { box.reader.readLine(prompt: reader.isInteractive ? "   ...> " : "") }
                guard case let .line(more) = input else { break }
                lineNumber += 1
                line += more
            }
            if input == .interrupted { continue }
            if reader.isInteractive, !line.trimmingBlanks.isEmpty, !isSecretLine(line) {
                reader.remember(line)
            }
            let location = origin.map { "\($0):\(firstLine)" }
            switch await execute(line: line, location: location, goOn: keepGoing || reader.isInteractive) {
            case .none:
                continue
            case let .exit(code):
                return .exited(code)
            case let .failure(status):
                lastFailure = status
                if !reader.isInteractive && !keepGoing { return .stopped(status) }
            }
        }
    }

    enum LineResult: Equatable {
        case none
        case exit(Int32)
        case failure(ExitStatus)
    }

    /// Runs the commands of one logical line. A failure ends the line unless
    /// `goOn` (interactive, or `--keep-going`), like `;` in a shell with and without `set -e`.
    func execute(line: String, location: String?, goOn: Bool = false) async -> LineResult {
        let commands: [[String]]
        do {
            commands = try Lexer.split(line)
        } catch {
            let failure = ShellError.usage(error.message).redacting(SecretWords.values(inLine: line))
            report(failure, location: location, json: setting("format") == "json", command: "(unreadable line)")
            return .failure(failure.status)
        }
        var failure: ExitStatus?
        for words in commands {
            do {
                if case let .exit(code) = try await execute(words: words) { return .exit(code) }
                continue
            } catch let error as ShellError {
                report(error.redacting(SecretWords.values(in: words)), location: location, json: wantsJSON(words), command: words.first)
                failure = error.status
            } catch let reported as ReportedFailure {
                if let text = reported.note { self.note(text) }
                failure = reported.status
            } catch {
                let unexpected = ShellError.failure(String(describing: error)).redacting(SecretWords.values(in: words))
                report(unexpected, location: location, json: wantsJSON(words), command: words.first)
                failure = unexpected.status
            }
            if !goOn { break }
        }
        return failure.map(LineResult.failure) ?? .none
    }

    private func wantsJSON(_ words: [String]) -> Bool {
        words.contains("--json") || (setting("format") == "json" && !words.contains("--csv"))
    }

    /// Whether any command of a line carries a secret (so it stays out of history):
    /// a value for a secret option or setting, whatever the command (see `SecretWords`).
    func isSecretLine(_ line: String) -> Bool {
        !SecretWords.values(inLine: line).isEmpty
    }

    /// Runs one command given as words.
    public func execute(words: [String]) async throws -> CommandOutcome {
        guard let name = words.first else { return .done }
        guard let spec = table.lookup(name) else {
            var hint = "type 'help' for the list of commands"
            let suggestions = table.suggestions(for: name)
            if !suggestions.isEmpty { hint = "did you mean: \(suggestions.joined(separator: ", "))?\n" + hint }
            throw ShellError(.usage, "unknown command '\(Invocation.excerpt(name))'", hint: hint)
        }
        let invocation = try Invocation.parse(Array(words.dropFirst()), spec: spec, path: spec.name)
        if invocation.has("help") {
            io.stdout.write(HelpText.command(invocation.spec, path: invocation.path))
            return .done
        }
        guard let handler = invocation.spec.handler else {
            let names = invocation.spec.subcommands.map(\.name).joined(separator: ", ")
            throw ShellError.usage("\(invocation.path): missing subcommand (one of: \(names))",
                                   usage: invocation.spec.usage)
        }
        return try await Self.$commandSource.withValue(invocation.path) {
            try await handler(invocation, self)
        }
    }

    /// Ends the session: the in-process demo org stops with it, so its alias is
    /// forgotten (the next `--demo` makes a fresh one).
    public func shutDown() async {
        guard let server = demoOrg else { return }
        let aliases = ((try? store.orgs()) ?? []).filter { $0.instanceURL == server.baseURL }.map(\.alias)
        for alias in aliases {
            _ = try? store.removeOrg(alias)
            forgetCurrentOrg(alias)
        }
        await server.stop()
        demoOrg = nil
    }

    /// The bytes of a file the user named, or an error saying why it cannot be read.
    func readFile(_ path: String, what: String? = nil) throws(ShellError) -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "it is not readable" : "no such file"
            throw ShellError.failure("cannot read \(what.map { "\($0) " } ?? "")\(path): \(reason)")
        }
        return data
    }

    /// Runs a script file (for `source` and `-f`), refusing loops and deep nesting.
    public func runFile(_ path: String) async throws -> RunResult {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if sourceStack.contains(resolved) {
            let chain = (sourceStack + [resolved]).map { URL(fileURLWithPath: $0).lastPathComponent }
            throw ShellError.failure("source loop: \(chain.joined(separator: " → "))",
                                     hint: "a script must not source itself, directly or through others")
        }
        guard sourceStack.count < Self.sourceDepthLimit else {
            throw ShellError.failure("source nested deeper than \(Self.sourceDepthLimit) files at \(path)")
        }
        let data = try readFile(path)
        sourceStack.append(resolved)
        defer { sourceStack.removeLast() }
        return await run(reader: TextLineReader(text: String(decoding: data, as: UTF8.self)), origin: path)
    }
}

/// Carries a non-Sendable reader to the input thread. Safe because the session
/// awaits each read before touching the reader again.
struct UncheckedReader: @unchecked Sendable {
    let reader: any LineReader
}
