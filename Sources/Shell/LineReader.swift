import SyncEngine
import SalesforceModel
import Foundation

/// What reading a line produced.
public enum LineInput: Sendable, Equatable {
    case line(String)
    /// Ctrl-C: the line being typed was dropped.
    case interrupted
    /// End of input (Ctrl-D on an empty line, end of file).
    case end
}

/// A source of command lines: the terminal, a file, stdin, or `-c` text.
/// The shell core reads only through this, so it has no terminal dependency.
public protocol LineReader: AnyObject {
    /// Whether a person is typing (prompts, history, no stop at errors).
    var isInteractive: Bool { get }
    /// Reads one physical line (without its newline).
    func readLine(prompt: String) -> LineInput
    /// Reads a secret with echo off; it never enters history. Nil when the
    /// source cannot ask (no terminal) or the user cancelled.
    func readSecret(prompt: String) -> String?
    /// Records an entered line in the history (interactive readers only).
    func remember(_ line: String)
}

/// Lines from a string (`-c`) or a script file.
public final class TextLineReader: LineReader {
    private var lines: [Substring]
    private var next = 0

    public init(text: String) {
        lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        if text.hasSuffix("\n") || text.hasSuffix("\r\n") { lines.removeLast() }
    }

    public var isInteractive: Bool { false }

    public func readLine(prompt: String) -> LineInput {
        guard next < lines.count else { return .end }
        defer { next += 1 }
        var line = String(lines[next])
        if line.hasSuffix("\r") { line.removeLast() }
        return .line(line)
    }

    public func readSecret(prompt: String) -> String? { nil }
    public func remember(_ line: String) {}
}

/// Lines from a file descriptor that is not a terminal (stdin in a pipe).
/// Bytes that are not UTF-8 become U+FFFD; lines of any length are read whole.
public final class DescriptorLineReader: LineReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    public init(fd: Int32) { self.fd = fd }

    public var isInteractive: Bool { false }

    public func readLine(prompt: String) -> LineInput {
        guard let bytes = nextLine() else { return .end }
        return .line(String(decoding: bytes, as: UTF8.self))
    }

    /// In a pipe, a secret is simply the next line (scripts can feed it).
    public func readSecret(prompt: String) -> String? {
        nextLine().map { String(decoding: $0, as: UTF8.self) }
    }

    public func remember(_ line: String) {}

    private func nextLine() -> ArraySlice<UInt8>? {
        // Drop consumed bytes now and then, before any index is taken.
        if start >= 65_536 && start > buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        var scanFrom = start
        while true {
            if let newline = buffer[scanFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = buffer[start..<newline]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                start = newline + 1
                return line
            }
            scanFrom = buffer.count
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                return line
            }
            fill()
        }
    }

    private func fill() {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return
            }
            if count < 0 && errno == EINTR { continue }
            atEnd = true
            return
        }
    }
}

/// The persistent history: one entry a line, backslash and line breaks
/// escaped, written after every command and trimmed to `limit` entries.
public final class HistoryFile: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()

    public init(path: String) { self.path = path }

    /// The saved entries, oldest first.
    public func load() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return String(decoding: data, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: true)
            .map { Self.decode(String($0)) }
    }

    /// Appends one entry, then trims the file when it grew past `limit`.
    public func append(_ entry: String, limit: Int) {
        guard limit > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        let line = Self.encode(entry) + "\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue } else { break } }
            bytes = bytes.dropFirst(n)
        }
        close(fd)
        trim(limit: limit)
    }

    /// Keeps the newest `limit` entries; rewrites the file atomically.
    private func trim(limit: Int) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        guard lines.count > limit + limit / 10 else { return }
        let kept = lines.suffix(limit).map { Data($0) + Data([UInt8(ascii: "\n")]) }.reduce(Data(), +)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: kept,
                                             attributes: [.posixPermissions: 0o600]) else { return }
        rename(temporary, path)
    }

    static func encode(_ entry: String) -> String {
        var out = ""
        for scalar in entry.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func decode(_ line: String) -> String {
        var out = String.UnicodeScalarView()
        var escaped = false
        for scalar in line.unicodeScalars {
            if escaped {
                switch scalar {
                case "n": out.append("\n")
                case "r": out.append("\r")
                default: out.append(scalar)
                }
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}
