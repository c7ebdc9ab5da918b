import Crypto
import Foundation
import JSON

/// Conditional GETs, as Salesforce answers them on describes (global and per object) and records: an `ETag`
/// (of the body) and a `Last-Modified`; `If-None-Match` naming the ETag, or `If-Modified-Since` not before the
/// last change, is answered `304 Not Modified` with no body — on its own or inside `/composite`.
extension Org {
    static func etag(of body: Data) -> String {
        "\"" + SHA256.hash(data: body).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
    }

    func conditional(_ request: SimRequest, body value: JSONValue, lastModified: Date) -> SimResponse {
        let body = Data(value.serialized().utf8)
        let etag = Self.etag(of: body)
        let headers = [("ETag", etag), ("Last-Modified", Self.httpDateFormatter.string(from: lastModified))]
        if let match = request.headers["if-none-match"] {
            let tags = match.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "") }
            if tags.contains(etag) || tags.contains("*") { return SimResponse(status: 304, headers: headers) }
        } else if let since = request.headers["if-modified-since"].flatMap(Self.httpDate),
                  lastModified.timeIntervalSince1970.rounded(.down) <= since.timeIntervalSince1970 {
            return SimResponse(status: 304, headers: headers)
        }
        return .json(value, headers: headers)
    }

    /// When a record last changed (its SystemModstamp), for `Last-Modified`.
    static func lastModified(ofRecord record: JSONValue) -> Date? {
        (record["SystemModstamp"]?.stringValue ?? record["LastModifiedDate"]?.stringValue).flatMap(SimDates.parseDateTime)
    }
}
