import SalesforceModel
public import Foundation
public import JSON
public import Store

/// How a job runs on its own (SPEC §6.5).
public enum ScheduleKind: String, Sendable, CaseIterable {
    /// The next run is due 24 h after the previous run finished (import, export).
    case keepUpdated = "keep-updated"
    /// Every hour after the previous start (import).
    case hourly
    /// Every 12 h after the previous start (contacts).
    case every12h = "every-12h"
    /// Right after each contacts run (writeback).
    case withContacts = "with-contacts"
    case off
}

extension JobKind {
    /// The setting that holds the job's schedule, per org: the one source of truth.
    public var scheduleKey: String { "schedule.\(rawValue)" }

    /// The schedules the job takes.
    public var scheduleChoices: [ScheduleKind] {
        switch self {
        case .import: [.keepUpdated, .hourly, .off]
        case .export: [.keepUpdated, .off]
        case .contacts: [.every12h, .off]
        case .writeback: [.withContacts, .off]
        }
    }
}

/// When a job is next due, from its schedule and its runs: a pure function of
/// its inputs, so the daemon and `schedule` agree and tests move time freely.
public enum Scheduler {
    /// The first retry after a failure; each further failure doubles it, up to the schedule's period.
    public static let firstBackoff: TimeInterval = 300

    public static func period(_ kind: ScheduleKind) -> TimeInterval? {
        switch kind {
        case .keepUpdated: 86_400
        case .hourly: 3_600
        case .every12h: 43_200
        case .withContacts, .off: nil
        }
    }

    /// When the job is due and why; nil when it is not scheduled (off, or a write-back
    /// waiting for a contacts run).
    /// - Parameters:
    ///   - runs: the job's runs, newest first (a run still `running` is skipped: its lease says who runs it).
    ///   - contactsRuns: for the write-back, the contacts job's runs, newest first.
    public static func nextDue(_ kind: ScheduleKind, runs: [RunRecord], pausedUntil: Date?, contactsRuns: [RunRecord] = [],
                               now: Date) -> (due: Date, why: String)? {
        if kind == .off { return nil }
        if let pausedUntil, pausedUntil > now { return (pausedUntil, "paused until then") }
        let ended = runs.filter { $0.status != .running }
        guard let last = ended.first else {
            if kind == .withContacts {
                guard let contacts = contactsRuns.first(where: { $0.status == .succeeded }), let finished = contacts.finishedAt else { return nil }
                return (finished, "after contacts run \(contacts.id)")
            }
            return (now, "never ran")
        }
        let lastEnd = last.finishedAt ?? last.startedAt
        switch last.status {
        case .interrupted:
            return (now, "resumes interrupted run \(last.id)")
        case .paused:
            return (pausedUntil ?? lastEnd.addingTimeInterval(RunControl.pause), "resumes paused run \(last.id)")
        case .failed:
            let failures = ended.prefix { $0.status == .failed }.count
            let cap = period(kind) ?? 43_200
            let backoff = min(firstBackoff * pow(2, Double(min(failures - 1, 30))), cap)
            return (lastEnd.addingTimeInterval(backoff), "retry \(failures) after run \(last.id) failed (backoff \(Int(backoff / 60)) min)")
        case .succeeded, .running:
            switch kind {
            case .keepUpdated: return (lastEnd.addingTimeInterval(86_400), "24 h after run \(last.id) finished")
            case .hourly: return (last.startedAt.addingTimeInterval(3_600), "1 h after run \(last.id) started")
            case .every12h: return (last.startedAt.addingTimeInterval(43_200), "12 h after run \(last.id) started")
            case .withContacts:
                guard let contacts = contactsRuns.first(where: { $0.status == .succeeded }), let finished = contacts.finishedAt,
                      finished > last.startedAt else { return nil }
                return (finished, "after contacts run \(contacts.id)")
            case .off: return nil
            }
        }
    }

    /// The schedule of every job of `org`, read from the store.
    public static func schedules(org: String, store: Store) throws(EngineError) -> [JobKind: ScheduleKind] {
        try SyncSettings.load(from: store, scope: org).schedules
    }
}

extension SyncSettings {
    /// The settings of SPEC §6.2 that are views of the schedules: `lytics.keep_updated`
    /// (import and export keep-updated) and `lytics.run_hourly` (the import hourly).
    public static let scheduleAliases = ["lytics.keep_updated", "lytics.run_hourly"]

    /// The schedule keys and values that setting an alias writes, given the schedules now.
    public static func scheduleWrites(alias key: String, value: String, current: [JobKind: ScheduleKind]) -> [(String, String)] {
        let on = value == "on"
        switch key {
        case "lytics.keep_updated":
            let importKind: ScheduleKind = current[.import] == .hourly ? .hourly : (on ? .keepUpdated : .off)
            return [(JobKind.import.scheduleKey, importKind.rawValue),
                    (JobKind.export.scheduleKey, (on ? ScheduleKind.keepUpdated : .off).rawValue)]
        case "lytics.run_hourly":
            let importKind: ScheduleKind = on ? .hourly : (current[.export] == .keepUpdated ? .keepUpdated : .off)
            return [(JobKind.import.scheduleKey, importKind.rawValue)]
        default:
            return []
        }
    }

    /// The value an alias shows, read from the schedules.
    public static func aliasValue(_ key: String, schedules: [JobKind: ScheduleKind]) -> String? {
        switch key {
        case "lytics.keep_updated": schedules[.export] == .keepUpdated || schedules[.import] == .keepUpdated ? "on" : "off"
        case "lytics.run_hourly": schedules[.import] == .hourly ? "on" : "off"
        default: nil
        }
    }
}

/// A job's status with its schedule and when it is next due (`schedule`, `sfsh daemon`).
public struct JobScheduleStatus: Sendable {
    public var status: JobStatus
    public var schedule: ScheduleKind
    public var next: (due: Date, why: String)?

    /// `sync status`'s object plus `"schedule"` and `"next_run_why"`.
    public var json: JSONValue {
        guard case let .object(fields) = status.json else { return status.json }
        return .object(fields + [("schedule", .string(schedule.rawValue)), ("next_run_why", next.map { .string($0.why) } ?? .null)])
    }

    /// Every job of `org`.
    public static func all(org: String, store: Store, clock: any EngineClock) throws(EngineError) -> [JobScheduleStatus] {
        let settings = try SyncSettings.load(from: store, scope: org)
        return try JobStatus.all(org: org, store: store, clock: clock, settings: settings).map { status throws(EngineError) in
            let schedule = settings.schedules[status.job] ?? .off
            let next: (due: Date, why: String)?
            do throws(StoreError) {
                let runs = try store.runs(org: org, job: status.job.rawValue, limit: 50)
                let contacts = status.job == .writeback ? try store.runs(org: org, job: JobKind.contacts.rawValue, limit: 5) : []
                next = Scheduler.nextDue(schedule, runs: runs, pausedUntil: status.pausedUntil, contactsRuns: contacts, now: clock.now())
            } catch { throw EngineError(error) }
            return JobScheduleStatus(status: status, schedule: schedule, next: next)
        }
    }
}
