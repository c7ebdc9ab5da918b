public import Foundation
import JSON

/// A request as the simulator sees it, independent of the HTTP server.
public struct SimRequest: Sendable {
    public var method: String
    /// The path without the query, percent-decoded.
    public var path: String
    public var query: [(String, String)]
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data

    public init(method: String, path: String, query: [(String, String)] = [], headers: [String: String] = [:],
                body: Data = Data()) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, b in b })
        self.body = body
    }

    public func queryValue(_ name: String) -> String? { query.last(where: { $0.0 == name })?.1 }

    /// `application/x-www-form-urlencoded` (or multipart, as sfdx sends) fields of the body.
    func formFields() -> [String: String] {
        let contentType = headers["content-type"] ?? ""
        if contentType.contains("multipart/form-data"), let range = contentType.range(of: "boundary=") {
            let boundary = "--" + contentType[range.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            var fields: [String: String] = [:]
            let text = String(decoding: body, as: UTF8.self)
            for part in text.components(separatedBy: boundary) {
                guard let nameRange = part.range(of: "name=\""),
                      let end = part[nameRange.upperBound...].firstIndex(of: "\""),
                      let bodyStart = part.range(of: "\r\n\r\n") else { continue }
                let name = String(part[nameRange.upperBound..<end])
                var value = String(part[bodyStart.upperBound...])
                if value.hasSuffix("\r\n") { value.removeLast(2) }
                fields[name] = value
            }
            return fields
        }
        return Dictionary(FormCoding.decode(String(decoding: body, as: UTF8.self)), uniquingKeysWith: { _, b in b })
    }
}

/// A response as the simulator makes it.
public struct SimResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data
    /// Close the connection without answering (an injected fault).
    public var dropConnection = false

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ value: JSONValue, status: Int = 200, headers: [(String, String)] = []) -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", "application/json;charset=UTF-8")] + headers,
                    body: Data(value.serialized(javaDoubles: true).utf8))
    }

    static func error(_ error: APIError) -> SimResponse {
        json(error.body, status: error.status, headers: error.headers)
    }
}

/// `application/x-www-form-urlencoded` text.
public enum FormCoding {
    public static func decode(_ text: String) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            return (unescape(parts[0]), parts.count > 1 ? unescape(parts[1]) : "")
        }
    }

    public static func encode(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed)!)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
    }
}
