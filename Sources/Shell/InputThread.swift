import SyncEngine
import SalesforceModel
import Foundation

/// One long-lived thread that does the blocking reads of input.
///
/// Blocking reads must stay off Swift's cooperative pool (two cores here: a
/// blocked pool thread starves an in-process server). The thread lives as long
/// as the process, so SIGINT can always be forwarded to it.
final class InputThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    init(onStart: @escaping @Sendable () -> Void = {}) {
        let thread = Thread { [self] in
            onStart()
            loop()
        }
        thread.name = "sfsh-input"
        thread.start()
    }

    /// Runs `body` on the input thread and waits for its result.
    func run<T: Sendable>(_ body: @escaping () -> T) async -> T {
        await withCheckedContinuation { continuation in
            enqueue { continuation.resume(returning: body()) }
        }
    }

    private func enqueue(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
