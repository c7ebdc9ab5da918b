public import Foundation

/// A JSON value whose objects keep their key order, so `--json` output reads in
/// the same order as the table it stands for.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.int(a), .double(b)), let (.double(b), .int(a)): return Double(a) == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            // JSON objects are unordered: equal when they hold the same pairs.
            return a.count == b.count && a.allSatisfy { key, value in
                b.first(where: { $0.0 == key }).map { $0.1 == value } ?? false
            }
        default: return false
        }
    }

    /// The value under `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(pairs) = self else { return nil }
        return pairs.first(where: { $0.0 == key })?.1
    }

    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    public var isNull: Bool { self == .null }

    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// A whole number, also from a double without a fraction.
    public var intValue: Int? {
        switch self {
        case let .int(i): return i
        case let .double(d) where d == d.rounded() && abs(d) < 9.0e15: return Int(d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case let .array(items) = self { return items }
        return nil
    }

    /// The pairs of an object, in order.
    public var objectValue: [(String, JSONValue)]? {
        if case let .object(pairs) = self { return pairs }
        return nil
    }

    /// Text for a table or CSV cell: null is empty, containers are JSON.
    public var cellText: String {
        switch self {
        case .null: return ""
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .double(d): return JSONValue.format(d)
        case let .string(s): return s
        case .array, .object: return serialized()
        }
    }

    /// Compact JSON text (no insignificant whitespace). `javaDoubles` writes a whole double as Salesforce's
    /// Java serialiser does (`53.0`, `500000.0`) instead of as an integer (`53`).
    public func serialized(javaDoubles: Bool = false) -> String {
        var out = ""
        write(to: &out, indent: nil, level: 0, javaDoubles: javaDoubles)
        return out
    }

    /// Indented JSON text, two spaces a level.
    public func prettyPrinted() -> String {
        var out = ""
        write(to: &out, indent: "  ", level: 0)
        return out
    }

    private func write(to out: inout String, indent: String?, level: Int, javaDoubles: Bool = false) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d):
            out += !d.isFinite ? "null" : javaDoubles ? JSONValue.javaFormat(d) : JSONValue.format(d)
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                newline(&out, indent, level + 1)
                item.write(to: &out, indent: indent, level: level + 1, javaDoubles: javaDoubles)
            }
            newline(&out, indent, level)
            out += "]"
        case let .object(pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{"
            for (index, (key, value)) in pairs.enumerated() {
                if index > 0 { out += "," }
                newline(&out, indent, level + 1)
                JSONValue.writeString(key, to: &out)
                out += indent == nil ? ":" : ": "
                value.write(to: &out, indent: indent, level: level + 1, javaDoubles: javaDoubles)
            }
            newline(&out, indent, level)
            out += "}"
        }
    }

    private func newline(_ out: inout String, _ indent: String?, _ level: Int) {
        guard let indent else { return }
        out += "\n" + String(repeating: indent, count: level)
    }

    static func format(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    /// A double as Java's `Double.toString` writes it, and so Salesforce: the shortest digits that read back
    /// the same, `53.0` and `0.001` plainly, from 10⁷ up and below 10⁻³ as `1.5E7` and `2.5E-4`.
    static func javaFormat(_ d: Double) -> String {
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        let magnitude = abs(d)
        let sign = d < 0 ? "-" : ""
        // Swift's description holds the same shortest digits; only their layout differs.
        var text = "\(magnitude)"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = whole + fraction
        exponent += whole.count - 1
        while digits.hasPrefix("0"), digits.count > 1 {
            digits.removeFirst()
            exponent -= 1
        }
        while digits.hasSuffix("0"), digits.count > 1 { digits.removeLast() }
        if magnitude >= 1e-3, magnitude < 1e7 {
            if exponent < 0 { return sign + "0." + String(repeating: "0", count: -exponent - 1) + digits }
            let padded = digits.count > exponent + 1 ? digits : digits + String(repeating: "0", count: exponent + 1 - digits.count)
            let point = padded.index(padded.startIndex, offsetBy: exponent + 1)
            let after = padded[point...]
            return sign + padded[..<point] + "." + (after.isEmpty ? "0" : after)
        }
        let first = digits.prefix(1)
        let rest = digits.dropFirst()
        return sign + first + "." + (rest.isEmpty ? "0" : rest) + "E\(exponent)"
    }

    /// `bytes` (valid UTF-8) as a JSON string, quoted and escaped exactly as `writeString(_:to:)` writes it, byte by
    /// byte: runs that need no escape are copied, and a scalar is decoded only where `TextSafety` may escape it (lead
    /// bytes 0xC2, 0xD8, 0xE2, 0xEF). The import writes Bulk rows this way (decoding scalar by scalar was a tenth of
    /// its CPU).
    public static func writeString(utf8 bytes: [UInt8], to out: inout [UInt8]) {
        out.append(0x22)
        var index = 0
        func hex(_ value: UInt32) {
            func digit(_ nibble: UInt32) -> UInt8 { UInt8(nibble < 10 ? 0x30 + nibble : 0x57 + nibble) }
            out.append(0x5C)
            out.append(0x75)
            for shift: UInt32 in [12, 8, 4, 0] { out.append(digit(value >> shift & 0xF)) }
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20, 0x7F: hex(UInt32(byte))
            case 0xC2, 0xD8, 0xE2, 0xEF:
                let length = byte >= 0xE0 ? 3 : 2
                var value = UInt32(byte & (length == 3 ? 0x0F : 0x1F))
                var end = index + 1
                for _ in 1..<length where end < bytes.count {
                    value = value << 6 | UInt32(bytes[end] & 0x3F)
                    end += 1
                }
                if let scalar = Unicode.Scalar(value), TextSafety.mustEscape(scalar) {
                    hex(value)
                } else {
                    out.append(contentsOf: bytes[index..<end])
                }
                index = end
                continue
            default: out.append(byte)
            }
            index += 1
        }
        out.append(0x22)
    }

    /// Appends `s` as a JSON string literal.
    public static func writeString(_ s: String, to out: inout String) {
        // Most strings need no escape: append them whole (appending scalar by scalar was
        // a quarter of an import's CPU). 0xC2 leads the C1 controls, 0xD8 U+061C, 0xE2 the zero-width and bidi
        // characters and LS/PS, 0xEF the BOM: all escaped below (TextSafety), so no JSON we print moves a terminal.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xC2 || $0 == 0xD8
                                     || $0 == 0xE2 || $0 == 0xEF }) {
            out += "\""
            out += s
            out += "\""
            return
        }
        // The rest through the byte writer: one escaping rule for both.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count + 8)
        writeString(utf8: Array(s.utf8), to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }
}

extension JSONValue {
    /// Parses JSON text (Foundation's parser, which is fast). Objects come back
    /// with their keys sorted: the parser does not keep the order of the text.
    public static func parse(_ data: Data) throws -> JSONValue {
        let any = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        return try JSONValue(foundation: any)
    }

    public static func parse(_ text: String) throws -> JSONValue {
        try parse(Data(text.utf8))
    }

    /// The shared NSNumber booleans, by identity: how a parsed true/false differs from 1/0.
    private static let trueNumber = true as NSNumber
    private static let falseNumber = false as NSNumber

    struct UnexpectedValue: Error {}

    init(foundation any: Any) throws {
        // Containers first: casting a Swift dictionary or array to NSNumber
        // would bridge it to Foundation (recursively) just to say no.
        switch any {
        case let string as String:
            self = .string(string)
        case let dictionary as [String: Any]:
            // Sorted pairs, for a stable order (no second lookup of each key).
            self = .object(try dictionary.sorted { $0.key < $1.key }.map { ($0.key, try JSONValue(foundation: $0.value)) })
        case let array as [Any]:
            self = .array(try array.map(JSONValue.init(foundation:)))
        case is NSNull:
            self = .null
        case let number as NSNumber:
            if number === JSONValue.trueNumber { self = .bool(true); return }
            if number === JSONValue.falseNumber { self = .bool(false); return }
            let type = String(cString: number.objCType)
            if type == "d" || type == "f" {
                self = .double(number.doubleValue)
            } else if let int = Int(exactly: number.int64Value) {
                self = .int(int)
            } else {
                self = .double(number.doubleValue)
            }
        default:
            throw UnexpectedValue()
        }
    }
}
