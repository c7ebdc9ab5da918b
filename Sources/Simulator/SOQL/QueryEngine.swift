import Foundation
import GRDB
import JSON

/// Runs compiled queries and keeps the cursors behind `nextRecordsUrl`.
///
/// Pages follow the real shapes: `totalSize` (the whole count) on every page,
/// `done`, `nextRecordsUrl` only while more remain, then `records`. Without
/// ORDER BY, pages continue from the last rowid, so deep pages stay fast. With
/// ORDER BY, the first page orders the result once and keeps its rowids (as
/// Salesforce's query locator is a snapshot of the result): later pages read
/// their rows by position instead of sorting again past a growing OFFSET.
final class QueryEngine: @unchecked Sendable {
    struct Cursor {
        let compiled: CompiledQuery
        let total: Int
        let pageSize: Int
        let version: String
        var delivered: Int
        var lastRowID: Int64
        var touched: Date
        /// The ordered result's rowids (ORDER BY queries), taken with the first page.
        var snapshot: [Int64]?
    }

    private let store: OrgStore
    private let lock = NSLock()
    private var cursors: [String: Cursor] = [:]
    static let cursorLifetime: TimeInterval = 15 * 60

    init(store: OrgStore) { self.store = store }

    /// Runs a query and answers its first page.
    func run(_ compiled: CompiledQuery, pageSize: Int, version: String, now: Date) throws(APIError) -> JSONValue {
        do {
            return try store.db.read { db throws -> JSONValue in
                let total = try count(compiled, db)
                if compiled.isCount {
                    return .object([("totalSize", .int(total)), ("done", .bool(true)), ("records", .array([]))])
                }
                if compiled.countField != nil {
                    let record: JSONValue = .object([
                        ("attributes", .object([("type", .string("AggregateResult"))])), ("expr0", .int(total)),
                    ])
                    return .object([("totalSize", .int(1)), ("done", .bool(true)), ("records", .array([record]))])
                }
                var cursor = Cursor(compiled: compiled, total: total, pageSize: pageSize, version: version,
                                    delivered: 0, lastRowID: Int64.min, touched: now)
                return try page(&cursor, db: db, now: now)
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "sfsim query failed: \(error)")
        }
    }

    /// The page behind a locator `<cursor>-<offset>`.
    func next(locator: String, now: Date) throws(APIError) -> JSONValue {
        let parts = locator.split(separator: "-")
        lock.lock()
        expire(now)
        let found = parts.count == 2 ? cursors[String(parts[0])] : nil
        lock.unlock()
        guard var cursor = found, let offset = Int(parts[1]), offset == cursor.delivered else {
            throw APIError(status: 400, code: "INVALID_QUERY_LOCATOR", message: "invalid query locator")
        }
        do {
            return try store.db.read { db in try page(&cursor, db: db, now: now, id: String(parts[0])) }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "sfsim query failed: \(error)")
        }
    }

    private func expire(_ now: Date) {
        cursors = cursors.filter { now.timeIntervalSince($0.value.touched) < Self.cursorLifetime }
    }

    private func count(_ compiled: CompiledQuery, _ db: Database) throws -> Int {
        let all = try Int.fetchOne(db, sql: "SELECT COUNT(*) \(compiled.fromSQL) \(compiled.whereSQL)",
                                   arguments: sqlArguments(compiled.arguments)) ?? 0
        let afterOffset = max(0, all - (compiled.offset ?? 0))
        return compiled.limit.map { min($0, afterOffset) } ?? afterOffset
    }

    private func page(_ cursor: inout Cursor, db: Database, now: Date, id: String? = nil) throws -> JSONValue {
        let compiled = cursor.compiled
        let remaining = cursor.total - cursor.delivered
        let take = min(cursor.pageSize, remaining)
        var rows: [Row] = []
        if take > 0 {
            var sql = "SELECT \(compiled.selectColumns.joined(separator: ", ")) \(compiled.fromSQL)"
            var arguments = compiled.arguments
            var conditions = compiled.whereSQL
            let keyset = compiled.orderSQL.isEmpty
            if keyset && cursor.delivered > 0 {
                conditions += (conditions.isEmpty ? "WHERE " : " AND ") + "t.rowid > ?"
                arguments.append(cursor.lastRowID)
            }
            sql += " \(conditions) ORDER BY \(keyset ? "t.rowid" : compiled.orderSQL + ", t.rowid") LIMIT ?"
            arguments.append(take)
            let offset = keyset ? (cursor.delivered == 0 ? compiled.offset ?? 0 : 0) : (compiled.offset ?? 0) + cursor.delivered
            if offset > 0 {
                sql += " OFFSET ?"
                arguments.append(offset)
            }
            if keyset {
                rows = try Row.fetchAll(db, sql: sql, arguments: sqlArguments(arguments))
                cursor.delivered += rows.count
            } else {
                // By position: a row deleted since the snapshot leaves a gap, not a shift.
                let (found, consumed) = try snapshotPage(&cursor, take: take, db: db)
                rows = found
                cursor.delivered += consumed
            }
        }
        if let last = rows.last { cursor.lastRowID = last["_rowid"] }
        cursor.touched = now
        var records: [JSONValue] = []
        for row in rows { records.append(try record(row, compiled, version: cursor.version, db: db)) }
        var pairs: [(String, JSONValue)] = [("totalSize", .int(cursor.total))]
        let done = cursor.delivered >= cursor.total || rows.isEmpty
        pairs.append(("done", .bool(done)))
        if !done {
            let cursorID = id ?? "01g" + RecordID.make(prefix: "", number: Int.random(in: 0..<Int(Int32.max))).prefix(12)
            pairs.append(("nextRecordsUrl", .string("/services/data/v\(cursor.version)/query/\(cursorID)-\(cursor.delivered)")))
            lock.lock()
            cursors[cursorID] = cursor
            if cursors.count > 10_000 { expire(now) }
            lock.unlock()
        } else if let id {
            lock.lock()
            cursors[id] = nil
            lock.unlock()
        }
        pairs.append(("records", .array(records)))
        return .object(pairs)
    }

    /// The next `take` rows of an ordered result, by position in its snapshot.
    private func snapshotPage(_ cursor: inout Cursor, take: Int, db: Database) throws -> (rows: [Row], consumed: Int) {
        let compiled = cursor.compiled
        let snapshot: [Int64]
        if let taken = cursor.snapshot {
            snapshot = taken
        } else {
            var arguments = compiled.arguments
            var sql = "SELECT t.rowid \(compiled.fromSQL) \(compiled.whereSQL) ORDER BY \(compiled.orderSQL), t.rowid LIMIT ?"
            arguments.append(cursor.total)
            if let offset = compiled.offset, offset > 0 {
                sql += " OFFSET ?"
                arguments.append(offset)
            }
            snapshot = try Int64.fetchAll(db, sql: sql, arguments: sqlArguments(arguments))
            cursor.snapshot = snapshot
        }
        let ids = Array(snapshot[min(cursor.delivered, snapshot.count)..<min(cursor.delivered + take, snapshot.count)])
        guard !ids.isEmpty else { return ([], 0) }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        let sql = "SELECT \(compiled.selectColumns.joined(separator: ", ")) \(compiled.fromSQL) WHERE t.rowid IN (\(marks))"
        let fetched = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(ids))
        var byRowID: [Int64: Row] = [:]
        for row in fetched { byRowID[row["_rowid"]] = row }
        return (ids.compactMap { byRowID[$0] }, ids.count)
    }

    /// One result row as a Salesforce record, parents nested with their own attributes.
    func record(_ row: Row, _ compiled: CompiledQuery, version: String, db: Database? = nil) throws -> JSONValue {
        func attributes(_ type: String, _ id: String) -> JSONValue {
            .object([("type", .string(type)), ("url", .string("/services/data/v\(version)/sobjects/\(type)/\(id)"))])
        }
        final class Node {
            var pairs: [(String, JSONValue)] = []
            var children: [String: Node] = [:]
            var order: [String] = []
            var isNull = false
            var attributes: JSONValue = .null
        }
        let root = Node()
        root.attributes = attributes(compiled.object.name, row["t_Id"])
        // Parent-to-child subqueries go where they stood in the select list.
        func children(at position: Int) throws {
            guard let db else { return }
            for child in compiled.children where child.position == position {
                root.pairs.append((child.key, try childPage(child, parentID: row["t_Id"], version: version, db: db)))
            }
        }
        for (index, output) in compiled.outputs.enumerated() {
            try children(at: index)
            var node = root
            for join in output.joins {
                // A join's path is never empty (resolve() builds it from a relationship name).
                let key = join.path.last ?? join.alias
                if let child = node.children[key] {
                    node = child
                } else {
                    let child = Node()
                    let id: String? = row["\(join.alias)_Id"]
                    child.isNull = id == nil
                    if let id { child.attributes = attributes(join.object.name, id) }
                    node.children[key] = child
                    node.pairs.append((key, .null))  // placeholder, filled below
                    node = child
                }
            }
            let value = output.field.name == "Id"
                ? (row["\(output.prefix)Id"] as String?).map(JSONValue.string) ?? .null
                : store.value(of: output.field, in: output.object, row: row, prefix: output.prefix)
            node.pairs.append((output.field.name, value))
        }
        try children(at: compiled.outputs.count)
        func build(_ node: Node) -> JSONValue {
            if node.isNull { return .null }
            return .object([("attributes", node.attributes)] + node.pairs.map { key, value in
                node.children[key].map { (key, build($0)) } ?? (key, value)
            })
        }
        return build(root)
    }

    /// One parent's child records: `{"totalSize", "done": true, "records"}`, or null when it has none.
    func childPage(_ child: CompiledQuery.Child, parentID: String, version: String, db: Database) throws -> JSONValue {
        let query = child.query
        let condition = (query.whereSQL.isEmpty ? "WHERE " : query.whereSQL + " AND ") + "t.\"\(child.parentField)\" = ?"
        var sql = "SELECT \(query.selectColumns.joined(separator: ", ")) \(query.fromSQL) \(condition) ORDER BY \(query.orderSQL.isEmpty ? "t.rowid" : query.orderSQL + ", t.rowid")"
        var arguments = query.arguments + [parentID]
        if let limit = query.limit {
            sql += " LIMIT ?"
            arguments.append(limit)
        }
        let rows = try Row.fetchAll(db, sql: sql, arguments: sqlArguments(arguments))
        guard !rows.isEmpty else { return .null }
        var records: [JSONValue] = []
        for row in rows { records.append(try record(row, query, version: version)) }
        return .object([("totalSize", .int(records.count)), ("done", .bool(true)), ("records", .array(records))])
    }
}
