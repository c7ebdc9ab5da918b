public import JSON

/// An error answered the way Salesforce answers it: an HTTP status and a JSON
/// array of `{"message", "errorCode", "fields"?}` (plus extras such as
/// `duplicateResult`).
public struct APIError: Error, Sendable {
    public var status: Int
    public var body: JSONValue
    public var headers: [(String, String)] = []

    public init(status: Int, code: String, message: String, fields: [String]? = nil,
                extra: [(String, JSONValue)] = []) {
        self.status = status
        var pairs: [(String, JSONValue)] = extra + [("message", .string(message)), ("errorCode", .string(code))]
        if let fields { pairs.append(("fields", .array(fields.map(JSONValue.string)))) }
        self.body = .array([.object(pairs)])
    }

    public init(status: Int, body: JSONValue, headers: [(String, String)] = []) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    /// The first error's code.
    public var code: String { body.arrayValue?.first?["errorCode"]?.stringValue ?? "" }
    public var message: String { body.arrayValue?.first?["message"]?.stringValue ?? "" }
    public var fields: [String]? { body.arrayValue?.first?["fields"]?.arrayValue?.compactMap(\.stringValue) }

    /// As recorded from real orgs, this one error names its code before its message.
    /// An error a write threw: the APIError it is, or an UNKNOWN_EXCEPTION saying what it was.
    static func wrapping(_ error: any Error) -> APIError {
        error as? APIError ?? APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "\(error)")
    }

    static let notFound = APIError(status: 404, body: .array([.object([("errorCode", .string("NOT_FOUND")),
                                                                        ("message", .string("The requested resource does not exist"))])]))

    static func malformedQuery(_ message: String) -> APIError {
        APIError(status: 400, code: "MALFORMED_QUERY", message: message)
    }
}

/// Salesforce record ids: 15 case-sensitive characters and a 3-character
/// suffix that makes them case-insensitively unique.
public enum RecordID {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    static let suffixAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345")

    static let alphabetBytes = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    static let suffixBytes = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345".utf8)

    /// The 18-character id for key prefix + pod + a counter (bytes, not Characters: it runs per generated row).
    public static func make(prefix: String, number: Int) -> String {
        var bytes = Array(prefix.utf8.prefix(3)) + Array("5g".utf8)
        var digits = [UInt8](repeating: 0, count: 10)
        var n = number
        for index in stride(from: 9, through: 0, by: -1) {
            digits[index] = alphabetBytes[n % 62]
            n /= 62
        }
        bytes += digits
        guard bytes.count == 15 else { return withSuffix(String(decoding: bytes, as: UTF8.self)) }
        for chunk in 0..<3 {
            var bits = 0
            for i in 0..<5 where (65...90).contains(bytes[chunk * 5 + i]) { bits |= 1 << i }
            bytes.append(suffixBytes[bits])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Adds the checksum suffix to a 15-character id.
    public static func withSuffix(_ id15: String) -> String {
        let chars = Array(id15)
        guard chars.count == 15 else { return id15 }
        var suffix = ""
        for chunk in 0..<3 {
            var bits = 0
            for i in 0..<5 where chars[chunk * 5 + i].isUppercase && chars[chunk * 5 + i].isASCII {
                bits |= 1 << i
            }
            suffix.append(suffixAlphabet[bits])
        }
        return id15 + suffix
    }

    /// The 18-character form of a 15- or 18-character id, or nil if it is not id-shaped.
    public static func normalize(_ text: String) -> String? {
        guard text.count == 15 || text.count == 18,
              text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        if text.count == 18 {
            let fixed = withSuffix(String(text.prefix(15)))
            return fixed.lowercased() == text.lowercased() ? fixed : nil
        }
        return withSuffix(text)
    }
}
