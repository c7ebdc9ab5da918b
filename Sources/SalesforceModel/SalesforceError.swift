public import Foundation
public import JSON

/// What went wrong talking to Salesforce, with Salesforce's own words kept.
public struct SalesforceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// 401, an OAuth failure, or a missing permission.
        case authentication
        /// 403 REQUEST_LIMIT_EXCEEDED.
        case limitExceeded
        /// Network failure, timeout, 5xx or SERVER_UNAVAILABLE after retries.
        case unavailable
        /// Anything else Salesforce refused (bad SOQL, unknown field, …).
        case request
        /// The answer could not be understood.
        case protocolViolation
        /// The client refused to send (e.g. a plain-http URL off loopback).
        case refused
        /// The caller's budget refused the call before it was sent (nothing went out).
        case budgetExhausted
        /// The call was made but could not be recorded in the ledger.
        case ledger
        /// The server's TLS certificate did not verify: never retried, never skipped.
        case insecure
        /// Ctrl-C (or a cancelled task) stopped the request in flight.
        case interrupted
    }

    public var kind: Kind
    /// HTTP status, 0 when there was no answer.
    public var status: Int
    /// Salesforce's `errorCode` (or OAuth `error`).
    public var code: String?
    public var message: String
    public var fields: [String]
    /// The whole error body as sent.
    public var body: JSONValue?

    public init(kind: Kind, status: Int = 0, code: String? = nil, message: String, fields: [String] = [],
                body: JSONValue? = nil) {
        self.kind = kind
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.body = body
    }

    public var description: String {
        var text = code.map { "\($0): \(message)" } ?? message
        if !fields.isEmpty { text += " (fields: \(fields.joined(separator: ", ")))" }
        return text
    }

    /// Salesforce's error as JSON: `{"errorCode", "message", "fields", "status"}`.
    public var json: JSONValue {
        .object([
            ("errorCode", code.map(JSONValue.string) ?? .null),
            ("message", .string(message)),
            ("fields", .array(fields.map(JSONValue.string))),
            ("status", .int(status)),
        ])
    }

    /// Reads a REST error answer: an array `[{"message", "errorCode", "fields"}]`,
    /// an OAuth object `{"error", "error_description"}`, or anything else.
    public static func from(status: Int, body: Data) -> SalesforceError {
        let parsed = body.isEmpty ? nil : try? JSONValue.parse(body)
        var code: String?
        var message = "HTTP \(status)"
        var fields: [String] = []
        if let first = parsed?.arrayValue?.first {
            code = first["errorCode"]?.stringValue ?? first["statusCode"]?.stringValue
            message = first["message"]?.stringValue ?? message
            fields = first["fields"]?.arrayValue?.compactMap(\.stringValue) ?? []
        } else if let error = parsed?["error"]?.stringValue {
            code = error
            message = parsed?["error_description"]?.stringValue ?? error
        } else if !body.isEmpty {
            message = "HTTP \(status): " + String(decoding: body.prefix(200), as: UTF8.self)
        }
        let kind: Kind
        switch (status, code) {
        case (_, "REQUEST_LIMIT_EXCEEDED"): kind = .limitExceeded
        case (401, _), (_, "INVALID_SESSION_ID"), (_, "API_CURRENTLY_DISABLED"), (_, "API_DISABLED_FOR_ORG"),
             (_, "invalid_grant"), (_, "invalid_client_id"), (_, "invalid_client"), (_, "INSUFFICIENT_ACCESS"):
            kind = .authentication
        case (500..., _), (_, "SERVER_UNAVAILABLE"): kind = .unavailable
        default: kind = .request
        }
        return SalesforceError(kind: kind, status: status, code: code, message: message, fields: fields, body: parsed)
    }

    /// Whether trying again may succeed (transient failures only).
    public var isTransient: Bool {
        if kind == .unavailable { return true }
        return code == "UNABLE_TO_LOCK_ROW" || code == "SERVER_UNAVAILABLE"
    }
}
