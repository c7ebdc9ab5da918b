import SyncEngine
import SalesforceModel
public import JSON
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

    static func csvField(_ raw: String) -> String {
        // Line breaks and tabs are CSV's to quote; other controls and invisible characters are shown escaped.
        var text = raw
        if raw.unicodeScalars.contains(where: { $0 != "\n" && $0 != "\r" && $0 != "\t" && TextSafety.mustEscape($0) }) {
            text = raw.unicodeScalars.map { scalar in
                scalar == "\n" || scalar == "\r" || scalar == "\t" ? String(scalar) : TerminalText.sanitize(String(scalar))
            }.joined()
        }
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
