import Foundation
import GRDB
import JSON

/// External ID fields: unique values enforced on every write, records read and upserted by them
/// (`/sobjects/{Type}/{Field}/{value}`, `PATCH /composite/sobjects/{Type}/{Field}`), as Salesforce answers.
extension Org {
    /// A unique field's value taken by another record: `DUPLICATE_VALUE`, naming the record that has it.
    static func checkUnique(_ object: ObjectDef, _ row: [String: DatabaseValueConvertible?], id: String, in db: Database) throws {
        for field in object.fields where field.unique {
            guard let value = (row[field.name] ?? nil) as? String, !value.isEmpty else { continue }
            if let other = try String.fetchOne(db, sql: "SELECT Id FROM \"\(object.name)\" WHERE \"\(field.name)\" = ? COLLATE \(TextCollation.name) AND Id != ?\(object.field("IsDeleted") != nil ? " AND IsDeleted = 0" : "") LIMIT 1",
                                               arguments: [value, id]) {
                throw APIError(status: 400, code: "DUPLICATE_VALUE",
                               message: "duplicate value found: \(field.name) duplicates value on record with id: \(other)", fields: [])
            }
        }
    }

    /// The External ID field `name` of `object` (or `Id`); a field that is not one is refused as Salesforce refuses it.
    func externalIDField(_ object: ObjectDef, _ name: String) throws(APIError) -> FieldDef {
        guard let field = object.field(name), field.externalId || field.name == "Id" else {
            throw APIError(status: 404, code: "NOT_FOUND", message: "Provided external ID field does not exist or is not accessible: \(name)")
        }
        return field
    }

    /// The ids of the live records whose `field` is `value` (case-insensitively), as this user sees them.
    func matches(_ object: ObjectDef, _ field: FieldDef, _ value: String, user: SimUser) throws(APIError) -> [String] {
        var sql = "SELECT Id FROM \"\(object.name)\" WHERE \"\(field.name)\" = ? COLLATE \(TextCollation.name)"
        var arguments: [DatabaseValueConvertible] = [value]
        if object.field("IsDeleted") != nil { sql += " AND IsDeleted = 0" }
        if !user.viewAllData, object.field("OwnerId") != nil, object.name != "Note" {
            sql += " AND OwnerId = ?"
            arguments.append(user.id)
        }
        do {
            return try store.db.read { db in try String.fetchAll(db, sql: sql + " ORDER BY Id LIMIT 200", arguments: StatementArguments(arguments)) }
        } catch {
            throw APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "\(error)")
        }
    }

    /// Several records have the value: 300 Multiple Choices listing their URLs.
    static func multipleChoices(_ object: ObjectDef, _ ids: [String], version: String) -> SimResponse {
        .json(.array(ids.map { .string("/services/data/v\(version)/sobjects/\(object.name)/\($0)") }), status: 300)
    }

    /// `GET /sobjects/{Type}/{Field}/{value}`.
    func recordByExternalID(_ object: ObjectDef, field name: String, value: String, request: SimRequest, version: String,
                            user: SimUser) throws(APIError) -> SimResponse {
        let field = try externalIDField(object, name)
        let ids = try matches(object, field, value, user: user)
        guard !ids.isEmpty else { throw APIError.notFound }
        guard ids.count == 1 else { return Self.multipleChoices(object, ids, version: version) }
        let row = try existingRow(object, ids[0], user: user)
        return .json(store.recordJSON(object, row: row, fields: nil, version: version))
    }

    /// One upsert: the record whose `field` is `value` is updated, or one is created with it. Returns the id and
    /// whether it was created; several matches are `MULTIPLE_CHOICES` (a 300 for a single record).
    func upsert(_ object: ObjectDef, field: FieldDef, value: String, fields: [(String, JSONValue)], user: SimUser,
                sameRequest: [String] = []) throws(APIError) -> (id: String, created: Bool, matches: [String]) {
        let ids = try matches(object, field, value, user: user)
        let body = fields.filter { $0.0.lowercased() != "attributes" }
        if let given = body.first(where: { $0.0.lowercased() == field.name.lowercased() })?.1.stringValue, given != value {
            throw APIError(status: 400, code: "INVALID_FIELD",
                           message: "The value of \(field.name) in the body (\(given)) does not match the one in the URL (\(value))", fields: [field.name])
        }
        switch ids.count {
        case 0:
            guard field.name != "Id" else { throw APIError.notFound }
            var values = body.filter { $0.0.lowercased() != field.name.lowercased() }
            values.append((field.name, .string(value)))
            return (try create(object, fields: values, user: user, sameRequest: sameRequest), true, [])
        case 1:
            try update(object, id: ids[0], fields: body.filter { $0.0.lowercased() != field.name.lowercased() && $0.0.lowercased() != "id" }, user: user)
            return (ids[0], false, ids)
        default:
            return ("", false, ids)
        }
    }

    /// `PATCH /sobjects/{Type}/{Field}/{value}`: 201 with `Location` when created, 200 (204 before v46.0) when updated.
    func upsertRecord(_ object: ObjectDef, field name: String, value: String, request: SimRequest, version: String,
                      user: SimUser) throws(APIError) -> SimResponse {
        let field = try externalIDField(object, name)
        let result = try upsert(object, field: field, value: value, fields: try Self.jsonBody(request), user: user)
        if result.matches.count > 1 { return Self.multipleChoices(object, result.matches, version: version) }
        let body = JSONValue.object([("id", .string(result.id)), ("success", .bool(true)), ("errors", .array([])),
                                     ("created", .bool(result.created))])
        if result.created {
            return .json(body, status: 201, headers: [("Location", "/services/data/v\(version)/sobjects/\(object.name)/\(result.id)")])
        }
        return (Double(version) ?? 59) >= 46 ? .json(body, status: 200) : SimResponse(status: 204)
    }

    /// `PATCH /composite/sobjects/{Type}/{Field}`: up to 200 records upserted by the field, each answered with
    /// `created`; `allOrNone` rolls every one back at the first failure.
    func collectionUpsert(_ request: SimRequest, type: String, fieldName: String, user: SimUser) throws(APIError) -> JSONValue {
        let object = try describedObject(type)
        let field = try externalIDField(object, fieldName)
        let body = try Self.jsonBody(request)
        let allOrNone = body.first(where: { $0.0 == "allOrNone" })?.1.boolValue ?? false
        guard let records = body.first(where: { $0.0 == "records" })?.1.arrayValue else {
            throw APIError(status: 400, code: "JSON_PARSER_ERROR", message: "records is required")
        }
        guard records.count <= 200 else {
            throw APIError(status: 400, code: "EXCEEDED_ID_LIMIT", message: "record limit reached. cannot submit more than 200 records into this call")
        }
        let journal = WriteJournal(parent: WriteJournal.current)
        var results: [JSONValue] = []
        var created: [String] = []
        var failed = false
        for record in records {
            guard case let .object(pairs) = record else {
                failed = true
                results.append(Self.itemError("INVALID_TYPE", "sObject type is missing or not supported", []))
                continue
            }
            if let given = record["attributes"]?["type"]?.stringValue, given.lowercased() != object.name.lowercased() {
                failed = true
                results.append(Self.itemError("INVALID_TYPE", "The sObject type \(given) is not \(object.name)", []))
                continue
            }
            let value = pairs.first(where: { $0.0.lowercased() == field.name.lowercased() })?.1.stringValue ?? ""
            if value.isEmpty && field.name == "Id" {
                // Upsert by Id with no Id (null or absent): a create, as recorded from real orgs.
                do {
                    let id = try WriteJournal.$current.withValue(journal) { () throws in
                        try self.create(object, fields: pairs.filter { $0.0.lowercased() != "id" }, user: user, sameRequest: created)
                    }
                    created.append(id)
                    results.append(.object([("id", .string(id)), ("success", .bool(true)), ("errors", .array([])), ("created", .bool(true))]))
                } catch {
                    failed = true
                    let failure = APIError.wrapping(error)
                    results.append(Self.itemError(failure.code, failure.message, failure.fields ?? []))
                }
                continue
            }
            guard !value.isEmpty else {
                failed = true
                results.append(Self.itemError("MISSING_ARGUMENT", "\(field.name) not specified", []))
                continue
            }
            do {
                let result = try WriteJournal.$current.withValue(journal) { () throws in
                    try self.upsert(object, field: field, value: value, fields: pairs, user: user, sameRequest: created)
                }
                if result.matches.count > 1 {
                    failed = true
                    results.append(Self.itemError("DUPLICATE_EXTERNAL_ID",
                                                  "\(field.name): more than one record found for external id field: \(result.matches)", []))
                    continue
                }
                if result.created { created.append(result.id) }
                results.append(.object([("id", .string(result.id)), ("success", .bool(true)), ("errors", .array([])),
                                        ("created", .bool(result.created))]))
            } catch {
                failed = true
                let failure = APIError.wrapping(error)
                results.append(Self.itemError(failure.code, failure.message, failure.fields ?? []))
            }
        }
        return settled(results, failed: failed, allOrNone: allOrNone, journal: journal)
    }

    /// `DELETE /composite/sobjects?ids=…[&allOrNone=true]`: up to 200 records of any types, each answered.
    func collectionDelete(_ request: SimRequest, user: SimUser) throws(APIError) -> JSONValue {
        let ids = (request.queryValue("ids") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !ids.isEmpty else {
            throw APIError(status: 400, code: "REQUIRED_FIELD_MISSING", message: "At least 1 Id is required.")
        }
        guard ids.count <= 200 else {
            throw APIError(status: 400, code: "EXCEEDED_ID_LIMIT", message: "record limit reached. cannot submit more than 200 records into this call")
        }
        let allOrNone = request.queryValue("allOrNone")?.lowercased() == "true"
        let journal = WriteJournal(parent: WriteJournal.current)
        var results: [JSONValue] = []
        var failed = false
        for text in ids {
            do {
                guard let id = RecordID.normalize(text), let object = store.objects.values.first(where: { id.hasPrefix($0.keyPrefix) }) else {
                    throw APIError(status: 400, code: "MALFORMED_ID", message: "malformed id \(text)", fields: [])
                }
                let row = try existingRow(object, id, user: user)
                try WriteJournal.$current.withValue(journal) { () throws in try self.delete(object, id: row["Id"]) }
                results.append(.object([("id", .string(row["Id"])), ("success", .bool(true)), ("errors", .array([]))]))
            } catch {
                failed = true
                var failure = APIError.wrapping(error)
                if failure.code == "NOT_FOUND" { failure = APIError(status: 400, code: "INVALID_CROSS_REFERENCE_KEY", message: "invalid cross reference id") }
                results.append(.object([("id", .string(text)), ("success", .bool(false)),
                                        ("errors", .array([.object([("statusCode", .string(failure.code)), ("message", .string(failure.message)),
                                                                    ("fields", .array((failure.fields ?? []).map(JSONValue.string)))])]))]))
            }
        }
        return settled(results, failed: failed, allOrNone: allOrNone, journal: journal)
    }

    /// A collection's answer once each record was tried: with `allOrNone` and a failure, the journal is undone
    /// (created records go, updated ones get their earlier values back) and every success is answered as rolled back.
    func settled(_ results: [JSONValue], failed: Bool, allOrNone: Bool, journal: WriteJournal) -> JSONValue {
        guard allOrNone && failed else { return .array(results) }
        journal.undo(in: store)
        return .array(results.map { result in result["success"] == .bool(true) ? Self.rolledBack(result["id"]) : result })
    }

    static func rolledBack(_ id: JSONValue?) -> JSONValue {
        .object([
            ("id", id ?? .null), ("success", .bool(false)),
            ("errors", .array([.object([
                ("statusCode", .string("ALL_OR_NONE_OPERATION_ROLLED_BACK")),
                ("message", .string("Record rolled back because not all records were valid and the request was using AllOrNone header")),
                ("fields", .array([])),
            ])])),
        ])
    }
}
