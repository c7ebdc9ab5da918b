import CSV
import GRDB
import Foundation
import JSON

/// The CSV of an upload, read with yaslab/CSV.swift (quoted fields, embedded line breaks, LF or CRLF).
enum CSVReaderAdapter {
    struct Unreadable: Error, CustomStringConvertible {
        let description: String
    }

    static func rows(_ text: String) throws -> (header: [String], rows: [[String]]) {
        let reader = try CSVReader(string: text, hasHeaderRow: true)
        guard let header = reader.headerRow, !header.isEmpty, header != [""] else { throw Unreadable(description: "No header row") }
        var rows: [[String]] = []
        while let row = reader.next() {
            if row == [""] { continue }  // a blank line
            guard row.count == header.count else {
                throw Unreadable(description: "Row \(rows.count + 1) has \(row.count) fields; the header has \(header.count)")
            }
            rows.append(row)
        }
        if let error = reader.error { throw Unreadable(description: "\(error)") }
        return (header, rows)
    }
}

extension Org {
    static let bulkIngestChunk = 10_000

    /// When the chunk ending at row `end` of a job closed at `closed` is processed: after the queue, one
    /// processing period a chunk, rows at 20,000 a second.
    func chunkDue(_ job: BulkIngestJobs.Job, chunk: Int) -> Date? {
        guard let closed = job.closed else { return nil }
        let rows = min(Self.bulkIngestChunk, job.rows.count - chunk * Self.bulkIngestChunk)
        let perChunk = configuration.bulkProcessingSeconds + Double(Self.bulkIngestChunk) / 20_000
        return closed.addingTimeInterval(configuration.bulkQueuedSeconds + Double(chunk) * perChunk
                                         + configuration.bulkProcessingSeconds + Double(rows) / 20_000)
    }

    /// Processes every chunk whose time has come, in every closed job: called before any ingest request and
    /// any REST call, so records appear when the org's clock says they are written.
    func settleIngestJobs() {
        let now = clock.now()
        ingestJobs.processing.withLock {
            for job in ingestJobs.all() where job.state == "UploadComplete" && job.errorMessage == nil && job.processed < job.rows.count {
                var next = job.processed / Self.bulkIngestChunk
                while next * Self.bulkIngestChunk < job.rows.count, let due = chunkDue(job, chunk: next), due <= now {
                    let start = next * Self.bulkIngestChunk
                    let rows = job.rows[start..<min(job.rows.count, start + Self.bulkIngestChunk)]
                    let outcomes = rows.map { applyIngestRow($0, of: job) }
                    _ = try? ingestJobs.change(job.id) { (job: inout BulkIngestJobs.Job) throws(APIError) in
                        job.outcomes += outcomes
                        job.modified = due
                    }
                    ingestJobs.countBatch(at: due)
                    next += 1
                }
            }
        }
    }

    /// Where a job stands on the org's clock.
    func ingestState(_ job: BulkIngestJobs.Job) -> String {
        guard job.state == "UploadComplete", let closed = job.closed else { return job.state }
        let queued = clock.now().timeIntervalSince(closed) < configuration.bulkQueuedSeconds
        if job.errorMessage != nil { return queued ? "UploadComplete" : "Failed" }
        if job.processed >= job.rows.count { return "JobComplete" }
        return queued ? "UploadComplete" : "InProgress"
    }

    /// One row written as the REST API writes one record; its failure as the per-record error Salesforce gives.
    /// A job runs the rule its `assignmentRuleId` names, and none without one.
    func applyIngestRow(_ row: [String], of job: BulkIngestJobs.Job) -> BulkIngestJobs.Outcome {
        AutoAssign.$current.withValue(job.assignmentRuleID.map { .rule($0) } ?? .none) { writeIngestRow(row, of: job) }
    }

    private func writeIngestRow(_ row: [String], of job: BulkIngestJobs.Job) -> BulkIngestJobs.Outcome {
        guard let user = users.first(where: { $0.id == job.createdBy }) else {
            return .failed(id: "", error: APIError(status: 400, code: "INVALID_USER", message: "The job's user no longer exists"))
        }
        var fields: [(String, JSONValue)] = []
        var id = ""
        for (name, value) in zip(job.header, row) {
            if name.lowercased() == "id" { id = value; continue }
            // Empty leaves a field alone (null on insert); #N/A empties it.
            if value.isEmpty { continue }
            fields.append((name, value == "#N/A" ? .null : .string(value)))
        }
        do throws(APIError) {
            switch job.operation {
            case "insert":
                let created = try create(job.object, fields: fields, user: user)
                return .succeeded(id: created, created: true)
            case "update":
                let record = try existingRow(job.object, id, user: user)
                let recordID: String = record["Id"]
                try update(job.object, id: recordID, fields: fields, user: user)
                return .succeeded(id: recordID, created: false)
            case "delete":
                let record = try existingRow(job.object, id, user: user)
                let recordID: String = record["Id"]
                try delete(job.object, id: recordID)
                return .succeeded(id: recordID, created: false)
            default:
                guard let field = job.externalIDField,
                      let value = fields.first(where: { $0.0.lowercased() == field.name.lowercased() })?.1.stringValue else {
                    return .failed(id: id, error: APIError(status: 400, code: "MISSING_ARGUMENT",
                                                           message: "\(job.externalIDField?.name ?? "External ID") not specified"))
                }
                let result = try upsert(job.object, field: field, value: value, fields: fields, user: user)
                if result.matches.count > 1 {
                    return .failed(id: "", error: APIError(status: 300, code: "DUPLICATE_EXTERNAL_ID",
                                                           message: "\(field.name): more than one record found for external id field: \(result.matches)"))
                }
                return .succeeded(id: result.id, created: result.created)
            }
        } catch {
            return .failed(id: id, error: error)
        }
    }

    func ingestJSON(_ job: BulkIngestJobs.Job, as view: BulkJobView) -> JSONValue {
        let state = ingestState(job)
        var settings: [(String, JSONValue)] = []
        if let field = job.externalIDField { settings.append(("externalIdFieldName", .string(field.name))) }
        if let rule = job.assignmentRuleID { settings.append(("assignmentRuleId", .string(rule))) }
        let active = job.modified.timeIntervalSince(job.closed ?? job.modified)
        var counts: [(String, JSONValue)] = [
            ("numberRecordsProcessed", .int(job.processed)), ("numberRecordsFailed", .int(job.failed)), ("retries", .int(0)),
            ("totalProcessingTime", .int(Int(active * 1000))), ("apiActiveProcessingTime", .int(Int(active * 900))),
            ("apexProcessingTime", .int(0)),
        ]
        if let message = job.errorMessage { counts.append(("errorMessage", .string(message))) }
        return view.body(id: job.id, operation: job.operation, object: job.object.name, createdBy: job.createdBy,
                         created: job.created, modified: job.modified, state: state, version: job.version, jobType: "V2Ingest",
                         settings: settings,
                         contentURL: state == "Open" ? "services/data/v\(job.version)/jobs/ingest/\(job.id)/batches" : nil,
                         counts: counts)
    }

    /// A result file as recorded: the header quoted, a value quoted unless it is a plain number; the
    /// successful and failed rows each end a line, the unprocessed ones are joined by line breaks.
    func ingestResults(_ job: BulkIngestJobs.Job, _ kind: String) -> SimResponse {
        func field(_ text: String, quoted: Bool) -> String {
            !quoted && !text.isEmpty && text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-") }) && Double(text) != nil
                ? text : "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        func line(_ values: [String], header: Bool = false) -> String {
            values.map { field($0, quoted: header) }.joined(separator: ",")
        }
        var lines: [String] = []
        let state = ingestState(job)
        switch kind {
        case "successfulResults":
            lines.append(line(["sf__Id", "sf__Created"] + job.header, header: true))
            for (outcome, row) in zip(job.outcomes, job.rows) {
                if case let .succeeded(id, created) = outcome { lines.append(line([id, created ? "true" : "false"] + row)) }
            }
        case "failedResults":
            lines.append(line(["sf__Id", "sf__Error"] + job.header, header: true))
            for (outcome, row) in zip(job.outcomes, job.rows) {
                if case let .failed(id, error) = outcome { lines.append(line([id, Self.bulkError(error)] + row)) }
            }
        default:
            lines.append(line(job.header, header: true))
            // What was not processed: every row of an aborted or failed job past the processed ones.
            if ["Aborted", "Failed"].contains(state) {
                lines += job.rows.dropFirst(job.processed).map { line($0) }
            }
            let text = lines.count == 1 ? lines[0] + "\n" : lines.joined(separator: "\n")
            return SimResponse(status: 200, headers: [("Content-Type", "text/csv")], body: Data(text.utf8))
        }
        return SimResponse(status: 200, headers: [("Content-Type", "text/csv")], body: Data(lines.map { $0 + "\n" }.joined().utf8))
    }

    /// `sf__Error` as Salesforce writes it: `CODE:message:fields --`.
    static func bulkError(_ error: APIError) -> String {
        let first = error.body.arrayValue?.first ?? error.body
        let code = first["errorCode"]?.stringValue ?? first["statusCode"]?.stringValue ?? "UNKNOWN_EXCEPTION"
        let message = first["message"]?.stringValue ?? ""
        let fields = (first["fields"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
        return "\(code):\(message):\(fields) --"
    }
}
