/// Salesforce's grammar for the API names of objects, fields and relationships,
/// the only names sfsh accepts from a describe.
///
/// A name starts with a letter, holds letters, digits and single underscores,
/// and does not end with an underscore; `__` separates at most four parts
/// (a namespace, the name, and suffixes such as `__c`, `__r` or `__Latitude__s`).
/// At most 255 characters. Anything else — quotes, dots, blanks, other scripts —
/// is refused before it can reach SOQL, SQL or a terminal.
public enum APIName {
    public static let maximumLength = 255

    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumLength, isLetter(bytes[0]) else { return false }
        var parts = 1
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if isLetter(byte) || isDigit(byte) {
                index += 1
                continue
            }
            guard byte == UInt8(ascii: "_") else { return false }
            // One underscore joins two runs of letters and digits; two start a new part.
            var run = 0
            while index < bytes.count, bytes[index] == UInt8(ascii: "_") {
                run += 1
                index += 1
            }
            guard index < bytes.count, isLetter(bytes[index]) || isDigit(bytes[index]) else { return false }
            switch run {
            case 1: break
            case 2:
                parts += 1
                guard parts <= 4 else { return false }
            default: return false
            }
        }
        return true
    }

    /// The reason a name is refused, shown with the name made printable.
    public static func refusal(_ name: String, role: String) -> String {
        let shown = name.unicodeScalars.prefix(60).map { scalar -> String in
            (0x21...0x7E).contains(scalar.value) ? String(scalar) : "\\u{\(String(scalar.value, radix: 16))}"
        }.joined()
        return "\(role) '\(shown)\(name.unicodeScalars.count > 60 ? "…" : "")' is not a Salesforce API name"
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}

extension APIName {
    /// Throws the decoding error a describe reader reports when `name` breaks the grammar.
    static func require<Key: CodingKey>(_ name: String, key: Key, in container: KeyedDecodingContainer<Key>,
                                        role: String) throws {
        guard !isValid(name) else { return }
        throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [key],
                                                debugDescription: refusal(name, role: role)))
    }
}
