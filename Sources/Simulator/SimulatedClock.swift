public import Foundation

/// The org's clock: a base clock plus an offset that tests move forward.
/// Rolling windows, session expiry, date literals and fault delays all read it;
/// nothing in the simulator reads the system time directly.
///
/// A running clock (`SimulatedClock()`, the default and sfsim's) follows the
/// system's time plus the offset. A standing one (`SimulatedClock.standing(at:)`,
/// `sfsim --clock-stands-still`) moves only when `advance(by:)` moves it, so a
/// test decides when a delay ends or a day has passed, whatever the machine's speed.
/// Sleepers on either wake when their deadline comes, by the passing of time or by
/// an advance, without polling.
public final class SimulatedClock: @unchecked Sendable {
    private let lock = NSLock()
    private let base: @Sendable () -> Date
    private let running: Bool
    private var offset: TimeInterval = 0
    /// Sleepers waiting for a deadline; each is resumed exactly once (by an advance,
    /// its timer or its task's cancellation), then removed.
    private var sleepers: [Int: Sleeper] = [:]
    /// Sleepers between reading the time and registering, and those of them already woken (cancelled).
    private var registering: Set<Int> = []
    private var wokenEarly: Set<Int> = []
    private var nextSleeper = 0
    /// Tasks waiting for someone to sleep on this clock (`waitForSleeper`).
    private var sleeperWatchers: [CheckedContinuation<Void, Never>] = []
    /// Counts advances, so a sleeper that read the time before an advance registers knowing it moved.
    private var generation = 0

    private struct Sleeper {
        var continuation: CheckedContinuation<Void, Never>
        var timer: Task<Void, Never>?
    }

    /// A clock that runs: `base` (the system's time unless a test passes its own) plus the offset.
    public init(base: @escaping @Sendable () -> Date = { Date() }) {
        self.base = base
        running = true
    }

    private init(standingAt start: Date) {
        base = { start }
        running = false
    }

    /// A clock that stands at `start` until `advance(by:)` moves it.
    public static func standing(at start: Date = Date()) -> SimulatedClock {
        SimulatedClock(standingAt: start)
    }

    /// Whether the clock moves only when it is advanced.
    public var standsStill: Bool { !running }

    public func now() -> Date {
        lock.withLock { base().addingTimeInterval(offset) }
    }

    /// Moves time forward (or back, with a negative interval) and wakes the sleepers, which look again.
    public func advance(by interval: TimeInterval) {
        let woken = lock.withLock { () -> [Sleeper] in
            offset += interval
            generation += 1
            defer { sleepers = [:] }
            return Array(sleepers.values)
        }
        for sleeper in woken {
            sleeper.timer?.cancel()
            sleeper.continuation.resume()
        }
    }

    /// Returns once `deadline` has come on this clock: at once if it has, when an advance reaches it,
    /// or (running) when the time has passed. Throws `CancellationError` when the task is cancelled.
    public func sleep(until deadline: Date) async throws {
        while true {
            try Task.checkCancellation()
            let (remaining, seen, id) = lock.withLock { () -> (TimeInterval, Int, Int) in
                nextSleeper += 1
                return (deadline.timeIntervalSince(base().addingTimeInterval(offset)), generation, nextSleeper)
            }
            if remaining <= 0 { return }
            lock.withLock { _ = registering.insert(id) }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let (resumeNow, watchers) = lock.withLock { () -> (Bool, [CheckedContinuation<Void, Never>]) in
                        registering.remove(id)
                        if generation != seen || wokenEarly.remove(id) != nil { return (true, []) }
                        sleepers[id] = Sleeper(continuation: continuation, timer: nil)
                        defer { sleeperWatchers = [] }
                        return (false, sleeperWatchers)
                    }
                    for watcher in watchers { watcher.resume() }
                    if resumeNow {
                        continuation.resume()
                    } else if running {
                        let timer = Task { [weak self] in
                            // Cancelled when an advance or the sleeper's cancellation wakes it first.
                            do { try await Task.sleep(nanoseconds: UInt64(min(remaining, 86_400 * 365) * 1_000_000_000) + 1_000_000) } catch { return }
                            self?.wake(id)
                        }
                        let kept = lock.withLock { () -> Bool in
                            guard sleepers[id] != nil else { return false }
                            sleepers[id]?.timer = timer
                            return true
                        }
                        if !kept { timer.cancel() }
                    }
                }
            } onCancel: {
                wake(id)
            }
        }
    }

    /// Sleeps `seconds` on this clock.
    public func sleep(seconds: TimeInterval) async throws {
        try await sleep(until: now().addingTimeInterval(seconds))
    }

    /// Returns once something sleeps on this clock (a held fault delay, a job's wait): a test
    /// moves a standing clock only after what it means to release has begun to wait.
    public func waitForSleeper() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if !sleepers.isEmpty { return true }
                sleeperWatchers.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Resumes one sleeper, or remembers it was woken before it registered; nothing for one already resumed.
    private func wake(_ id: Int) {
        let sleeper = lock.withLock { () -> Sleeper? in
            if let sleeper = sleepers.removeValue(forKey: id) { return sleeper }
            if registering.contains(id) { wokenEarly.insert(id) }
            return nil
        }
        sleeper?.timer?.cancel()
        sleeper?.continuation.resume()
    }
}
