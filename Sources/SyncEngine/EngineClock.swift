import SalesforceModel
public import Foundation

/// The engine's one source of time: "now" for stamps, windows and pauses, and
/// "sleep until" for waiting on them. Jobs, budgets, pauses and schedules read
/// it; the engine never reads the wall clock itself. The front end passes the
/// system's (`SystemClock` in the shell); tests pass one they move together
/// with sfsim's (`SimEngineClock` in TestSupport: it sleeps on sfsim's clock).
public protocol EngineClock: Sendable {
    func now() -> Date
    /// Returns once `deadline` has come on this clock (at once if it has);
    /// throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Date) async throws
}
