import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

// The export through Bulk API 2.0 ingest jobs (SPEC §6.2), exactly once. Each step of a job commits before the next:
// its row (`creating`) → the job created → its id and the profiles it carries, their intents (`created`) → the upload
// → `uploaded` → closed → polled → its three result files settle every profile it carried and delete the row, in one
// transaction. A run first resumes whatever an earlier one left (`resumeBulkJobs`): an Open job is aborted (it wrote
// nothing), a closed one polled and settled, and a job created but never recorded is found in the org's list of
// ingest jobs and aborted.

extension ExportRun {
    /// Bytes of one upload: a tenth under Salesforce's limit.
    static let uploadBytes = SalesforceClient.ingestUploadLimit / 10 * 9
    /// How long before its row's time a job the home never heard of may have been created (clocks differ).
    static let orphanSlack: TimeInterval = 60

    static func operation(_ kind: WriteKind) -> String {
        switch kind {
        case .create: "insert"
        case .update: "update"
        case .upsert: "upsert"
        }
    }

    // MARK: Method

    /// The pass the method is chosen from: each chunk's emails to look up and its writes, decided before any lookup.
    /// No call.
    func localChunks(describe: SObjectDescribe) async throws -> [ExportCalls.Chunk] {
        var writerOf: [String: String] = [:]
        var chunks: [ExportCalls.Chunk] = []
        try await eachChunk { candidates, _ in
            do { try job.decide(&candidates, found: [:], describe: describe, writerOf: &writerOf) } catch let error as EngineError { throw JobStop.engine(error) }
            chunks.append(job.chunkShape(candidates))
        }
        return chunks
    }

    // MARK: Run

    /// The run through ingest jobs: the lookups (one Bulk query of the org's Leads when that is cheaper than the
    /// `IN` queries), then the profiles a chunk at a time, their writes gathered into one job per operation
    /// (insert, upsert, update) of up to `ExportCalls.ingestJobRows` rows.
    func runBulk(_ chunks: [ExportCalls.Chunk], leads: Int?, describe: SObjectDescribe) async throws {
        let composite = writer.composite
        let inCalls = ExportCalls.lookupCalls(chunks, composite: composite)
        let bulkLookup = leads.map { ExportCalls.bulkLookupPays(leads: $0, inCalls: inCalls) } ?? false
        // The count of the org's Leads, when made, is spent already.
        var planned = context.calls + ExportCalls.bulkCount(chunks, composite: composite, leads: leads) - (leads == nil ? 0 : 1)
        try await setPlan(planned)
        var found: [String: String]?
        if bulkLookup { found = try await bulkLookUp(Set(chunks.flatMap(\.lookups))) }

        var pending: [String: [WriteItem]] = [:]
        var bytes: [String: Int] = [:]
        var writerOf: [String: String] = [:]
        try await eachChunk { candidates, last in
            let chunkFound: [String: String]
            if let found { chunkFound = found } else { chunkFound = try await lookUp(candidates) }
            let writes = try await prepare(&candidates, found: chunkFound, describe: describe, writerOf: &writerOf,
                                           last: last, planned: planned)
            for item in writes {
                let operation = Self.operation(item.kind)
                pending[operation, default: []].append(item)
                bytes[operation, default: 0] += IngestCSV.rowSize(record(item))
                if pending[operation, default: []].count >= ExportCalls.ingestJobRows || bytes[operation, default: 0] >= Self.uploadBytes {
                    try await ingest(operation, pending.removeValue(forKey: operation) ?? [])
                    bytes[operation] = 0
                }
            }
            try context.checkpoint(object: "Lead", done: writer.done, total: writer.total)
        }
        // The writes are known now: the plan is what was spent and the jobs still to run.
        let jobs = pending.values.filter { !$0.isEmpty }.count
        let rules = resolvedAssignment == nil && job.settings.lytics.assignmentRule == .active
            && (pending["insert"]?.isEmpty == false || pending["upsert"]?.isEmpty == false)
        planned = context.calls + jobs * ExportCalls.ingestJobCalls + (rules ? 1 : 0)
        try await setPlan(planned)
        for operation in ["insert", "upsert", "update"] {
            if let items = pending[operation], !items.isEmpty { try await ingest(operation, items) }
        }
    }

    func setPlan(_ planned: Int) async throws {
        let runID = self.runID
        try await context.commit { store in try store.transaction { tx in try tx.setRunPlannedCalls(runID, planned) } }
    }

    /// The oldest Lead of each of `emails` (by CreatedDate, then Id), from one Bulk query of every Lead with an email.
    func bulkLookUp(_ emails: Set<String>) async throws -> [String: String] {
        let doing = "look up Leads by email (a Bulk query)"
        var queryJob: BulkQueryJob
        do { queryJob = try await client.createQueryJob(ExportCalls.bulkLookupQuery) } catch { throw JobStop.salesforce(error, doing: doing) }
        let client = self.client
        queryJob = try await context.waitForBulk(queryJob, isFinished: \.isFinished, doing: { _ in doing }) { job throws(SalesforceError) in
            try await client.queryJob(job.id)
        }
        guard queryJob.state == .jobComplete else {
            throw JobStop.engine(EngineError(.failure, "the Bulk lookup of Leads (query job \(queryJob.id)) was \(queryJob.stateName): \(queryJob.errorMessage ?? "no reason given")",
                                             hint: "run again, or with --rest"))
        }
        var oldest: [String: (created: String, id: String)] = [:]
        var locator: String?
        repeat {
            let chunk: BulkResultChunk
            do { chunk = try await client.queryResults(queryJob.id, locator: locator, maxRecords: ExportCalls.bulkLookupShape.chunkSize) } catch {
                throw JobStop.salesforce(error, doing: doing)
            }
            var rows = CSVRows(chunk.csv)
            do {
                guard let header = try rows.next() else { break }
                let column = { (name: String) in header.firstIndex { $0.lowercased() == name.lowercased() } }
                guard let idAt = column("Id"), let emailAt = column("Email") else {
                    throw JobStop.engine(EngineError(.failure, "the Bulk lookup of Leads answered without Id and Email columns"))
                }
                let createdAt = column("CreatedDate")
                while let row = try rows.next() {
                    guard idAt < row.count, emailAt < row.count, let key = EmailKey.key(row[emailAt]), emails.contains(key) else { continue }
                    let candidate = (created: createdAt.flatMap { $0 < row.count ? row[$0] : nil } ?? "", id: row[idAt])
                    if let known = oldest[key], (known.created, known.id) <= (candidate.created, candidate.id) { continue }
                    oldest[key] = candidate
                }
            } catch let error as CSVRows.Malformed {
                throw JobStop.engine(EngineError(.failure, "the Bulk lookup of Leads is not CSV: \(error.description)"))
            }
            locator = chunk.nextLocator
        } while locator != nil
        return oldest.mapValues(\.id)
    }

    // MARK: One job

    /// One ingest job of `items` (one operation), from its row to its settled results.
    func ingest(_ operation: String, _ items: [WriteItem]) async throws {
        let field = operation == "upsert" ? job.settings.lytics.matchField : nil
        let rule = operation == "update" ? nil : LeadAssignment.bulkRuleID(try await assignment())
        let org = orgAlias
        let runID = self.runID
        let now = clock.now()
        let row = try await context.commit { store in
            try store.transaction { tx in
                try tx.insertExportBulkJob(org: org, operation: operation, externalIDField: field, runID: runID, at: now)
            }
        }
        let created: BulkIngestJob
        do { created = try await client.createIngestJob(object: "Lead", operation: operation, externalIDField: field, assignmentRuleID: rule) } catch {
            // Refused: no job exists. Otherwise the next run looks for the job among the user's open ones.
            guard (400..<500).contains(error.status), error.kind != .limitExceeded, error.kind != .authentication else {
                throw JobStop.salesforce(error, doing: "create an ingest job (\(operation) of \(items.count) Leads)")
            }
            try await release(row)
            // Chosen (not forced), Bulk gives way to collections when the org refuses its jobs.
            guard job.options.method == nil else {
                throw JobStop.salesforce(error, doing: "create an ingest job (\(operation) of \(items.count) Leads)")
            }
            let reason = (error.code ?? "HTTP \(error.status)") + ": " + error.message
            job.events(.note("the org refused an ingest job (\(reason)); the Leads go through sObject Collections"))
            try await record(.rest, fallback: reason)
            try await writer.write(items)
            return
        }
        // The job's id and the profiles it carries, before a byte is uploaded.
        let marked = items.compactMap { item -> ExportProfileState? in
            guard var state = states[item.profileID] else { return nil }
            state.markIntent(run: runID, at: now, email: item.emailKey, hash: item.hash)
            state.bulkJob = row
            // An update's result row is matched by the Lead's Id, the found one included.
            if let leadID = item.leadID { state.leadID = leadID }
            return state
        }
        try await context.commit { store in
            try store.transaction { tx in
                try tx.setExportBulkJob(row, jobID: created.id, phase: .created)
                for state in marked { try tx.saveExportState(state) }
            }
        }
        for state in marked { states[state.profileID] = state }

        do { try await client.uploadIngestData(created.id, csv: IngestCSV.encode(items.map(record))) } catch {
            // An Open job writes nothing: aborted, its profiles are free again (else the next run aborts it).
            if (try? await client.abortIngestJob(created.id)) != nil { try await release(row) }
            throw JobStop.salesforce(error, doing: "upload ingest job \(created.id)")
        }
        try await context.commit { store in try store.transaction { tx in try tx.setExportBulkJob(row, jobID: created.id, phase: .uploaded) } }
        let closed: BulkIngestJob
        do { closed = try await client.closeIngestJob(created.id) } catch {
            throw JobStop.salesforce(error, doing: "close ingest job \(created.id)")
        }
        let finished = try await waitForIngest(closed)
        let again = try await settleBulk(row, operation: operation, matchField: field, job: finished, items: items)
        try context.checkpoint(object: "Lead", done: writer.done, total: writer.total)
        if !again.isEmpty { try await writer.write(again) }
    }

    func waitForIngest(_ job: BulkIngestJob) async throws -> BulkIngestJob {
        let client = self.client
        return try await context.waitForBulk(job, isFinished: \.isFinished, doing: { "poll ingest job \($0.id)" }) { job throws(SalesforceError) in
            try await client.ingestJob(job.id)
        }
    }

    /// A job that wrote nothing: its profiles' intents cleared and its row deleted, in one transaction.
    func release(_ row: Int64) async throws {
        let org = orgAlias
        let carried: [ExportProfileState]
        do { carried = try store.exportStates(org: org, bulkJob: row) } catch { throw JobStop.engine(EngineError(error)) }
        let cleared = carried.map { state -> ExportProfileState in
            var state = state
            state.clearIntent()
            return state
        }
        try await context.commit { store in
            try store.transaction { tx in
                for state in cleared { try tx.saveExportState(state) }
                try tx.deleteExportBulkJob(row)
            }
        }
        for state in cleared where states[state.profileID] != nil { states[state.profileID] = state }
    }
}
