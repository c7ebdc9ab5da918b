import Foundation

/// Seeded mutations of bytes, for fuzz tests: the same seed gives the same
/// inputs on every machine, so a failure found in CI can be replayed.
public struct Mutator: Sendable {
    public var random: SeededRandom

    public init(seed: UInt64) { random = SeededRandom(seed: seed) }

    /// Bytes that break parsers: quotes, brackets, escapes, separators, controls, UTF-8 leads.
    static let interesting: [UInt8] = Array("\"'\\{}[](),:;#=<>!-.0123456789eE \t\n\r".utf8) + [0, 1, 0x1B, 0x7F, 0xC3, 0xE2, 0xF0, 0xFF]

    /// `seed` with one to `maxEdits` random edits: deletions, insertions, repeats, swaps, truncations.
    public mutating func mutate(_ seed: [UInt8], maxEdits: Int = 4) -> [UInt8] {
        var bytes = seed
        for _ in 0..<random.int(1...max(1, maxEdits)) {
            let position = bytes.isEmpty ? 0 : random.int(0...bytes.count - 1)
            switch random.int(0...5) {
            case 0 where !bytes.isEmpty:
                bytes.removeSubrange(position..<min(bytes.count, position + random.int(1...8)))
            case 1:
                bytes.insert(random.pick(Self.interesting), at: min(position, bytes.count))
            case 2 where !bytes.isEmpty:
                let end = min(bytes.count, position + random.int(1...16))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            case 3 where bytes.count > 1:
                bytes.swapAt(position, random.int(0...bytes.count - 1))
            case 4 where !bytes.isEmpty:
                bytes.removeSubrange(position...)
            default:
                bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: min(position, bytes.count))
            }
        }
        return bytes
    }

    /// A line of `count` words picked from `vocabulary`, joined with spaces.
    public mutating func sentence(_ vocabulary: [String], count: ClosedRange<Int>) -> String {
        (0..<random.int(count)).map { _ in random.pick(vocabulary) }.joined(separator: " ")
    }
}
