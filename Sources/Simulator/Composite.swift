import Foundation
import GRDB
import JSON

/// What one request wrote, so an all-or-none request can undo it: created
/// records are removed, changed and deleted ones get their earlier row back.
/// Journals nest (a collection inside a composite request writes to both).
final class WriteJournal: @unchecked Sendable {
    enum Change {
        case created(ObjectDef, String)
        case changed(ObjectDef, Row)
    }

    private let lock = NSLock()
    private var changes: [Change] = []
    let parent: WriteJournal?

    init(parent: WriteJournal?) { self.parent = parent }

    func record(_ change: Change) {
        lock.withLock { changes.append(change) }
        parent?.record(change)
    }

    /// Undoes every change, newest first.
    func undo(in store: OrgStore) {
        let all = lock.withLock { changes }
        for change in all.reversed() {
            _ = try? store.db.write { db in
                switch change {
                case let .created(object, id):
                    try db.execute(sql: "DELETE FROM \"\(object.name)\" WHERE Id = ?", arguments: [id])
                case let .changed(object, row):
                    let names = row.columnNames.filter { $0 != "Id" }
                    try db.execute(sql: "UPDATE \"\(object.name)\" SET \(names.map { "\"\($0)\" = ?" }.joined(separator: ", ")) WHERE Id = ?",
                                   arguments: sqlArguments(names.map { row[$0] as DatabaseValue } + [row["Id"] as String]))
                }
            }
        }
    }

    /// The journal of the request being answered, if it keeps one.
    @TaskLocal static var current: WriteJournal?
}

/// `POST /composite`: up to 25 subrequests in one call (at most 5 of them
/// queries or sObject Collections), run in order, later ones able to use
/// earlier results through `@{referenceId.field}`. With `allOrNone` the first
/// failure rolls every write back and the other subrequests answer 400
/// `PROCESSING_HALTED`; without it, only subrequests that depend on a failed
/// one are not run. The whole request is one API call.
extension Org {
    static let compositeLimit = 25
    static let compositeHeavyLimit = 5

    func composite(_ request: SimRequest, version: String, user: SimUser) throws(APIError) -> SimResponse {
        let body = try Self.jsonBody(request)
        let allOrNone = body.first(where: { $0.0 == "allOrNone" })?.1.boolValue ?? false
        guard let subrequests = body.first(where: { $0.0 == "compositeRequest" })?.1.arrayValue, !subrequests.isEmpty else {
            throw APIError(status: 400, code: "JSON_PARSER_ERROR", message: "compositeRequest is required and must not be empty")
        }
        guard subrequests.count <= Self.compositeLimit else {
            throw APIError(status: 400, code: "LIMIT_EXCEEDED",
                           message: "Too many subrequests: \(subrequests.count). The limit is \(Self.compositeLimit).")
        }
        // Check the whole request before running any of it.
        var seen = Set<String>()
        var heavy = 0
        for sub in subrequests {
            guard let method = sub["method"]?.stringValue, ["GET", "POST", "PATCH", "PUT", "DELETE"].contains(method),
                  let url = sub["url"]?.stringValue, url.hasPrefix("/services/data/v"),
                  let reference = sub["referenceId"]?.stringValue, !reference.isEmpty,
                  reference.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), reference.first?.isLetter == true
            else {
                throw APIError(status: 400, code: "JSON_PARSER_ERROR",
                               message: "each subrequest needs method (GET, POST, PATCH, PUT or DELETE), url (/services/data/…) and a referenceId of letters, digits and _")
            }
            guard seen.insert(reference).inserted else {
                throw APIError(status: 400, code: "JSON_PARSER_ERROR", message: "Duplicate referenceId provided in the request: \(reference)")
            }
            let path = url.split(separator: "?").first.map(String.init) ?? url
            if path.contains("/composite") && !path.contains("/composite/sobjects") {
                throw APIError(status: 400, code: "INVALID_API_INPUT", message: "Composite requests cannot be nested")
            }
            if path.contains("/query") || path.contains("/composite/sobjects") { heavy += 1 }
        }
        guard heavy <= Self.compositeHeavyLimit else {
            throw APIError(status: 400, code: "LIMIT_EXCEEDED",
                           message: "A composite request may contain at most \(Self.compositeHeavyLimit) query or sObject Collections subrequests")
        }

        let journal = WriteJournal(parent: WriteJournal.current)
        // Each subresponse's body is kept as its route wrote it (Salesforce's key order), parsed only to resolve references.
        var results: [(reference: String, status: Int, headers: [(String, String)], raw: Data)] = []
        var bodies: [String: JSONValue] = [:]
        var failedReferences = Set<String>()
        var halted = false
        for sub in subrequests {
            let reference = sub["referenceId"]?.stringValue ?? ""
            if halted {
                results.append((reference, 400, [], Data(Self.halted("The transaction was rolled back since another operation in the same transaction failed.").serialized().utf8)))
                continue
            }
            let answer: SimResponse
            do throws(APIError) {
                let url = try Self.resolve(sub["url"]?.stringValue ?? "", bodies, failed: failedReferences)
                let subBody = try sub["body"].map { value throws(APIError) in try Self.resolve(value, bodies, failed: failedReferences) }
                answer = WriteJournal.$current.withValue(journal) {
                    dispatch(method: sub["method"]?.stringValue ?? "GET", url: url, body: subBody,
                             headers: sub["httpHeaders"], parent: request, version: version, user: user)
                }
            } catch {
                answer = .error(error)
            }
            let parsed = answer.body.isEmpty ? JSONValue.null : ((try? JSONValue.parse(answer.body)) ?? .string(String(decoding: answer.body, as: UTF8.self)))
            let raw = answer.body.isEmpty ? Data("null".utf8)
                : (try? JSONValue.parse(answer.body)) == nil ? Data(parsed.serialized().utf8) : answer.body
            results.append((reference, answer.status, answer.headers.filter { ["Location", "ETag", "Last-Modified"].contains($0.0) }, raw))
            if answer.status >= 400 {
                failedReferences.insert(reference)
                if allOrNone { halted = true }
            } else {
                bodies[reference] = parsed
            }
        }
        if allOrNone && halted {
            journal.undo(in: store)
            results = results.map { result in
                result.status < 400 ? (result.reference, 400, [], Data(Self.halted("The transaction was rolled back since another operation in the same transaction failed.").serialized().utf8))
                    : result
            }
        }
        var out = Data(#"{"compositeResponse":["#.utf8)
        for (index, result) in results.enumerated() {
            if index > 0 { out.append(contentsOf: Array(",".utf8)) }
            out.append(contentsOf: Array(#"{"body":"#.utf8))
            out.append(result.raw)
            let rest = #","httpHeaders":"# + JSONValue.object(result.headers.map { ($0.0, .string($0.1)) }).serialized()
                + #","httpStatusCode":\#(result.status),"referenceId":"# + JSONValue.string(result.reference).serialized() + "}"
            out.append(contentsOf: Array(rest.utf8))
        }
        out.append(contentsOf: Array("]}".utf8))
        return SimResponse(status: 200, headers: [("Content-Type", "application/json;charset=UTF-8")], body: out)
    }

    /// Runs one subrequest through the same routes as a request of its own (already authenticated and counted).
    func dispatch(method: String, url: String, body: JSONValue?, headers: JSONValue?, parent: SimRequest,
                  version: String, user: SimUser) -> SimResponse {
        let parts = url.split(separator: "?", maxSplits: 1).map(String.init)
        let path = parts[0].removingPercentEncoding ?? parts[0]
        let segments = path.split(separator: "/").map(String.init)
        guard segments.count >= 3, segments[0] == "services", segments[1] == "data", segments[2].hasPrefix("v"),
              Self.versions.contains(String(segments[2].dropFirst())) else {
            return .error(APIError.notFound)
        }
        var requestHeaders = parent.headers
        for (name, value) in headers?.objectValue ?? [] { requestHeaders[name.lowercased()] = value.stringValue }
        let request = SimRequest(method: method, path: path, query: parts.count > 1 ? FormCoding.decode(parts[1]) : [],
                                 headers: requestHeaders, body: body.map { Data($0.serialized().utf8) } ?? Data())
        do {
            return try route(request, parts: Array(segments.dropFirst(3)), version: String(segments[2].dropFirst()), user: user)
        } catch {
            return .error(error)
        }
    }

    static func halted(_ message: String) -> JSONValue {
        .array([.object([("errorCode", .string("PROCESSING_HALTED")), ("message", .string(message))])])
    }

    /// Replaces `@{ref.path}` in a string with the value at that path of an earlier subrequest's body.
    static func resolve(_ text: String, _ bodies: [String: JSONValue], failed: Set<String>) throws(APIError) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "@{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { out += rest[open.lowerBound...]; return out }
            let expression = String(rest[open.upperBound..<close])
            let value = try lookup(expression, bodies, failed: failed)
            switch value {
            case let .string(string): out += string
            case let .int(number): out += String(number)
            case let .bool(flag): out += flag ? "true" : "false"
            default: out += value.serialized()
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// The same inside a JSON body: every string is resolved.
    static func resolve(_ value: JSONValue, _ bodies: [String: JSONValue], failed: Set<String>) throws(APIError) -> JSONValue {
        switch value {
        case let .string(text):
            // A string that is one whole reference takes the referenced value's type.
            if text.hasPrefix("@{"), text.hasSuffix("}"), text.dropFirst(2).firstIndex(of: "}") == text.index(before: text.endIndex) {
                return try lookup(String(text.dropFirst(2).dropLast()), bodies, failed: failed)
            }
            return .string(try resolve(text, bodies, failed: failed))
        case let .array(items):
            var resolved: [JSONValue] = []
            for item in items { resolved.append(try resolve(item, bodies, failed: failed)) }
            return .array(resolved)
        case let .object(pairs):
            var resolved: [(String, JSONValue)] = []
            for (key, item) in pairs { resolved.append((key, try resolve(item, bodies, failed: failed))) }
            return .object(resolved)
        default:
            return value
        }
    }

    /// `ref.field.sub[0].x` in the bodies of earlier subrequests.
    static func lookup(_ expression: String, _ bodies: [String: JSONValue], failed: Set<String>) throws(APIError) -> JSONValue {
        let steps = expression.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let reference = steps.first.map { String($0.prefix { $0 != "[" }) } ?? ""
        func invalid() -> APIError {
            APIError(status: 400, code: "PROCESSING_HALTED",
                     message: "Invalid reference specified. No value for \(expression) found in \(reference). Provided referenceId ('\(reference)') must be of a previously executed subrequest that succeeded.")
        }
        guard !failed.contains(reference), var value = bodies[reference] else { throw invalid() }
        var first = true
        for step in steps {
            var name = Substring(step)
            var indexes: [Int] = []
            while let open = name.lastIndex(of: "["), name.hasSuffix("]"), let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) {
                indexes.insert(index, at: 0)
                name = name[..<open]
            }
            if !first, !name.isEmpty {
                guard let next = value[String(name)] else { throw invalid() }
                value = next
            }
            first = false
            for index in indexes {
                guard let items = value.arrayValue, index >= 0, index < items.count else { throw invalid() }
                value = items[index]
            }
        }
        return value
    }
}
