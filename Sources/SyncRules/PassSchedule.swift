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

extension PassSchedule {
    /// The calls of an import's extra passes over `object` after an incremental pass that reads `since` of its
    /// `total` records: the Id listing reads every record (`reconcile`), the formula refresh those the pass does not
    /// (`refresh`), `pageSize` a page, one page at least.
    public static func extraCalls(object: String, total: Int, since: Int, pageSize: Int, reconcile: Bool,
                                  refresh: Bool) -> [Estimates.PlannedCall] {
        var calls: [Estimates.PlannedCall] = []
        if reconcile {
            calls += Array(repeating: Estimates.PlannedCall(object: object, kind: .reconcile, records: 0),
                           count: Estimates.pageCount(records: total, pageSize: pageSize))
        }
        if refresh {
            calls += Array(repeating: Estimates.PlannedCall(object: object, kind: .refresh, records: 0),
                           count: Estimates.pageCount(records: max(total - since, 0), pageSize: pageSize))
        }
        return calls
    }
}
