public import Foundation

/// When an import runs one of its extra passes over an object: the formula refresh (`lytics.formula_refresh`:
/// `off|daily|every-run`, default daily) — a formula's value changes without its record's SystemModstamp — and the
/// delete reconciliation (`lytics.reconcile_deletes`: `off|weekly|every-run`, default weekly) — a record purged from
/// the Recycle Bin never comes back as deleted. `daily` and `weekly` come due when the last pass is that old, less
/// ten minutes so a run on the same schedule does not slip a period; never run is due.
public enum PassSchedule: String, Sendable, CaseIterable {
    case off
    case daily
    case weekly
    case everyRun = "every-run"

    /// How much younger than its period the last pass may be and the next still come due.
    public static let slack: TimeInterval = 600

    /// The choices of the formula refresh and of the delete reconciliation.
    public static let formulaChoices: [PassSchedule] = [.off, .daily, .everyRun]
    public static let reconcileChoices: [PassSchedule] = [.off, .weekly, .everyRun]

    /// Whether a run at `now` makes the pass, the last one having been at `last` (nil: never).
    public func isDue(last: Date?, now: Date) -> Bool {
        let period: TimeInterval
        switch self {
        case .off: return false
        case .everyRun: return true
        case .daily: period = 86_400
        case .weekly: period = 7 * 86_400
        }
        return last.map { now.timeIntervalSince($0) >= period - Self.slack } ?? true
    }
}

/// How a due delete reconciliation finds what it needs: by listing every Id, or by first asking getDeleted whether
/// anything was purged since the last reconciliation (`checked`), listing only when something was.
public enum ReconcilePlan: Equatable, Sendable {
    case list
    case checked(purged: Bool)
}

extension PassSchedule {
    /// How far back a getDeleted window may start: Salesforce answers 15 days, less an hour so a window planned now
    /// still starts inside them when the run asks.
    public static let deletedWindow: TimeInterval = 15 * 86_400 - 3_600

    /// The getDeleted window that tells whether a record of the object was purged since the last reconciliation at
    /// `last` (its answer's `earliestDateAvailable` is the last purge): from the minute before `last` to `now`. Nil when
    /// the Ids must be listed instead: never reconciled, too long ago, or the listing is one call anyway.
    public static func purgeCheckWindow(last: Date?, now: Date, listingCalls: Int) -> (start: Date, end: Date)? {
        guard let last, listingCalls > 1, last <= now, now.timeIntervalSince(last) <= deletedWindow else { return nil }
        let start = Date(timeIntervalSince1970: (last.timeIntervalSince1970 / 60).rounded(.down) * 60 - 60)
        return (start, now)
    }

    /// Whether getDeleted's `earliestDateAvailable` says a record was purged after the window's start (nil: never).
    public static func purged(since start: Date, earliestDateAvailable: Date?) -> Bool {
        earliestDateAvailable.map { $0 > start } ?? false
    }

    /// The calls of reading `records` records of a pass (`Id` and some fields): REST pages, a Bulk API 2.0 job, or
    /// (`auto`) a first page and then whichever costs fewer calls for the rest — the import's own rule.
    public static func readCalls(records: Int, pageSize: Int, method: Estimates.ReadMethod,
                                 bulk: Estimates.BulkShape = .standard) -> Int {
        Estimates.recordSegments(object: "", records: records, pageSize: pageSize, method: method, bulk: bulk)
            .reduce(0) { $0 + $1.calls }
    }

    /// The calls of an import's extra passes over `object` after an incremental pass that reads `since` of its
    /// `total` records: the reconciliation lists every Id (or checks for purges first, see `ReconcilePlan`), the
    /// formula refresh reads the records the pass does not, each by `readCalls`.
    public static func extraCalls(object: String, total: Int, since: Int, pageSize: Int,
                                  method: Estimates.ReadMethod = .rest, bulk: Estimates.BulkShape = .standard,
                                  reconcile: ReconcilePlan?, refresh: Bool) -> [Estimates.PlannedCall] {
        var count = (reconcile: 0, refresh: 0)
        let listing = readCalls(records: total, pageSize: pageSize, method: method, bulk: bulk)
        switch reconcile {
        case nil: break
        case .list: count.reconcile = listing
        case .checked(purged: false): count.reconcile = 1
        case .checked(purged: true): count.reconcile = 1 + listing
        }
        if refresh { count.refresh = readCalls(records: max(total - since, 0), pageSize: pageSize, method: method, bulk: bulk) }
        return Array(repeating: Estimates.PlannedCall(object: object, kind: .reconcile, records: 0), count: count.reconcile)
            + Array(repeating: Estimates.PlannedCall(object: object, kind: .refresh, records: 0), count: count.refresh)
    }
}

/// What the extra passes cost an import once its first (full) pass is done, for `estimate import`: per object the
/// calls of one delete reconciliation's Id listing and of one formula refresh (an upper bound: every record read,
/// as if the object had formula fields and no record changed), and the calls of a week at the schedules.
public struct PassUpkeep: Equatable, Sendable {
    public struct Object: Equatable, Sendable {
        public let object: String
        public let reconcile: Int
        public let refresh: Int
    }

    public let objects: [Object]
    public let formulaRefresh: PassSchedule
    public let reconcileDeletes: PassSchedule

    public var reconcile: Int { objects.reduce(0) { $0 + $1.reconcile } }
    public var refresh: Int { objects.reduce(0) { $0 + $1.refresh } }

    /// A week of passes: a daily refresh 7 times, a weekly reconciliation once — its getDeleted call and, as if a
    /// record were purged every week, the listing after it (1 call alone when nothing was). Nil when a pass runs
    /// every run: then the week's cost is the run's times the runs a week.
    public var callsPerWeek: Int? {
        guard formulaRefresh != .everyRun, reconcileDeletes != .everyRun else { return nil }
        let refreshes = formulaRefresh == .daily ? 7 * refresh : 0
        let reconciles = reconcileDeletes == .weekly ? objects.reduce(0) { $0 + ($1.reconcile > 1 ? 1 + $1.reconcile : 1) } : 0
        return refreshes + reconciles
    }

    public init(counts: [(object: String, records: Int)], pageSize: Int, method: Estimates.ReadMethod = .auto,
                bulk: Estimates.BulkShape = .standard, formulaRefresh: PassSchedule, reconcileDeletes: PassSchedule) {
        objects = counts.map { entry in
            let calls = PassSchedule.readCalls(records: entry.records, pageSize: pageSize, method: method, bulk: bulk)
            return Object(object: entry.object, reconcile: reconcileDeletes == .off ? 0 : calls,
                          refresh: formulaRefresh == .off ? 0 : calls)
        }
        self.formulaRefresh = formulaRefresh
        self.reconcileDeletes = reconcileDeletes
    }
}
