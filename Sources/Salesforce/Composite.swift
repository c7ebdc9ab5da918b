public import SalesforceModel
import Foundation
public import JSON

/// One subrequest of a Composite request (`POST /composite`).
public struct CompositeSubrequest: Sendable {
    public var method: String
    /// Relative to `services/data/vXX.X/` (e.g. `composite/sobjects`, `query?q=…`).
    public var path: String
    public var body: JSONValue?
    public var referenceID: String
    /// Headers of this subrequest alone (`httpHeaders` inside `/composite`; e.g. `Sforce-Auto-Assign`).
    public var headers: [(String, String)]

    public init(method: String, path: String, body: JSONValue? = nil, referenceID: String, headers: [(String, String)] = []) {
        self.method = method
        self.path = path
        self.body = body
        self.referenceID = referenceID
        self.headers = headers
    }

    /// Whether the subrequest is one of the "heavy" kinds a composite request may hold at most 5 of.
    public var isHeavy: Bool { path.hasPrefix("query") || path.hasPrefix("composite/sobjects") }
}

/// One subrequest's answer: its HTTP status and body.
public struct CompositeSubresponse: Sendable {
    public var referenceID: String
    public var status: Int
    public var body: JSONValue

    public init(referenceID: String, status: Int, body: JSONValue) {
        self.referenceID = referenceID
        self.status = status
        self.body = body
    }

    /// The subrequest's own error, when it failed as a whole (`[{"errorCode", "message"}]`).
    public var error: SalesforceError? {
        guard status >= 400 else { return nil }
        return SalesforceError.from(status: status, body: Data(body.serialized().utf8))
    }
}

/// One record's result in an sObject Collections answer (`statusCode` per error, not `errorCode`).
public struct SaveResult: Sendable, Equatable {
    public struct Failure: Sendable, Equatable {
        public var code: String
        public var message: String
        public var fields: [String]

        public init(code: String, message: String, fields: [String]) {
            self.code = code
            self.message = message
            self.fields = fields
        }
    }

    public var id: String?
    public var success: Bool
    public var errors: [Failure]
    /// An upsert's answer: whether the record was created (nil for creates and updates).
    public var created: Bool?

    public init(id: String?, success: Bool, errors: [Failure], created: Bool? = nil) {
        self.id = id
        self.success = success
        self.errors = errors
        self.created = created
    }

    /// Reads a collection answer: one result per record, in request order.
    public static func parseAll(_ body: JSONValue, expected: Int) throws(SalesforceError) -> [SaveResult] {
        guard let items = body.arrayValue, items.count == expected else {
            throw SalesforceError(kind: .protocolViolation,
                                  message: "an sObject Collections answer must hold one result per record (\(expected)); it holds \(body.arrayValue.map { String($0.count) } ?? "no list")")
        }
        return try items.map { item throws(SalesforceError) in
            guard let success = item["success"]?.boolValue else {
                throw SalesforceError(kind: .protocolViolation, message: "a collection result has no \"success\"")
            }
            let errors = (item["errors"]?.arrayValue ?? []).map { error in
                Failure(code: error["statusCode"]?.stringValue ?? error["errorCode"]?.stringValue ?? "UNKNOWN",
                        message: error["message"]?.stringValue ?? "",
                        fields: error["fields"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            }
            return SaveResult(id: item["id"]?.stringValue, success: success, errors: errors, created: item["created"]?.boolValue)
        }
    }
}

extension SalesforceClient {
    /// At most this many subrequests per composite request, and this many queries or collections among them.
    public static let compositeLimit = 25
    public static let compositeHeavyLimit = 5
    /// Records per sObject Collections request.
    public static let collectionLimit = 200

    /// Sends subrequests in one `POST /composite` call (`allOrNone` false: each
    /// subrequest stands alone). `idempotent` only when every subrequest is a
    /// read: a composite holding writes is never resent by the client.
    public func composite(_ subrequests: [CompositeSubrequest], idempotent: Bool) async throws(SalesforceError)
        -> [CompositeSubresponse]
    {
        let body = JSONValue.object([
            ("allOrNone", .bool(false)),
            ("compositeRequest", .array(subrequests.map { sub in
                var fields: [(String, JSONValue)] = [("method", .string(sub.method)),
                                                     ("url", .string("/services/data/v\(apiVersion)/\(sub.path)")),
                                                     ("referenceId", .string(sub.referenceID))]
                if let body = sub.body { fields.append(("body", body)) }
                if !sub.headers.isEmpty { fields.append(("httpHeaders", .object(sub.headers.map { ($0.0, .string($0.1)) }))) }
                return .object(fields)
            })),
        ])
        let answer = try await json("POST", "composite", body: body, idempotent: idempotent)
        guard let items = answer["compositeResponse"]?.arrayValue, items.count == subrequests.count else {
            throw SalesforceError(kind: .protocolViolation,
                                  message: "the composite answer must hold one compositeResponse per subrequest (\(subrequests.count))")
        }
        return try items.enumerated().map { index, item throws(SalesforceError) in
            guard let status = item["httpStatusCode"]?.intValue else {
                throw SalesforceError(kind: .protocolViolation, message: "a compositeResponse entry has no httpStatusCode")
            }
            let reference = item["referenceId"]?.stringValue ?? subrequests[index].referenceID
            guard reference == subrequests[index].referenceID else {
                throw SalesforceError(kind: .protocolViolation,
                                      message: "compositeResponse \(index) answers \(reference), not \(subrequests[index].referenceID)")
            }
            return CompositeSubresponse(referenceID: reference, status: status, body: item["body"] ?? .null)
        }
    }

    /// Sends one subrequest as a request of its own (for orgs or inputs the composite resource cannot take).
    public func single(_ subrequest: CompositeSubrequest, idempotent: Bool) async throws(SalesforceError) -> CompositeSubresponse {
        let parts = subrequest.path.split(separator: "?", maxSplits: 1).map(String.init)
        let query = parts.count > 1 ? parts[1].split(separator: "&").map { pair -> (String, String) in
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            return (kv[0], kv.count > 1 ? kv[1] : "")
        } : []
        let response = try await send(subrequest.method, parts[0], query: query,
                                      body: subrequest.body.map { Data($0.serialized().utf8) }, headers: subrequest.headers,
                                      idempotent: idempotent)
        let body = response.body.isEmpty ? JSONValue.null : ((try? JSONValue.parse(response.body)) ?? .null)
        return CompositeSubresponse(referenceID: subrequest.referenceID, status: response.status, body: body)
    }

    /// `composite/sobjects` create (POST) or update (PATCH) of up to 200 records, `allOrNone` false.
    public static func collection(_ method: String, object: String, records: [JSONValue], referenceID: String,
                                  headers: [(String, String)] = []) -> CompositeSubrequest {
        CompositeSubrequest(method: method, path: "composite/sobjects", body: .object([
            ("allOrNone", .bool(false)),
            ("records", .array(records.map { record in
                guard case let .object(fields) = record else { return record }
                return .object([("attributes", .object([("type", .string(object))]))] + fields.filter { $0.0 != "attributes" })
            })),
        ]), referenceID: referenceID, headers: headers)
    }

    /// `PATCH composite/sobjects/{object}/{field}`: up to 200 records upserted by the External ID `field`, `allOrNone`
    /// false; each result says whether its record was `created`.
    public static func upsertCollection(object: String, field: String, records: [JSONValue], referenceID: String,
                                        headers: [(String, String)] = []) -> CompositeSubrequest {
        var subrequest = collection("PATCH", object: object, records: records, referenceID: referenceID, headers: headers)
        subrequest.path = "composite/sobjects/\(object)/\(field)"
        return subrequest
    }

    /// A query as a subrequest: its SOQL travels in the request body, so it is bound by
    /// SOQL's 100,000 characters rather than a URL's 16,384 bytes.
    public static func querySubrequest(_ soql: String, referenceID: String) -> CompositeSubrequest {
        CompositeSubrequest(method: "GET", path: "query?" + formEncode([("q", soql)]), referenceID: referenceID)
    }
}
