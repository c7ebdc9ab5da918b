import SalesforceModel
public import Foundation
public import JSON
public import Store

/// What the daemon tells its log: one event per line.
public enum DaemonEvent: Sendable {
    case started(org: String, job: JobKind, why: String)
    case finished(org: String, job: JobKind, run: Int64, status: RunStatus, summary: String, calls: Int,
                  pausedUntil: Date?, message: String?)
    /// A job that could not start (paused, held by another process, a usage error in its settings).
    case refused(org: String, job: JobKind, reason: String)
    case note(org: String?, job: JobKind?, text: String)
    case sleeping(until: Date?)
    case stopping(reason: String)

    /// `{"event", "at", "org", "job", …}`.
    public func json(at date: Date) -> JSONValue {
        var fields: [(String, JSONValue)] = [("at", .string(RunControl.format(date)))]
        switch self {
        case let .started(org, job, why):
            fields = [("event", .string("started"))] + fields + [("org", .string(org)), ("job", .string(job.rawValue)), ("why", .string(why))]
        case let .finished(org, job, run, status, summary, calls, pausedUntil, message):
            fields = [("event", .string("finished"))] + fields + [
                ("org", .string(org)), ("job", .string(job.rawValue)), ("run", .int(Int(run))), ("status", .string(status.rawValue)),
                ("summary", .string(summary)), ("calls", .int(calls)), ("paused_until", RunControl.json(pausedUntil)),
                ("message", message.map(JSONValue.string) ?? .null),
            ]
        case let .refused(org, job, reason):
            fields = [("event", .string("refused"))] + fields + [("org", .string(org)), ("job", .string(job.rawValue)), ("reason", .string(reason))]
        case let .note(org, job, text):
            fields = [("event", .string("note"))] + fields + [("org", org.map(JSONValue.string) ?? .null),
                                                             ("job", job.map { .string($0.rawValue) } ?? .null), ("text", .string(text))]
        case let .sleeping(until):
            fields = [("event", .string("sleeping"))] + fields + [("until", RunControl.json(until))]
        case let .stopping(reason):
            fields = [("event", .string("stopping"))] + fields + [("reason", .string(reason))]
        }
        return .object(fields)
    }

    /// One line for a person.
    public func text(at date: Date) -> String {
        let stamp = RunControl.format(date)
        switch self {
        case let .started(org, job, why): return "\(stamp) \(org) \(job.rawValue): started (\(why))"
        case let .finished(org, job, run, status, summary, calls, pausedUntil, message):
            var line = "\(stamp) \(org) \(job.rawValue): run \(run) \(status.rawValue): \(summary); \(calls) call\(calls == 1 ? "" : "s")"
            if let pausedUntil { line += "; paused until \(RunControl.format(pausedUntil))" }
            if let message, status != .succeeded { line += " — \(message)" }
            return line
        case let .refused(org, job, reason): return "\(stamp) \(org) \(job.rawValue): not started: \(reason)"
        case let .note(org, job, text): return "\(stamp) \([org, job?.rawValue].compactMap { $0 }.joined(separator: " "))\(org == nil ? "" : ": ")\(text)"
        case let .sleeping(until): return "\(stamp) sleeping until \(until.map(RunControl.format) ?? "a schedule is set")"
        case let .stopping(reason): return "\(stamp) stopping: \(reason)"
        }
    }
}

/// `sfsh daemon`: runs every org's scheduled jobs when they are due (SPEC §6.5),
/// sleeping on the injected clock in between. An org's jobs run one after the
/// other (so their calls share the org's daily limit one at a time, in the order
/// import, export, contacts, writeback: a write-back "with contacts" follows the
/// contacts run of the same pass); different orgs run side by side. Every job
/// holds its lease as it does from the shell, so a shell's `sync import` and
/// the daemon never run one job twice. `stop()` (SIGINT/SIGTERM) starts no more
/// jobs and asks the running ones to stop at their next checkpoint.
public final class Daemon: @unchecked Sendable {
    let connector: OrgConnector
    let events: @Sendable (DaemonEvent) -> Void
    /// The longest sleep: orgs and schedules added meanwhile are seen at least this often.
    public static let longestSleep: TimeInterval = 300
    private let lock = NSLock()
    private var stopped = false
    private var sleeper: Task<Void, Never>?
    /// Jobs that could not start (paused, held elsewhere, misconfigured): not tried again before `until`.
    private var refusals: [String: (count: Int, until: Date)] = [:]

    static func key(_ org: String, _ job: JobKind) -> String { org + "\u{1F}" + job.rawValue }

    /// When a refused job may be tried again: 1 min, then doubling, at most 1 h.
    func refusedUntil(_ org: String, _ job: JobKind) -> Date? {
        lock.withLock { refusals[Self.key(org, job)]?.until }
    }

    func noteRefusal(_ org: String, _ job: JobKind) {
        let now = clock.now()
        lock.withLock {
            let count = (refusals[Self.key(org, job)]?.count ?? 0) + 1
            refusals[Self.key(org, job)] = (count, now.addingTimeInterval(min(60 * pow(2, Double(min(count - 1, 10))), 3_600)))
        }
    }

    func clearRefusal(_ org: String, _ job: JobKind) {
        _ = lock.withLock { refusals.removeValue(forKey: Self.key(org, job)) }
    }

    public init(connector: OrgConnector, events: @escaping @Sendable (DaemonEvent) -> Void) {
        self.connector = connector
        self.events = events
    }

    var store: Store { connector.store }
    var clock: any EngineClock { connector.clock }

    public var isStopped: Bool { lock.withLock { stopped } }

    /// Starts no more jobs, wakes the sleeper, and makes running jobs stop at their next checkpoint.
    public func stop() {
        let task = lock.withLock { () -> Task<Void, Never>? in
            stopped = true
            return sleeper
        }
        task?.cancel()
    }

    /// What one pass did for one job.
    public struct Outcome: Sendable {
        public var org: String
        public var job: JobKind
        public var run: Int64?
        public var status: RunStatus?
        /// Why it did not start, when it did not.
        public var refused: String?
    }

    /// Runs every job that is due now, once; returns what each did.
    public func runDue() async -> [Outcome] {
        let orgs = (try? store.orgs().map(\.alias)) ?? []
        return await withTaskGroup(of: [Outcome].self) { group in
            for org in orgs {
                group.addTask { await self.runDue(org: org) }
            }
            var all: [Outcome] = []
            for await outcomes in group { all += outcomes }
            return all
        }
    }

    func runDue(org alias: String) async -> [Outcome] {
        var outcomes: [Outcome] = []
        for job in JobKind.allCases {
            if isStopped { break }
            let statuses: [JobScheduleStatus]
            do { statuses = try JobScheduleStatus.all(org: alias, store: store, clock: clock) } catch {
                events(.note(org: alias, job: nil, text: "cannot read the schedules: \(error.message)"))
                return outcomes
            }
            guard let entry = statuses.first(where: { $0.status.job == job }), let next = entry.next,
                  next.due <= clock.now(), entry.status.state != "running" else { continue }
            if let until = refusedUntil(alias, job), until > clock.now() { continue }
            outcomes.append(await start(job, org: alias, why: next.why))
        }
        return outcomes
    }

    func start(_ job: JobKind, org alias: String, why: String) async -> Outcome {
        let org: OrgRecord
        let settings: SyncSettings
        do {
            org = try connector.org(named: alias)
            settings = try SyncSettings.load(from: store, scope: alias)
        } catch {
            noteRefusal(alias, job)
            events(.refused(org: alias, job: job, reason: error.message))
            return Outcome(org: alias, job: job, refused: error.message)
        }
        events(.started(org: alias, job: job, why: why))
        let relay: @Sendable (SyncEvent) -> Void = { [events] event in
            if case let .note(text) = event { events(.note(org: alias, job: job, text: text)) }
        }
        let stop: @Sendable () -> Bool = { [weak self] in self?.isStopped ?? true }
        do {
            let report = try await JobRunner.run(job.scheduledJob(JobEnvironment(connector: connector, org: org, settings: settings,
                                                                                 events: relay, shouldStop: stop)))
            clearRefusal(alias, job)
            events(.finished(org: alias, job: job, run: report.runID, status: report.status, summary: report.summary,
                             calls: report.calls, pausedUntil: report.pausedUntil, message: report.message))
            return Outcome(org: alias, job: job, run: report.runID, status: report.status)
        } catch {
            // Refused before a run began: paused, held by another process, nothing to export…
            noteRefusal(alias, job)
            events(.refused(org: alias, job: job, reason: error.message))
            return Outcome(org: alias, job: job, refused: error.message)
        }
    }

    /// When the next job of any org is due (nil: nothing is scheduled).
    public func nextDue() -> Date? {
        let orgs = (try? store.orgs().map(\.alias)) ?? []
        var earliest: Date?
        for org in orgs {
            guard let statuses = try? JobScheduleStatus.all(org: org, store: store, clock: clock) else { continue }
            for entry in statuses where entry.status.state != "running" {
                guard var due = entry.next?.due else { continue }
                if let until = refusedUntil(org, entry.status.job), until > due { due = until }
                if earliest.map({ due < $0 }) ?? true { earliest = due }
            }
        }
        return earliest
    }

    /// Runs due jobs, sleeps until the next is due (at most `longestSleep`), until stopped.
    public func run() async {
        while !isStopped {
            _ = await runDue()
            if isStopped { break }
            let now = clock.now()
            let next = nextDue()
            // Never a tight loop: a job due now that did not start waits a second at least.
            let wake = max(min(next ?? now.addingTimeInterval(Self.longestSleep), now.addingTimeInterval(Self.longestSleep)),
                           now.addingTimeInterval(1))
            events(.sleeping(until: next))
            let clock = self.clock
            let task = Task<Void, Never> { _ = try? await clock.sleep(until: wake) }
            let alreadyStopped = lock.withLock { () -> Bool in
                sleeper = task
                return stopped
            }
            if alreadyStopped { task.cancel() }
            await task.value
            lock.withLock { sleeper = nil }
        }
    }
}
