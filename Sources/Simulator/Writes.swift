import Foundation
import GRDB
import JSON

/// Record writes with Salesforce's validation and error answers.
extension Org {
    /// Checks and converts the fields of a write into stored values.
    func storedValues(_ object: ObjectDef, _ fields: [(String, JSONValue)], creating: Bool) throws(APIError)
        -> [(FieldDef, DatabaseValueConvertible?)]
    {
        var result: [(FieldDef, DatabaseValueConvertible?)] = []
        var seen: Set<String> = []
        for (name, value) in fields where name != "attributes" {
            guard let field = object.field(name) else {
                throw APIError(status: 400, code: "INVALID_FIELD",
                               message: "No such column '\(name)' on sobject of type \(object.name)")
            }
            if field.name == "Id" && !creating { continue }
            guard creating ? field.createable : field.updateable else {
                throw APIError(status: 400, code: "INVALID_FIELD_FOR_INSERT_UPDATE",
                               message: "Unable to create/update fields: \(field.name). Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                               fields: [field.name])
            }
            guard seen.insert(field.name).inserted else {
                throw APIError(status: 400, code: "JSON_PARSER_ERROR", message: "Duplicate field: \(field.name)")
            }
            result.append((field, try convert(value, for: field)))
        }
        return result
    }

    func convert(_ value: JSONValue, for field: FieldDef) throws(APIError) -> DatabaseValueConvertible? {
        func cannot(_ type: String) -> APIError {
            APIError(status: 400, code: "JSON_PARSER_ERROR",
                     message: "Cannot deserialize instance of \(type) from \(Self.jsonKind(value)) value \(value.cellText) or request may be missing a required field")
        }
        if value == .null {
            return nil
        }
        switch field.type {
        case .boolean:
            if let bool = value.boolValue { return bool ? 1 : 0 }
            if let text = value.stringValue?.lowercased(), text == "true" || text == "false" { return text == "true" ? 1 : 0 }
            throw cannot("boolean")
        case .int, .double, .currency, .percent:
            let number = value.doubleValue ?? value.stringValue.flatMap(Double.init)
            guard let number, number.isFinite else { throw cannot(field.type == .int ? "int" : "double") }
            let integerDigits = field.type == .int ? field.digits : field.precision - field.scale
            if integerDigits > 0, abs(number) >= pow(10, Double(integerDigits)) {
                throw APIError(status: 400, code: "NUMBER_OUTSIDE_VALID_RANGE",
                               message: "\(field.label): value outside of valid range on numeric field: \(value.cellText)",
                               fields: [field.name])
            }
            return field.type == .int ? Int(number) : number
        case .date:
            guard let text = value.stringValue else { throw cannot("date") }
            if SimDates.parseDate(text) != nil { return text }
            if let date = SimDates.parseDateTime(text) { return SimDates.formatDate(date) }
            throw cannot("date")
        case .datetime:
            guard let text = value.stringValue else { throw cannot("datetime") }
            if let date = SimDates.parseDateTime(text) { return SimDates.format(date) }
            if let date = SimDates.parseDate(text) { return SimDates.format(date) }
            throw cannot("datetime")
        case .reference, .id:
            guard let text = value.stringValue, let id = RecordID.normalize(text),
                  let target = field.referenceTo.compactMap(store.object).first(where: { id.hasPrefix($0.keyPrefix) })
            else {
                throw APIError(status: 400, code: "MALFORMED_ID",
                               message: "\(field.label): id value of incorrect type: \(value.cellText)", fields: [field.name])
            }
            guard (try? store.row(target, id: id)) ?? nil != nil else {
                throw APIError(status: 400, code: "INVALID_CROSS_REFERENCE_KEY",
                               message: "invalid cross reference id", fields: [field.name])
            }
            return id
        case .address:
            throw APIError(status: 400, code: "INVALID_FIELD_FOR_INSERT_UPDATE",
                           message: "Unable to create/update fields: \(field.name).", fields: [field.name])
        default:
            let text: String
            switch value {
            case let .string(s): text = s
            case .int, .double, .bool: text = value.cellText
            default: throw cannot("string")
            }
            if field.length > 0, text.count > field.length {
                throw APIError(status: 400, code: "STRING_TOO_LONG",
                               message: "\(field.label): data value too large: \(text.prefix(200)) (max length=\(field.length))",
                               fields: [field.name])
            }
            if field.restrictedPicklist, !field.picklist.contains(where: { $0.value == text }) {
                throw APIError(status: 400, code: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                               message: "\(field.label): bad value for restricted picklist field: \(text.prefix(200))",
                               fields: [field.name])
            }
            return text
        }
    }

    static func jsonKind(_ value: JSONValue) -> String {
        switch value {
        case .string: "VALUE_STRING"
        case .int: "VALUE_NUMBER_INT"
        case .double: "VALUE_NUMBER_FLOAT"
        case .bool(true): "VALUE_TRUE"
        case .bool(false): "VALUE_FALSE"
        case .array: "START_ARRAY"
        case .object: "START_OBJECT"
        case .null: "VALUE_NULL"
        }
    }

    /// Values the org fills in itself: name, formula, audit fields.
    func derived(_ object: ObjectDef, _ row: inout [String: DatabaseValueConvertible?], user: SimUser, now: Date,
                 creating: Bool) {
        let stamp = SimDates.format(now)
        if object.field("SystemModstamp") != nil {
            row["SystemModstamp"] = stamp
            row["LastModifiedDate"] = stamp
            if object.field("LastModifiedById") != nil { row["LastModifiedById"] = user.id }
            if creating {
                row["CreatedDate"] = stamp
                if object.field("CreatedById") != nil { row["CreatedById"] = user.id }
            }
        }
        if ["Contact", "Lead", "User"].contains(object.name) {
            let first = row["FirstName"].flatMap { $0 as? String } ?? ""
            let last = row["LastName"].flatMap { $0 as? String } ?? ""
            row["Name"] = [first, last].filter { !$0.isEmpty }.joined(separator: " ")
        }
        if object.name == "Opportunity" {
            let stage = StandardObjects.stage(row["StageName"].flatMap { $0 as? String })
            row["IsClosed"] = stage.closed ? 1 : 0
            row["IsWon"] = stage.won ? 1 : 0
            row["ForecastCategory"] = stage.forecast
        }
        if object.name == "Contact" {
            let nickname = row["Nickname__c"].flatMap { $0 as? String } ?? ""
            let first = row["FirstName"].flatMap { $0 as? String } ?? ""
            let last = row["LastName"].flatMap { $0 as? String } ?? ""
            row["Display_Name__c"] = ((nickname.isEmpty ? first : nickname) + " " + last).trimmingCharacters(in: .whitespaces)
        }
    }

    /// Creates a record; returns its id. The duplicate rule does not match the records in
    /// `sameRequest` (created earlier in one collection): like Salesforce's, it does not
    /// compare the records of one request with each other.
    func create(_ object: ObjectDef, fields: [(String, JSONValue)], user: SimUser, sameRequest: [String] = []) throws(APIError) -> String {
        guard object.createable else {
            throw APIError(status: 400, code: "INVALID_TYPE", message: "Cannot create \(object.name)")
        }
        let values = try storedValues(object, fields, creating: true)
        var row: [String: DatabaseValueConvertible?] = [:]
        for field in object.storedFields where field.defaultedOnCreate {
            if field.type == .boolean { row[field.name] = field.defaultValue == "true" ? 1 : 0 }
            else if let value = field.defaultValue { row[field.name] = value }
        }
        if object.field("OwnerId") != nil { row["OwnerId"] = user.id }
        if object.field("IsDeleted") != nil { row["IsDeleted"] = 0 }
        for (field, value) in values { row[field.name] = value }
        let missing = object.fields.filter { field in
            field.createable && !field.nillable && !field.defaultedOnCreate
                && ((row[field.name] ?? nil) == nil || (row[field.name] as? String)?.isEmpty == true)
        }.map(\.name)
        if !missing.isEmpty {
            throw APIError(status: 400, code: "REQUIRED_FIELD_MISSING",
                           message: "Required fields are missing: [\(missing.joined(separator: ", "))]", fields: missing)
        }
        let duplicateEmail = object.name == "Lead" && duplicateRuleActive
            ? row["Email"].flatMap({ $0 as? String }).flatMap { $0.isEmpty ? nil : $0 } : nil
        let id = store.nextID(for: object)
        row["Id"] = id
        derived(object, &row, user: user, now: clock.now(), creating: true)
        let finished = row
        do {
            // The duplicate rule's match and the insert are one transaction: two
            // concurrent creates of one email cannot both pass the rule.
            try store.db.write { db in
                let excluded = sameRequest.isEmpty ? "" : " AND Id NOT IN (\(Array(repeating: "?", count: sameRequest.count).joined(separator: ", ")))"
                try Self.checkUnique(object, finished, id: id, in: db)
                if let email = duplicateEmail,
                   let existing = try String.fetchOne(db, sql: "SELECT Id FROM Lead WHERE IsDeleted = 0 AND Email = ? COLLATE \(TextCollation.name)\(excluded) LIMIT 1",
                                                      arguments: StatementArguments([email] + sameRequest)) {
                    throw Self.duplicateDetected(existing, version: "59.0")
                }
                try store.insert(object, finished, in: db)
                try applyAssignmentRule(assignmentRule(for: AutoAssign.current, object: object, creating: true), to: object, id: id, in: db)
            }
            WriteJournal.current?.record(.created(object, id))
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "\(error)")
        }
        return id
    }

    static func duplicateDetected(_ existing: String, version: String) -> APIError {
        let message = "You're creating a duplicate record. We recommend you use an existing record instead."
        let result: JSONValue = .object([
            ("allowSave", .bool(false)),
            ("duplicateRule", .string("Standard_Lead_Duplicate_Rule")),
            ("duplicateRuleEntityType", .string("Lead")),
            ("errorMessage", .string(message)),
            ("matchResults", .array([.object([
                ("entityType", .string("Lead")),
                ("errors", .array([])),
                ("matchEngine", .string("ExactMatchEngine")),
                ("matchRecords", .array([.object([
                    ("additionalInformation", .array([])),
                    ("fieldDiffs", .array([])),
                    ("matchConfidence", .double(100.0)),
                    ("record", .object([
                        ("attributes", .object([("type", .string("Lead")),
                                                ("url", .string("/services/data/v\(version)/sobjects/Lead/\(existing)"))])),
                        ("Id", .string(existing)),
                    ])),
                ])])),
                ("rule", .string("Standard_Lead_Match_Rule_v1_0")),
                ("size", .int(1)),
                ("success", .bool(true)),
            ])])),
        ])
        return APIError(status: 400, code: "DUPLICATES_DETECTED", message: message, extra: [("duplicateResult", result)])
    }

    func update(_ object: ObjectDef, id: String, fields: [(String, JSONValue)], user: SimUser) throws(APIError) {
        let values = try storedValues(object, fields, creating: false)
        if let required = values.first(where: { !$0.0.nillable && ($0.1 == nil || ($0.1 as? String)?.isEmpty == true) }) {
            throw APIError(status: 400, code: "REQUIRED_FIELD_MISSING",
                           message: "Required fields are missing: [\(required.0.name)]", fields: [required.0.name])
        }
        do {
            try store.db.write { db in
                guard let current = try Row.fetchOne(db, sql: "SELECT * FROM \"\(object.name)\" WHERE Id = ?", arguments: [id])
                else { return }
                WriteJournal.current?.record(.changed(object, current))
                var row: [String: DatabaseValueConvertible?] = [:]
                for column in current.columnNames { row[column] = current[column] as DatabaseValue }
                for (field, value) in values { row[field.name] = value }
                derived(object, &row, user: user, now: clock.now(), creating: false)
                try Self.checkUnique(object, row, id: id, in: db)
                let pairs = row.filter { $0.key != "Id" }.map { ($0.key, $0.value) }
                try db.execute(sql: "UPDATE \"\(object.name)\" SET \(pairs.map { "\"\($0.0)\" = ?" }.joined(separator: ", ")) WHERE Id = ?",
                               arguments: sqlArguments(pairs.map(\.1) + [id]))
                try applyAssignmentRule(assignmentRule(for: AutoAssign.current, object: object, creating: false), to: object, id: id, in: db)
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "\(error)")
        }
    }

    /// Moves a record to the recycle bin: `queryAll` still sees it, with `IsDeleted = true`.
    func delete(_ object: ObjectDef, id: String) throws(APIError) {
        guard object.deletable else { throw APIError(status: 400, code: "INVALID_TYPE", message: "Cannot delete \(object.name)") }
        do {
            try store.db.write { db in
                if let current = try Row.fetchOne(db, sql: "SELECT * FROM \"\(object.name)\" WHERE Id = ?", arguments: [id]) {
                    WriteJournal.current?.record(.changed(object, current))
                }
                try db.execute(sql: "UPDATE \"\(object.name)\" SET IsDeleted = 1, SystemModstamp = ? WHERE Id = ?",
                               arguments: [SimDates.format(clock.now()), id])
            }
        } catch {
            throw APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "\(error)")
        }
    }

    /// `POST` (create) or `PATCH` (update) `/composite/sobjects`: up to 200
    /// records, results in request order, per-item errors under `statusCode`.
    func collection(_ request: SimRequest, create: Bool, user: SimUser) throws(APIError) -> JSONValue {
        let body = try Self.jsonBody(request)
        let allOrNone = body.first(where: { $0.0 == "allOrNone" })?.1.boolValue ?? false
        guard let records = body.first(where: { $0.0 == "records" })?.1.arrayValue else {
            throw APIError(status: 400, code: "JSON_PARSER_ERROR", message: "records is required")
        }
        guard records.count <= 200 else {
            throw APIError(status: 400, code: "EXCEEDED_ID_LIMIT",
                           message: "record limit reached. cannot submit more than 200 records into this call")
        }
        var results: [JSONValue] = []
        var created: [String] = []
        var failed = false
        // What this request writes, to undo under allOrNone (and, nested, for a composite request around it).
        let journal = WriteJournal(parent: WriteJournal.current)
        for record in records {
            guard case let .object(pairs) = record,
                  let type = record["attributes"]?["type"]?.stringValue, let object = store.object(type) else {
                failed = true
                results.append(Self.itemError("INVALID_TYPE", "sObject type is missing or not supported", []))
                continue
            }
            do {
                // TaskLocal.withValue rethrows untyped: an APIError comes back as any Error.
                try WriteJournal.$current.withValue(journal) { () throws in
                if create {
                    if pairs.contains(where: { $0.0.lowercased() == "id" }) {
                        throw APIError(status: 400, code: "INVALID_FIELD",
                                       message: "cannot specify Id in an insert call", fields: ["Id"])
                    }
                    let id = try self.create(object, fields: pairs, user: user, sameRequest: created)
                    created.append(id)
                    results.append(.object([("id", .string(id)), ("success", .bool(true)), ("errors", .array([]))]))
                } else {
                    // Field names are matched without case, `id` as `Id`.
                    guard let idText = pairs.first(where: { $0.0.lowercased() == "id" })?.1.stringValue else {
                        throw APIError(status: 400, code: "MISSING_ARGUMENT", message: "Id not specified in an update call",
                                       fields: ["Id"])
                    }
                    let row: Row
                    do { row = try existingRow(object, idText, user: user) } catch let failure as APIError where failure.code == "NOT_FOUND" {
                        // A well-formed Id of no record: the collection fails that record as Salesforce does.
                        throw APIError(status: 400, code: "INVALID_CROSS_REFERENCE_KEY", message: "invalid cross reference id", fields: [])
                    }
                    try update(object, id: row["Id"], fields: pairs.filter { $0.0.lowercased() != "id" }, user: user)
                    results.append(.object([("id", .string(row["Id"])), ("success", .bool(true)), ("errors", .array([]))]))
                }
                }
            } catch {
                failed = true
                let failure = APIError.wrapping(error)
                // Collections have no duplicateResult and call the code statusCode.
                results.append(Self.itemError(failure.code, failure.message, failure.fields ?? []))
            }
        }
        return settled(results, failed: failed, allOrNone: allOrNone, journal: journal)
    }

    static func itemError(_ code: String, _ message: String, _ fields: [String]) -> JSONValue {
        .object([
            ("success", .bool(false)),
            ("errors", .array([.object([("statusCode", .string(code)), ("message", .string(message)),
                                        ("fields", .array(fields.map(JSONValue.string)))])])),
        ])
    }
}
