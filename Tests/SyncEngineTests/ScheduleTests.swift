import Foundation
import Store
import Testing
@testable import SyncEngine

/// SPEC §6.5 and issue 12 §1: when each schedule makes a job due, one row per rule.
struct ScheduleTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static func run(_ id: Int64, _ status: RunStatus, start: TimeInterval, end: TimeInterval?, job: JobKind = .import) -> RunRecord {
        RunRecord(id: id, org: "o", job: job.rawValue, status: status, startedAt: t0.addingTimeInterval(start),
                  finishedAt: end.map { t0.addingTimeInterval($0) })
    }

    struct Row: Sendable, CustomStringConvertible {
        var rule: String
        var kind: ScheduleKind
        var runs: [RunRecord]
        var paused: TimeInterval?
        var contacts: [RunRecord] = []
        var now: TimeInterval
        /// Seconds after t0, or nil when not due at all.
        var due: TimeInterval?
        var description: String { rule }
    }

    static let rows: [Row] = [
        Row(rule: "off: never due", kind: .off, runs: [], now: 0, due: nil),
        Row(rule: "never ran: due now", kind: .keepUpdated, runs: [], now: 50, due: 50),
        Row(rule: "keep-updated: 24 h after the previous run finished, not started", kind: .keepUpdated,
            runs: [run(1, .succeeded, start: 0, end: 1_800)], now: 100, due: 1_800 + 86_400),
        Row(rule: "hourly: 1 h after the previous start", kind: .hourly, runs: [run(1, .succeeded, start: 0, end: 1_800)], now: 100, due: 3_600),
        Row(rule: "every-12h: 12 h after the previous start", kind: .every12h,
            runs: [run(1, .succeeded, start: 0, end: 600, job: .contacts)], now: 100, due: 43_200),
        Row(rule: "paused: due when the pause ends", kind: .hourly, runs: [run(1, .paused, start: 0, end: 10)], paused: 86_410,
            now: 100, due: 86_410),
        Row(rule: "a pause that ended: due at its end (now past)", kind: .hourly, runs: [run(1, .paused, start: 0, end: 10)],
            paused: nil, now: 90_000, due: 86_410),
        Row(rule: "interrupted: resumed at once", kind: .keepUpdated, runs: [run(1, .interrupted, start: 0, end: 10)], now: 20, due: 20),
        Row(rule: "first failure: retried after 5 min", kind: .keepUpdated, runs: [run(1, .failed, start: 0, end: 10)], now: 20, due: 310),
        Row(rule: "third failure in a row: 20 min", kind: .keepUpdated,
            runs: [run(3, .failed, start: 100, end: 110), run(2, .failed, start: 50, end: 60), run(1, .failed, start: 0, end: 10),
                   run(0, .succeeded, start: -100, end: -90)], now: 200, due: 110 + 1_200),
        Row(rule: "backoff is capped at the schedule's period", kind: .hourly,
            runs: (1...9).reversed().map { run(Int64($0), .failed, start: Double($0) * 10, end: Double($0) * 10 + 1) }, now: 200, due: 91 + 3_600),
        Row(rule: "a running run is skipped: the one before decides", kind: .keepUpdated,
            runs: [run(2, .running, start: 100, end: nil), run(1, .succeeded, start: 0, end: 50)], now: 200, due: 50 + 86_400),
        Row(rule: "with-contacts: due when a contacts run finished after the last write-back", kind: .withContacts,
            runs: [run(1, .succeeded, start: 0, end: 5, job: .writeback)],
            contacts: [run(7, .succeeded, start: 100, end: 160, job: .contacts)], now: 200, due: 160),
        Row(rule: "with-contacts: not due again before the next contacts run", kind: .withContacts,
            runs: [run(2, .succeeded, start: 170, end: 175, job: .writeback)],
            contacts: [run(7, .succeeded, start: 100, end: 160, job: .contacts)], now: 200, due: nil),
        Row(rule: "with-contacts: never ran and no contacts run yet: not due", kind: .withContacts, runs: [], now: 200, due: nil),
    ]

    @Test(arguments: rows)
    func nextDue(row: Row) {
        let next = Scheduler.nextDue(row.kind, runs: row.runs, pausedUntil: row.paused.map { Self.t0.addingTimeInterval($0) },
                                     contactsRuns: row.contacts, now: Self.t0.addingTimeInterval(row.now))
        #expect(next.map { $0.due.timeIntervalSince(Self.t0) } == row.due, "\(next?.why ?? "not due")")
    }

    @Test func theLyticsSettingsAreViewsOfTheSchedules() {
        var current: [JobKind: ScheduleKind] = [.import: .off, .export: .off]
        let writes = SyncSettings.scheduleWrites(alias: "lytics.keep_updated", value: "on", current: current)
        #expect(writes.map(\.1) == ["keep-updated", "keep-updated"])
        current = [.import: .hourly, .export: .keepUpdated]
        #expect(SyncSettings.scheduleWrites(alias: "lytics.keep_updated", value: "off", current: current).map(\.1) == ["hourly", "off"])
        #expect(SyncSettings.scheduleWrites(alias: "lytics.run_hourly", value: "off", current: current).map(\.1) == ["keep-updated"])
        #expect(SyncSettings.aliasValue("lytics.run_hourly", schedules: current) == "on")
        #expect(SyncSettings.aliasValue("lytics.keep_updated", schedules: [.import: .off, .export: .off]) == "off")
    }
}
