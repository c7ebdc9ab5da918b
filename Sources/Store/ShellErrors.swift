public import Foundation
import GRDB

/// An error the shell printed, as a support bundle carries it.
public struct ShellErrorRecord: Sendable, Equatable {
    public var at: Date
    public var org: String?
    /// The command's name (its first word), never the line: a line may carry a secret.
    public var command: String
    /// The exit status the error stands for.
    public var status: Int
    public var message: String
    public var hint: String?

    public init(at: Date, org: String?, command: String, status: Int, message: String, hint: String?) {
        self.at = at
        self.org = org
        self.command = command
        self.status = status
        self.message = message
        self.hint = hint
    }
}

extension Store {
    /// How many printed errors the home keeps (the oldest go first).
    public static let keptShellErrors = 200

    /// Records an error the shell printed, keeping the last `keptShellErrors`.
    public func recordShellError(_ error: ShellErrorRecord) throws(StoreError) {
        try write { db in
            try db.execute(sql: "INSERT INTO shell_error (at, org, command, status, message, hint) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [error.at.timeIntervalSince1970, error.org, error.command, error.status, error.message, error.hint])
            try db.execute(sql: "DELETE FROM shell_error WHERE id <= (SELECT MAX(id) FROM shell_error) - ?",
                           arguments: [Self.keptShellErrors])
        }
    }

    /// The last `limit` errors the shell printed, newest first.
    public func shellErrors(limit: Int) throws(StoreError) -> [ShellErrorRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM shell_error ORDER BY id DESC LIMIT ?", arguments: [limit]).map { row in
                ShellErrorRecord(at: Date(timeIntervalSince1970: row["at"]), org: row["org"], command: row["command"],
                                 status: row["status"], message: row["message"], hint: row["hint"])
            }
        }
    }
}
