public import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one SQLite database of an sfsh home (WAL, versioned migrations).
///
/// Shell and daemon open it concurrently; WAL lets readers run beside the writer.
public final class Store: Sendable {
    public let home: SfshHome
    /// Another process writing: how long to wait for it, and whom to tell (once per wait).
    let busy: BusyWait
    let pool: DatabasePool

    /// Opens (creating if needed) the database in `home`, after checking the
    /// home is private, and migrates it to the latest version.
    /// - Parameter busyTimeout: how long a statement waits for another process's write before failing
    ///   (long writes are cut into short transactions, so this is a bound, not a pause anyone should see).
    public init(home: SfshHome, busyTimeout: TimeInterval = 120) throws(StoreError) {
        try home.prepare()
        self.home = home
        let busy = BusyWait(timeout: busyTimeout)
        self.busy = busy
        var configuration = Configuration()
        configuration.busyMode = .callback { tries in busy.shouldRetry(after: tries) }
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // The writer keeps 32 MB of pages (SQLite's default is 2 MB): an import's index pages stay cached instead
            // of being read back from the file for every insert (a third of a Bulk import's system CPU; issue 25).
            // Bounded, so memory stays flat; readers keep the default.
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -32768") }
        }
        let path = home.databasePath
        // The database, its -wal and -shm must never be readable by others.
        let previous = umask(0o077)
        defer { umask(previous) }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw Self.failure(error)
        }
        for suffix in ["", "-wal", "-shm"] { chmod(path + suffix, 0o600) }
    }

    /// Tells `notice` when a statement has waited a while for another process's write.
    public func onBusy(_ notice: @escaping @Sendable (String) -> Void) {
        busy.setNotice(notice)
    }

    /// The names of the migrations applied, oldest first.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read { db in try Self.migrator.appliedMigrations(db) }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch { throw Self.failure(error) }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.write(body) } catch { throw Self.failure(error) }
    }

    /// A thrown error as the store reports it: SQLite's codes and statement kept.
    static func failure(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError {
            return .sqlite(code: error.resultCode.rawValue, extendedCode: error.extendedResultCode.rawValue,
                           message: error.message ?? error.description, sql: error.sql)
        }
        return .database(String(describing: error))
    }
}

// MARK: - Settings

extension Store {
    /// The scope of settings used when no org is selected.
    public static let defaultScope = ""
    /// Where sfsh keeps its own state (the current org), apart from user settings.
    public static let stateScope = "*state*"

    public func setting(_ key: String, scope: String) throws(StoreError) -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT value FROM setting WHERE scope = ? AND key = ?",
                                arguments: [scope, key])
        }
    }

    /// All settings of one scope, by key.
    public func settings(scope: String) throws(StoreError) -> [String: String] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT key, value FROM setting WHERE scope = ?",
                                        arguments: [scope])
            return Dictionary(rows.map { ($0["key"] as String, $0["value"] as String) },
                              uniquingKeysWith: { _, last in last })
        }
    }

    public func setSetting(_ key: String, to value: String, scope: String) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO setting (scope, key, value) VALUES (?, ?, ?)
                    ON CONFLICT(scope, key) DO UPDATE SET value = excluded.value
                    """,
                arguments: [scope, key, value])
        }
    }

    /// Removes a setting; returns whether there was one.
    @discardableResult
    public func removeSetting(_ key: String, scope: String) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM setting WHERE scope = ? AND key = ?", arguments: [scope, key])
            return db.changesCount > 0
        }
    }
}
