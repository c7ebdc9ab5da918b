import Foundation

/// Raised once by one task, awaited by others: a test waits for an event (a job's first
/// progress, a call seen) without polling.
public final class Signal: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    public var isRaised: Bool { lock.withLock { raised } }

    /// Raises the signal; later raises do nothing.
    public func raise() {
        let woken = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            guard !raised else { return [] }
            raised = true
            defer { waiters = [] }
            return waiters
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns once the signal is raised (at once if it is).
    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if raised { return true }
                waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}
