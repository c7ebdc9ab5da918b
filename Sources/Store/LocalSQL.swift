public import Foundation
import GRDBSQLite

// `local`: a person's read-only SQL over one org's imported records, and
// nothing else of the home (SPEC §6.3). The home also holds every org's
// tokens, so this does not lean on one guard; each of these stands alone:
// - the connection is opened read-only (SQLITE_OPEN_READONLY), with `query_only` on;
// - field names reach SQL only when they are plain API names, and then quoted
//   as a JSON-path string literal and as an identifier, never pasted in;
// - one prepared statement at a time: anything after the first is refused;
// - an authorizer allows SELECT, functions (not load_extension) and reading the
//   temporary views; the home's tables can be read only from inside the views
//   this connection made, whose names are random and hidden from the query
//   (the schema tables are not readable), so a query cannot name a table,
//   shadow a view with a CTE, or read another org's records;
// - Ctrl-C (`shouldStop`) interrupts a statement through the progress handler.

/// The views `local` offers over one org's records.
public struct LocalViewSet: Sendable {
    /// A view of one object's live records: a column per field, read from the record's JSON body.
    public struct ObjectView: Sendable {
        public var name: String
        public var object: String
        public var fields: [String]

        public init(name: String, object: String, fields: [String]) {
            self.name = name
            self.object = object
            self.fields = fields
        }
    }

    /// A view defined over the object views (and earlier combined views) only.
    public struct CombinedView: Sendable {
        public var name: String
        public var select: String

        public init(name: String, select: String) {
            self.name = name
            self.select = select
        }
    }

    public var org: String
    public var objects: [ObjectView]
    public var combined: [CombinedView]

    public init(org: String, objects: [ObjectView], combined: [CombinedView]) {
        self.org = org
        self.objects = objects
        self.combined = combined
    }

    /// Whether a field name may become a column: letters, digits and underscores, starting with a letter.
    /// (The describe reader already refuses anything else; this is the store's own line.)
    public static func isPlainName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 255, first.isASCIILetter else { return false }
        return name.utf8.allSatisfy { $0.isASCIILetter || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }

    static func identifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}

extension UInt8 {
    fileprivate var isASCIILetter: Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self)
    }
}

/// The answer of a read-only query: column names and rows of plain values.
public struct LocalQueryResult: Sendable {
    public var columns: [String]
    public var rows: [[LocalValue]]
}

public enum LocalValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

extension Store {
    /// The first word of a statement, upper-cased, after blanks and comments.
    static func firstKeyword(_ sql: String) -> String {
        var rest = Substring(sql)
        while true {
            rest = rest.drop(while: { $0.isWhitespace })
            if rest.hasPrefix("--") {
                rest = rest.drop(while: { $0 != "\n" })
            } else if rest.hasPrefix("/*") {
                guard let end = rest.range(of: "*/") else { return "" }
                rest = rest[end.upperBound...]
            } else {
                break
            }
        }
        return String(rest.prefix(while: { $0.isLetter })).uppercased()
    }

    /// Runs one read-only statement over `views` on a private read-only connection, returning at most
    /// `limit` rows. Field names that are not plain names are left out of the views (and listed in `skipped`).
    public func localQuery(_ sql: String, views: LocalViewSet, limit: Int,
                           shouldStop: @escaping @Sendable () -> Bool = { false })
        throws(StoreError) -> (result: LocalQueryResult, truncated: Bool, skipped: [String])
    {
        let connection = try LocalConnection(path: home.databasePath)
        defer { connection.close() }
        let skipped = try connection.createViews(views)
        try connection.lockDown(shouldStop: shouldStop)
        let (result, truncated) = try connection.run(sql, limit: limit)
        return (result, truncated, skipped)
    }
}

/// One read-only SQLite connection for `local`, closed after its statement.
final class LocalConnection {
    private var handle: OpaquePointer?
    /// The random names of the views that read the home's records; only they may read a table.
    fileprivate var innerViews: Set<String> = []
    fileprivate var shouldStop: @Sendable () -> Bool = { false }
    private var guardBox: Unmanaged<LocalConnection>?

    init(path: String) throws(StoreError) {
        var db: OpaquePointer?
        let status = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        handle = db
        guard status == SQLITE_OK, db != nil else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open the database"
            close()
            throw .database(message)
        }
        sqlite3_busy_timeout(db, 5_000)
        sqlite3_extended_result_codes(db, 1)
    }

    func close() {
        if let handle {
            sqlite3_set_authorizer(handle, nil, nil)
            sqlite3_progress_handler(handle, 0, nil, nil)
            sqlite3_close_v2(handle)
        }
        handle = nil
        guardBox?.release()
        guardBox = nil
    }

    /// Creates the views: an inner view per object under a random name reading `main.local_record`,
    /// the public view over it, then the combined views.
    func createViews(_ views: LocalViewSet) throws(StoreError) -> [String] {
        var skipped: [String] = []
        let secret = (0..<4).map { _ in String(UInt32.random(in: .min ... .max), radix: 16) }.joined()
        for view in views.objects {
            let usable = view.fields.filter(LocalViewSet.isPlainName)
            skipped += view.fields.filter { !LocalViewSet.isPlainName($0) }.map { "\(view.object).\($0)" }
            let columns = (usable.isEmpty ? ["Id"] : usable).map { field in
                "json_extract(r.body, \(LocalViewSet.literal("$.\"\(field)\""))) AS \(LocalViewSet.identifier(field))"
            }.joined(separator: ", ")
            let inner = "sfsh_\(secret)_\(innerViews.count)"
            innerViews.insert(inner)
            try execute("""
                CREATE TEMP VIEW \(LocalViewSet.identifier(inner)) AS SELECT \(columns) FROM main.local_record r
                WHERE r.org = \(LocalViewSet.literal(views.org)) AND r.object = \(LocalViewSet.literal(view.object))
                AND r.is_deleted = 0
                """)
            try execute("CREATE TEMP VIEW \(LocalViewSet.identifier(view.name)) AS SELECT * FROM \(LocalViewSet.identifier(inner))")
        }
        for view in views.combined {
            try execute("CREATE TEMP VIEW \(LocalViewSet.identifier(view.name)) AS \(view.select)")
        }
        return skipped
    }

    /// From here on nothing changes (not even the temporary schema), only what the authorizer allows
    /// compiles, and `shouldStop` interrupts.
    func lockDown(shouldStop: @escaping @Sendable () -> Bool) throws(StoreError) {
        try execute("PRAGMA query_only = ON")
        self.shouldStop = shouldStop
        let box = Unmanaged.passRetained(self)
        guardBox = box
        sqlite3_set_authorizer(handle, { context, action, first, second, database, inner in
            guard let context else { return SQLITE_DENY }
            let connection = Unmanaged<LocalConnection>.fromOpaque(context).takeUnretainedValue()
            return connection.authorize(action: action, first: first.map { String(cString: $0) },
                                        second: second.map { String(cString: $0) },
                                        database: database.map { String(cString: $0) }, inner: inner.map { String(cString: $0) })
        }, box.toOpaque())
        sqlite3_progress_handler(handle, 1_000, { context in
            guard let context else { return 1 }
            return Unmanaged<LocalConnection>.fromOpaque(context).takeUnretainedValue().shouldStop() ? 1 : 0
        }, box.toOpaque())
    }

    /// Why the authorizer last said no, for the error.
    private var denial = ""

    /// The authorizer's rule (SQLITE_READ: table, column, database, innermost view; SQLITE_FUNCTION: -, name).
    func authorize(action: Int32, first: String?, second: String?, database: String?, inner: String?) -> Int32 {
        let verdict = rule(action: action, first: first, second: second, database: database, inner: inner)
        if verdict != SQLITE_OK {
            denial = switch action {
            case SQLITE_READ: "not authorized to read \(first ?? "that"): only the views may be read"
            case SQLITE_FUNCTION: "not authorized to call \(second ?? "that function")"
            default: "only read-only statements (SELECT, WITH …) may run here"
            }
        }
        return verdict
    }

    private func rule(action: Int32, first: String?, second: String?, database: String?, inner: String?) -> Int32 {
        switch action {
        case SQLITE_SELECT, SQLITE_RECURSIVE:
            return SQLITE_OK
        case SQLITE_FUNCTION:
            return second?.lowercased() == "load_extension" ? SQLITE_DENY : SQLITE_OK
        case SQLITE_READ:
            guard let table = first else { return SQLITE_DENY }
            // A common table expression of the query itself lives in no database.
            guard let database else { return SQLITE_OK }
            if table.hasPrefix("sqlite_") { return SQLITE_DENY }
            if database == "temp" { return isTemporaryView(table) ? SQLITE_OK : SQLITE_DENY }
            guard database == "main" else { return SQLITE_DENY }
            // The home's other tables (orgs, tokens, settings) are never readable.
            return table == "local_record" && inner.map(innerViews.contains) == true ? SQLITE_OK : SQLITE_DENY
        default:
            return SQLITE_DENY
        }
    }

    private var temporaryViews: Set<String> = []

    private func isTemporaryView(_ name: String) -> Bool { temporaryViews.contains(name) || innerViews.contains(name) }

    /// Runs `sql` to completion (DDL only, before lock-down).
    private func execute(_ sql: String) throws(StoreError) {
        let statement = try prepareOne(sql)
        defer { sqlite3_finalize(statement) }
        let status = sqlite3_step(statement)
        guard status == SQLITE_DONE || status == SQLITE_ROW else { throw error(status) }
        rememberViews()
    }

    /// The names of the temporary views now defined, read before lock-down.
    private func rememberViews() {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, "SELECT name FROM temp.sqlite_master WHERE type = 'view'", -1, &statement, nil)
            == SQLITE_OK else { return }
        defer { sqlite3_finalize(statement) }
        var names: Set<String> = []
        while sqlite3_step(statement) == SQLITE_ROW {
            if let text = sqlite3_column_text(statement, 0) { names.insert(String(cString: text)) }
        }
        temporaryViews = names
    }

    /// Prepares exactly one statement: an empty text or a second statement after it is refused.
    private func prepareOne(_ sql: String) throws(StoreError) -> OpaquePointer {
        var statement: OpaquePointer?
        var refusal: StoreError?
        sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let status = sqlite3_prepare_v2(handle, text, -1, &statement, &tail)
            guard status == SQLITE_OK else { refusal = error(status); return }
            guard statement != nil else { refusal = .queryRefused("there is no statement to run (only read-only statements: SELECT, WITH …)"); return }
            // What follows must be blanks and comments only: preparing it gives no statement.
            if let tail, tail.pointee != 0 {
                var next: OpaquePointer?
                let nextStatus = sqlite3_prepare_v2(handle, tail, -1, &next, nil)
                if nextStatus != SQLITE_OK || next != nil {
                    sqlite3_finalize(next)
                    refusal = .queryRefused("only one statement may run at a time")
                }
            }
        }
        if let refusal {
            sqlite3_finalize(statement)
            throw refusal
        }
        guard let statement else { throw .queryRefused("there is no statement to run") }
        return statement
    }

    /// Runs the person's statement: read-only, one only, at most `limit` rows.
    func run(_ sql: String, limit: Int) throws(StoreError) -> (LocalQueryResult, Bool) {
        let statement = try prepareOne(sql)
        defer { sqlite3_finalize(statement) }
        // Read-only in SQLite's eyes is not enough: a PRAGMA may read, or switch a guard off.
        guard ["SELECT", "WITH", "VALUES"].contains(Store.firstKeyword(sql)), sqlite3_stmt_readonly(statement) != 0 else {
            throw .queryRefused("only read-only statements (SELECT, WITH …) may run here")
        }
        let count = sqlite3_column_count(statement)
        let columns = (0..<count).map { sqlite3_column_name(statement, $0).map { String(cString: $0) } ?? "" }
        var rows: [[LocalValue]] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return (LocalQueryResult(columns: columns, rows: rows), false) }
            guard status == SQLITE_ROW else { throw error(status) }
            if rows.count >= limit { return (LocalQueryResult(columns: columns, rows: rows), true) }
            rows.append((0..<count).map { value(statement, $0) })
        }
    }

    private func value(_ statement: OpaquePointer, _ index: Int32) -> LocalValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(statement, index) else { return .null }
            let length = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite3_column_bytes(statement, index))
            guard length > 0, let bytes = sqlite3_column_blob(statement, index) else { return .blob(Data()) }
            return .blob(Data(bytes: bytes, count: length))
        default: return .null
        }
    }

    private func error(_ status: Int32) -> StoreError {
        if status & 0xFF == SQLITE_INTERRUPT { return .queryRefused("interrupted") }
        if status & 0xFF == SQLITE_AUTH { return .queryRefused(denial) }
        return .sqlite(code: status & 0xFF, extendedCode: status,
                       message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "SQLite error \(status)", sql: nil)
    }
}
