import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

// How an ingest job's results settle the profiles it carried, and how a run resumes the jobs an earlier one left.

extension ExportRun {
    // MARK: Resume

    /// Settles the ingest jobs earlier runs left, oldest first, before anything is written again: a job never
    /// recorded is looked for and aborted, an Open one whose upload is not recorded aborted (it wrote nothing), an
    /// uploaded one closed if need be, polled and settled from its results.
    func resumeBulkJobs() async throws {
        let rows: [ExportBulkJob]
        do { rows = try store.exportBulkJobs(org: orgAlias) } catch { throw JobStop.engine(EngineError(error)) }
        guard !rows.isEmpty else { return }
        job.events(.note("\(rows.count) ingest job\(rows.count == 1 ? "" : "s") of an earlier run \(rows.count == 1 ? "is" : "are") settled before anything is written again"))
        for row in rows {
            guard let jobID = row.jobID, row.phase != .creating else {
                try await abortOrphans(of: row)
                continue
            }
            var ingest: BulkIngestJob
            do { ingest = try await client.ingestJob(jobID) } catch {
                guard error.status == 404 else { throw JobStop.salesforce(error, doing: "read ingest job \(jobID) of an earlier run") }
                // Gone from the org: what it wrote is unknown, so its creates are looked up by email.
                _ = try await settleBulk(row.id, operation: row.operation, matchField: row.externalIDField, job: nil, items: nil)
                continue
            }
            if ingest.state == "Open" {
                if row.phase == .created {
                    do { _ = try await client.abortIngestJob(jobID) } catch {
                        throw JobStop.salesforce(error, doing: "abort ingest job \(jobID) of an earlier run")
                    }
                    try await release(row.id)
                    continue
                }
                do { ingest = try await client.closeIngestJob(jobID) } catch {
                    throw JobStop.salesforce(error, doing: "close ingest job \(jobID) of an earlier run")
                }
            }
            let finished = try await waitForIngest(ingest)
            _ = try await settleBulk(row.id, operation: row.operation, matchField: row.externalIDField, job: finished, items: nil)
        }
    }

    /// A job whose creation was recorded but not its id: the user's Open Lead jobs of that operation created since
    /// (a minute's slack for clocks) are aborted, then the row is released. An Open job never wrote anything.
    func abortOrphans(of row: ExportBulkJob) async throws {
        let jobs: [BulkIngestJob]
        do { jobs = try await client.ingestJobs() } catch { throw JobStop.salesforce(error, doing: "list ingest jobs to find one an earlier run created") }
        let user = job.org.userID.map { String($0.prefix(15)) }
        let since = row.at.addingTimeInterval(-Self.orphanSlack)
        for orphan in jobs where orphan.state == "Open" && orphan.object == "Lead" && orphan.operation == row.operation {
            guard user == nil || orphan.createdByID.map({ String($0.prefix(15)) }) == user,
                  let created = orphan.created, created >= since else { continue }
            do { _ = try await client.abortIngestJob(orphan.id) } catch {
                throw JobStop.salesforce(error, doing: "abort ingest job \(orphan.id), which an earlier run created")
            }
            job.events(.note("aborted ingest job \(orphan.id), created by an earlier run that never recorded it"))
        }
        try await release(row.id)
    }

    // MARK: Settle

    /// Settles every profile job `row` carried from its results (`job` nil: the job is gone, nothing is known), in one
    /// transaction that deletes the row. A success is created or updated; a failure counts toward parking; a create
    /// the duplicate rule matched is updated instead; an unprocessed row goes again; a create no file names is looked
    /// up by email. Returns what this run still writes through collections (only with `items`: the resuming pass
    /// leaves them to the run's own pass).
    func settleBulk(_ row: Int64, operation: String, matchField: String?, job ingest: BulkIngestJob?,
                    items: [WriteItem]?) async throws -> [WriteItem] {
        let carried: [ExportProfileState]
        do { carried = try store.exportStates(org: orgAlias, bulkJob: row) } catch { throw JobStop.engine(EngineError(error)) }
        let outcomes = try await results(of: ingest, operation: operation, matchField: matchField)
        var byProfile: [String: WriteItem] = [:]
        for item in items ?? [] { byProfile[item.profileID] = item }
        var counts = RunCounts()
        var changed: [ExportProfileState] = []
        var duplicates: [WriteItem] = []
        var again: [WriteItem] = []
        var unknown: [ExportProfileState] = []
        let now = clock.now()
        for original in carried {
            states[original.profileID] = original
            var state = original
            let item = byProfile[state.profileID] ?? WriteItem(
                profileID: state.profileID, emailKey: state.intentEmail, leadID: operation == "update" ? state.leadID : nil,
                payload: .null, hash: state.intentHash ?? "", upsertField: operation == "upsert" ? matchField : nil)
            let key: String? = switch operation {
            case "insert": state.intentEmail
            case "update": state.leadID.map { String($0.prefix(15)) }
            default: state.profileID
            }
            switch key.flatMap({ outcomes[$0] }) {
            case let .succeeded(id, created)?:
                let isCreated = operation == "insert" || (operation == "upsert" && created)
                state.written(leadID: id, email: state.intentEmail ?? state.email, hash: state.intentHash, created: isCreated,
                              run: runID, at: now)
                if isCreated { counts.created += 1 } else { counts.updated += 1 }
                changed.append(state)
            case let .failed(code, message, fields)?:
                if operation == "insert" && code == "DUPLICATES_DETECTED" {
                    // Not created: the duplicate rule matched a Lead, which is updated instead.
                    state.clearIntent()
                    changed.append(state)
                    duplicates.append(item)
                    continue
                }
                let failed = failure(item, code: code, message: message, fields: fields, at: now)
                changed.append(failed)
                Self.count(failed, in: &counts)
            case .unprocessed?:
                state.clearIntent()
                changed.append(state)
                again.append(item)
            case nil where operation == "insert":
                // No file names it: a create whose fate is unknown waits for an email lookup, as a lost REST create does.
                state.bulkJob = nil
                changed.append(state)
                unknown.append(state)
            case nil:
                // An update or upsert is idempotent: it goes again.
                state.clearIntent()
                changed.append(state)
                again.append(item)
            }
        }
        let runID = self.runID
        let batch = changed
        let total = counts
        try await context.commit { store in
            try store.transaction { tx in
                for state in batch { try tx.saveExportState(state) }
                if !total.isEmpty { try tx.addRunCounts(run: runID, total) }
                try tx.deleteExportBulkJob(row)
            }
        }
        for state in changed { states[state.profileID] = state }
        writer.done += carried.count - again.count - duplicates.count - unknown.count
        if let ingest, ingest.state != "JobComplete" {
            job.events(.note("ingest job \(ingest.id) was \(ingest.state)\(ingest.errorMessage.map { ": \($0)" } ?? ""); \(again.count) row\(again.count == 1 ? "" : "s") it did not process go through collections"))
        }
        guard items != nil else { return [] }
        var writes = again
        if !unknown.isEmpty {
            let adopted = try await reconcile(unknown)
            writes += unknown.filter { !adopted.contains($0.profileID) }.compactMap { byProfile[$0.profileID] }
        }
        if !duplicates.isEmpty { writes += try await updateDuplicates(duplicates) }
        return writes
    }

    /// A finished job's three result files, read (3 calls); none for a job that is gone.
    func results(of ingest: BulkIngestJob?, operation: String, matchField: String?) async throws -> [String: IngestOutcomes.Outcome] {
        guard let ingest, ingest.isFinished else { return [:] }
        var files: [SalesforceClient.IngestResults: Data] = [:]
        for kind in [SalesforceClient.IngestResults.successful, .failed, .unprocessed] {
            do { files[kind] = try await client.ingestResults(ingest.id, kind) } catch {
                throw JobStop.salesforce(error, doing: "read the \(kind.rawValue) of ingest job \(ingest.id)")
            }
        }
        do {
            return try IngestOutcomes(successful: files[.successful] ?? Data(), failed: files[.failed] ?? Data(),
                                      unprocessed: files[.unprocessed] ?? Data(), operation: operation, matchField: matchField).outcomes
        } catch {
            throw JobStop.engine(EngineError(.failure, "ingest job \(ingest.id) answered results sfsh cannot read: \(error.description)",
                                             hint: "run again: the job is settled from its results then"))
        }
    }
}
