import Foundation
import JSON
import Salesforce
import Store

/// What a job tells whoever runs it while it works (the shell's progress line,
/// the daemon's log).
public enum SyncEvent: Sendable {
    /// A remark worth showing once (a retired setting in use, a resumed run).
    case note(String)
    case progress(SyncProgress)
}

/// Where a running job stands, for a progress line.
public struct SyncProgress: Sendable, Equatable {
    public var object: String
    public var done: Int
    /// Records this pass will read (the first page's totalSize), when known.
    public var total: Int?
    public var calls: Int
    /// Records per second since the run started.
    public var rate: Double
    /// Seconds left at this rate, when the total is known.
    public var eta: Double?
}

/// Start and end of a run, and the rules every job shares: a paused job is not
/// run before its time (unless forced), a job runs once at a time per org, and
/// a run whose process died is marked interrupted before another starts.
public struct RunControl: Sendable {
    public let store: Store
    public let clock: any EngineClock
    /// How long a job pauses at its budget or the org's limit (SPEC §6.4).
    public static let pause: TimeInterval = 86_400

    public init(store: Store, clock: any EngineClock) {
        self.store = store
        self.clock = clock
    }

    /// Refuses to start when the job is paused (exit 4, unless `force`) or runs
    /// in another live process (exit 1). Marks runs of dead processes
    /// interrupted. Returns the newest earlier run, if any.
    public func admit(org: String, job: JobKind, force: Bool) throws(EngineError) -> RunRecord? {
        let state: JobState
        let previous: [RunRecord]
        do {
            state = try store.jobState(org: org, job: job.rawValue)
            previous = try store.runs(org: org, job: job.rawValue, limit: 20)
        } catch { throw EngineError(error) }
        let now = clock.now()
        if let until = state.pausedUntil, until > now, !force {
            throw EngineError(.limit, "the \(job.rawValue) of \(org) is paused until \(Self.format(until)): \(state.pauseReason ?? "budget reached")",
                              hint: "it resumes from its checkpoint then; add --force to run it now anyway")
        }
        for run in previous where run.status == .running {
            if Store.ownerIsGone(run) {
                do {
                    try store.transaction { tx in
                        try tx.finishRun(run.id, status: .interrupted, at: now,
                                         message: "its process (\(run.pid.map(String.init) ?? "?")) ended before it finished")
                    }
                } catch { throw Self.storeFailure(error) }
            } else {
                throw EngineError(.failure,
                                  "the \(job.rawValue) of \(org) is already running (run \(run.id), process \(run.pid.map(String.init) ?? "?") on \(run.host ?? "?") since \(Self.format(run.startedAt)))",
                                  hint: "wait for it to finish; 'sync status' shows it")
            }
        }
        return previous.first
    }

    /// Whether `note` is new for `org` (and remembers it): notes about settings are said once, not every run.
    public func firstTime(_ note: String, org: String) -> Bool {
        let key = "said:" + note
        let scope = Store.stateScope + org
        if ((try? store.setting(key, scope: scope)) ?? nil) != nil { return false }
        try? store.setSetting(key, to: Self.format(clock.now()), scope: scope)
        return true
    }

    /// Ends a run paused: the job is paused for 24 h from now, with the reason.
    public func pause(run: Int64, org: String, job: JobKind, reason: String) throws(EngineError) -> Date {
        let now = clock.now()
        let until = now.addingTimeInterval(Self.pause)
        do {
            try store.transaction { tx in
                try tx.finishRun(run, status: .paused, at: now, message: reason)
                try tx.setJobPause(org: org, job: job.rawValue, until: until, reason: reason)
            }
        } catch { throw Self.storeFailure(error) }
        return until
    }

    public func finish(run: Int64, status: RunStatus, message: String?, org: String, job: JobKind) throws(EngineError) {
        let now = clock.now()
        do {
            try store.transaction { tx in
                try tx.finishRun(run, status: status, at: now, message: message)
                // A run that got through clears an old pause (it was forced, or the pause ran out).
                if status == .succeeded { try tx.setJobPause(org: org, job: job.rawValue, until: nil, reason: nil) }
            }
        } catch { throw Self.storeFailure(error) }
    }

    static func storeFailure(_ error: any Error) -> EngineError {
        if let error = error as? StoreError { return EngineError(error) }
        if let error = error as? EngineError { return error }
        return EngineError(.failure, "the sfsh database failed: \(error)")
    }

    /// `2026-11-23T14:05:00Z`.
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    public static func json(_ date: Date?) -> JSONValue { date.map { .string(format($0)) } ?? .null }
}

/// Where each job of an org stands, for `sync status`.
public struct JobStatus: Sendable {
    public var job: JobKind
    public var org: String
    /// idle, running or paused.
    public var state: String
    public var pausedUntil: Date?
    public var pauseReason: String?
    public var nextRunAt: Date?
    public var lastRun: RunRecord?
    public var calls24h: Int
    public var budget: Int?
    public var budgetKey: String

    public var json: JSONValue {
        .object([
            ("job", .string(job.rawValue)), ("org", .string(org)), ("state", .string(state)),
            ("paused_until", RunControl.json(pausedUntil)), ("next_run_at", RunControl.json(nextRunAt)),
            ("last_run", lastRun.map(RunSummary.brief) ?? .null),
            ("calls_24h", .int(calls24h)), ("budget", budget.map(JSONValue.int) ?? .null),
        ])
    }

    /// The status of the jobs the engine runs today, for one org.
    public static func all(org: String, store: Store, clock: any EngineClock, settings: SyncSettings,
                           jobs: [JobKind] = [.import]) throws(EngineError) -> [JobStatus] {
        let now = clock.now()
        var statuses: [JobStatus] = []
        for job in jobs {
            do {
                let state = try store.jobState(org: org, job: job.rawValue)
                let last = try store.runs(org: org, job: job.rawValue, limit: 1).first
                let calls = try store.callCount(since: now.addingTimeInterval(-BudgetGate.window), org: org,
                                                source: job.ledgerSource)
                let paused = state.pausedUntil.flatMap { $0 > now ? $0 : nil }
                let running = last?.status == .running && !(last.map(Store.ownerIsGone) ?? true)
                statuses.append(JobStatus(
                    job: job, org: org, state: running ? "running" : paused != nil ? "paused" : "idle",
                    pausedUntil: paused, pauseReason: paused == nil ? nil : state.pauseReason, nextRunAt: paused,
                    lastRun: last, calls24h: calls, budget: settings.budget(for: job), budgetKey: job.budgetKey))
            } catch { throw EngineError(error) }
        }
        return statuses
    }
}

/// A stored run as `runs` shows it.
public enum RunSummary {
    /// `{"id", "job", "org", "status", "started_at", "finished_at", "read", "created", "updated", "deleted",
    /// "skipped": {reason: count}, "failed", "calls", "planned_calls"}`.
    public static func json(_ run: RunRecord, calls: Int) -> JSONValue {
        .object([
            ("id", .int(Int(run.id))), ("job", .string(run.job)), ("org", .string(run.org)), ("status", .string(run.status.rawValue)),
            ("started_at", RunControl.json(run.startedAt)), ("finished_at", RunControl.json(run.finishedAt)),
            ("read", .int(run.read)), ("created", .int(run.created)), ("updated", .int(run.updated)),
            ("deleted", .int(run.deleted)), ("skipped", (try? JSONValue.parse(Data(run.skipped.utf8))) ?? .object([])),
            ("failed", .int(run.failed)), ("calls", .int(calls)),
            ("planned_calls", run.plannedCalls.map(JSONValue.int) ?? .null),
        ])
    }

    /// The few facts that identify a run elsewhere (`sync status`, `imported`).
    public static func brief(_ run: RunRecord) -> JSONValue {
        .object([
            ("id", .int(Int(run.id))), ("status", .string(run.status.rawValue)),
            ("started_at", RunControl.json(run.startedAt)), ("finished_at", RunControl.json(run.finishedAt)),
        ])
    }
}
