import SalesforceModel
public import Foundation
public import JSON
import Salesforce
public import Store
import SyncRules

/// What `sync writeback` is asked to do.
public struct WritebackOptions: Sendable {
    public var force = false
    public var composite = true

    public init() {}
}

/// The outcome of a write-back run.
public struct WritebackReport: Sendable {
    public var runID: Int64
    public var org: String
    public var status: RunStatus
    public var created = 0
    public var skipped: [String: Int] = [:]
    public var failed = 0
    public var calls = 0
    public var pausedUntil: Date?
    public var message: String?
    public var failure: EngineError?

    /// `{"run", "job": "writeback", "org", "status", "created", "skipped": {reason: count}, "failed", "calls", "paused_until"}`.
    public var json: JSONValue {
        .object([
            ("run", .int(Int(runID))), ("job", .string("writeback")), ("org", .string(org)), ("status", .string(status.rawValue)),
            ("created", .int(created)), ("skipped", .object(skipped.keys.sorted().map { ($0, .int(skipped[$0] ?? 0)) })),
            ("failed", .int(failed)), ("calls", .int(calls)), ("paused_until", RunControl.json(pausedUntil)),
        ])
    }
}

/// What a dry run of the write-back would send.
public struct WritebackPlan: Sendable {
    public var org: String
    public var notes: [(activity: Int64, contact: String, title: String, bodyLength: Int)]
    public var skipped: [String: Int]
    public var unsettled: Int
    public var plannedCalls: Int

    public var json: JSONValue {
        .object([
            ("job", .string("writeback")), ("org", .string(org)), ("dry_run", .bool(true)),
            ("create", .int(notes.count)), ("skipped", .object(skipped.keys.sorted().map { ($0, .int(skipped[$0] ?? 0)) })),
            ("unsettled", .int(unsettled)), ("planned_calls", .int(plannedCalls)),
            ("notes", .array(notes.map { .object([("activity", .int(Int($0.activity))), ("contact", .string($0.contact)),
                                                  ("title", .string($0.title)), ("body_length", .int($0.bodyLength))]) })),
        ])
    }
}

/// The write-back of SPEC §6.1: each local activity of a kind `levitate.writeback`
/// chooses becomes one `Note` on its contact, exactly once. The same discipline
/// as the export: the intent is committed before the create is sent, settled
/// with its answer; a create whose answer was lost is looked for among the
/// contact's Notes (same title and body, not claimed by another activity)
/// after the lost request has had time to land, before it is ever sent again.
public final class WritebackJob: SyncJob {
    public static let configuration = JobConfiguration(kind: .writeback,
                                                       resumeHint: "the next 'sync writeback' settles what was sent and goes on")
    static let notChosen = "kind not chosen (levitate.writeback)"

    public let environment: JobEnvironment
    let options: WritebackOptions

    public init(_ environment: JobEnvironment, options: WritebackOptions) {
        self.environment = environment
        self.options = options
    }

    public var force: Bool { options.force }

    /// The activities a run writes (pending or failed, of a chosen kind) and the ones it leaves.
    func selection() throws(EngineError) -> (write: [ActivityRecord], skipped: [String: Int], unsettled: [ActivityRecord]) {
        let open: [ActivityRecord]
        do { open = try store.activities(org: org.alias, states: [.pending, .failed]) } catch { throw EngineError(error) }
        let chosen = Set(settings.writebackKinds)
        var skipped: [String: Int] = [:]
        var write: [ActivityRecord] = []
        for activity in open where activity.intentRun == nil {
            if chosen.contains(activity.kind) { write.append(activity) } else { skipped[Self.notChosen, default: 0] += 1 }
        }
        return (write, skipped, open.filter { $0.intentRun != nil })
    }

    public func plan() throws(EngineError) -> WritebackPlan {
        let (write, skipped, unsettled) = try selection()
        let notes = write.map { activity in
            let note = ActivityNote.note(kind: activity.kind, subject: activity.subject, text: activity.text)
            return (activity: activity.id, contact: activity.contactID, title: note.title, bodyLength: note.body.utf16.count)
        }
        return WritebackPlan(org: org.alias, notes: notes, skipped: skipped, unsettled: unsettled.count,
                             plannedCalls: ExportCalls.writeCalls(creates: write.count, updates: 0, composite: options.composite)
                                 + (unsettled.isEmpty ? 0 : 1))
    }

    /// Runs the job through the `JobRunner`.
    public func run() async throws(EngineError) -> WritebackReport { try await JobRunner.run(self) }

    public func begin(previous: RunRecord?, at started: Date) throws(EngineError) -> Int64 {
        try startRun(full: false, at: started)
    }

    public func run(_ context: RunContext) async throws {
        try await WritebackRun(job: self, context: context).run()
    }

    public static func report(run runID: Int64, store: Store) throws(EngineError) -> WritebackReport {
        do {
            guard let run = try store.run(runID) else { throw EngineError(.usage, "no run \(runID)") }
            let paused = run.status == .paused ? try store.jobState(org: run.org, job: run.job).pausedUntil : nil
            return WritebackReport(runID: runID, org: run.org, status: run.status, created: run.created,
                                   skipped: RunCounts.parseSkipped(run.skipped), failed: run.failed,
                                   calls: try store.callCount(run: runID), pausedUntil: paused, message: run.message)
        } catch let error as EngineError {
            throw error
        } catch {
            throw RunControl.storeFailure(error)
        }
    }
}

/// One write-back run in progress.
final class WritebackRun: @unchecked Sendable {
    let job: WritebackJob
    let context: RunContext
    var composite: Bool
    var consecutiveFailures = 0

    init(job: WritebackJob, context: RunContext) {
        self.job = job
        self.context = context
        composite = job.options.composite
    }

    var runID: Int64 { context.runID }
    var client: SalesforceClient { context.client }

    var store: Store { job.store }
    var clock: any EngineClock { job.clock }

    func run() async throws {
        let selection: (write: [ActivityRecord], skipped: [String: Int], unsettled: [ActivityRecord])
        do { selection = try job.selection() } catch { throw JobStop.engine(error) }
        if !selection.unsettled.isEmpty {
            job.events(.note("\(selection.unsettled.count) Note\(selection.unsettled.count == 1 ? "" : "s") of an earlier run had no recorded answer; looking for them before anything is written again"))
            _ = try await reconcile(selection.unsettled)
        }
        var counts = RunCounts()
        counts.skipped = selection.skipped
        // Settling may have written some: choose again.
        let selected: [ActivityRecord]
        do { selected = try job.selection().write } catch { throw JobStop.engine(error) }
        var queue = WriteQueue(selected)
        let planned = ((try? store.callCount(run: runID)) ?? 0) + ExportCalls.writeCalls(creates: queue.count, updates: 0, composite: composite)
        let firstCounts = counts
        let runID = self.runID
        try await commit([], firstCounts) { tx in try tx.setRunPlannedCalls(runID, planned) }
        var done = 0
        let total = queue.count
        while !queue.isEmpty {
            let groups = nextCall(&queue)
            try await send(groups, queue: &queue)
            done = total - queue.count
            try context.checkpoint(object: "Note", done: done, total: total)
        }
    }

    func nextCall(_ queue: inout WriteQueue<ActivityRecord>) -> [[ActivityRecord]] {
        var groups: [[ActivityRecord]] = []
        let maxGroups = composite ? SalesforceClient.compositeHeavyLimit : 1
        while groups.count < maxGroups, !queue.isEmpty {
            var group: [ActivityRecord] = []
            while group.count < SalesforceClient.collectionLimit, !queue.isEmpty { group.append(queue.removeFirst()) }
            groups.append(group)
        }
        return groups
    }

    static func record(_ activity: ActivityRecord) -> JSONValue {
        let note = ActivityNote.note(kind: activity.kind, subject: activity.subject, text: activity.text)
        return .object([("ParentId", .string(activity.contactID)), ("Title", .string(note.title)), ("Body", .string(note.body))])
    }

    func send(_ groups: [[ActivityRecord]], queue: inout WriteQueue<ActivityRecord>, single: Bool = false) async throws {
        let items = groups.flatMap { $0 }
        let records = groups.map { $0.map(Self.record) }
        if composite && !single && records.joined().contains(where: { $0.serialized().contains("@{") }) {
            for group in groups { try await send([group], queue: &queue, single: true) }
            return
        }
        let now = clock.now()
        let marked = items.map { activity -> ActivityRecord in
            var copy = activity
            copy.intentRun = runID
            copy.intentAt = now
            return copy
        }
        try await commit(marked, RunCounts())
        let subrequests = records.enumerated().map { SalesforceClient.collection("POST", object: "Note", records: $1, referenceID: "notes\($0)") }
        var answers: [CompositeSubresponse] = []
        do {
            answers = composite && !single ? try await client.composite(subrequests, idempotent: false)
                : [try await client.single(subrequests[0], idempotent: false)]
        } catch {
            if composite && ExportJob.compositeRefused(error) {
                composite = false
                try await commit(items, RunCounts())  // the intents back off: nothing was written
                queue.putBack(items)
                return
            }
            switch WriteCallFailure(error) {
            case .notSent:
                try await commit(items, RunCounts())  // the intents back off
                throw JobStop.salesforce(error, doing: "write Notes")
            case .unrecorded:
                throw JobStop.salesforce(error, doing: "write Notes")
            case .rejected:
                var counts = RunCounts()
                counts.failed = items.count
                try await commit(items.map { failure($0, code: error.code ?? "HTTP_\(error.status)", message: error.message) }, counts)
            case .unknown:
                consecutiveFailures += 1
                let written = try await reconcile(marked)
                let again = items.filter { !written.contains($0.id) }
                guard consecutiveFailures < ExportJob.failureLimit else {
                    throw JobStop.salesforce(error, doing: "write Notes (\(consecutiveFailures) calls in a row failed)")
                }
                job.events(.note("a call failed (\(error.description)); \(written.count) of its Notes had landed, \(again.count) go again"))
                queue.putBack(again)
            }
            return
        }
        consecutiveFailures = 0
        var counts = RunCounts()
        var settled: [ActivityRecord] = []
        var unknown: [ActivityRecord] = []
        for (group, answer) in zip(groups, answers) {
            if let error = answer.error {
                settled += group.map { failure($0, code: error.code ?? "HTTP_\(error.status)", message: error.message) }
                counts.failed += group.count
                continue
            }
            guard let results = try? SaveResult.parseAll(answer.body, expected: group.count) else {
                unknown += group.map { activity in marked.first { $0.id == activity.id } ?? activity }
                continue
            }
            for (activity, result) in zip(group, results) {
                if result.success, let id = result.id {
                    var written = activity
                    written.state = .written
                    written.noteID = id
                    written.errorCode = nil
                    written.reason = nil
                    written.runID = runID
                    written.writtenAt = clock.now()
                    written.intentRun = nil
                    written.intentAt = nil
                    settled.append(written)
                    counts.created += 1
                } else {
                    let error = result.errors.first
                    settled.append(failure(activity, code: error?.code ?? "UNKNOWN", message: error?.message ?? "no error was given"))
                    counts.failed += 1
                }
            }
        }
        try await commit(settled, counts)
        if !unknown.isEmpty {
            let written = try await reconcile(unknown)
            queue.putBack(unknown.filter { !written.contains($0.id) })
        }
    }

    func failure(_ activity: ActivityRecord, code: String, message: String) -> ActivityRecord {
        var failed = activity
        failed.state = .failed
        failed.errorCode = code
        failed.reason = message
        failed.runID = runID
        failed.intentRun = nil
        failed.intentAt = nil
        return failed
    }

    /// Finds the Notes of unsettled activities: on their contact, with their title and body,
    /// not already another activity's. Found: written. Not found: the intent is cleared.
    func reconcile(_ pending: [ActivityRecord]) async throws -> Set<Int64> {
        if let latest = pending.compactMap(\.intentAt).max() {
            let deadline = latest.addingTimeInterval(settleWindow(store: store, clock: clock, org: job.org.alias,
                                                                  source: JobKind.writeback.ledgerSource))
            if deadline > clock.now() {
                do { try await clock.sleep(until: deadline) } catch { throw JobStop.interrupted }
            }
        }
        let parents = Array(Set(pending.map(\.contactID))).sorted()
        let queries = SOQLText.chunkedIn(parents, limit: 20_000, encodedLimit: 12_000) { list in
            "SELECT Id, ParentId, Title, Body FROM Note WHERE ParentId IN (\(list)) ORDER BY CreatedDate, Id"
        }
        var notes: [JSONValue] = []
        for soql in queries {
            do {
                var page = try await client.query(soql)
                notes += page.records
                var paging = QueryPaging(totalSize: page.totalSize)
                while let next = try paging.next(after: page) {
                    page = try await client.nextPage(next)
                    notes += page.records
                }
            } catch {
                throw JobStop.salesforce(error, doing: "look for Notes whose answer was lost")
            }
        }
        var claimed: Set<String>
        do { claimed = try store.writtenNoteIDs(org: job.org.alias) } catch { throw JobStop.engine(EngineError(error)) }
        var written = Set<Int64>()
        var changed: [ActivityRecord] = []
        var counts = RunCounts()
        for activity in pending.sorted(by: { $0.id < $1.id }) {
            let note = ActivityNote.note(kind: activity.kind, subject: activity.subject, text: activity.text)
            var settled = activity
            settled.intentRun = nil
            settled.intentAt = nil
            if let match = notes.first(where: { record in
                guard let id = record["Id"]?.stringValue, !claimed.contains(id) else { return false }
                return record["ParentId"]?.stringValue == activity.contactID && record["Title"]?.stringValue == note.title
                    && (record["Body"]?.stringValue ?? "") == note.body
            }), let id = match["Id"]?.stringValue {
                claimed.insert(id)
                settled.state = .written
                settled.noteID = id
                settled.errorCode = nil
                settled.reason = nil
                settled.runID = runID
                settled.writtenAt = clock.now()
                written.insert(activity.id)
                counts.created += 1
            }
            changed.append(settled)
        }
        try await commit(changed, counts)
        return written
    }

    func commit(_ activities: [ActivityRecord], _ counts: RunCounts,
                also: @escaping @Sendable (StoreTransaction) throws -> Void = { _ in }) async throws {
        let runID = self.runID
        try await context.commit { store in
            try store.transaction { tx in
                for activity in activities { try tx.saveActivity(activity) }
                if !counts.isEmpty { try tx.addRunCounts(run: runID, counts) }
                try also(tx)
            }
        }
    }
}

/// The settle window (SettleWindow) of a job, from the POSTs the ledger recorded for it in the last 24 h.
func settleWindow(store: Store, clock: any EngineClock, org: String, source: String) -> TimeInterval {
    let entries = (try? store.ledger(since: clock.now().addingTimeInterval(-BudgetGate.window), org: org, source: source)) ?? []
    return SettleWindow.seconds(postSeconds: entries.filter { $0.method == "POST" }.map { $0.durationMS / 1000 })
}
