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
/// The database may be opened on first use (`openNow: false`): a shell that only runs `help` or `echo` never opens,
/// migrates or checkpoints it (issue 25: that was most of its start-up).
public final class Store: Sendable {
    public let home: SfshHome
    /// Another process writing: how long to wait for it, and whom to tell (once per wait).
    let busy: BusyWait
    /// The open database, once opened (a failed open is not kept: the next use tries again and says why).
    private let opening = NSLock()
    nonisolated(unsafe) private var opened: DatabasePool?  // guarded by `opening`

    /// Checks that `home` is private (creating it if needed), then opens the database in it, creating and
    /// migrating it to the latest version — now, or with `openNow: false` at its first use.
    /// - Parameter busyTimeout: how long a statement waits for another process's write before failing
    ///   (long writes are cut into short transactions, so this is a bound, not a pause anyone should see).
    public init(home: SfshHome, busyTimeout: TimeInterval = 120, openNow: Bool = true) throws(StoreError) {
        try home.prepare()
        self.home = home
        busy = BusyWait(timeout: busyTimeout)
        if openNow { _ = try pool }
    }

    /// Whether the database has been opened.
    var isOpen: Bool {
        opening.lock()
        defer { opening.unlock() }
        return opened != nil
    }

    /// The database, opened (and migrated) at the first use.
    var pool: DatabasePool {
        get throws(StoreError) {
            opening.lock()
            defer { opening.unlock() }
            if let opened { return opened }
            do {
                let pool = try Self.open(home.databasePath, busy: busy)
                opened = pool
                return pool
            } catch { throw Self.failure(error) }
        }
    }

    private static func open(_ path: String, busy: BusyWait) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .callback { tries in busy.shouldRetry(after: tries) }
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // The writer keeps 32 MB of pages (SQLite's default is 2 MB): an import's index pages stay cached instead
            // of being read back from the file for every insert (a third of a Bulk import's system CPU; issue 25).
            // Bounded, so memory stays flat; readers keep the default.
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -32768") }
        }
        // The database, its -wal and -shm must never be readable by others.
        let previous = umask(0o077)
        defer { umask(previous) }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
        for suffix in ["", "-wal", "-shm"] { chmod(path + suffix, 0o600) }
        return pool
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
        let pool = try pool
        do { return try pool.read(body) } catch { throw Self.failure(error) }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        let pool = try pool
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
        try read { db in try Self.settings(db, scope: scope) }
    }

    /// The settings of `scope`, read without opening the store when it is not open yet: one read-only connection
    /// reads them and closes — no WAL set-up write, migration check, reader pool or checkpoint, which were most of
    /// `sfsh -c help`'s start-up (issue 25). When that cannot read them (no database yet, a crashed writer's log to
    /// recover, a schema it does not know), the store is opened and read as usual.
    public func settingsWithoutOpening(scope: String) throws(StoreError) -> [String: String] {
        if !isOpen {
            var configuration = Configuration()
            configuration.readonly = true
            if let settings = try? DatabaseQueue(path: home.databasePath, configuration: configuration)
                .read({ db in try Self.settings(db, scope: scope) }) {
                return settings
            }
        }
        return try settings(scope: scope)
    }

    private static func settings(_ db: Database, scope: String) throws -> [String: String] {
        let rows = try Row.fetchAll(db, sql: "SELECT key, value FROM setting WHERE scope = ?", arguments: [scope])
        return Dictionary(rows.map { ($0["key"] as String, $0["value"] as String) }, uniquingKeysWith: { _, last in last })
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
