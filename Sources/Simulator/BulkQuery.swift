import Foundation
import GRDB
import JSON

/// Bulk API 2.0 query jobs (`/services/data/vXX.X/jobs/query`) as Salesforce
/// answers them: a job is created over a snapshot of its result, moves
/// `UploadComplete` → `InProgress` → `JobComplete` on the org's clock, and
/// serves its result as quoted CSV in chunks (`maxRecords`, `Sforce-Locator`,
/// `Sforce-NumberOfRecords`). Every request is one API call, as on the REST API.
final class BulkQueryJobs: @unchecked Sendable {
    struct Job {
        let id: String
        let operation: String
        let object: String
        let createdBy: String
        let created: Date
        let version: String
        let compiled: CompiledQuery
        let columns: [String]
        let snapshot: [Int64]
        var aborted = false
    }

    private let lock = NSLock()
    private var jobs: [String: Job] = [:]
    private var order: [String] = []
    /// Creation times, for `DailyBulkV2QueryJobs` over a rolling 24 h.
    private var creations: [Date] = []
    private var counter = 0

    func add(_ make: (String) -> Job) -> Job {
        lock.withLock {
            counter += 1
            let job = make(RecordID.make(prefix: "750", number: counter))
            jobs[job.id] = job
            order.append(job.id)
            creations.append(job.created)
            return job
        }
    }

    func job(_ id: String) -> Job? { lock.withLock { jobs[id] } }

    func all() -> [Job] { lock.withLock { order.compactMap { jobs[$0] } } }

    func abort(_ id: String) -> Job? {
        lock.withLock {
            jobs[id]?.aborted = true
            return jobs[id]
        }
    }

    func remove(_ id: String) -> Bool {
        lock.withLock {
            order.removeAll { $0 == id }
            return jobs.removeValue(forKey: id) != nil
        }
    }

    func createdInLastDay(now: Date) -> Int {
        lock.withLock {
            creations.removeAll { now.timeIntervalSince($0) >= 86_400 }
            return creations.count
        }
    }
}

extension Org {
    /// The most result rows one chunk holds when `maxRecords` is not given.
    static let bulkDefaultChunk = 50_000
    static let bulkDailyJobs = 10_000

    func bulkQuery(_ request: SimRequest, parts: [String], version: String, user: SimUser) throws(APIError) -> SimResponse {
        switch (parts.count, request.method) {
        case (2, "POST"):
            return .json(bulkJSON(try createBulkJob(request, version: version, user: user), as: .created))
        case (2, "GET"):
            return .json(.object([("done", .bool(true)), ("records", .array(bulkJobs.all().map { bulkJSON($0, as: .listed) })),
                                  ("nextRecordsUrl", .null)]))
        case (3, "GET"):
            return .json(bulkJSON(try existingBulkJob(parts[2]), as: .info))
        case (3, "PATCH"):
            let job = try existingBulkJob(parts[2])
            guard (try Self.jsonBody(request)).first(where: { $0.0 == "state" })?.1.stringValue == "Aborted" else {
                throw APIError(status: 400, code: "INVALIDJOBSTATE", message: "Only the state Aborted can be set on a query job")
            }
            guard bulkState(job) != "JobComplete" else {
                throw APIError(status: 400, code: "INVALIDJOBSTATE", message: "Job is already complete: \(job.id)")
            }
            return .json(bulkJSON(bulkJobs.abort(job.id) ?? job, as: .stateChange))
        case (3, "DELETE"):
            guard bulkJobs.remove(parts[2]) else { throw APIError(status: 404, code: "NOT_FOUND", message: "The requested resource does not exist") }
            return SimResponse(status: 204)
        case (4, "GET") where parts[3] == "results":
            return try bulkResults(try existingBulkJob(parts[2]), request: request)
        default:
            throw APIError(status: 405, code: "METHOD_NOT_ALLOWED", message: "HTTP Method '\(request.method)' not allowed")
        }
    }

    func existingBulkJob(_ id: String) throws(APIError) -> BulkQueryJobs.Job {
        guard let job = bulkJobs.job(id) else {
            throw APIError(status: 404, code: "NOT_FOUND", message: "The requested resource does not exist")
        }
        return job
    }

    func createBulkJob(_ request: SimRequest, version: String, user: SimUser) throws(APIError) -> BulkQueryJobs.Job {
        let body = try Self.jsonBody(request)
        let operation = body.first(where: { $0.0 == "operation" })?.1.stringValue ?? "query"
        guard operation == "query" || operation == "queryAll" else {
            throw APIError(status: 400, code: "INVALIDJOB", message: "Invalid operation: \(operation); use query or queryAll")
        }
        guard let soql = body.first(where: { $0.0 == "query" })?.1.stringValue, !soql.isEmpty else {
            throw APIError(status: 400, code: "INVALIDJOB", message: "The query is required")
        }
        let parsed: SOQLQuery
        do { parsed = try SOQLParser.parse(soql) } catch { throw APIError(status: 400, code: error.code, message: error.message) }
        // What Bulk API 2.0 does not support, worded as Salesforce words it.
        if parsed.select.contains(where: { if case .count = $0 { return true } else { return false } }) {
            throw APIError(status: 400, code: "API_ERROR", message: "Aggregate queries are not supported by the Bulk API (COUNT())")
        }
        if parsed.offset != nil {
            throw APIError(status: 400, code: "API_ERROR", message: "OFFSET is not supported in Bulk Query")
        }
        guard bulkJobs.createdInLastDay(now: clock.now()) < Self.bulkDailyJobs else {
            throw APIError(status: 400, code: "LIMIT_EXCEEDED", message: "Max number of bulk query jobs per 24 hours exceeded")
        }
        var compiler = SOQLCompiler(source: soql, schema: store.object,
                                    context: QueryContext(userID: user.id, viewAllData: user.viewAllData,
                                                          includeDeleted: operation == "queryAll", now: clock.now()))
        let compiled = try compiler.compile(parsed)
        if !compiled.children.isEmpty {
            // As the Bulk API 2.0 documentation says: child-to-parent yes, parent-to-child no.
            throw APIError(status: 400, code: "API_ERROR", message: "Parent-to-child relationship queries are not supported in Bulk Query")
        }
        if compiled.outputs.contains(where: { $0.field.type == .address }) {
            throw APIError(status: 400, code: "API_ERROR", message: "Selecting compound data not supported in Bulk Query")
        }
        let snapshot: [Int64]
        do {
            snapshot = try store.db.read { db in
                var arguments = compiled.arguments
                arguments.append(compiled.limit ?? -1)
                let order = compiled.orderSQL.isEmpty ? "t.rowid" : compiled.orderSQL + ", t.rowid"
                return try Int64.fetchAll(db, sql: "SELECT t.rowid \(compiled.fromSQL) \(compiled.whereSQL) ORDER BY \(order) LIMIT ?",
                                          arguments: sqlArguments(arguments))
            }
        } catch {
            throw APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "sfsim bulk query failed: \(error)")
        }
        let columns = compiled.outputs.map { output in
            ((output.joins.last?.path ?? []) + [output.field.name]).joined(separator: ".")
        }
        return bulkJobs.add { id in
            BulkQueryJobs.Job(id: id, operation: operation, object: compiled.object.name, createdBy: user.id, created: clock.now(),
                              version: version, compiled: compiled, columns: columns, snapshot: snapshot)
        }
    }

    /// Where the job stands on the org's clock: queued briefly, then processing for a time that grows with its rows.
    func bulkState(_ job: BulkQueryJobs.Job) -> String {
        if job.aborted { return "Aborted" }
        let elapsed = clock.now().timeIntervalSince(job.created)
        if elapsed < configuration.bulkQueuedSeconds { return "UploadComplete" }
        if elapsed < configuration.bulkQueuedSeconds + bulkProcessingTime(job) { return "InProgress" }
        return "JobComplete"
    }

    func bulkProcessingTime(_ job: BulkQueryJobs.Job) -> TimeInterval {
        configuration.bulkProcessingSeconds + Double(job.snapshot.count) / 500_000
    }

    func bulkJSON(_ job: BulkQueryJobs.Job, as view: BulkJobView) -> JSONValue {
        let state = bulkState(job)
        let done = state == "JobComplete"
        let finished = done ? job.created.addingTimeInterval(configuration.bulkQueuedSeconds + bulkProcessingTime(job)) : job.created
        return view.body(id: job.id, operation: job.operation, object: job.object, createdBy: job.createdBy,
                         created: job.created, modified: finished, state: state, version: job.version, jobType: "V2Query",
                         counts: [("numberRecordsProcessed", .int(done ? job.snapshot.count : 0)), ("retries", .int(0)),
                                  ("totalProcessingTime", .int(done ? Int(bulkProcessingTime(job) * 1000) : 0))])
    }

    /// One chunk of the result: `maxRecords` rows from `locator`, as quoted CSV with a header row.
    func bulkResults(_ job: BulkQueryJobs.Job, request: SimRequest) throws(APIError) -> SimResponse {
        guard bulkState(job) == "JobComplete" else {
            throw APIError(status: 412, code: "JOB_NOT_COMPLETE",
                           message: "You can only download query results of successfully completed bulk jobs. Job \(job.id) is \(bulkState(job)).")
        }
        let maxRecords: Int
        if let text = request.queryValue("maxRecords") {
            guard let value = Int(text), value > 0 else {
                throw APIError(status: 400, code: "INVALIDJOB", message: "maxRecords must be a positive whole number")
            }
            maxRecords = value
        } else {
            maxRecords = Self.bulkDefaultChunk
        }
        var start = 0
        if let locator = request.queryValue("locator"), locator != "null" {
            guard let offset = Self.decodeLocator(locator), offset >= 0, offset <= job.snapshot.count else {
                throw APIError(status: 400, code: "INVALID_LOCATOR", message: "Invalid locator: \(locator)")
            }
            start = offset
        }
        let end = min(job.snapshot.count, start + maxRecords)
        let ids = Array(job.snapshot[start..<end])
        var rows: [Row] = []
        if !ids.isEmpty {
            do {
                rows = try store.db.read { db in
                    var found: [Int64: Row] = [:]
                    // SQLite takes a bounded number of parameters: fetch in slices.
                    for slice in stride(from: 0, to: ids.count, by: 10_000) {
                        let part = Array(ids[slice..<min(ids.count, slice + 10_000)])
                        let marks = Array(repeating: "?", count: part.count).joined(separator: ", ")
                        for row in try Row.fetchAll(db, sql: "SELECT \(job.compiled.selectColumns.joined(separator: ", ")) \(job.compiled.fromSQL) WHERE t.rowid IN (\(marks))",
                                                    arguments: StatementArguments(part)) {
                            found[row["_rowid"]] = row
                        }
                    }
                    return ids.compactMap { found[$0] }
                }
            } catch {
                throw APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "sfsim bulk results failed: \(error)")
            }
        }
        var csv = job.columns.map(Self.csvField).joined(separator: ",") + "\n"
        if let first = rows.first {
            // Each output's column position, found once a chunk (a lookup by name lower-cases every column).
            var positions: [String: Int] = [:]
            for (index, name) in first.columnNames.enumerated() where positions[name.lowercased()] == nil {
                positions[name.lowercased()] = index
            }
            let columns = job.compiled.outputs.map { output in
                (output, positions[(output.prefix + output.field.name).lowercased()])
            }
            csv.reserveCapacity(rows.count * columns.count * 16)
            for row in rows {
                for (index, (output, position)) in columns.enumerated() {
                    if index > 0 { csv += "," }
                    let value: JSONValue
                    if let position, output.field.type != .address {
                        value = OrgStore.json(row[position] as DatabaseValue, output.field.type)
                    } else {
                        value = store.value(of: output.field, in: output.object, row: row, prefix: output.prefix)
                    }
                    Self.appendCSVField(Self.csvText(value), to: &csv)
                }
                csv += "\n"
            }
        }
        return SimResponse(status: 200, headers: [
            ("Content-Type", "text/csv"),
            ("Sforce-NumberOfRecords", String(rows.count)),
            ("Sforce-Locator", end < job.snapshot.count ? Self.encodeLocator(end) : "null"),
        ], body: Data(csv.utf8))
    }

    static func csvText(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case let .string(text): text
        case let .bool(flag): flag ? "true" : "false"
        case let .int(number): String(number)
        case let .double(number): number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        default: value.serialized()
        }
    }

    /// Every value double-quoted, quotes doubled (as Bulk API 2.0 writes its CSV).
    static func csvField(_ text: String) -> String {
        var out = ""
        appendCSVField(text, to: &out)
        return out
    }

    static func appendCSVField(_ text: String, to out: inout String) {
        out += "\""
        if text.utf8.contains(UInt8(ascii: "\"")) {
            for character in text.unicodeScalars {
                if character == "\"" { out += "\"\"" } else { out.unicodeScalars.append(character) }
            }
        } else {
            out += text
        }
        out += "\""
    }

    /// An opaque locator, as Salesforce's look (`MTAwMDA` is "10000" in base64 without padding).
    static func encodeLocator(_ offset: Int) -> String {
        Data(String(offset).utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    static func decodeLocator(_ locator: String) -> Int? {
        let padded = locator + String(repeating: "=", count: (4 - locator.count % 4) % 4)
        return Data(base64Encoded: padded).flatMap { Int(String(decoding: $0, as: UTF8.self)) }
    }
}
