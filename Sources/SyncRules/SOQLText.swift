import SalesforceModel

/// SOQL text: string literals and lists of them.
public enum SOQLText {
    /// A quoted SOQL string literal, every special character escaped.
    public static func literal(_ text: String) -> String {
        var out = "'"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "'"
    }

    /// Splits `values` into `IN (…)` queries built by `query`, each at most `limit` characters long
    /// (and, when `encodedLimit` is given, at most that many bytes once form-encoded in a URL).
    public static func chunkedIn(_ values: [String], limit: Int, encodedLimit: Int? = nil,
                                 query: (String) -> String) -> [String] {
        var queries: [String] = []
        var current: [String] = []
        let base = query("").count
        let baseEncoded = encodedLimit == nil ? 0 : FormEncoding.encode([("q", query(""))]).count
        var length = base
        var encoded = baseEncoded
        for value in values {
            let term = literal(value)
            let termEncoded = encodedLimit == nil ? 0 : FormEncoding.encode([("q", term + ", ")]).count - 2
            let fits = current.isEmpty
                || (length + term.count + 2 <= limit && (encodedLimit.map { encoded + termEncoded <= $0 } ?? true))
            if !fits {
                queries.append(query(current.joined(separator: ", ")))
                current = []
                length = base
                encoded = baseEncoded
            }
            current.append(term)
            length += term.count + 2
            encoded += termEncoded
        }
        if !current.isEmpty { queries.append(query(current.joined(separator: ", "))) }
        return queries
    }
}
