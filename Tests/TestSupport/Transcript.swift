public import Testing
import Foundation

/// Whole-output assertions: the expected transcript is every line, in order; a `{…}` in an
/// expected line stands for any text within that line (a port, a time, a run id). A mismatch
/// is reported once, with the first differing line of each side and both transcripts whole.
public func expectTranscript(_ actual: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
    if let mismatch = transcriptMismatch(actual, expected) {
        Issue.record(Comment(rawValue: mismatch), sourceLocation: sourceLocation)
    }
}

/// nil when `actual` matches `expected` (see `expectTranscript`); otherwise what differs.
public func transcriptMismatch(_ actual: String, _ expected: String) -> String? {
    let got = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let want = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for index in 0..<max(got.count, want.count) {
        let line = index < got.count ? got[index] : nil
        let pattern = index < want.count ? want[index] : nil
        if let line, let pattern, lineMatches(line, pattern) { continue }
        return """
            transcript differs at line \(index + 1):
              expected: \(pattern.map { "\"\($0)\"" } ?? "(end of output)")
              actual:   \(line.map { "\"\($0)\"" } ?? "(end of output)")
            --- expected ---
            \(expected)
            --- actual ---
            \(actual)
            """
    }
    return nil
}

/// Whether `line` is `pattern` with each `{…}` standing for any text (possibly none).
func lineMatches(_ line: String, _ pattern: String) -> Bool {
    let parts = pattern.components(separatedBy: "{…}")
    guard parts.count > 1 else { return line == pattern }
    guard line.hasPrefix(parts[0]), line.hasSuffix(parts[parts.count - 1]),
          line.count >= parts[0].count + parts[parts.count - 1].count else { return false }
    var rest = line.dropFirst(parts[0].count).dropLast(parts[parts.count - 1].count)
    for part in parts.dropFirst().dropLast() where !part.isEmpty {
        guard let found = rest.range(of: part) else { return false }
        rest = rest[found.upperBound...]
    }
    return true
}
