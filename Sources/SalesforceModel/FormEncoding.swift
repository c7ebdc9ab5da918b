import Foundation

/// `application/x-www-form-urlencoded` pairs, as query strings and token requests carry them.
public enum FormEncoding {
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { key, value in "\(component(key))=\(component(value))" }.joined(separator: "&")
    }

    /// One key or value, percent-encoded (everything but letters, digits and `-._~`).
    public static func component(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
