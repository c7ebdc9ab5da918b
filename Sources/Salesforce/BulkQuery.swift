public import SalesforceModel
public import Foundation
import JSON

/// A Bulk API 2.0 query job as Salesforce describes it (`/jobs/query/{id}`).
public struct BulkQueryJob: Sendable, Equatable {
    public enum State: String, Sendable {
        case uploadComplete = "UploadComplete"
        case inProgress = "InProgress"
        case jobComplete = "JobComplete"
        case failed = "Failed"
        case aborted = "Aborted"
    }

    public var id: String
    /// The state as sent; `state` reads it when it is one of the known ones.
    public var stateName: String
    public var object: String?
    public var numberRecordsProcessed: Int?
    /// Why a job failed.
    public var errorMessage: String?

    public var state: State? { State(rawValue: stateName) }
    /// Complete, failed or aborted: polling it again changes nothing.
    public var isFinished: Bool { state == .jobComplete || state == .failed || state == .aborted }

    public init(id: String, stateName: String, object: String? = nil, numberRecordsProcessed: Int? = nil,
                errorMessage: String? = nil) {
        self.id = id
        self.stateName = stateName
        self.object = object
        self.numberRecordsProcessed = numberRecordsProcessed
        self.errorMessage = errorMessage
    }

    static func parse(_ json: JSONValue, doing: String) throws(SalesforceError) -> BulkQueryJob {
        guard let id = json["id"]?.stringValue, !id.isEmpty, let state = json["state"]?.stringValue else {
            throw SalesforceError(kind: .protocolViolation, message: "the answer to \(doing) is not a Bulk API 2.0 query job")
        }
        return BulkQueryJob(id: id, stateName: state, object: json["object"]?.stringValue,
                            numberRecordsProcessed: json["numberRecordsProcessed"]?.intValue,
                            errorMessage: json["errorMessage"]?.stringValue)
    }
}

/// One chunk of a query job's result: CSV with a header row, its row count, and
/// the locator of the next chunk (nil after the last, where Salesforce sends `null`).
public struct BulkResultChunk: Sendable {
    public var csv: Data
    public var records: Int
    public var nextLocator: String?
}

extension SalesforceClient {
    /// Creates a Bulk API 2.0 query job (`all`: `queryAll`, deleted and archived rows too).
    ///
    /// Sent again on a transient failure: a job created twice only costs the
    /// orphan's creation (it expires unread), never a duplicate write.
    public func createQueryJob(_ soql: String, all: Bool = false) async throws(SalesforceError) -> BulkQueryJob {
        let body = JSONValue.object([
            ("operation", .string(all ? "queryAll" : "query")), ("query", .string(soql)),
            ("contentType", .string("CSV")), ("columnDelimiter", .string("COMMA")), ("lineEnding", .string("LF")),
        ])
        return try BulkQueryJob.parse(try await json("POST", "jobs/query", body: body, idempotent: true),
                                      doing: "creating a query job")
    }

    /// Where a query job stands.
    public func queryJob(_ id: String) async throws(SalesforceError) -> BulkQueryJob {
        try BulkQueryJob.parse(try await json("GET", "jobs/query/\(Self.pathSegment(id))"), doing: "polling query job \(id)")
    }

    /// The most one result chunk of `maxRecords` rows may hold: 16 KB a row (wide rows with long text are
    /// rare), at least the REST bound and at most 1 GB, held whole only up to that.
    public static func resultChunkLimit(_ maxRecords: Int) -> Int {
        min(1 << 30, max(HTTPRequest.restResponseLimit, maxRecords.multipliedReportingOverflow(by: 16 << 10).partialValue))
    }

    /// One chunk of a complete job's result, from `locator` (nil: the first).
    public func queryResults(_ id: String, locator: String?, maxRecords: Int) async throws(SalesforceError) -> BulkResultChunk {
        var query = [("maxRecords", String(maxRecords))]
        if let locator { query.append(("locator", locator)) }
        let response = try await send("GET", "jobs/query/\(Self.pathSegment(id))/results", query: query,
                                      headers: [("Accept", "text/csv")], maxResponseBytes: Self.resultChunkLimit(maxRecords))
        guard let countText = response.header("Sforce-NumberOfRecords"), let count = Int(countText.trimmingCharacters(in: .whitespaces)),
              count >= 0 else {
            throw SalesforceError(kind: .protocolViolation,
                                  message: "the results of query job \(id) have no Sforce-NumberOfRecords header")
        }
        let next = response.header("Sforce-Locator")?.trimmingCharacters(in: .whitespaces)
        return BulkResultChunk(csv: response.body, records: count,
                               nextLocator: next.flatMap { $0.isEmpty || $0 == "null" ? nil : $0 })
    }

    /// Aborts a job that has not completed.
    public func abortQueryJob(_ id: String) async throws(SalesforceError) -> BulkQueryJob {
        try BulkQueryJob.parse(try await json("PATCH", "jobs/query/\(Self.pathSegment(id))",
                                              body: .object([("state", .string("Aborted"))]), idempotent: true),
                               doing: "aborting query job \(id)")
    }

    /// Deletes a job and its results.
    public func deleteQueryJob(_ id: String) async throws(SalesforceError) {
        _ = try await send("DELETE", "jobs/query/\(Self.pathSegment(id))")
    }
}
