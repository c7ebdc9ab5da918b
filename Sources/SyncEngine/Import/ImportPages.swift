import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

// REST pages of an import: fetched one ahead while the last is stored, each committed with its cursor.

extension ImportJob {
    /// Reads the records through REST pages from the state's cursor. `decide` sees
    /// the first page's total, size and `done`, and returns the plan and whether to go on.
    func readREST(_ reading: ObjectRead, state: ImportObjectState, deletes: Int,
                  decide: ((_ total: Int, _ pageSize: Int, _ done: Bool) -> (planned: Int?, goOn: Bool))? = nil) async throws
        -> ImportObjectState
    {
        let object = reading.object
        let context = reading.context
        try store.transaction { tx in try tx.updateRunObject(run: context.runID, object: object, method: "rest") }
        let soql = ImportQuery.records(object, fields: reading.fields, lower: state.passLower, after: state.cursor)
        return try await readPages(soql, all: false, read: reading, state: state,
                                   onFirst: decide ?? { total, pageSize, _ in
            (Self.restPlan(reading, total: total, pageSize: pageSize, deletes: deletes), true)
        }) { page, state, tx in
            let records = page.records.compactMap { Self.localRecord($0, object: object) }
            try self.storeRecords(records, read: page.records.count, reading: reading, state: &state, tx: tx)
        }
    }

    /// The object's calls when REST reads on after the first page: those made so far, the remaining pages, the deletes query.
    static func restPlan(_ reading: ObjectRead, total: Int, pageSize: Int, deletes: Int) -> Int {
        reading.tally.count + Estimates.pageCount(records: total, pageSize: pageSize) - 1 + deletes
    }

    /// One page's or chunk's records, their counts and the cursor after them, in the caller's transaction.
    func storeRecords(_ records: [LocalRecord], read: Int, reading: ObjectRead, state: inout ImportObjectState,
                      tx: StoreTransaction) throws {
        let runID = reading.context.runID
        let counts = try tx.upsert(records, org: org.alias, run: runID, pass: reading.passRun, fresh: reading.fresh)
        try tx.addCounts(run: runID, object: reading.object, read: read, created: counts.created, updated: counts.updated, deleted: 0)
        if records.count < read { try tx.addFailed(run: runID, read - records.count) }
        if let last = records.last { state.cursorStamp = last.systemModstamp; state.cursorID = last.id }
    }

    /// Reads every page of `soql`, fetching the next page while the current one
    /// is stored. Each page's changes and the object's cursor commit together.
    /// `onFirst` sees the first page (total, size, done) before anything else is
    /// fetched: it returns the calls planned for the object, and whether to read on.
    func readPages(_ soql: String, all: Bool, read reading: ObjectRead, state initial: ImportObjectState,
                   onFirst: @escaping (_ total: Int, _ pageSize: Int, _ done: Bool) -> (planned: Int?, goOn: Bool),
                   store write: @escaping @Sendable (RawQueryPage, inout ImportObjectState, StoreTransaction) throws -> Void) async throws
        -> ImportObjectState
    {
        let object = reading.object
        let context = reading.context
        let client = context.client
        let batchSize = options.batchSize
        var state = initial
        var first = true
        var goOn = true
        var done = 0
        var total: Int?
        var paging = QueryPaging(totalSize: 0)
        // Pages are read raw: records are stored as Salesforce sent them, never parsed field by field.
        try await Self.pipelined(Self.fetching(object) { try await client.queryRaw(soql, all: all, batchSize: batchSize) }) { page in
            if first {
                first = false
                total = page.totalSize
                paging = QueryPaging(totalSize: page.totalSize)
                let decision = onFirst(page.totalSize, max(page.records.count, 1), page.done)
                goOn = decision.goOn
                if let planned = decision.planned {
                    let runID = context.runID
                    try self.store.transaction { tx in
                        try tx.updateRunObject(run: runID, object: object, total: page.totalSize, plannedCalls: planned)
                    }
                }
            }
            var following: String?
            do throws(SalesforceError) {
                following = try paging.next(records: page.records.count, done: page.done, nextRecordsUrl: page.nextRecordsUrl)
            } catch {
                throw JobStop.salesforce(error, doing: "import \(object)")
            }
            guard goOn, let url = following else { return nil }
            return Self.fetching(object) { try await client.nextPageRaw(url, batchSize: batchSize) }
        } handle: { page in
            let before = state
            state = try await context.commit { store in
                var updated = before
                try store.transaction { tx in
                    try write(page, &updated, tx)
                    try tx.saveImportState(updated)
                }
                return updated
            }
            done += page.records.count
            try self.afterBatch(reading, done: done, total: total)
        }
        return state
    }

    /// A fetch whose Salesforce error stops the job, saying what it was doing.
    static func fetching<Batch: Sendable>(_ object: String, _ fetch: @escaping @Sendable () async throws -> Batch)
        -> @Sendable () async throws -> Batch
    {
        {
            do { return try await fetch() } catch let error as SalesforceError {
                throw JobStop.salesforce(error, doing: "import \(object)")
            }
        }
    }

    /// Reads batches (pages, chunks) one after another, fetching the next while one
    /// is handled: `next` sees each batch first and returns the fetch of the next
    /// one (nil after the last); `handle` then stores it. When anything throws, a
    /// batch fetched ahead is waited for before the error goes on, so the call it
    /// made is in the run's ledger when the run reports.
    static func pipelined<Batch: Sendable>(_ first: @escaping @Sendable () async throws -> Batch,
                                           next: (Batch) throws -> (@Sendable () async throws -> Batch)?,
                                           handle: (Batch) async throws -> Void) async throws {
        var pending: Task<Batch, any Error>? = Task(operation: first)
        do {
            while let task = pending {
                let batch = try await task.value
                pending = try next(batch).map { Task(operation: $0) }
                try await handle(batch)
            }
        } catch {
            if let pending {
                pending.cancel()
                _ = try? await pending.value
            }
            throw error
        }
    }

    /// After each committed page or chunk: the run's one checkpoint.
    func afterBatch(_ reading: ObjectRead, done: Int, total: Int?) throws {
        try reading.context.checkpoint(object: reading.object, done: done, total: total)
    }

    /// A record as the store keeps it: its fields as sent, without `attributes`.
    static func localRecord(_ record: RawRecord, object: String) -> LocalRecord? {
        guard let id = record.string("Id"), let stamp = record.string("SystemModstamp") else { return nil }
        let account = ImportQuery.accountField(of: object).flatMap { record.string($0) }
        return LocalRecord(object: object, id: id, systemModstamp: stamp, accountID: account,
                           body: String(decoding: record.json, as: UTF8.self))
    }
}
