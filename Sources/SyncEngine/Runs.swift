import SalesforceModel
public import Foundation
public import JSON
import Salesforce
public import Store

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

/// The lease a running job holds (see `RunControl`).
public struct LeaseHandle: Sendable {
    public let org: String
    public let job: JobKind
    let token: String
}

/// Start and end of a run, and the rules every job shares: a paused job is not
/// run before its time (unless forced), a job runs once at a time per org (it
/// holds a lease row, renewed while it runs, taken over when its holder's
/// process is gone or it ran out), and a run whose process died is marked
/// interrupted before another starts.
public struct RunControl: Sendable {
    public let store: Store
    public let clock: any EngineClock
    /// How long a job pauses at its budget or the org's limit (SPEC §6.4).
    public static let pause: TimeInterval = 86_400
    /// How long a lease lasts without renewal: longer than any one page can take
    /// (a request times out after 120 s and is tried at most 4 times).
    public static let leaseDuration: TimeInterval = 900

    public init(store: Store, clock: any EngineClock) {
        self.store = store
        self.clock = clock
    }

    /// Refuses to start when the job is paused (exit 4, unless `force`) or its
    /// lease is held by a live process (exit 1, saying who and since when).
    /// Otherwise takes the lease and marks the runs its earlier holders left
    /// `running` as interrupted. Returns the newest earlier run and the lease.
    public func admit(org: String, job: JobKind, force: Bool) throws(EngineError) -> (previous: RunRecord?, lease: LeaseHandle) {
        let state: JobState
        do { state = try store.jobState(org: org, job: job.rawValue) } catch { throw EngineError(error) }
        let now = clock.now()
        if let until = state.pausedUntil, until > now, !force {
            throw EngineError(.limit, "the \(job.rawValue) of \(org) is paused until \(Self.format(until)): \(state.pauseReason ?? "budget reached")",
                              hint: "it resumes from its checkpoint then; add --force to run it now anyway")
        }
        let grant: LeaseGrant
        do { grant = try store.acquireLease(org: org, job: job.rawValue, now: now, duration: Self.leaseDuration) } catch {
            throw EngineError(error)
        }
        guard case let .granted(token, takenOver) = grant else {
            if case let .held(holder) = grant {
                throw EngineError(.failure,
                                  "the \(job.rawValue) of \(org) is already running: process \(holder.pid) on \(holder.host) holds it since \(Self.format(holder.acquiredAt))"
                                      + (holder.runID.map { " (run \($0))" } ?? ""),
                                  hint: "wait for it to finish ('sync status' shows it); a holder that dies is taken over at once on this host, elsewhere when its lease runs out at \(Self.format(holder.expiresAt))")
            }
            throw EngineError(.failure, "the lease of the \(job.rawValue) could not be taken")
        }
        let lease = LeaseHandle(org: org, job: job, token: token)
        do {
            let previous = try store.runs(org: org, job: job.rawValue, limit: 50)
            // Holding the lease, any run still marked running belongs to a process that is gone.
            try store.transaction { tx in
                for run in previous where run.status == .running {
                    try tx.finishRun(run.id, status: .interrupted, at: now,
                                     message: "its process (\(run.pid.map(String.init) ?? "?") on \(run.host ?? "?")) ended before it finished"
                                         + (takenOver == nil ? "" : "; its lease was taken over"))
                }
            }
            return (previous.first, lease)
        } catch {
            release(lease)
            throw Self.storeFailure(error)
        }
    }

    /// Extends the lease while the job runs; fails when another process has taken it over.
    public func renew(_ lease: LeaseHandle, run: Int64?) throws(EngineError) {
        let renewed: Bool
        do {
            renewed = try store.renewLease(org: lease.org, job: lease.job.rawValue, token: lease.token, now: clock.now(),
                                           duration: Self.leaseDuration, run: run)
        } catch { throw EngineError(error) }
        guard renewed else {
            throw EngineError(.failure, "the \(lease.job.rawValue) of \(lease.org) lost its lease to another process; stopping here",
                              hint: "the other process goes on from the last page stored")
        }
    }

    /// Gives the lease up. A failure here only leaves the lease to run out (or to be seen dead with this process).
    public func release(_ lease: LeaseHandle) {
        try? store.releaseLease(org: lease.org, job: lease.job.rawValue, token: lease.token)
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

    /// The status of every job of one org.
    public static func all(org: String, store: Store, clock: any EngineClock, settings: SyncSettings,
                           jobs: [JobKind] = JobKind.allCases) throws(EngineError) -> [JobStatus] {
        let now = clock.now()
        var statuses: [JobStatus] = []
        for job in jobs {
            do {
                let state = try store.jobState(org: org, job: job.rawValue)
                let last = try store.runs(org: org, job: job.rawValue, limit: 1).first
                let calls = try store.ledgerCount(since: now.addingTimeInterval(-BudgetGate.window), org: org,
                                                source: job.ledgerSource, countedOnly: true)
                let paused = state.pausedUntil.flatMap { $0 > now ? $0 : nil }
                let running = try store.lease(org: org, job: job.rawValue).map { !$0.isStale(now: now) } ?? false
                // The next run: when the pause ends, else when the job's schedule makes it due.
                let schedule = settings.schedules[job] ?? .off
                let contacts = job == .writeback ? try store.runs(org: org, job: JobKind.contacts.rawValue, limit: 5) : []
                let history = schedule == .off ? [] : try store.runs(org: org, job: job.rawValue, limit: 50)
                let due = Scheduler.nextDue(schedule, runs: history, pausedUntil: paused, contactsRuns: contacts, now: now)?.due
                statuses.append(JobStatus(
                    job: job, org: org, state: running ? "running" : paused != nil ? "paused" : "idle",
                    pausedUntil: paused, pauseReason: paused == nil ? nil : state.pauseReason, nextRunAt: paused ?? due,
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
