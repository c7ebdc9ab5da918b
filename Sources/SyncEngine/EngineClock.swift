import SalesforceModel
public import Foundation

/// The engine's one source of time: "now" for stamps, windows and pauses, and
/// "sleep until" for waiting on them. Jobs, budgets, pauses and schedules read
/// it; the engine never reads the wall clock itself. The front end passes the
/// system's (`SystemClock` in the shell); tests pass one they move together
/// with sfsim's.
public protocol EngineClock: Sendable {
    func now() -> Date
    /// Returns once `deadline` has come on this clock (at once if it has);
    /// throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// A clock that reads another source of "now" (for example sfsim's simulated
/// clock in tests) and sleeps by polling it, so moving that source wakes sleepers.
public struct DerivedClock: EngineClock {
    let read: @Sendable () -> Date
    let poll: TimeInterval

    public init(poll: TimeInterval = 0.01, now read: @escaping @Sendable () -> Date) {
        self.read = read
        self.poll = poll
    }

    public func now() -> Date { read() }

    public func sleep(until deadline: Date) async throws {
        while read() < deadline {
            try await Task.sleep(nanoseconds: UInt64(poll * 1_000_000_000))
        }
    }
}
