/// Why the store could not be used, with what to do about it. Like GRDB's `DatabaseError`, a failure of
/// SQLite keeps its result codes and the statement that failed, so callers decide by code, never by text.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case homeNotPrivate(path: String, mode: UInt32, fix: String)
    case homeUnusable(path: String, reason: String)
    /// SQLite refused or failed: its primary and extended result codes, its message, and the SQL (no arguments).
    case sqlite(code: Int32, extendedCode: Int32, message: String, sql: String?)
    /// A `local` statement refused before or while it ran: not read-only, more than one, not authorized, interrupted.
    case queryRefused(String)
    /// Anything else that went wrong under the store.
    case database(String)

    /// SQLite's `SQLITE_BUSY` and `SQLITE_LOCKED`: another connection holds what this one needs.
    public var isBusy: Bool {
        if case let .sqlite(code, _, _, _) = self { return code == 5 || code == 6 }
        return false
    }

    /// The failure in a few words, without the "sfsh database failed" frame.
    public var message: String {
        switch self {
        case let .sqlite(_, _, message, _), let .queryRefused(message), let .database(message): message
        case .homeNotPrivate, .homeUnusable: description
        }
    }

    public var description: String {
        switch self {
        case let .homeNotPrivate(path, mode, fix):
            return "refusing to use \(path): its mode is \(String(mode, radix: 8)), so other users can read it "
                + "and it holds OAuth tokens; fix it with: \(fix)"
        case let .homeUnusable(path, reason):
            return "cannot use the sfsh home \(path): \(reason); choose another with --home DIR or SFSH_HOME"
        case let .sqlite(_, _, message, _), let .database(message):
            return "the sfsh database failed: \(message)"
        case let .queryRefused(message):
            return message
        }
    }
}
