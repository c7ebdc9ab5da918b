public import Foundation

/// The org's clock: a base clock plus an offset that tests move forward.
/// Rolling windows, session expiry and date literals all read it; nothing in
/// the simulator reads the system time directly.
public final class SimulatedClock: @unchecked Sendable {
    private let lock = NSLock()
    private let base: @Sendable () -> Date
    private var offset: TimeInterval = 0

    public init(base: @escaping @Sendable () -> Date = { Date() }) {
        self.base = base
    }

    public func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return base().addingTimeInterval(offset)
    }

    /// Moves time forward (or back, with a negative interval).
    public func advance(by interval: TimeInterval) {
        lock.lock()
        offset += interval
        lock.unlock()
    }
}
