import Foundation
import JSON
import Salesforce
import Store
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

    /// The report of a stored export run.
    public static func report(run runID: Int64, store: Store) throws(EngineError) -> ExportReport {
        do {
            guard let run = try store.run(runID) else { throw EngineError(.usage, "no run \(runID)") }
            let paused = run.status == .paused ? try store.jobState(org: run.org, job: run.job).pausedUntil : nil
            let failures = try store.exportStates(org: run.org, outcomes: ["failed"], limit: 1_000_000).filter { $0.runID == runID }
            return ExportReport(runID: runID, org: run.org, status: run.status, created: run.created, updated: run.updated,
                                unchanged: run.unchanged, skipped: RunCounts.parseSkipped(run.skipped), failed: run.failed,
                                calls: try store.callCount(run: runID), plannedCalls: run.plannedCalls ?? 0,
                                pausedUntil: paused, message: run.message, failures: Array(failures.prefix(20)))
        } catch let error as EngineError {
            throw error
        } catch {
            throw RunControl.storeFailure(error)
        }
    }

    // MARK: Dry run

    /// What a run would do: the describe and the email lookups (its only calls), then the rules.
    public func plan() async throws(EngineError) -> ExportPlan {
        try validate()
        let client = try connector.client(for: org, source: JobKind.export.ledgerSource + " --dry-run")
        let before = (try? store.ledgerCount(since: .distantPast, org: org.alias, source: JobKind.export.ledgerSource + " --dry-run")) ?? 0
        let describe = try await DescribeCache(store: store, clock: clock).describe("Lead", org: org.alias, client: client)
        var composite = options.composite
        var plan = ExportPlan(org: org.alias)
        var writerOf: [String: String] = [:]
        var last: String?
        var chunks: [ExportCalls.Chunk] = []
        while true {
            let chunk: [String]
            do { chunk = try store.profileBodies(inAny: settings.lytics.audiences, after: last, limit: Self.chunkSize) } catch {
                throw EngineError(error)
            }
            var candidates = try candidates(chunk)
            guard let lastID = candidates.last?.profile.id else { break }
            last = lastID
            let found: [String: String]
            do { found = try await lookUp(Self.emailsToLookUp(candidates), client: client, composite: &composite) } catch {
                throw EngineError(error, doing: "look up Leads by email")
            }
            try decide(&candidates, found: found, describe: describe, writerOf: &writerOf)
            var creates = 0
            var updates = 0
            for candidate in candidates {
                switch candidate.decision {
                case let .skip(reason): plan.skipped[Self.reasonKey(reason), default: 0] += 1
                case .unchanged: plan.unchanged += 1
                case .create: creates += 1
                case .update: updates += 1
                }
            }
            plan.create += creates
            plan.update += updates
            chunks.append(ExportCalls.Chunk(lookups: Self.emailsToLookUp(candidates), creates: creates, updates: updates))
            if chunk.count < Self.chunkSize { break }
        }
        // What a run would spend: the same rule `estimate export` uses (lookups and writes).
        plan.plannedCalls = ExportCalls.count(chunks, composite: composite)
        let after = (try? store.ledgerCount(since: .distantPast, org: org.alias, source: JobKind.export.ledgerSource + " --dry-run")) ?? 0
        plan.calls = after - before
        return plan
    }

    /// Skip reasons are counted by kind: the profile named in a shared-email skip is left out.
    static func reasonKey(_ reason: String) -> String {
        reason.hasPrefix("shares its email with profile") ? "shares an email with another profile" : reason
    }
}

/// One export run in progress: the write queue, and the rules that settle each answer.
final class ExportRun: @unchecked Sendable {
    let job: ExportJob
    let context: RunContext
    var composite: Bool
    var consecutiveFailures = 0
    var done = 0
    var total = 0
    /// Profile id → its state as last committed.
    var states: [String: ExportProfileState] = [:]

    init(job: ExportJob, context: RunContext) {
        self.job = job
        self.context = context
        self.composite = job.options.composite
    }

    var runID: Int64 { context.runID }
    var client: SalesforceClient { context.client }

    var store: Store { job.store }
    var clock: any EngineClock { job.clock }
    var orgAlias: String { job.org.alias }

    struct WriteItem {
        var profileID: String
        var emailKey: String?
        var leadID: String?
        var payload: JSONValue
        var hash: String
        var isCreate: Bool { leadID == nil }
        /// A payload holding `@{` would be read as a reference inside a composite request.
        var compositeSafe: Bool
    }

    func run() async throws {
        // Creates an earlier run sent without recording their answer are settled first.
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
        do { total = try store.profileCount(inAny: job.settings.lytics.audiences) } catch { throw JobStop.engine(EngineError(error)) }
        if total == 0 {
            // Nothing to write: the plan is what was spent, and the user hears why nothing happened.
            job.events(.note("no local profile is in \(job.settings.lytics.audiences.joined(separator: ", ")) ('audiences' lists them; 'profiles import FILE' loads them)"))
            let spent = (try? store.callCount(run: runID)) ?? 0
            let runID = self.runID
            try await job.storeWorker.run { [store] in try store.transaction { tx in try tx.setRunPlannedCalls(runID, spent) } }
            return
        }
        var writerOf: [String: String] = [:]
        var after: String?
        while true {
            let chunk: [String]
            do { chunk = try store.profileBodies(inAny: job.settings.lytics.audiences, after: after, limit: ExportJob.chunkSize) } catch {
                throw JobStop.engine(EngineError(error))
            }
            guard !chunk.isEmpty else { break }
            var candidates: [ExportJob.Candidate]
            do { candidates = try job.candidates(chunk) } catch { throw JobStop.engine(error) }
            after = candidates.last?.profile.id ?? after
            if candidates.isEmpty { break }
            var pending = WriteQueue(try await prepare(&candidates, describe: describe, writerOf: &writerOf,
                                                       last: chunk.count < ExportJob.chunkSize))
            candidates = []
            while !pending.isEmpty {
                let call = nextCall(&pending)
                try await send(call, queue: &pending)
                try context.checkpoint(object: "Lead", done: done, total: total)
            }
            if chunk.count < ExportJob.chunkSize { break }
        }
    }

    /// One chunk: its lookups and the rules; records skips and unchanged payloads, returns the writes (creates first).
    func prepare(_ candidates: inout [ExportJob.Candidate], describe: SObjectDescribe, writerOf: inout [String: String],
                 last: Bool) async throws -> [WriteItem] {
        let found: [String: String]
        do { found = try await job.lookUp(ExportJob.emailsToLookUp(candidates), client: client, composite: &composite) } catch {
            throw JobStop.salesforce(error, doing: "look up Leads by email")
        }
        do { try job.decide(&candidates, found: found, describe: describe, writerOf: &writerOf) } catch { throw JobStop.engine(error) }
        states = [:]
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
            case .unchanged:
                counts.unchanged += 1
                state.outcome = "unchanged"
                state.reason = nil
                state.errorCode = nil
                state.runID = runID
                state.at = now
                settled.append(state)
            case let .create(payload, hash):
                queue.append(WriteItem(profileID: state.profileID, emailKey: candidate.emailKey, leadID: nil, payload: payload, hash: hash,
                                       compositeSafe: !payload.serialized().contains("@{")))
            case let .update(leadID, payload, hash):
                updates.append(WriteItem(profileID: state.profileID, emailKey: candidate.emailKey, leadID: leadID, payload: payload, hash: hash,
                                         compositeSafe: !payload.serialized().contains("@{")))
            }
        }
        queue += updates
        done += settled.count
        // The plan: what was spent, this chunk's writes, and for each chunk still to come a lookup and its writes.
        let spent = (try? store.callCount(run: runID)) ?? 0
        let remaining = last ? 0 : max(total - done - queue.count, 0)
        let chunksLeft = (remaining + ExportJob.chunkSize - 1) / ExportJob.chunkSize
        let planned = spent + ExportCalls.writeCalls(creates: queue.count - updates.count, updates: updates.count, composite: composite)
            + chunksLeft + ExportCalls.writeCalls(creates: remaining, updates: 0, composite: composite)
        let batch = settled
        let runID = self.runID
        let firstCounts = counts
        try await job.storeWorker.run { [store] in
            try store.transaction { tx in
                for state in batch { try tx.saveExportState(state) }
                try tx.addRunCounts(run: runID, firstCounts)
                try tx.setRunPlannedCalls(runID, planned)
            }
        }
        for state in batch { states[state.profileID] = state }
        return queue
    }

    /// The next call's collections: up to 5 of up to 200 records each (one without composite),
    /// each all creates or all updates, in queue order.
    func nextCall(_ queue: inout WriteQueue<WriteItem>) -> [[WriteItem]] {
        var groups: [[WriteItem]] = []
        let limit = SalesforceClient.collectionLimit
        let maxGroups = composite ? SalesforceClient.compositeHeavyLimit : 1
        while groups.count < maxGroups, let first = queue.first {
            var group: [WriteItem] = []
            while group.count < limit, let next = queue.first, next.isCreate == first.isCreate {
                group.append(queue.removeFirst())
            }
            groups.append(group)
        }
        return groups
    }

    // MARK: One call

    func send(_ groups: [[WriteItem]], queue: inout WriteQueue<WriteItem>, single: Bool = false) async throws {
        let items = groups.flatMap { $0 }
        if composite && !single && !items.allSatisfy(\.compositeSafe) {
            for group in groups { try await send([group], queue: &queue, single: true) }
            return
        }
        let creates = items.filter(\.isCreate)
        // The intent: committed before the creates go out.
        if !creates.isEmpty {
            let now = clock.now()
            let marked = creates.compactMap { item -> ExportProfileState? in
                guard var state = states[item.profileID] else { return nil }
                state.intentRun = runID
                state.intentAt = now
                state.intentEmail = item.emailKey
                state.intentHash = item.hash
                return state
            }
            try await commit(marked, RunCounts())
        }
        let subrequests = groups.enumerated().map { index, group in
            SalesforceClient.collection(group[0].isCreate ? "POST" : "PATCH", object: "Lead",
                                        records: group.map { item in
                                            guard let leadID = item.leadID, case let .object(fields) = item.payload else { return item.payload }
                                            return .object([("Id", .string(leadID))] + fields)
                                        }, referenceID: "leads\(index)")
        }
        var answers: [CompositeSubresponse] = []
        do {
            if composite && !single {
                answers = try await client.composite(subrequests, idempotent: false)
            } else {
                // One collection, as a call of its own.
                answers = [try await client.single(subrequests[0], idempotent: false)]
            }
        } catch {
            if composite && ExportJob.compositeRefused(error) {
                composite = false
                job.events(.note("this org refuses /composite; sending each collection of 200 as a call of its own"))
                try await clearIntents(creates)
                queue.putBack(items)
                return
            }
            try await failed(call: groups, error: error, queue: &queue)
            return
        }
        consecutiveFailures = 0
        try await settle(groups, answers: answers, queue: &queue)
    }

    /// Records each record's result of a call that was answered.
    func settle(_ groups: [[WriteItem]], answers: [CompositeSubresponse], queue: inout WriteQueue<WriteItem>) async throws {
        var counts = RunCounts()
        var changed: [ExportProfileState] = []
        var duplicates: [WriteItem] = []
        var unknown: [WriteItem] = []
        let now = clock.now()
        for (group, answer) in zip(groups, answers) {
            if let error = answer.error {
                // The collection was refused as a whole: none of its records was written.
                for item in group {
                    changed.append(failure(item, code: error.code ?? "HTTP_\(error.status)", message: error.message, at: now))
                    counts.failed += 1
                }
                continue
            }
            let results: [SaveResult]
            do { results = try SaveResult.parseAll(answer.body, expected: group.count) } catch {
                unknown += group
                continue
            }
            for (item, result) in zip(group, results) {
                guard var state = states[item.profileID] else { continue }
                state.runID = runID
                state.at = now
                if result.success, let id = result.id ?? item.leadID {
                    state.leadID = id
                    state.email = item.emailKey
                    state.payloadHash = item.hash
                    state.outcome = item.isCreate ? "created" : "updated"
                    state.reason = nil
                    state.errorCode = nil
                    state.clearIntent()
                    if item.isCreate { counts.created += 1 } else { counts.updated += 1 }
                    changed.append(state)
                    continue
                }
                let error = result.errors.first ?? SaveResult.Failure(code: "UNKNOWN", message: "no error was given", fields: [])
                if item.isCreate && result.errors.contains(where: { $0.code == "DUPLICATES_DETECTED" }) {
                    // Not created: the duplicate rule matched an existing Lead; it is updated instead.
                    state.clearIntent()
                    changed.append(state)
                    duplicates.append(item)
                    continue
                }
                changed.append(failure(item, code: error.code, message: error.message + (error.fields.isEmpty ? "" : " (fields: \(error.fields.joined(separator: ", ")))"), at: now))
                counts.failed += 1
            }
        }
        done += groups.reduce(0) { $0 + $1.count } - duplicates.count - unknown.count
        try await commit(changed, counts)
        if !unknown.isEmpty {
            try await unknownOutcome(unknown, error: SalesforceError(kind: .protocolViolation, message: "a collection answer could not be read"),
                                     queue: &queue)
        }
        if !duplicates.isEmpty { try await updateDuplicates(duplicates, queue: &queue) }
    }

    /// A failed record: its code and message kept for `exports`, retried by the next run.
    func failure(_ item: WriteItem, code: String, message: String, at now: Date) -> ExportProfileState {
        var state = states[item.profileID] ?? ExportProfileState(org: orgAlias, profileID: item.profileID)
        state.outcome = "failed"
        state.reason = message
        state.errorCode = code
        state.runID = runID
        state.at = now
        state.clearIntent()
        // A Lead that is gone is looked up by email again next time.
        if ["ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND", "INVALID_ID_FIELD", "MALFORMED_ID"].contains(code),
           !item.isCreate {
            state.leadID = nil
            state.payloadHash = nil
        }
        return state
    }

    /// The duplicate rule refused creates: their Leads are found by email and updated.
    func updateDuplicates(_ items: [WriteItem], queue: inout WriteQueue<WriteItem>) async throws {
        let found: [String: String]
        do { found = try await job.lookUp(items.compactMap(\.emailKey), client: client, composite: &composite) } catch {
            throw JobStop.salesforce(error, doing: "look up the Leads a duplicate rule matched")
        }
        var missing: [ExportProfileState] = []
        var counts = RunCounts()
        for var item in items {
            if let key = item.emailKey, let id = found[key] {
                item.leadID = id
                queue.append(item)
            } else {
                missing.append(failure(item, code: "DUPLICATES_DETECTED",
                                       message: "the duplicate rule matched a Lead this user cannot see by email", at: clock.now()))
                counts.failed += 1
                done += 1
            }
        }
        try await commit(missing, counts)
    }

    /// A call failed as a whole. Refused before it was sent (budget, the org's limit,
    /// authentication) or rejected as a request: nothing was written. Otherwise the
    /// outcome is unknown: the creates are settled by email before they are sent again.
    func failed(call groups: [[WriteItem]], error: SalesforceError, queue: inout WriteQueue<WriteItem>) async throws {
        let items = groups.flatMap { $0 }
        let creates = items.filter(\.isCreate)
        switch WriteCallFailure(error) {
        case .notSent:
            try await clearIntents(creates)
            throw JobStop.salesforce(error, doing: "write Leads")
        case .unrecorded:
            throw JobStop.salesforce(error, doing: "write Leads")
        case .rejected:
            var counts = RunCounts()
            let now = clock.now()
            let marked = items.map { failure($0, code: error.code ?? "HTTP_\(error.status)", message: error.message, at: now) }
            counts.failed = items.count
            done += items.count
            try await commit(marked, counts)
        case .unknown:
            try await unknownOutcome(items, error: error, queue: &queue)
        }
    }

    func unknownOutcome(_ items: [WriteItem], error: SalesforceError, queue: inout WriteQueue<WriteItem>) async throws {
        consecutiveFailures += 1
        let creates = items.filter(\.isCreate)
        let pending = creates.compactMap { states[$0.profileID] }.filter(\.isUnsettled)
        let adopted = pending.isEmpty ? [] : try await reconcile(pending)
        let again = items.filter { !adopted.contains($0.profileID) }
        done += items.count - again.count
        guard consecutiveFailures < ExportJob.failureLimit else {
            throw JobStop.salesforce(error, doing: "write Leads (\(consecutiveFailures) calls in a row failed)")
        }
        job.events(.note("a call failed (\(error.description)); \(adopted.count) of its creates had landed, \(again.count) record\(again.count == 1 ? "" : "s") go again"))
        queue.putBack(again)
    }

    func clearIntents(_ items: [WriteItem]) async throws {
        let cleared = items.compactMap { item -> ExportProfileState? in
            guard var state = states[item.profileID], state.isUnsettled else { return nil }
            state.clearIntent()
            return state
        }
        try await commit(cleared, RunCounts())
    }

    /// Settles unsettled creates: waits for a lost request to land, then looks the emails
    /// up. A Lead found is the profile's (adopted, counted created); otherwise the create
    /// never happened and the intent is cleared. Returns the adopted profile ids.
    func reconcile(_ pending: [ExportProfileState]) async throws -> Set<String> {
        if let latest = pending.compactMap(\.intentAt).max() {
            let deadline = latest.addingTimeInterval(settleWindow(store: store, clock: clock, org: orgAlias, source: JobKind.export.ledgerSource))
            if deadline > clock.now() {
                do { try await clock.sleep(until: deadline) } catch { throw JobStop.interrupted }
            }
        }
        let emails = Array(Set(pending.compactMap(\.intentEmail))).sorted()
        let found: [String: String]
        do { found = try await job.lookUp(emails, client: client, composite: &composite) } catch {
            throw JobStop.salesforce(error, doing: "settle creates whose answer was lost (their emails are looked up before they are created again)")
        }
        var adopted = Set<String>()
        var counts = RunCounts()
        let now = clock.now()
        let changed = pending.map { original -> ExportProfileState in
            var state = original
            if let email = state.intentEmail, let id = found[email] {
                state.leadID = id
                state.email = email
                state.payloadHash = state.intentHash
                state.outcome = "created"
                state.reason = nil
                state.errorCode = nil
                state.runID = runID
                state.at = now
                adopted.insert(state.profileID)
                counts.created += 1
            }
            state.clearIntent()
            return state
        }
        try await commit(changed, counts)
        return adopted
    }

    /// Commits states and counts in one transaction, off the cooperative pool.
    func commit(_ changed: [ExportProfileState], _ counts: RunCounts) async throws {
        guard !changed.isEmpty || !counts.isEmpty else { return }
        let runID = self.runID
        try await job.storeWorker.run { [store] in
            try store.transaction { tx in
                for state in changed { try tx.saveExportState(state) }
                if !counts.isEmpty { try tx.addRunCounts(run: runID, counts) }
            }
        }
        for state in changed { states[state.profileID] = state }
    }
}

/// The records waiting to be written, in order: taken from the front in O(1); records that go
/// again are put back in front of the rest; records found late (duplicate-rule matches) join the end.
struct WriteQueue<Item> {
    private var items: [Item] = []
    private var head = 0
    private var again: [Item] = []

    init(_ items: [Item]) { self.items = items }

    var isEmpty: Bool { again.isEmpty && head >= items.count }
    var count: Int { again.count + items.count - head }
    var first: Item? { again.first ?? (head < items.count ? items[head] : nil) }

    mutating func removeFirst() -> Item {
        if !again.isEmpty { return again.removeFirst() }
        head += 1
        return items[head - 1]
    }

    mutating func putBack(_ returned: [Item]) { again.insert(contentsOf: returned, at: 0) }
    mutating func append(_ item: Item) { items.append(item) }
}

extension ExportProfileState {
    mutating func clearIntent() {
        intentRun = nil
        intentAt = nil
        intentEmail = nil
        intentHash = nil
    }
}
