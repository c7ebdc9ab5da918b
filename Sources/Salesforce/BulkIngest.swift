public import SalesforceModel
public import Foundation
import JSON

/// A Bulk API 2.0 ingest job as Salesforce describes it (`/jobs/ingest/{id}` and the job list).
public struct BulkIngestJob: Sendable, Equatable {
    public var id: String
    /// Open, UploadComplete, InProgress, JobComplete, Failed or Aborted.
    public var state: String
    public var operation: String?
    public var object: String?
    public var createdByID: String?
    /// As sent (`2026-12-04T09:00:00.000+0000`).
    public var createdDate: String?
    public var numberRecordsProcessed: Int?
    public var numberRecordsFailed: Int?
    public var errorMessage: String?

    public init(id: String, state: String, operation: String? = nil, object: String? = nil, createdByID: String? = nil,
                createdDate: String? = nil, numberRecordsProcessed: Int? = nil, numberRecordsFailed: Int? = nil,
                errorMessage: String? = nil) {
        self.id = id
        self.state = state
        self.operation = operation
        self.object = object
        self.createdByID = createdByID
        self.createdDate = createdDate
        self.numberRecordsProcessed = numberRecordsProcessed
        self.numberRecordsFailed = numberRecordsFailed
        self.errorMessage = errorMessage
    }

    /// `createdDate` read (`…T09:00:00.000+0000`, as Salesforce writes it; `Z` and `+00:00` too).
    public var created: Date? { createdDate.flatMap(DateTimeText.parse) }

    /// Complete, failed or aborted: its results are final.
    public var isFinished: Bool { ["JobComplete", "Failed", "Aborted"].contains(state) }

    static func parse(_ json: JSONValue, doing: String) throws(SalesforceError) -> BulkIngestJob {
        guard let id = json["id"]?.stringValue, !id.isEmpty, let state = json["state"]?.stringValue else {
            throw SalesforceError(kind: .protocolViolation, message: "the answer to \(doing) is not a Bulk API 2.0 ingest job")
        }
        return BulkIngestJob(id: id, state: state, operation: json["operation"]?.stringValue, object: json["object"]?.stringValue,
                             createdByID: json["createdById"]?.stringValue, createdDate: json["createdDate"]?.stringValue,
                             numberRecordsProcessed: json["numberRecordsProcessed"]?.intValue,
                             numberRecordsFailed: json["numberRecordsFailed"]?.intValue, errorMessage: json["errorMessage"]?.stringValue)
    }
}

extension SalesforceClient {
    /// Salesforce's limit on one upload: 150 MB once base64-encoded, so about 100 MB of CSV.
    public static let ingestUploadLimit = 100_000_000

    /// The three result files of an ingest job.
    public enum IngestResults: String, Sendable {
        case successful = "successfulResults"
        case failed = "failedResults"
        case unprocessed = "unprocessedrecords"
    }

    /// Creates an ingest job (Open). Never sent twice by itself: a job created by a lost answer is an orphan the
    /// caller finds by listing jobs.
    public func createIngestJob(object: String, operation: String, externalIDField: String? = nil,
                                assignmentRuleID: String? = nil) async throws(SalesforceError) -> BulkIngestJob {
        var body: [(String, JSONValue)] = [("object", .string(object)), ("operation", .string(operation))]
        if let externalIDField { body.append(("externalIdFieldName", .string(externalIDField))) }
        if let assignmentRuleID { body.append(("assignmentRuleId", .string(assignmentRuleID))) }
        body += [("contentType", .string("CSV")), ("columnDelimiter", .string("COMMA")), ("lineEnding", .string("LF"))]
        return try BulkIngestJob.parse(try await json("POST", "jobs/ingest", body: .object(body), idempotent: false),
                                       doing: "creating an ingest job")
    }

    /// The job's one upload of CSV (a second is refused by Salesforce, so a lost answer is never resent).
    public func uploadIngestData(_ id: String, csv: Data) async throws(SalesforceError) {
        _ = try await send("PUT", "jobs/ingest/\(Self.pathSegment(id))/batches", body: csv,
                           headers: [("Content-Type", "text/csv")], idempotent: false)
    }

    /// Closes the upload (`UploadComplete`): Salesforce starts processing the job.
    public func closeIngestJob(_ id: String) async throws(SalesforceError) -> BulkIngestJob {
        try await setIngestState(id, "UploadComplete")
    }

    /// Aborts a job: an Open one never writes anything.
    public func abortIngestJob(_ id: String) async throws(SalesforceError) -> BulkIngestJob {
        try await setIngestState(id, "Aborted")
    }

    private func setIngestState(_ id: String, _ state: String) async throws(SalesforceError) -> BulkIngestJob {
        try BulkIngestJob.parse(try await json("PATCH", "jobs/ingest/\(Self.pathSegment(id))",
                                               body: .object([("state", .string(state))]), idempotent: false),
                                doing: "setting ingest job \(id) to \(state)")
    }

    /// Where an ingest job stands.
    public func ingestJob(_ id: String) async throws(SalesforceError) -> BulkIngestJob {
        try BulkIngestJob.parse(try await json("GET", "jobs/ingest/\(Self.pathSegment(id))"), doing: "polling ingest job \(id)")
    }

    /// Every ingest job the org lists (following `nextRecordsUrl`).
    public func ingestJobs() async throws(SalesforceError) -> [BulkIngestJob] {
        var jobs: [BulkIngestJob] = []
        var path: String? = "jobs/ingest"
        var pages = 0
        while let next = path {
            pages += 1
            let page = try await json("GET", next)
            guard case let .array(records)? = page["records"] else {
                throw SalesforceError(kind: .protocolViolation, message: "the list of ingest jobs has no records")
            }
            for record in records { jobs.append(try BulkIngestJob.parse(record, doing: "listing ingest jobs")) }
            let more = page["nextRecordsUrl"]?.stringValue
            guard let more, !more.isEmpty, page["done"]?.boolValue != true, pages < 1_000 else { break }
            path = more
        }
        return jobs
    }

    /// One of a finished job's result files (CSV with a header row).
    public func ingestResults(_ id: String, _ kind: IngestResults) async throws(SalesforceError) -> Data {
        try await send("GET", "jobs/ingest/\(Self.pathSegment(id))/\(kind.rawValue)", headers: [("Accept", "text/csv")],
                       maxResponseBytes: 1 << 30).body
    }
}
