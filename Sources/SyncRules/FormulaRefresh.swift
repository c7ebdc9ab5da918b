public import Foundation

/// When an import reads an object's formula fields again (`lytics.formula_refresh`): a formula's value changes
/// without its record's SystemModstamp (it reads another record, or the time), so an incremental pass never sees
/// the change. `off` never, `daily` when the last refresh is a day old (less a pass's overlap, so a daily run does
/// not slip a day), `every-run` on every run.
public enum FormulaRefresh: String, Sendable, CaseIterable {
    case off
    case daily
    case everyRun = "every-run"

    /// How much younger than a day the last refresh may be and a daily refresh still come due.
    public static let slack: TimeInterval = 600

    /// Whether a run at `now` refreshes, the last refresh having been at `last` (nil: never).
    public func isDue(last: Date?, now: Date) -> Bool {
        switch self {
        case .off: false
        case .everyRun: true
        case .daily: last.map { now.timeIntervalSince($0) >= 86_400 - Self.slack } ?? true
        }
    }
}
