import Foundation
import GRDB
import JSON

/// The org's records in SQLite, one table per sObject, one column per stored
/// field. Queries over a million rows stay fast because SOQL is translated to SQL.
final class OrgStore: @unchecked Sendable {
    let db: DatabaseQueue
    private let path: String?
    private let lock = NSLock()
    private var counters: [String: Int] = [:]
    /// The objects by lower-cased name (guarded by `lock`: a field may be added at run time).
    private var table: [String: ObjectDef]

    var objects: [String: ObjectDef] { lock.withLock { table } }

    init(objects: [ObjectDef], inMemory: Bool) throws {
        self.table = Dictionary(uniqueKeysWithValues: objects.map { ($0.name.lowercased(), $0) })
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            db.add(collation: TextCollation.collation)
            db.add(function: DatabaseFunction("sfsim_includes", argumentCount: 2, pure: true) { values in
                guard let stored = String.fromDatabaseValue(values[0].databaseValue),
                      let wanted = String.fromDatabaseValue(values[1].databaseValue) else { return false }
                let have = Set(stored.split(separator: ";").map { $0.lowercased() })
                return wanted.split(separator: ";").allSatisfy { have.contains($0.lowercased()) }
            })
        }
        if inMemory {
            path = nil
            db = try DatabaseQueue(configuration: configuration)
        } else {
            let file = NSTemporaryDirectory() + "sfsim-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).db"
            path = file
            db = try DatabaseQueue(path: file, configuration: configuration)
            try db.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF")
            }
        }
        try db.write { db in
            for object in objects {
                var columns = ["Id TEXT NOT NULL UNIQUE"]
                for field in object.storedFields where field.name != "Id" {
                    columns.append("\"\(field.name)\" \(Self.sqlType(field.type))")
                }
                if object.name == "UserPermissionAccess" { columns.append("UserId TEXT") }
                try db.execute(sql: "CREATE TABLE \"\(object.name)\" (\(columns.joined(separator: ", ")))")
            }
        }
    }

    /// Indexes lookups and joins use; made after the bulk load, which is faster than keeping them up to date.
    func createIndexes() throws {
        try db.write { db in
            for object in objects.values {
                for field in object.fields where field.type == .reference || field.externalId || ["Email", "SystemModstamp"].contains(field.name) {
                    // Emails and External IDs are compared as SOQL compares text, without case (the duplicate rule,
                    // `Email IN (…)`, an upsert's match and a unique field's check): an index in that collation serves
                    // those; a binary one would leave every create or upsert scanning the table. Salesforce indexes
                    // External ID fields too.
                    let collate = field.name == "Email" || field.externalId ? " COLLATE \(TextCollation.name)" : ""
                    try db.execute(sql: "CREATE INDEX IF NOT EXISTS \"\(object.name)_\(field.name)\" ON \"\(object.name)\"(\"\(field.name)\"\(collate))")
                }
            }
        }
    }

    deinit {
        if let path { for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) } }
    }

    static func sqlType(_ type: FieldType) -> String {
        switch type {
        case .boolean, .int: "INTEGER"
        case .double, .currency, .percent: "REAL"
        default: "TEXT"
        }
    }

    func object(_ name: String) -> ObjectDef? { lock.withLock { table[name.lowercased()] } }

    /// Adds a stored field to an object at run time: its column, the value of every existing record (`value` of the
    /// record's position by Id), and the field in the describe. Records keep their SystemModstamp.
    func addField(_ field: FieldDef, to name: String, value: (Int) -> (any DatabaseValueConvertible)?) throws {
        guard let object = object(name) else { return }
        try db.write { db in
            try db.execute(sql: "ALTER TABLE \"\(object.name)\" ADD COLUMN \"\(field.name)\" \(Self.sqlType(field.type))")
            let ids = try String.fetchAll(db, sql: "SELECT Id FROM \"\(object.name)\" ORDER BY Id")
            let update = try db.makeStatement(sql: "UPDATE \"\(object.name)\" SET \"\(field.name)\" = ? WHERE Id = ?")
            for (position, id) in ids.enumerated() {
                try update.execute(arguments: [value(position)?.databaseValue ?? .null, id])
            }
        }
        lock.withLock { table[name.lowercased()]?.fields.append(field) }
    }

    /// A new id for an object.
    func nextID(for object: ObjectDef) -> String {
        lock.lock()
        defer { lock.unlock() }
        let next = (counters[object.name] ?? 0) + 1
        counters[object.name] = next
        return RecordID.make(prefix: object.keyPrefix, number: next * 7919 + 100_000)
    }

    // MARK: Values

    /// A database value as JSON, by field type.
    static func json(_ value: DatabaseValue, _ type: FieldType) -> JSONValue {
        switch value.storage {
        case .null: return .null
        case let .int64(i):
            switch type {
            case .boolean: return .bool(i != 0)
            case .double, .currency, .percent: return .double(Double(i))
            default: return .int(Int(i))
            }
        case let .double(d): return type == .int ? .int(Int(d)) : .double(d)
        case let .string(s): return .string(s)
        case let .blob(data): return .string(String(decoding: data, as: UTF8.self))
        }
    }

    // MARK: Raw writes (the generator and writes below use them)

    /// Inserts a row built for sfsim's own definition of an object (the admin user, the Organization row, a bundle's
    /// sample with the system fields set) into the org's object, with only the columns it has: a bundle's object
    /// (`--from-bundle`) may lack a standard field. Writes of records (`insert`) name only the object's own fields
    /// and skip this.
    func insertStandard(_ standard: ObjectDef, _ values: [String: DatabaseValueConvertible?], in db: Database) throws {
        let current = object(standard.name) ?? standard
        var columns = Set(current.storedFields.map(\.name))
        if standard.name == "UserPermissionAccess" { columns.insert("UserId") }
        try insert(current, values.filter { columns.contains($0.key) }, in: db)
    }

    func insert(_ object: ObjectDef, _ values: [String: DatabaseValueConvertible?], in db: Database) throws {
        let pairs = Array(values)
        let sql = "INSERT INTO \"\(object.name)\" (\(pairs.map { "\"\($0.key)\"" }.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: pairs.count).joined(separator: ", ")))"
        try db.execute(sql: sql, arguments: sqlArguments(pairs.map(\.value)))
    }

    /// The row of a record as (field → database value), deleted rows included.
    func row(_ object: ObjectDef, id: String) throws -> Row? {
        try db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM \"\(object.name)\" WHERE Id = ?", arguments: [id])
        }
    }

    /// The record as Salesforce returns it from `GET /sobjects/Type/Id`.
    func recordJSON(_ object: ObjectDef, row: Row, fields: [FieldDef]?, version: String) -> JSONValue {
        let id = row["Id"] as String
        var pairs: [(String, JSONValue)] = [("attributes", .object([
            ("type", .string(object.name)),
            ("url", .string("/services/data/v\(version)/sobjects/\(object.name)/\(id)")),
        ]))]
        for field in fields ?? object.fields {
            pairs.append((field.name, value(of: field, in: object, row: row)))
        }
        return .object(pairs)
    }

    /// One field's value from a row; compound addresses are built from their parts.
    func value(of field: FieldDef, in object: ObjectDef, row: Row, prefix: String = "") -> JSONValue {
        if field.type == .address {
            let parts = object.fields.filter { $0.compoundFieldName == field.name }
            var pairs: [(String, JSONValue)] = []
            var allNull = true
            let base = field.name == "Address" ? "" : String(field.name.dropLast("Address".count))
            for part in parts {
                var key = String(part.name.dropFirst(base.count))
                key = key.prefix(1).lowercased() + key.dropFirst()
                let value = Self.json(row[prefix + part.name] as DatabaseValue? ?? .null, part.type)
                if value != .null { allNull = false }
                pairs.append((key, value))
            }
            return allNull ? .null : .object(pairs.sorted { $0.0 < $1.0 })
        }
        return Self.json(row[prefix + field.name] as DatabaseValue? ?? .null, field.type)
    }
}

/// Statement arguments from optional values (nil is NULL).
func sqlArguments(_ values: [DatabaseValueConvertible?]) -> StatementArguments {
    StatementArguments(values.map { $0?.databaseValue ?? .null })
}
