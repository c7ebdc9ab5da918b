import Foundation

/// SQLite's busy handler for the home: another sfsh process holds the write
/// lock, so wait in short steps up to a bound, saying so once after two
/// seconds, instead of failing with "database is locked".
final class BusyWait: @unchecked Sendable {
    static let step: useconds_t = 20_000
    let timeout: TimeInterval
    private let lock = NSLock()
    private var notice: (@Sendable (String) -> Void)?

    init(timeout: TimeInterval) {
        self.timeout = timeout
    }

    func setNotice(_ notice: @escaping @Sendable (String) -> Void) {
        lock.withLock { self.notice = notice }
    }

    /// `tries`: how often SQLite has called for this statement so far.
    func shouldRetry(after tries: Int) -> Bool {
        let waited = Double(tries) * Double(Self.step) / 1_000_000
        guard waited < timeout else { return false }
        if tries == Int(2_000_000 / Self.step) {
            lock.withLock { notice }?("another sfsh process is writing to the home; waiting for it (at most \(Int(timeout)) s)")
        }
        usleep(Self.step)
        return true
    }
}
