import Foundation
import GRDB
import JSON

/// `/services/data/vXX.X/…`: describe, query, records, collections, limits.
extension Org {
    /// Every write of the request runs the assignment rule its `Sforce-Auto-Assign` header chooses.
    func route(_ request: SimRequest, parts: [String], version: String, user: SimUser) throws(APIError) -> SimResponse {
        do {
            return try AutoAssign.$current.withValue(AutoAssign(header: request.headers["sforce-auto-assign"])) { () throws in
                try routeRequest(request, parts: parts, version: version, user: user)
            }
        } catch {
            throw APIError.wrapping(error)
        }
    }

    private func routeRequest(_ request: SimRequest, parts: [String], version: String, user: SimUser) throws(APIError) -> SimResponse {
        let method = request.method
        // Rows of closed ingest jobs whose time has come are written before anything reads the org.
        settleIngestJobs()
        guard let head = parts.first else {
            let base = "/services/data/v\(version)"
            return .json(.object(["jobs", "query", "queryAll", "limits", "composite", "sobjects"].map {
                ($0, .string("\(base)/\($0)"))
            }))
        }
        switch (head, parts.count, method) {
        case ("sobjects", 1, "GET"):
            return conditional(request, body: globalDescribe(version: version), lastModified: anyDescribeChanged)
        case ("sobjects", 2, "GET"):
            let object = try describedObject(parts[1])
            return .json(.object([("objectDescribe", describeSummary(object, version: version)),
                                  ("recentItems", .array([]))]))
        case ("sobjects", 2, "POST"):
            let object = try describedObject(parts[1])
            let id = try create(object, fields: try Self.jsonBody(request), user: user)
            return .json(.object([("id", .string(id)), ("success", .bool(true)), ("errors", .array([]))]),
                         status: 201, headers: [("Location", "/services/data/v\(version)/sobjects/\(object.name)/\(id)")])
        case ("sobjects", 3, "GET") where parts[2] == "describe":
            let object = try describedObject(parts[1])
            return conditional(request, body: describe(object, version: version), lastModified: describeChanged(object))
        case ("sobjects", 3, "GET") where parts[2] == "updated" || parts[2] == "deleted":
            return try replication(try describedObject(parts[1]), kind: parts[2], request: request, user: user)
        case ("sobjects", 3, "GET"):
            let object = try describedObject(parts[1])
            let fields = try request.queryValue("fields").map { list throws(APIError) -> [FieldDef] in
                var result: [FieldDef] = []
                for name in list.split(separator: ",") {
                    let trimmed = name.trimmingCharacters(in: .whitespaces)
                    guard let field = object.field(trimmed) else {
                        throw APIError(status: 400, code: "INVALID_FIELD",
                                       message: "No such column '\(trimmed)' on sobject of type \(object.name)")
                    }
                    result.append(field)
                }
                return result
            }
            let row = try existingRow(object, parts[2], user: user)
            let record = store.recordJSON(object, row: row, fields: fields, version: version)
            guard let changed = Self.lastModified(ofRecord: store.recordJSON(object, row: row, fields: nil, version: version)) else {
                return .json(record)
            }
            return conditional(request, body: record, lastModified: changed)
        case ("sobjects", 3, "PATCH"):
            let object = try describedObject(parts[1])
            let row = try existingRow(object, parts[2], user: user)
            try update(object, id: row["Id"], fields: try Self.jsonBody(request), user: user)
            return SimResponse(status: 204)
        case ("sobjects", 3, "DELETE"):
            let object = try describedObject(parts[1])
            let row = try existingRow(object, parts[2], user: user)
            try delete(object, id: row["Id"])
            return SimResponse(status: 204)
        case ("sobjects", 4, "GET"):
            return try recordByExternalID(try describedObject(parts[1]), field: parts[2], value: parts[3], request: request,
                                          version: version, user: user)
        case ("sobjects", 4, "PATCH"):
            return try upsertRecord(try describedObject(parts[1]), field: parts[2], value: parts[3], request: request,
                                    version: version, user: user)
        case ("query", 1, "GET"), ("queryAll", 1, "GET"):
            guard let soql = request.queryValue("q"), !soql.isEmpty else {
                throw APIError.malformedQuery("A query string must be provided as the q parameter")
            }
            return .json(try query(soql, all: head == "queryAll", user: user, version: version,
                                   pageSize: Self.batchSize(request)))
        case ("query", 2, "GET"), ("queryAll", 2, "GET"):
            return .json(try queries.next(locator: parts[1], now: clock.now()))
        case ("limits", 1, "GET"):
            return .json(limits())
        case ("limits", 2, "GET") where parts[1] == "recordCount":
            return .json(try recordCount(request.queryValue("sObjects")))
        case ("jobs", 2...4, _) where parts[1] == "query":
            return try bulkQuery(request, parts: parts, version: version, user: user)
        case ("jobs", 2...4, _) where parts[1] == "ingest":
            return try bulkIngest(request, parts: parts, version: version, user: user)
        case ("composite", 1, "POST"):
            return try composite(request, version: version, user: user)
        case ("composite", 2, "POST") where parts[1] == "sobjects",
             ("composite", 2, "PATCH") where parts[1] == "sobjects":
            return .json(try collection(request, create: method == "POST", user: user))
        case ("composite", 2, "DELETE") where parts[1] == "sobjects":
            return .json(try collectionDelete(request, user: user))
        case ("composite", 4, "PATCH") where parts[1] == "sobjects":
            return .json(try collectionUpsert(request, type: parts[2], fieldName: parts[3], user: user))
        default:
            if ["sobjects", "query", "queryAll", "limits", "composite"].contains(head) && parts.count <= 3 {
                throw APIError(status: 405, code: "METHOD_NOT_ALLOWED",
                               message: "HTTP Method '\(method)' not allowed. Allowed are GET,HEAD")
            }
            throw APIError.notFound
        }
    }

    static func batchSize(_ request: SimRequest) -> Int {
        guard let options = request.headers["sforce-query-options"],
              let range = options.range(of: "batchSize="),
              let value = Int(options[range.upperBound...].prefix(while: \.isNumber)) else { return 2000 }
        return min(2000, max(200, value))
    }

    func describedObject(_ name: String) throws(APIError) -> ObjectDef {
        guard let object = store.object(name) else { throw APIError.notFound }
        return object
    }

    static func jsonBody(_ request: SimRequest) throws(APIError) -> [(String, JSONValue)] {
        guard let value = try? JSONValue.parse(request.body), case let .object(pairs) = value else {
            throw APIError(status: 400, code: "JSON_PARSER_ERROR",
                           message: "The request body is not a JSON object")
        }
        return pairs
    }

    /// The row behind a record URL, or the error Salesforce gives for that id.
    func existingRow(_ object: ObjectDef, _ text: String, user: SimUser) throws(APIError) -> Row {
        guard let id = RecordID.normalize(text) else {
            throw APIError(status: 404, code: "NOT_FOUND",
                           message: "Provided external ID field does not exist or is not accessible: \(text)")
        }
        guard id.hasPrefix(object.keyPrefix) else {
            throw APIError(status: 400, code: "MALFORMED_ID",
                           message: "\(object.label) ID: id value of incorrect type: \(text)", fields: ["Id"])
        }
        let row: Row?
        do { row = try store.row(object, id: id) } catch {
            throw APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "\(error)")
        }
        guard let row else { throw APIError.notFound }
        if object.field("IsDeleted") != nil, (row["IsDeleted"] as Int?) == 1 {
            throw APIError(status: 404, code: "ENTITY_IS_DELETED", message: "entity is deleted", fields: [])
        }
        if !user.viewAllData, object.field("OwnerId") != nil, object.name != "Note", (row["OwnerId"] as String?) != user.id {
            throw APIError(status: 404, code: "NOT_FOUND", message: "The requested resource does not exist")
        }
        return row
    }

    func query(_ soql: String, all: Bool, user: SimUser, version: String, pageSize: Int) throws(APIError) -> JSONValue {
        let parsed: SOQLQuery
        do { parsed = try SOQLParser.parse(soql) } catch {
            throw APIError(status: 400, code: error.code, message: error.message)
        }
        var compiler = SOQLCompiler(source: soql, schema: store.object,
                                    context: QueryContext(userID: user.id, viewAllData: user.viewAllData,
                                                          includeDeleted: all, now: clock.now()))
        let compiled = try compiler.compile(parsed)
        return try queries.run(compiled, pageSize: pageSize, version: version, now: clock.now())
    }

    func limits() -> JSONValue {
        let (used, max) = apiUsage
        func entry(_ max: Int, _ remaining: Int) -> JSONValue {
            .object([("Max", .int(max)), ("Remaining", .int(remaining))])
        }
        return .object([
            ("ConcurrentAsyncGetReportInstances", entry(200, 200)),
            ("ConcurrentSyncReportRuns", entry(20, 20)),
            ("DailyApiRequests", entry(max, Swift.max(0, max - used))),
            ("DailyAsyncApexExecutions", entry(250_000, 250_000)),
            ("DailyBulkApiBatches", entry(Self.bulkDailyBatches,
                                          Swift.max(0, Self.bulkDailyBatches - ingestJobs.batchesInLastDay(now: clock.now())))),
            ("DailyBulkV2QueryFileStorageMB", entry(976_562, 976_562)),
            ("DailyBulkV2QueryJobs", entry(Self.bulkDailyJobs, Swift.max(0, Self.bulkDailyJobs - bulkJobs.createdInLastDay(now: clock.now())))),
            ("DailyGenericStreamingApiEvents", entry(10_000, 10_000)),
            ("DailyStreamingApiEvents", entry(10_000, 10_000)),
            ("DataStorageMB", entry(1_024, 1_000)),
            ("FileStorageMB", entry(20_480, 20_480)),
            ("HourlyODataCallout", entry(20_000, 20_000)),
            ("MassEmail", entry(5_000, 5_000)),
            ("SingleEmail", entry(5_000, 5_000)),
        ])
    }

    func recordCount(_ list: String?) throws(APIError) -> JSONValue {
        let names = (list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var counts: [JSONValue] = []
        for name in names {
            guard let object = store.object(name), object.replicateable else { continue }
            let count = (try? store.db.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(object.name)\"\(object.field("IsDeleted") != nil ? " WHERE IsDeleted = 0" : "")")
            }) ?? nil
            counts.append(.object([("count", .int(count ?? 0)), ("name", .string(object.name))]))
        }
        return .object([("sObjects", .array(counts))])
    }

    static var httpDateFormatter: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }

    static func httpDate(_ text: String) -> Date? { httpDateFormatter.date(from: text) }
}
