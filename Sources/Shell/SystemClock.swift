import SalesforceModel
public import Foundation
public import SyncEngine

/// The system's wall clock: what the shell (and later the daemon) inject into
/// the engine, which never reads the time by itself.
public struct SystemClock: EngineClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSince(now())
        guard seconds > 0 else { return }
        try await Task.sleep(nanoseconds: UInt64(min(seconds, 1e9) * 1_000_000_000))
    }
}
