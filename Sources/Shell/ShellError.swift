import SyncEngine
import SalesforceModel
public import JSON
/// The outcome classes of SPEC §3.4, each with its process exit code.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case ok = 0
    /// A command failed.
    case failure = 1
    /// The command was used wrongly (unknown command or option, bad value).
    case usage = 2
    /// Authentication or authorization failed.
    case auth = 3
    /// An API limit or a job's budget is exhausted.
    case limit = 4
    /// The network or Salesforce was unavailable after retries.
    case unavailable = 5

    /// A stable name for `--json` errors.
    public var name: String {
        switch self {
        case .ok: "ok"
        case .failure: "failure"
        case .usage: "usage"
        case .auth: "auth"
        case .limit: "limit"
        case .unavailable: "unavailable"
        }
    }
}

/// An error a person can act on: what failed and why, what to do, and
/// Salesforce's own error when there is one.
public struct ShellError: Error, Sendable, Equatable {
    public var status: ExitStatus
    public var message: String
    /// What to do about it, shown on its own line.
    public var hint: String?
    /// Salesforce's error (`errorCode`, `message`, `fields`, HTTP status), kept as sent.
    public var salesforce: JSONValue?

    public init(_ status: ExitStatus, _ message: String, hint: String? = nil, salesforce: JSONValue? = nil) {
        self.status = status
        self.message = message
        self.hint = hint
        self.salesforce = salesforce
    }

    public static func usage(_ message: String, usage: String? = nil) -> ShellError {
        ShellError(.usage, message, hint: usage.map { "usage: \($0)" })
    }

    public static func failure(_ message: String, hint: String? = nil) -> ShellError {
        ShellError(.failure, message, hint: hint)
    }

    /// The error as `{"error": {"code", "kind", "message", "hint", "salesforce"}}`.
    public var json: JSONValue {
        .object([
            ("error", .object([
                ("code", .int(Int(status.rawValue))),
                ("kind", .string(status.name)),
                ("message", .string(message)),
                ("hint", hint.map(JSONValue.string) ?? .null),
                ("salesforce", salesforce ?? .null),
            ])),
        ])
    }
}
