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
    /// The run, how it ended and what it spent (`runID`, `status`, `calls` … read through it).
    public var outcome: RunOutcome
    public var created = 0
    public var skipped: [String: Int] = [:]
    public var failed = 0

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

    public static func report(of stored: StoredRun) throws -> WritebackReport {
        let run = stored.record
        return WritebackReport(outcome: stored.outcome, created: run.created, skipped: RunCounts.parseSkipped(run.skipped),
                               failed: run.failed)
    }
}

/// One write-back run in progress: the chosen activities, written as Notes through the exactly-once
/// writer, with this run as its target.
final class WritebackRun: JobRun, @unchecked Sendable {
    let job: WritebackJob
    let context: RunContext
    /// Activity id → the activity with the intent last committed for it.
    var marked: [Int64: ActivityRecord] = [:]
    private(set) lazy var writer = ExactlyOnceWriter(target: self, context: context, composite: job.options.composite)

    init(job: WritebackJob, context: RunContext) {
        self.job = job
        self.context = context
    }


    func run() async throws {
        let selection: (write: [ActivityRecord], skipped: [String: Int], unsettled: [ActivityRecord])
        do { selection = try job.selection() } catch { throw JobStop.engine(error) }
        if !selection.unsettled.isEmpty {
            job.events(.note("\(selection.unsettled.count) Note\(selection.unsettled.count == 1 ? "" : "s") of an earlier run had no recorded answer; looking for them before anything is written again"))
            _ = try await reconcileNotes(selection.unsettled)
        }
        var counts = RunCounts()
        counts.skipped = selection.skipped
        // Settling may have written some: choose again.
        let selected: [ActivityRecord]
        do { selected = try job.selection().write } catch { throw JobStop.engine(error) }
        let planned = ((try? store.callCount(run: runID)) ?? 0)
            + ExportCalls.writeCalls(creates: selected.count, updates: 0, composite: writer.composite)
        let firstCounts = counts
        let runID = self.runID
        try await commit([], firstCounts) { tx in try tx.setRunPlannedCalls(runID, planned) }
        writer.total = selected.count
        try await writer.write(selected)
    }

    static func record(_ activity: ActivityRecord) -> JSONValue {
        let note = ActivityNote.note(kind: activity.kind, subject: activity.subject, text: activity.text)
        return .object([("ParentId", .string(activity.contactID)), ("Title", .string(note.title)), ("Body", .string(note.body))])
    }

    /// The activity settled as written, its Note's id kept, its intent cleared.
    func written(_ activity: ActivityRecord, noteID: String) -> ActivityRecord {
        var written = activity.withIntent(run: nil, at: nil)
        written.state = .written
        written.noteID = noteID
        written.errorCode = nil
        written.reason = nil
        written.runID = runID
        written.writtenAt = clock.now()
        return written
    }

    func failure(_ activity: ActivityRecord, code: String, message: String) -> ActivityRecord {
        var failed = activity.withIntent(run: nil, at: nil)
        failed.state = .failed
        failed.errorCode = code
        failed.reason = message
        failed.runID = runID
        return failed
    }

    /// Finds the Notes of unsettled activities: on their contact, with their title and body,
    /// not already another activity's. Found: written. Not found: the intent is cleared.
    func reconcileNotes(_ pending: [ActivityRecord]) async throws -> Set<Int64> {
        try await writer.waitToSettle(since: pending.compactMap(\.intentAt).max())
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
            var settled = activity.withIntent(run: nil, at: nil)
            if let match = notes.first(where: { record in
                guard let id = record["Id"]?.stringValue, !claimed.contains(id) else { return false }
                return record["ParentId"]?.stringValue == activity.contactID && record["Title"]?.stringValue == note.title
                    && (record["Body"]?.stringValue ?? "") == note.body
            }), let id = match["Id"]?.stringValue {
                claimed.insert(id)
                settled = self.written(settled, noteID: id)
                written.insert(activity.id)
                counts.created += 1
            }
            changed.append(settled)
        }
        try await commit(changed, counts)
        for activity in changed { marked[activity.id] = nil }
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

/// The write-back as the exactly-once writer's target: every activity is a Note to create.
extension WritebackRun: WriteTarget {
    var object: String { "Note" }

    func record(_ activity: ActivityRecord) -> JSONValue { Self.record(activity) }

    func kind(_ activity: ActivityRecord) -> WriteKind { .create }

    func markIntents(_ creates: [ActivityRecord], at now: Date) async throws {
        let intents = creates.map { $0.withIntent(run: runID, at: now) }
        try await commit(intents, RunCounts())
        for activity in intents { marked[activity.id] = activity }
    }

    func clearIntents(_ creates: [ActivityRecord]) async throws {
        try await commit(creates.map { $0.withIntent(run: nil, at: nil) }, RunCounts())
        for activity in creates { marked[activity.id] = nil }
    }

    func settle(_ answered: [(item: ActivityRecord, result: SaveResult)]) async throws -> [ActivityRecord] {
        var counts = RunCounts()
        var settled: [ActivityRecord] = []
        for (activity, result) in answered {
            if result.success, let id = result.id {
                settled.append(written(activity, noteID: id))
                counts.created += 1
            } else {
                let error = result.errors.first
                settled.append(failure(activity, code: error?.code ?? "UNKNOWN", message: error?.message ?? "no error was given"))
                counts.failed += 1
            }
        }
        try await commit(settled, counts)
        for activity in settled { marked[activity.id] = nil }
        return []
    }

    func fail(_ activities: [ActivityRecord], code: String, message: String) async throws {
        var counts = RunCounts()
        counts.failed = activities.count
        try await commit(activities.map { failure($0, code: code, message: message) }, counts)
        for activity in activities { marked[activity.id] = nil }
    }

    func reconcile(_ activities: [ActivityRecord]) async throws -> [ActivityRecord] {
        let written = try await reconcileNotes(activities.map { marked[$0.id] ?? $0 })
        return activities.filter { !written.contains($0.id) }
    }
}

extension ActivityRecord {
    /// The activity with its write-back intent set (before its Note is sent) or cleared (nil, nil).
    func withIntent(run: Int64?, at date: Date?) -> ActivityRecord {
        var copy = self
        copy.intentRun = run
        copy.intentAt = date
        return copy
    }
}
