public import Foundation
public import JSON

/// A query page read without building its records as values: `totalSize`,
/// `done`, `nextRecordsUrl`, and each record's own JSON bytes (without its
/// `attributes`). For consumers that store records as they came (the import),
/// this skips parsing every field and writing it back, which was most of the
/// import's CPU.
public struct RawQueryPage: Sendable {
    public var totalSize: Int
    public var done: Bool
    public var nextRecordsUrl: String?
    public var records: [RawRecord]

    /// Reads a page; anything that is not a query page's JSON is a protocol error.
    public static func parse(_ data: Data) throws(SalesforceError) -> RawQueryPage {
        let bytes = [UInt8](data)
        // JSON text is UTF-8: one pass refuses what the full parser refuses, before anything is kept.
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw SalesforceError(kind: .protocolViolation, message: "the answer is not UTF-8 text")
        }
        var scanner = RawJSONScanner(bytes: bytes)
        do {
            var page = RawQueryPage(totalSize: 0, done: true, nextRecordsUrl: nil, records: [])
            var sawRecords = false
            var sawTotal = false
            var sawDone = false
            try scanner.object { key, valueStart, valueEnd in
                switch key {
                case "totalSize":
                    guard let total = Int(String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self)) else {
                        throw RawJSONScanner.Malformed()
                    }
                    page.totalSize = total
                    sawTotal = true
                case "done":
                    let word = String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self)
                    guard word == "true" || word == "false" else { throw RawJSONScanner.Malformed() }
                    page.done = word == "true"
                    sawDone = true
                case "nextRecordsUrl":
                    page.nextRecordsUrl = try RawJSONScanner.string(bytes, valueStart, valueEnd)
                case "records":
                    sawRecords = true
                    var inner = RawJSONScanner(bytes: bytes, position: valueStart)
                    try inner.array { start, end in
                        page.records.append(try RawRecord(bytes: bytes, start: start, end: end))
                    }
                default:
                    break
                }
            }
            try scanner.expectEnd()
            guard sawRecords, sawTotal, sawDone else { throw RawJSONScanner.Malformed() }
            if page.done { page.nextRecordsUrl = nil }
            return page
        } catch {
            throw SalesforceError(kind: .protocolViolation, message: "the answer is not a query page")
        }
    }
}

/// One record as Salesforce sent it, `attributes` and null members left out (an absent field reads as null, as
/// SQLite's `json_extract` and SOQL read it): 41 of a Contact's 72 fields are null on average, and writing each
/// `"Name":null` was half the bytes the import stored (issue 25).
public struct RawRecord: Sendable {
    /// The record's JSON object, without its `attributes` member and its null members.
    public let json: Data
    /// Top-level string fields, decoded on demand: name → raw value bytes.
    private let strings: [String: String]

    init(bytes: [UInt8], start: Int, end: Int) throws {
        guard bytes[start] == UInt8(ascii: "{") else { throw RawJSONScanner.Malformed() }
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(end - start)
        var strings: [String: String] = [:]
        var scanner = RawJSONScanner(bytes: bytes, position: start)
        var keyStart = 0
        try scanner.object(keyStart: { keyStart = $0 }) { key, valueStart, valueEnd in
            guard key != "attributes" else { return }
            if valueEnd - valueStart == 4, bytes[valueStart] == UInt8(ascii: "n") { return }  // null (the scanner checked the word)
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: bytes[keyStart..<valueEnd])
            if bytes[valueStart] == UInt8(ascii: "\"") {
                strings[key] = try RawJSONScanner.string(bytes, valueStart, valueEnd)
            }
        }
        out.append(UInt8(ascii: "}"))
        json = Data(out)
        self.strings = strings
    }

    /// A top-level string field (nil when absent, null, or not a string).
    public func string(_ key: String) -> String? { strings[key] }

    /// The record as a value (for callers that need its fields).
    public var value: JSONValue { (try? JSONValue.parse(json)) ?? .object([]) }
}

/// A strict, bounds-checked scanner over JSON bytes that finds where values
/// start and end without building them.
struct RawJSONScanner {
    struct Malformed: Error {}

    let bytes: [UInt8]
    var position: Int
    /// Nesting deeper than this is refused (as malformed), so no input can exhaust memory or time.
    static let deepest = 512

    init(bytes: [UInt8], position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    mutating func skipBlanks() {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09 {
            position += 1
        }
    }

    mutating func expect(_ byte: UInt8) throws {
        skipBlanks()
        guard position < bytes.count, bytes[position] == byte else { throw Malformed() }
        position += 1
    }

    mutating func expectEnd() throws {
        skipBlanks()
        guard position == bytes.count else { throw Malformed() }
    }

    /// The members of the object at the position: each key (decoded) with its value's byte range.
    mutating func object(depth: Int = 0, keyStart: (Int) -> Void = { _ in },
                         _ member: (_ key: String, _ valueStart: Int, _ valueEnd: Int) throws -> Void) throws {
        guard depth < Self.deepest else { throw Malformed() }
        try expect(UInt8(ascii: "{"))
        skipBlanks()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return }
        while true {
            skipBlanks()
            keyStart(position)
            let keyBegin = position
            try skipString()
            let key = try Self.string(bytes, keyBegin, position)
            try expect(UInt8(ascii: ":"))
            skipBlanks()
            let valueStart = position
            try skipValue(depth: depth + 1)
            try member(key, valueStart, position)
            skipBlanks()
            guard position < bytes.count else { throw Malformed() }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return }
            throw Malformed()
        }
    }

    /// The elements of the array at the position, as byte ranges.
    mutating func array(_ element: (_ start: Int, _ end: Int) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        skipBlanks()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return }
        while true {
            skipBlanks()
            let start = position
            try skipValue()
            try element(start, position)
            skipBlanks()
            guard position < bytes.count else { throw Malformed() }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return }
            throw Malformed()
        }
    }

    /// Moves past one value of any kind, checking its shape.
    mutating func skipValue(depth: Int = 0) throws {
        guard depth < Self.deepest else { throw Malformed() }
        skipBlanks()
        guard position < bytes.count else { throw Malformed() }
        switch bytes[position] {
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "{"): try object(depth: depth + 1) { _, _, _ in }  // object() skips the members
        case UInt8(ascii: "["):
            position += 1
            skipBlanks()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                skipBlanks()
                guard position < bytes.count else { throw Malformed() }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "]") { position += 1; return }
                throw Malformed()
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
        default: throw Malformed()
        }
    }

    mutating func literal(_ word: String) throws {
        let expected = Array(word.utf8)
        guard position + expected.count <= bytes.count,
              bytes[position..<(position + expected.count)].elementsEqual(expected) else { throw Malformed() }
        position += expected.count
    }

    mutating func skipNumber() throws {
        let start = position
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                 UInt8(ascii: "e"), UInt8(ascii: "E"):
                position += 1
            default:
                guard position > start else { throw Malformed() }
                return
            }
        }
        guard position > start else { throw Malformed() }
    }

    /// Moves past a string, escapes included; control characters inside are malformed.
    mutating func skipString() throws {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw Malformed() }
        position += 1
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") { position += 1; return }
            if byte < 0x20 { throw Malformed() }
            position += byte == UInt8(ascii: "\\") ? 2 : 1
        }
        throw Malformed()
    }

    /// The text of the string in `start..<end` (quotes included in the range).
    static func string(_ bytes: [UInt8], _ start: Int, _ end: Int) throws -> String {
        guard end - start >= 2, bytes[start] == UInt8(ascii: "\""), bytes[end - 1] == UInt8(ascii: "\"") else { throw Malformed() }
        let inner = bytes[(start + 1)..<(end - 1)]
        if !inner.contains(UInt8(ascii: "\\")) { return String(decoding: inner, as: UTF8.self) }
        // Escapes are rare in these values: let the full parser decode them.
        guard case let .string(text) = try JSONValue.parse(Data(bytes[start..<end])) else { throw Malformed() }
        return text
    }
}
