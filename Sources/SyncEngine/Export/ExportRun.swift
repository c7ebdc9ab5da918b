import SalesforceModel
public import Foundation
import JSON
import Salesforce
public import Store
import SyncRules

extension ExportJob {
    public func validate() throws(EngineError) {
        guard !settings.lytics.audiences.isEmpty else {
            throw EngineError(.usage, "no audiences are selected, so there is nothing to export",
                              hint: "set lytics.audiences AUDIENCE[,AUDIENCE…] ('audiences' lists them)")
        }
    }

    // MARK: Run

    /// Runs the job through the `JobRunner`.
    public func run() async throws(EngineError) -> ExportReport { try await JobRunner.run(self) }

    public func begin(previous: RunRecord?, at started: Date) throws(EngineError) -> Int64 {
        try startRun(full: options.full, at: started)
    }

    public func run(_ context: RunContext) async throws {
        try await ExportRun(job: self, context: context).run()
    }

    public static func report(of stored: StoredRun) throws -> ExportReport {
        let run = stored.record
        let failures = try stored.store.exportStates(org: run.org, outcomes: ["failed", ExportProfileState.parked], limit: 1_000_000)
            .filter { $0.runID == run.id }
        let details = run.details.flatMap { try? JSONValue.parse(Data($0.utf8)) }
        let method = details?["method"]?.stringValue.flatMap(ExportCalls.Method.init(rawValue:))
        return ExportReport(outcome: stored.outcome, created: run.created, updated: run.updated, unchanged: run.unchanged,
                            skipped: RunCounts.parseSkipped(run.skipped), failed: run.failed, parked: run.parked,
                            plannedCalls: run.plannedCalls ?? 0, method: method,
                            failures: Array(failures.prefix(20)))
    }
}

/// One export run in progress: the profiles a chunk at a time, their decisions, and the Leads
/// written through the exactly-once writer (this run is its target: `ExportCall.swift`).
final class ExportRun: JobRun, @unchecked Sendable {
    let job: ExportJob
    let context: RunContext
    /// Profile id → its state as last committed.
    var states: [String: ExportProfileState] = [:]
    private(set) lazy var writer = ExactlyOnceWriter(target: self, context: context, composite: job.options.composite)

    init(job: ExportJob, context: RunContext) {
        self.job = job
        self.context = context
    }

    var orgAlias: String { job.org.alias }

    struct WriteItem {
        var profileID: String
        var emailKey: String?
        var leadID: String?
        var payload: JSONValue
        var hash: String
        /// The External ID field a Lead without a remembered Id is upserted by (`lytics.match_field`).
        var upsertField: String?

        var kind: WriteKind {
            if leadID != nil { return .update }
            return upsertField.map { .upsert(field: $0) } ?? .create
        }
        var isCreate: Bool { kind == .create }
    }

    /// The `Sforce-Auto-Assign` of upserts, read once before the first: an upsert may update a Lead, and `TRUE`
    /// would run the active rule on that update, so the active rule is named by its Id (which runs on creates only).
    var upsertAssignment: (String, String)?
    var resolvedAssignment: LeadAssignment.Resolution?

    func run() async throws {
        // Ingest jobs an earlier run left are settled first, then creates it sent without recording their answer.
        try await resumeBulkJobs()
        let unsettled: [ExportProfileState]
        do { unsettled = try store.unsettledExports(org: orgAlias) } catch { throw JobStop.engine(EngineError(error)) }
        if !unsettled.isEmpty {
            job.events(.note("\(unsettled.count) create\(unsettled.count == 1 ? "" : "s") of an earlier run had no recorded answer; looking their emails up before anything is created again"))
            _ = try await reconcile(unsettled)
        }

        let describe: SObjectDescribe
        do { describe = try await DescribeCache(store: store, clock: clock).describe("Lead", org: orgAlias, client: client) } catch {
            throw JobStop.engine(error)
        }
        // The profiles go a chunk at a time (their lookups, payloads and writes), so memory stays flat in their number;
        // only the emails that already have a writer are kept across chunks.
        do { writer.total = try store.profileCount(inAny: job.settings.lytics.audiences) } catch { throw JobStop.engine(EngineError(error)) }
        if writer.total == 0 {
            // Nothing to write: the plan is what was spent, and the user hears why nothing happened.
            job.events(.note("no local profile is in \(job.settings.lytics.audiences.joined(separator: ", ")) ('audiences' lists them; 'profiles import FILE' loads them)"))
            let spent = (try? store.callCount(run: runID)) ?? 0
            let runID = self.runID
            try await context.commit { store in try store.transaction { tx in try tx.setRunPlannedCalls(runID, spent) } }
            return
        }
        // Bulk when its jobs cost fewer calls than collections (a local pass counts the writes; no call).
        if job.options.method == .bulk || (job.options.method == nil && ExportCalls.bulkMayPay(profiles: writer.total, composite: writer.composite)) {
            let chunks = try await localChunks(describe: describe)
            let choice: (method: ExportCalls.Method, leads: Int?)
            do { choice = try await job.chooseMethod(chunks, composite: writer.composite, client: client) } catch {
                throw JobStop.salesforce(error, doing: "count the org's Leads")
            }
            try await record(choice.method)
            if choice.method == .bulk { return try await runBulk(chunks, leads: choice.leads, describe: describe) }
        } else {
            try await record(.rest)
        }
        var writerOf: [String: String] = [:]
        try await eachChunk { candidates, last in
            let found = try await lookUp(candidates)
            let writes = try await prepare(&candidates, found: found, describe: describe, writerOf: &writerOf, last: last)
            candidates = []
            try await writer.write(writes)
        }
    }

    /// The profiles of lytics.audiences a chunk at a time (`ExportJob.chunkSize`, by profile id) as candidates with
    /// their stored state; `last` says the chunk is the final one. Memory stays flat in the audience's size.
    func eachChunk(_ body: (inout [ExportJob.Candidate], _ last: Bool) async throws -> Void) async throws {
        var after: String?
        while true {
            let bodies: [String]
            var candidates: [ExportJob.Candidate]
            do {
                bodies = try store.profileBodies(inAny: job.settings.lytics.audiences, after: after, limit: ExportJob.chunkSize)
                candidates = try job.candidates(bodies)
            } catch let error as StoreError {
                throw JobStop.engine(EngineError(error))
            } catch let error as EngineError {
                throw JobStop.engine(error)
            }
            guard let lastID = candidates.last?.profile.id else { return }
            after = lastID
            let last = bodies.count < ExportJob.chunkSize
            try await body(&candidates, last)
            if last { return }
        }
    }

    /// The Leads of a chunk's emails (`IN` queries).
    func lookUp(_ candidates: [ExportJob.Candidate]) async throws -> [String: String] {
        do { return try await job.lookUp(job.emailsToLookUp(candidates), client: client, composite: &writer.composite) } catch {
            throw JobStop.salesforce(error, doing: "look up Leads by email")
        }
    }

    /// The run's method, kept in its details (`{"method", "fallback"}`) for `runs show` and the report.
    func record(_ method: ExportCalls.Method, fallback: String? = nil) async throws {
        let runID = self.runID
        let details = JSONValue.object([("method", .string(method.rawValue)), ("fallback", fallback.map(JSONValue.string) ?? .null)])
        try await context.commit { store in try store.transaction { tx in try tx.setRunDetails(runID, details.serialized()) } }
    }

    /// One chunk's rules; records skips and unchanged payloads, returns the writes (creates first). `planned`: the
    /// run's plan as the caller counts it (a Bulk run), else counted here for collections.
    func prepare(_ candidates: inout [ExportJob.Candidate], found: [String: String], describe: SObjectDescribe,
                 writerOf: inout [String: String], last: Bool, planned bulkPlan: Int? = nil) async throws -> [WriteItem] {
        do { try job.decide(&candidates, found: found, describe: describe, writerOf: &writerOf) } catch { throw JobStop.engine(error) }
        if bulkPlan == nil { states = [:] }
        for candidate in candidates { states[candidate.profile.id] = candidate.state }

        // Skips and unchanged payloads are recorded at once; the writes queue up, creates first.
        var queue: [WriteItem] = []
        var updates: [WriteItem] = []
        var counts = RunCounts()
        var settled: [ExportProfileState] = []
        let now = clock.now()
        for candidate in candidates {
            var state = candidate.state
            switch candidate.decision {
            case let .skip(reason):
                counts.skipped[ExportJob.reasonKey(reason), default: 0] += 1
                state.outcome = "skipped"
                state.reason = reason
                state.errorCode = nil
                state.runID = runID
                state.at = now
                settled.append(state)
            case .parked:
                // Held back as it stands: its last error and attempts are kept for 'exports --parked'.
                counts.parked += 1
                writer.done += 1
            case .unchanged:
                counts.unchanged += 1
                state.outcome = "unchanged"
                state.attempts = 0
                state.reason = nil
                state.errorCode = nil
                state.runID = runID
                state.at = now
                settled.append(state)
            case let .create(payload, hash):
                queue.append(WriteItem(profileID: state.profileID, emailKey: candidate.emailKey, leadID: nil, payload: payload, hash: hash))
            case let .upsert(payload, hash):
                queue.append(WriteItem(profileID: state.profileID, emailKey: candidate.emailKey, leadID: nil, payload: payload, hash: hash,
                                       upsertField: job.settings.lytics.matchField))
            case let .update(leadID, payload, hash):
                updates.append(WriteItem(profileID: state.profileID, emailKey: candidate.emailKey, leadID: leadID, payload: payload, hash: hash))
            }
        }
        queue += updates
        writer.done += settled.count
        if bulkPlan == nil, upsertAssignment == nil, queue.contains(where: { $0.upsertField != nil && $0.leadID == nil }) {
            upsertAssignment = LeadAssignment.upsertHeader(try await assignment())
        }
        // The plan: what was spent, this chunk's writes, and for each chunk still to come a lookup and its writes.
        let spent = (try? store.callCount(run: runID)) ?? 0
        let composite = writer.composite
        let remaining = last ? 0 : max(writer.total - writer.done - queue.count, 0)
        let chunksLeft = (remaining + ExportJob.chunkSize - 1) / ExportJob.chunkSize
        let planned = bulkPlan ?? spent + ExportCalls.writeCalls(creates: queue.count - updates.count, updates: updates.count, composite: composite)
            + chunksLeft + ExportCalls.writeCalls(creates: remaining, updates: 0, composite: composite)
        let batch = settled
        let runID = self.runID
        let firstCounts = counts
        try await context.commit { store in
            try store.transaction { tx in
                for state in batch { try tx.saveExportState(state) }
                try tx.addRunCounts(run: runID, firstCounts)
                try tx.setRunPlannedCalls(runID, planned)
            }
        }
        for state in batch { states[state.profileID] = state }
        return queue
    }

    /// The rule created Leads run, as the org has it: the active one read from the org (1 call, once a run), the
    /// chosen Id, or none. Upserts name it by its Id (an upsert may update, where `TRUE` would run the active rule
    /// too); Bulk jobs carry it as their `assignmentRuleId`.
    func assignment() async throws -> LeadAssignment.Resolution {
        if let resolvedAssignment { return resolvedAssignment }
        let choice = job.settings.lytics.assignmentRule
        let resolution: LeadAssignment.Resolution
        switch choice {
        case .active:
            let rules: [LeadAssignment.Rule]
            do { rules = try await ExportJob.assignmentRules(client: client) } catch {
                throw JobStop.salesforce(error, doing: "read the Lead assignment rules")
            }
            resolution = LeadAssignment.resolve(choice, rules: rules)
        case .noRule:
            resolution = LeadAssignment.resolve(choice, rules: [])
        case let .rule(id):
            // Named by the user: sent as given (Salesforce refuses an Id that is no rule of the org).
            resolution = LeadAssignment.Resolution(choice: choice, rule: LeadAssignment.Rule(id: id, name: id, active: false), note: "")
        }
        resolvedAssignment = resolution
        return resolution
    }
}
