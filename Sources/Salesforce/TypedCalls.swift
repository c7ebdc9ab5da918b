public import SalesforceModel
public import Foundation
public import JSON

// The client's typed calls: describes, queries and their pages, records, limits, creates and updates.

extension SalesforceClient {
    // MARK: Typed calls

    public func describeGlobal() async throws(SalesforceError) -> GlobalDescribe {
        guard let (global, _) = try await describeGlobal(ifModifiedSince: nil) else {
            throw SalesforceError(kind: .protocolViolation, status: 304, message: "the global describe answered 304 to an unconditional GET")
        }
        return global
    }

    /// The global describe and its `Last-Modified`; nil when `ifModifiedSince` is given and nothing changed (304).
    public func describeGlobal(ifModifiedSince: String?) async throws(SalesforceError) -> (GlobalDescribe, lastModified: String?)? {
        let response = try await send("GET", "sobjects", headers: ifModifiedSince.map { [("If-Modified-Since", $0)] } ?? [],
                                      accept: [304])
        if response.status == 304 { return nil }
        do { return (try GlobalDescribe.parse(response.body), response.header("Last-Modified")) } catch {
            throw SalesforceError(kind: .protocolViolation, message: "cannot read the global describe: \(error)")
        }
    }

    public enum DescribeResult: Sendable {
        case notModified
        case fresh(SObjectDescribe, raw: Data, lastModified: String?, etag: String?)
    }

    /// Describes an object; with `ifModifiedSince` or `ifNoneMatch` (the `ETag` of the describe held), a 304 answers
    /// `.notModified`. Both may go: the ETag is exact where `Last-Modified` has whole seconds (a field added in the
    /// second of the last describe), and a server that has one answers by it.
    public func describe(_ object: String, ifModifiedSince: String? = nil, ifNoneMatch: String? = nil) async throws(SalesforceError) -> DescribeResult {
        var headers: [(String, String)] = []
        if let ifModifiedSince { headers.append(("If-Modified-Since", ifModifiedSince)) }
        if let ifNoneMatch { headers.append(("If-None-Match", ifNoneMatch)) }
        let response = try await send("GET", "sobjects/\(Self.pathSegment(object))/describe", headers: headers, accept: [304])
        if response.status == 304 { return .notModified }
        do {
            return .fresh(try SObjectDescribe.parse(response.body), raw: response.body,
                          lastModified: response.header("Last-Modified"), etag: response.header("ETag"))
        } catch {
            throw SalesforceError(kind: .protocolViolation, message: "cannot read the describe of \(object): \(error)")
        }
    }

    static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "_-.")))
            ?? text
    }

    /// The first page of a query (`all`: include deleted and archived rows).
    public func query(_ soql: String, all: Bool = false, batchSize: Int? = nil) async throws(SalesforceError) -> QueryPage {
        let headers = batchSize.map { [("Sforce-Query-Options", "batchSize=\($0)")] } ?? []
        return try QueryPage.parse(try await json("GET", all ? "queryAll" : "query", query: [("q", soql)],
                                                  headers: headers))
    }

    /// The page behind a `nextRecordsUrl`.
    public func nextPage(_ nextRecordsUrl: String, batchSize: Int? = nil) async throws(SalesforceError) -> QueryPage {
        let headers = batchSize.map { [("Sforce-Query-Options", "batchSize=\($0)")] } ?? []
        return try QueryPage.parse(try await json("GET", nextRecordsUrl, headers: headers))
    }

    /// The first page of a query, its records kept as raw JSON (see `RawQueryPage`).
    public func queryRaw(_ soql: String, all: Bool = false, batchSize: Int? = nil) async throws(SalesforceError) -> RawQueryPage {
        let headers = batchSize.map { [("Sforce-Query-Options", "batchSize=\($0)")] } ?? []
        return try RawQueryPage.parse(try await send("GET", all ? "queryAll" : "query", query: [("q", soql)], headers: headers).body)
    }

    /// The page behind a `nextRecordsUrl`, its records kept as raw JSON.
    public func nextPageRaw(_ nextRecordsUrl: String, batchSize: Int? = nil) async throws(SalesforceError) -> RawQueryPage {
        let headers = batchSize.map { [("Sforce-Query-Options", "batchSize=\($0)")] } ?? []
        return try RawQueryPage.parse(try await send("GET", nextRecordsUrl, headers: headers).body)
    }

    /// Every record of a query, page by page, as an async sequence.
    public func records(_ soql: String, all: Bool = false, batchSize: Int? = nil) -> QueryRecords {
        QueryRecords(client: self, soql: soql, all: all, batchSize: batchSize)
    }

    public func record(_ object: String, id: String, fields: [String]? = nil) async throws(SalesforceError) -> JSONValue {
        try await json("GET", "sobjects/\(Self.pathSegment(object))/\(Self.pathSegment(id))",
                       query: fields.map { [("fields", $0.joined(separator: ","))] } ?? [])
    }

    public func limits() async throws(SalesforceError) -> OrgLimits {
        try OrgLimits.parse(try await json("GET", "limits"))
    }

    /// `/limits/recordCount`: approximate counts; objects without one are left out.
    public func recordCounts(_ objects: [String]) async throws(SalesforceError) -> [String: Int] {
        let answer = try await json("GET", "limits/recordCount", query: [("sObjects", objects.joined(separator: ","))])
        var counts: [String: Int] = [:]
        for entry in answer["sObjects"]?.arrayValue ?? [] {
            if let name = entry["name"]?.stringValue, let count = entry["count"]?.intValue { counts[name] = count }
        }
        return counts
    }

    /// Creates a record; returns its id. Not retried on 5xx (it may have been written).
    public func create(_ object: String, fields: JSONValue) async throws(SalesforceError) -> String {
        let answer = try await json("POST", "sobjects/\(Self.pathSegment(object))", body: fields, idempotent: false)
        guard let id = answer["id"]?.stringValue else {
            throw SalesforceError(kind: .protocolViolation, message: "the create answer has no id")
        }
        return id
    }

    public func update(_ object: String, id: String, fields: JSONValue) async throws(SalesforceError) {
        _ = try await send("PATCH", "sobjects/\(Self.pathSegment(object))/\(Self.pathSegment(id))",
                           body: Data(fields.serialized().utf8), idempotent: true)
    }
}
