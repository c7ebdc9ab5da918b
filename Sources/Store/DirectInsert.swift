import GRDB
import GRDBSQLite

/// One prepared INSERT run through SQLite's C interface, a row at a time: the texts bound straight from the strings'
/// UTF-8 (the longest, a record's JSON body, without a copy), the statement stepped and reset. A Bulk import stores
/// every record through one of these; GRDB's argument arrays, boxed values and per-string `strlen` and copy were
/// about a tenth of that import's CPU (issue 25). The statement comes from GRDB's cache, and is left reset, with no
/// bindings, for GRDB's next use of it.
struct DirectInsert {
    private let statement: Statement
    private let connection: OpaquePointer

    init(_ db: Database, sql: String) throws {
        guard let connection = db.sqliteConnection else { throw DatabaseError(message: "the database is closed") }
        statement = try db.cachedStatement(sql: sql)
        self.connection = connection
    }

    /// Binds `texts` to ?1…?n (nil binds NULL; the last without a copy) and `integers` to ?n+1…, runs the statement
    /// and returns how many rows it changed.
    func run(texts: [String?], integers: [Int64]) throws -> Int {
        let handle = statement.sqliteStatement
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        let last = Int32(texts.count)
        for (offset, text) in texts.dropLast().enumerated() { bind(text, at: Int32(offset) + 1, copying: true) }
        for (offset, integer) in integers.enumerated() { sqlite3_bind_int64(handle, last + 1 + Int32(offset), integer) }
        guard var text = texts.last ?? nil else {
            sqlite3_bind_null(handle, last)
            return try step()
        }
        // Bound without a copy: SQLite reads it until the reset in `defer`, and the string lives until then.
        return try text.withUTF8 { utf8 in
            bind(utf8, at: last, copying: false)
            return try step()
        }
    }

    private func bind(_ text: String?, at index: Int32, copying: Bool) {
        guard var text else {
            sqlite3_bind_null(statement.sqliteStatement, index)
            return
        }
        text.withUTF8 { bind($0, at: index, copying: copying) }
    }

    private func bind(_ utf8: UnsafeBufferPointer<UInt8>, at index: Int32, copying: Bool) {
        // An empty buffer may have no address, and a NULL pointer would bind NULL, not ''.
        guard let base = utf8.baseAddress, !utf8.isEmpty else {
            sqlite3_bind_text(statement.sqliteStatement, index, "", 0, nil)
            return
        }
        base.withMemoryRebound(to: CChar.self, capacity: utf8.count) { pointer in
            _ = sqlite3_bind_text(statement.sqliteStatement, index, pointer, Int32(utf8.count),
                                  copying ? Self.transient : nil)
        }
    }

    private func step() throws -> Int {
        let code = sqlite3_step(statement.sqliteStatement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                message: String(cString: sqlite3_errmsg(connection)), sql: statement.sql)
        }
        return Int(sqlite3_changes(connection))
    }

    /// SQLITE_TRANSIENT: SQLite copies the value before the bind returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
