import Foundation
import JSON

/// Bulk API 2.0 ingest jobs (`/services/data/vXX.X/jobs/ingest`) as Salesforce answers them: a job is created
/// Open, takes one CSV upload, is closed (`UploadComplete`) or aborted, and is then processed on the org's clock
/// in chunks of 10,000 rows (each a `DailyBulkApiBatches` batch), each row written as the REST API writes one
/// record (validation, the duplicate rule, required fields, unique External IDs). Its results are CSV files:
/// `successfulResults` (`sf__Id`, `sf__Created`), `failedResults` (`sf__Id`, `sf__Error`) and
/// `unprocessedrecords`, each row followed by the row as uploaded. Bodies and key orders as recorded
/// (forcedotcom/sf-fx-runtime-java, `sf-fx-runtime-java-sdk-rest-api/…/mappings/bulk-ingest-*`).
final class BulkIngestJobs: @unchecked Sendable {
    enum Outcome {
        case succeeded(id: String, created: Bool)
        case failed(id: String, error: APIError)
    }

    struct Job {
        let id: String
        let operation: String
        let object: ObjectDef
        let externalIDField: FieldDef?
        let assignmentRuleID: String?
        let createdBy: String
        let created: Date
        let version: String
        var modified: Date
        /// Open, UploadComplete, InProgress, JobComplete, Failed or Aborted; InProgress and JobComplete follow the clock.
        var state = "Open"
        var upload: Data?
        var closed: Date?
        var header: [String] = []
        var rows: [[String]] = []
        /// One per row processed, in upload order.
        var outcomes: [Outcome] = []
        var errorMessage: String?

        var processed: Int { outcomes.count }
        var failed: Int { outcomes.count { if case .failed = $0 { true } else { false } } }
    }

    private let lock = NSLock()
    private var jobs: [String: Job] = [:]
    private var order: [String] = []
    private var counter = 0
    /// When each 10,000-row batch was processed, for `DailyBulkApiBatches` over a rolling 24 h.
    private var batches: [Date] = []
    /// Held while rows are written, so two requests never process one chunk twice.
    let processing = NSLock()

    func add(_ make: (String) -> Job) -> Job {
        lock.withLock {
            counter += 1
            // Ingest and query jobs share the 750 prefix; ingest ids count from the other end.
            let job = make(RecordID.make(prefix: "750", number: 900_000 + counter))
            jobs[job.id] = job
            order.append(job.id)
            return job
        }
    }

    func job(_ id: String) -> Job? { lock.withLock { jobs[id] } }
    func all() -> [Job] { lock.withLock { order.compactMap { jobs[$0] } } }

    @discardableResult
    func change(_ id: String, _ body: (inout Job) throws(APIError) -> Void) throws(APIError) -> Job {
        lock.lock()
        defer { lock.unlock() }
        guard var job = jobs[id] else { throw APIError.notFound }
        try body(&job)
        jobs[id] = job
        return job
    }

    func remove(_ id: String) { lock.withLock { order.removeAll { $0 == id }; jobs[id] = nil } }

    func countBatch(at date: Date) { lock.withLock { batches.append(date) } }

    func batchesInLastDay(now: Date) -> Int {
        lock.withLock {
            batches.removeAll { now.timeIntervalSince($0) >= 86_400 }
            return batches.count
        }
    }
}

extension Org {
    /// Salesforce's limit: 150 MB once base64-encoded, about 100 MB of CSV.
    static let bulkUploadLimit = 150_000_000
    static let bulkIngestOperations = ["insert", "update", "upsert", "delete"]
    static let bulkDailyBatches = 15_000

    func bulkIngest(_ request: SimRequest, parts: [String], version: String, user: SimUser) throws(APIError) -> SimResponse {
        settleIngestJobs()
        switch (parts.count, request.method) {
        case (2, "POST"):
            return .json(ingestJSON(try createIngestJob(request, version: version, user: user), as: .created))
        case (2, "GET"):
            return .json(.object([("done", .bool(true)), ("records", .array(ingestJobs.all().map { ingestJSON($0, as: .listed) })),
                                  ("nextRecordsUrl", .null)]))
        case (3, "GET"):
            return .json(ingestJSON(try existingIngestJob(parts[2]), as: .info))
        case (3, "PATCH"):
            return .json(ingestJSON(try changeIngestState(parts[2], request), as: .stateChange))
        case (3, "DELETE"):
            let job = try existingIngestJob(parts[2])
            guard ["UploadComplete", "JobComplete", "Aborted", "Failed"].contains(ingestState(job)) else {
                throw APIError(status: 400, code: "INVALIDJOBSTATE",
                               message: "Deleting a job in state \(ingestState(job)) is not allowed: close or abort it first")
            }
            ingestJobs.remove(job.id)
            return SimResponse(status: 204)
        case (4, "PUT") where parts[3] == "batches":
            try upload(parts[2], request.body)
            return SimResponse(status: 201)
        case (4, "GET") where ["successfulResults", "failedResults", "unprocessedrecords"].contains(parts[3]):
            return ingestResults(try existingIngestJob(parts[2]), parts[3])
        default:
            throw APIError(status: 405, code: "METHOD_NOT_ALLOWED", message: "HTTP Method '\(request.method)' not allowed")
        }
    }

    func existingIngestJob(_ id: String) throws(APIError) -> BulkIngestJobs.Job {
        guard let job = ingestJobs.job(id) else { throw APIError.notFound }
        return job
    }

    func createIngestJob(_ request: SimRequest, version: String, user: SimUser) throws(APIError) -> BulkIngestJobs.Job {
        let body = try Self.jsonBody(request)
        func text(_ key: String) -> String? { body.first { $0.0 == key }?.1.stringValue }
        let operation = text("operation") ?? ""
        guard Self.bulkIngestOperations.contains(operation) else {
            throw APIError(status: 400, code: "INVALIDJOB",
                           message: "Invalid operation: '\(operation)'; sfsim takes \(Self.bulkIngestOperations.joined(separator: ", "))")
        }
        guard let name = text("object"), let object = store.object(name), object.queryable else {
            throw APIError(status: 400, code: "INVALIDJOB", message: "Unable to find object: \(text("object") ?? "")")
        }
        if let contentType = text("contentType"), contentType != "CSV" {
            throw APIError(status: 400, code: "INVALIDJOB", message: "Invalid contentType: \(contentType); only CSV is supported")
        }
        if let ending = text("lineEnding"), !["LF", "CRLF"].contains(ending) {
            throw APIError(status: 400, code: "INVALIDJOB", message: "Invalid lineEnding: \(ending)")
        }
        if let delimiter = text("columnDelimiter"), delimiter != "COMMA" {
            throw APIError(status: 400, code: "INVALIDJOB", message: "sfsim takes columnDelimiter COMMA only, not \(delimiter)")
        }
        var externalID: FieldDef?
        if operation == "upsert" {
            guard let fieldName = text("externalIdFieldName"), !fieldName.isEmpty else {
                throw APIError(status: 400, code: "INVALIDJOB", message: "External ID was blank for upsert")
            }
            externalID = try externalIDField(object, fieldName)
        }
        let rule = text("assignmentRuleId")
        if let rule, assignmentRule(rule, for: object) == nil {
            throw APIError(status: 400, code: "INVALIDJOB", message: "Invalid assignment rule id: \(rule)")
        }
        let now = clock.now()
        return ingestJobs.add { id in
            BulkIngestJobs.Job(id: id, operation: operation, object: object, externalIDField: externalID, assignmentRuleID: rule,
                               createdBy: user.id, created: now, version: version, modified: now)
        }
    }

    func upload(_ id: String, _ data: Data) throws(APIError) {
        let base64Size = (data.count + 2) / 3 * 4
        guard base64Size <= Self.bulkUploadLimit else {
            throw APIError(status: 400, code: "BULK_API_ERROR",
                           message: "The upload is \(data.count) bytes: \(base64Size) once base64-encoded, over the limit of 150 MB (about 100 MB of CSV)")
        }
        guard !data.isEmpty else { throw APIError(status: 400, code: "BULK_API_ERROR", message: "The upload holds no data") }
        try ingestJobs.change(id) { (job: inout BulkIngestJobs.Job) throws(APIError) in
            guard job.state == "Open" else {
                throw APIError(status: 400, code: "INVALIDJOBSTATE", message: "Job \(id) is \(job.state): data can be uploaded to an Open job only")
            }
            guard job.upload == nil else {
                throw APIError(status: 400, code: "BULK_API_ERROR",
                               message: "Found multiple contents for job: <\(id)>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.")
            }
            job.upload = data
        }
    }

    func changeIngestState(_ id: String, _ request: SimRequest) throws(APIError) -> BulkIngestJobs.Job {
        let wanted = (try Self.jsonBody(request)).first { $0.0 == "state" }?.1.stringValue ?? ""
        let now = clock.now()
        let current = try existingIngestJob(id)
        let state = ingestState(current)
        switch wanted {
        case "UploadComplete":
            guard state == "Open" else {
                throw APIError(status: 400, code: "INVALIDJOBSTATE", message: "Job \(id) is \(state): only an Open job can be closed")
            }
            return try ingestJobs.change(id) { (job: inout BulkIngestJobs.Job) throws(APIError) in
                job.state = "UploadComplete"
                job.closed = now
                job.modified = now
                Self.parseUpload(&job)
            }
        case "Aborted":
            guard ["Open", "UploadComplete", "InProgress"].contains(state) else {
                throw APIError(status: 400, code: "INVALIDJOBSTATE", message: "Job \(id) is \(state): it can no longer be aborted")
            }
            return try ingestJobs.change(id) { (job: inout BulkIngestJobs.Job) throws(APIError) in
                job.state = "Aborted"
                job.modified = now
            }
        default:
            throw APIError(status: 400, code: "INVALIDJOBSTATE",
                           message: "Invalid state '\(wanted)': an ingest job can be set to UploadComplete or Aborted")
        }
    }

    /// Reads the upload once the job is closed. A job whose CSV cannot be read is still answered UploadComplete,
    /// as Salesforce answers it, and fails once its processing begins (`ingestState`).
    static func parseUpload(_ job: inout BulkIngestJobs.Job) {
        guard let data = job.upload else {
            job.errorMessage = "InvalidBatch : InvalidBatch : No data was uploaded"
            return
        }
        do {
            let reader = try CSVReaderAdapter.rows(String(decoding: data, as: UTF8.self))
            job.header = reader.header
            job.rows = reader.rows
        } catch {
            job.errorMessage = "InvalidBatch : InvalidBatch : \(error)"
            return
        }
        let columns = job.header.map { ($0, job.object.field($0)) }
        if let unknown = columns.first(where: { $0.1 == nil }) {
            job.errorMessage = "InvalidBatch : InvalidBatch : Field name not found : \(unknown.0)"
        } else if let key = job.operation == "upsert" ? job.externalIDField?.name : (job.operation == "insert" ? nil : "Id"),
                  !job.header.contains(where: { $0.lowercased() == key.lowercased() }) {
            job.errorMessage = "InvalidBatch : InvalidBatch : Field name not found : \(key)"
        }
    }
}
