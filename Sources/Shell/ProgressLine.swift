import SalesforceModel
import Foundation
import SyncEngine

/// The progress line of a running job: rewritten in place on a terminal's
/// stderr, absent in scripts and with --json.
final class ProgressLine: @unchecked Sendable {
    let session: ShellSession
    let enabled: Bool
    private let lock = NSLock()
    private var shown = false

    init(session: ShellSession, enabled: Bool) {
        self.session = session
        self.enabled = enabled
    }

    /// The latest progress of each object, in the order they first reported (the import reads two at a time).
    private var objects: [SyncProgress] = []

    func show(_ progress: SyncProgress) {
        guard enabled else { return }
        lock.withLock {
            if let index = objects.firstIndex(where: { $0.object == progress.object }) {
                objects[index] = progress
            } else {
                objects.append(progress)
            }
            var text = Self.line(objects, calls: progress.calls)
            // One terminal line, or "\r" would not go back to its start.
            if let width = session.io.terminalWidth(), width > 1, text.count >= width { text = String(text.prefix(width - 2)) + "…" }
            session.io.stderr.write("\r\u{1B}[K" + text)
            shown = true
        }
    }

    /// `Lead: 200/250 · Contact: 4000/25000 records, 7 calls, 3100 rec/s, ETA 6s`.
    static func line(_ objects: [SyncProgress], calls: Int) -> String {
        var text = objects.map { progress in
            "\(progress.object): \(progress.done)" + (progress.total.map { "/\($0)" } ?? "")
        }.joined(separator: " · ")
        text += " records, \(calls) calls, \(Int(objects.reduce(0) { $0 + $1.rate }.rounded())) rec/s"
        let etas = objects.compactMap(\.eta)
        if !etas.isEmpty, etas.count == objects.count { text += ", ETA \(duration(etas.max() ?? 0))" }
        return text
    }

    func note(_ text: String) {
        lock.withLock {
            if shown { session.io.stderr.write("\r\u{1B}[K"); shown = false }
            session.io.stderr.write("note: " + TerminalText.sanitize(text) + "\n")
        }
    }

    func finish() {
        lock.withLock {
            if shown { session.io.stderr.write("\r\u{1B}[K"); shown = false }
        }
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total / 3600)h\(String(format: "%02d", total / 60 % 60))m"
    }
}
