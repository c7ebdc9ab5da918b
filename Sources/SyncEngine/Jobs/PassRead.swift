import SalesforceModel
import Foundation
import Salesforce
import JSON
import Store
import SyncRules

/// How an extra pass (a formula refresh, the Id listing of a delete reconciliation) reads: the job's method (REST,
/// Bulk API 2.0, or `auto`: whichever costs fewer calls, as the import's records), page size and Bulk shape.
struct PassReading: Sendable {
    var method: Estimates.ReadMethod
    var pageSize: Int?
    var bulk: Estimates.BulkShape

    /// REST pages of `pageSize`, or the server's 2,000 when nil.
    var plannedPageSize: Int { pageSize ?? 2000 }
}

/// The SOQL of an extra pass: `Id` and some `fields` of the records of `object` that meet `conditions`, ordered by
/// `Id`, so a read begun through REST pages goes on through a Bulk job after the last Id it read.
struct PassQuery: Sendable {
    let object: String
    let fields: [String]
    let conditions: [String]

    func soql(after id: String? = nil) -> String {
        let all = conditions + (id.map { ["Id > \(SOQLText.literal($0))"] } ?? [])
        return "SELECT \((["Id"] + fields.filter { $0 != "Id" }).joined(separator: ", ")) FROM \(object)"
            + (all.isEmpty ? "" : " WHERE " + all.joined(separator: " AND ")) + " ORDER BY Id"
    }
}

extension RunContext {
    /// Hands `body` every record of `query` a page or a result chunk at a time (`body` commits before the next is
    /// fetched), checkpointing after each: through REST pages, one Bulk API 2.0 query job, or (`auto`) a first page
    /// and then a job for the rest when it costs fewer calls (`PassSchedule.readCalls`, one rule with the plan). A
    /// job Bulk cannot run gives way to REST pages after the last Id read. `types` (the describe's) type Bulk's
    /// CSV cells as REST's JSON. Returns the calls made.
    func eachRecord(_ query: PassQuery, reading: PassReading, types: [String: String], doing: String,
                    _ body: ([JSONValue]) async throws -> Void) async throws -> Int {
        var calls = 0
        var lastID: String?
        var done = 0
        var total: Int?
        if reading.method != .bulk {
            var toBulk = false
            calls += try await eachPage(query.soql(), object: query.object, batchSize: reading.pageSize, doing: doing,
                                        stop: { page in
                toBulk = reading.method == .auto
                    && Estimates.autoChoosesBulk(records: page.totalSize, pageSize: reading.plannedPageSize, bulk: reading.bulk)
                    && page.nextRecordsUrl != nil
                return toBulk
            }) { page in
                total = page.totalSize
                done += page.records.count
                lastID = page.records.last?["Id"]?.stringValue ?? lastID
                try await body(page.records)
            }
            guard toBulk else { return calls }
        }
        do {
            calls += try await eachChunk(query.soql(after: lastID), object: query.object, reading: reading, types: types,
                                         doing: doing) { records in
                done += records.count
                lastID = records.last?["Id"]?.stringValue ?? lastID
                try await body(records)
                try checkpoint(object: query.object, done: done, total: total)
            }
        } catch let fallback as BulkFallback {
            environment.events(.note("\(query.object): Bulk API 2.0 cannot \(doing) (\(fallback.reason)); reading through REST"))
            calls += try await eachPage(query.soql(after: lastID), object: query.object, batchSize: reading.pageSize,
                                        doing: doing) { page in try await body(page.records) }
        }
        return calls
    }

    /// Runs `soql` as a Bulk API 2.0 query job and hands `body` its result a chunk at a time; returns the calls made
    /// (create, polls, chunks). Throws `BulkFallback` when Bulk cannot run the query before a record is handed on.
    private func eachChunk(_ soql: String, object: String, reading: PassReading, types: [String: String], doing: String,
                           _ body: ([JSONValue]) async throws -> Void) async throws -> Int {
        var calls = 1
        let created: BulkQueryJob
        do { created = try await client.createQueryJob(soql) } catch {
            if ImportJob.bulkUnsupported(error) { throw BulkFallback(reason: ImportJob.reason(error)) }
            throw JobStop.salesforce(error, doing: "create a query job to \(doing)")
        }
        let client = self.client
        let job = try await waitForBulk(created, isFinished: \.isFinished, doing: { "poll query job \($0.id) to \(doing)" }) {
            job throws(SalesforceError) in
            calls += 1
            return try await client.queryJob(job.id)
        }
        guard job.state == .jobComplete else {
            let message = job.errorMessage ?? "no reason given"
            if job.state == .failed && ImportJob.bulkUnsupported(message: message) { throw BulkFallback(reason: message) }
            throw JobStop.engine(EngineError(.failure, "query job \(job.id) to \(doing) was \(job.stateName) in the org: \(message)",
                                             hint: "run again: the pass starts over and changes nothing until its list is whole"))
        }
        var locator: String?
        repeat {
            let chunk: BulkResultChunk
            do { chunk = try await client.queryResults(job.id, locator: locator, maxRecords: reading.bulk.chunkSize) } catch {
                throw JobStop.salesforce(error, doing: "read the results of query job \(job.id) to \(doing)")
            }
            calls += 1
            var records: [JSONValue] = []
            records.reserveCapacity(chunk.records)
            do {
                if !chunk.csv.allSatisfy({ $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
                    var reader = try BulkRecordReader(csv: chunk.csv, object: object, types: types, stamped: false)
                    while let record = try reader.next() { records.append(try JSONValue.parse(Data(record.body.utf8))) }
                }
            } catch {
                throw JobStop.salesforce(SalesforceError(kind: .protocolViolation, message: "chunk of query job \(job.id): \(error)"),
                                         doing: doing)
            }
            guard records.count == chunk.records else {
                throw JobStop.salesforce(SalesforceError(kind: .protocolViolation,
                                                         message: "chunk of query job \(job.id): Sforce-NumberOfRecords says \(chunk.records) rows, the CSV has \(records.count)"),
                                         doing: doing)
            }
            try await body(records)
            locator = chunk.nextLocator
        } while locator != nil
        return calls
    }
}
