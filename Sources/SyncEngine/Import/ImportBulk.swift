import SalesforceModel
import Foundation
import Salesforce
import Store
import SyncRules

/// Why an object's Bulk read gives way to REST: what Salesforce said.
struct BulkFallback: Error {
    let reason: String
}

/// The import's Bulk API 2.0 reads (SPEC §6.3, issue 13): one query job per
/// pass, over the same `(SystemModstamp, Id)`-ordered SOQL as REST, its result
/// stored chunk by chunk. Each chunk's records, the cursor after its last
/// record and the locator of the next chunk commit in one transaction, so a
/// killed run reads on from the next chunk of the same job, or, when that job
/// is gone (expired, deleted, aborted, failed), from a new job that starts
/// after the cursor.
extension ImportJob {
    /// Whether a Bulk error says the query cannot run as a Bulk job (REST can run it):
    /// Salesforce's "… is not supported by the Bulk API", "Selecting compound data not
    /// supported in Bulk Query", an `INVALIDENTITY`, no Bulk API 2.0 at this address, or
    /// the org's query jobs of the day spent (`LIMIT_EXCEEDED`: `DailyBulkV2QueryJobs`;
    /// not the API request limit, which pauses the job).
    static func bulkUnsupported(_ error: SalesforceError) -> Bool {
        guard (400..<500).contains(error.status), error.kind != .limitExceeded else { return false }
        return error.status == 404 || error.code == "INVALIDENTITY" || error.code == "LIMIT_EXCEEDED"
            || bulkUnsupported(message: error.message)
    }

    static func bulkUnsupported(message: String) -> Bool {
        message.lowercased().contains("not supported")
    }

    /// Records the fallback in the run and clears the object's job; returns the state REST reads on from.
    func fellBack(_ reading: ObjectRead, _ fallback: BulkFallback) async throws -> ImportObjectState {
        var state = try store.importState(org: org.alias, object: reading.object)
        state.bulkJob = nil
        state.bulkLocator = nil
        let cleared = state
        let runID = reading.context.runID
        try store.transaction { tx in
            try tx.saveImportState(cleared)
            try tx.updateRunObject(run: runID, object: reading.object, fallback: fallback.reason)
        }
        events(.note("\(reading.object): Bulk API 2.0 cannot read it (\(fallback.reason)); reading it through REST"))
        return state
    }

    /// Reads the records through a Bulk API 2.0 query job: the one under way, or a
    /// new one after the cursor. Throws `BulkFallback` when Bulk cannot run the query.
    func readBulk(_ reading: ObjectRead, state initial: ImportObjectState, deletes: Int) async throws -> (ImportObjectState, Int?) {
        let object = reading.object
        let runID = reading.context.runID
        let client = reading.context.client
        try store.transaction { tx in try tx.updateRunObject(run: runID, object: object, method: "bulk") }
        var state = initial
        var resumed = false
        var job: BulkQueryJob?
        if let id = state.bulkJob {
            do {
                let found = try await client.queryJob(id)
                if found.state == .failed || found.state == .aborted {
                    events(.note("\(object): query job \(id) is \(found.stateName); a new job reads on after the last stored chunk"))
                } else {
                    job = found
                    resumed = true
                }
            } catch where error.status == 404 {
                events(.note("\(object): query job \(id) is gone (expired or deleted); a new job reads on after the last stored chunk"))
            } catch {
                throw JobStop.salesforce(error, doing: "poll query job \(id) of \(object)")
            }
        }
        while true {
            let current: BulkQueryJob
            if let job {
                current = job
            } else {
                current = try await createJob(reading, state: &state)
                resumed = false
            }
            let complete = try await waitForJob(current, reading: reading)
            var planned: Int?
            var total: Int?
            if !resumed, let rows = complete.numberRecordsProcessed {
                total = rows
                planned = reading.tally.count + Estimates.pageCount(records: rows, pageSize: options.bulk.chunkSize) + deletes
                try store.transaction { tx in try tx.updateRunObject(run: runID, object: object, total: rows, plannedCalls: planned) }
            }
            do {
                state = try await readChunks(of: complete, reading: reading, state: state, total: total, resumed: resumed)
                return (state, planned)
            } catch let expired as ExpiredResults {
                // The results of a job under way are gone: read on with a new job after the cursor.
                events(.note("\(object): the results of query job \(complete.id) are gone (\(expired.reason)); a new job reads on after the last stored chunk"))
                job = nil
            }
        }
    }

    /// The first results request of a resumed job found its results gone.
    struct ExpiredResults: Error {
        let reason: String
    }

    /// Creates the pass's job from the cursor and commits it as the object's job.
    func createJob(_ reading: ObjectRead, state: inout ImportObjectState) async throws -> BulkQueryJob {
        let soql = ImportQuery.records(reading.object, fields: reading.fields, lower: state.passLower, after: state.cursor)
        let job: BulkQueryJob
        do { job = try await reading.context.client.createQueryJob(soql) } catch {
            if Self.bulkUnsupported(error) { throw BulkFallback(reason: Self.reason(error)) }
            throw JobStop.salesforce(error, doing: "create a query job for \(reading.object)")
        }
        state.bulkJob = job.id
        state.bulkLocator = nil
        let saved = state
        try store.transaction { tx in try tx.saveImportState(saved) }
        return job
    }

    static func reason(_ error: SalesforceError) -> String {
        (error.code ?? "HTTP \(error.status)") + ": " + error.message
    }

    /// Polls until the job is finished (`RunContext.waitForBulk`), then takes its end: complete, or why not.
    func waitForJob(_ created: BulkQueryJob, reading: ObjectRead) async throws -> BulkQueryJob {
        let client = reading.context.client
        let job = try await reading.context.waitForBulk(created, isFinished: \.isFinished,
                                                      doing: { "poll query job \($0.id) of \(reading.object)" }) { job throws(SalesforceError) in
            try await client.queryJob(job.id)
        }
        switch job.state {
        case .jobComplete:
            return job
        case .failed:
            let message = job.errorMessage ?? "no reason given"
            if Self.bulkUnsupported(message: message) { throw BulkFallback(reason: message) }
            throw JobStop.engine(EngineError(.failure, "query job \(job.id) of \(reading.object) failed in the org: \(message)",
                                             hint: "run again (a new job reads on after the last stored chunk), or with --rest"))
        default:
            throw JobStop.engine(EngineError(.failure, "query job \(job.id) of \(reading.object) was \(job.stateName) in the org",
                                             hint: "run again: a new job reads on after the last stored chunk"))
        }
    }

    /// Stores the job's result from the object's locator on, fetching the next chunk while one is stored.
    func readChunks(of job: BulkQueryJob, reading: ObjectRead, state initial: ImportObjectState, total: Int?,
                    resumed: Bool) async throws -> ImportObjectState {
        let client = reading.context.client
        let chunkSize = options.bulk.chunkSize
        let object = reading.object
        var state = initial
        let firstLocator = initial.bulkLocator
        let fetch = { @Sendable (locator: String?) -> @Sendable () async throws -> BulkResultChunk in
            {
                do { return try await client.queryResults(job.id, locator: locator, maxRecords: chunkSize) } catch let error as SalesforceError {
                    if locator == firstLocator && resumed
                        && (error.status == 404 || error.code == "INVALID_LOCATOR" || error.code == "INVALIDJOB") {
                        throw ExpiredResults(reason: Self.reason(error))
                    }
                    throw JobStop.salesforce(error, doing: "read the results of query job \(job.id) of \(object)")
                }
            }
        }
        var done = 0
        try await Self.pipelined(fetch(firstLocator)) { (chunk: BulkResultChunk) in
            chunk.nextLocator.map(fetch)
        } handle: { chunk in
            let before = state
            let (after, rows) = try await reading.context.commit { _ throws -> (ImportObjectState, Int) in
                try self.storeChunk(chunk, job: job, reading: reading, state: before)
            }
            state = after
            done += rows
            try self.afterBatch(reading, done: done, total: total)
        }
        return state
    }

    /// One chunk in one transaction: its records (parsed a row at a time, stored a
    /// thousand at a time), the cursor, and the locator of the next chunk; after the
    /// last chunk the job is cleared, so a kill before the pass's end reads nothing twice.
    func storeChunk(_ chunk: BulkResultChunk, job: BulkQueryJob, reading: ObjectRead,
                    state before: ImportObjectState) throws -> (ImportObjectState, Int) {
        var state = before
        var rows = 0
        let broken = { (detail: String) in
            JobStop.salesforce(SalesforceError(kind: .protocolViolation, message: "chunk of query job \(job.id): \(detail)"),
                               doing: "import \(reading.object)")
        }
        try store.transaction { tx in
            var batch: [LocalRecord] = []
            batch.reserveCapacity(1000)
            func flush() throws {
                try storeRecords(batch, read: batch.count, reading: reading, state: &state, tx: tx)
                rows += batch.count
                batch.removeAll(keepingCapacity: true)
            }
            if !chunk.csv.allSatisfy({ $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
                do {
                    var reader = try BulkRecordReader(csv: chunk.csv, object: reading.object, types: reading.types)
                    while let record = try reader.next() {
                        batch.append(record)
                        if batch.count == 1000 { try flush() }
                    }
                } catch let error as BulkRecordReader.Malformed {
                    throw broken(error.description)
                }
                if !batch.isEmpty { try flush() }
            }
            guard rows == chunk.records else {
                throw broken("Sforce-NumberOfRecords says \(chunk.records) rows, the CSV has \(rows)")
            }
            state.bulkLocator = chunk.nextLocator
            if chunk.nextLocator == nil { state.bulkJob = nil }
            try tx.saveImportState(state)
        }
        return (state, rows)
    }
}
