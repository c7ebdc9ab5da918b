import JSON
import Foundation

/// How a command's data is printed.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, json, csv
}

/// Where text goes. The terminal, a pipe and a test buffer all implement it.
public protocol TextSink: AnyObject, Sendable {
    func write(_ text: String)
}

/// A sink over a file descriptor (stdout, stderr).
public final class FileDescriptorSink: TextSink {
    private let fd: Int32
    private let lock = NSLock()

    public init(fd: Int32) { self.fd = fd }

    public func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return  // a closed pipe: nothing more can be said
            }
            bytes = bytes.dropFirst(written)
        }
    }
}

/// A sink that keeps what was written, for tests and transcripts.
public final class BufferSink: TextSink, @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = ""

    public init() {}

    public func write(_ text: String) {
        lock.lock()
        buffer += text
        lock.unlock()
    }

    public var text: String {
        lock.lock()
        defer { lock.unlock() }
        return buffer
    }
}

/// Tabular data: named columns and rows of JSON cells, printable as an aligned
/// table, CSV, or a JSON array of objects.
public struct Table: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[JSONValue]]
    /// Columns cut only when cutting the others is not enough (names, types).
    public var keep: Set<Int> = []

    public init(columns: [String], rows: [[JSONValue]] = [], keep: Set<Int> = []) {
        self.columns = columns
        self.rows = rows
        self.keep = keep
    }

    /// A JSON array of objects keyed by column name.
    public var json: JSONValue {
        .array(rows.map { row in .object(Array(zip(columns, row))) })
    }

    /// RFC 4180 CSV with a header line; CRLF-free (lines end in `\n`).
    public func csv() -> String {
        var out = columns.map(Self.csvField).joined(separator: ",") + "\n"
        for row in rows {
            out += row.map { Self.csvField($0.cellText) }.joined(separator: ",") + "\n"
        }
        return out
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            || text.hasPrefix(" ") || text.hasSuffix(" ")
        else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// An aligned table. With `width`, the widest columns are cut (ending in
    /// `…`) until each line fits; columns never shrink below a few characters.
    public func rendered(width: Int?) -> String {
        let header = columns.map(TerminalText.sanitize)
        let cells = rows.map { $0.map { TerminalText.sanitize($0.cellText) } }
        var widths = header.map(TerminalText.width)
        for row in cells {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], TerminalText.width(cell))
            }
        }
        if let width { widths = Self.fit(widths, into: width, keep: keep) }
        var out = ""
        func line(_ values: [String]) {
            var text = ""
            for (index, value) in values.enumerated() where index < widths.count {
                let cut = TerminalText.truncate(value, to: widths[index])
                text += cut
                if index < widths.count - 1 {
                    text += String(repeating: " ", count: widths[index] - TerminalText.width(cut) + 2)
                }
            }
            out += text.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        line(header)
        line(widths.map { String(repeating: "-", count: $0) })
        for row in cells { line(row) }
        return out
    }

    /// Shrinks the widest column step by step until the line fits `total`:
    /// first among the columns not kept, then among all.
    static func fit(_ natural: [Int], into total: Int, keep: Set<Int> = []) -> [Int] {
        var widths = natural
        let gaps = max(0, widths.count - 1) * 2
        let floor = 6
        for candidates in [widths.indices.filter { !keep.contains($0) }, Array(widths.indices)] {
            while widths.reduce(0, +) + gaps > total {
                guard let widest = candidates.max(by: { widths[$0] < widths[$1] }), widths[widest] > floor
                else { break }
                let excess = widths.reduce(0, +) + gaps - total
                let second = candidates.filter { $0 != widest }.map { widths[$0] }.max() ?? 0
                widths[widest] -= max(1, min(excess, widths[widest] - max(second, floor)))
            }
        }
        return widths
    }
}

/// Width and cleaning of text for a terminal.
public enum TerminalText {
    /// Replaces control characters with visible escapes so one cell is one line.
    public static func sanitize(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case _ where isControl(scalar):
                out.append(contentsOf: String(format: "\\x%02X", scalar.value).unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Columns a string takes in a terminal: wide East Asian characters and
    /// emoji take two, combining marks none.
    public static func width(_ text: String) -> Int {
        text.reduce(0) { $0 + width(of: $1) }
    }

    static func width(of character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        let v = first.value
        if character.unicodeScalars.count == 1 && first.properties.generalCategory == .nonspacingMark { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v)
        {
            return 2
        }
        return 1
    }

    /// Cuts `text` to at most `limit` columns, ending in `…` when cut.
    public static func truncate(_ text: String, to limit: Int) -> String {
        guard width(text) > limit else { return text }
        guard limit > 0 else { return "" }
        var out = ""
        var used = 0
        for character in text {
            let w = width(of: character)
            if used + w > limit - 1 { break }
            out.append(character)
            used += w
        }
        return out + "…"
    }
}
