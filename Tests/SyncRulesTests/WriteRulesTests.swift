import SalesforceModel
import Testing
@testable import SyncRules

/// Issue 19 §2: how a failed write call is settled, and how long a lost write may take to land: one rule each.
@Suite struct WriteRulesTests {
    @Test(arguments: [
        (SalesforceError(kind: .budgetExhausted, message: "budget"), WriteCallFailure.notSent),
        (SalesforceError(kind: .limitExceeded, status: 403, code: "REQUEST_LIMIT_EXCEEDED", message: "x"), .notSent),
        (SalesforceError(kind: .authentication, status: 401, code: "INVALID_SESSION_ID", message: "x"), .notSent),
        (SalesforceError(kind: .refused, message: "http off loopback"), .notSent),
        (SalesforceError(kind: .insecure, message: "certificate"), .notSent),
        (SalesforceError(kind: .ledger, message: "disk full"), .unrecorded),
        (SalesforceError(kind: .request, status: 400, code: "JSON_PARSER_ERROR", message: "x"), .rejected),
        (SalesforceError(kind: .request, status: 404, code: "NOT_FOUND", message: "x"), .rejected),
        (SalesforceError(kind: .request, status: 400, code: "UNABLE_TO_LOCK_ROW", message: "x"), .unknown),
        (SalesforceError(kind: .request, status: 503, code: "SERVER_UNAVAILABLE", message: "x"), .unknown),
        (SalesforceError(kind: .unavailable, status: 500, message: "x"), .unknown),
        (SalesforceError(kind: .unavailable, message: "connection reset"), .unknown),
        (SalesforceError(kind: .protocolViolation, status: 200, message: "not JSON"), .unknown),
        (SalesforceError(kind: .interrupted, message: "Ctrl-C"), .unknown),
    ])
    func failedCalls(error: SalesforceError, settled: WriteCallFailure) {
        #expect(WriteCallFailure(error) == settled, "\(error)")
    }

    /// Whether the org refuses `/composite` (then each collection is a call of its own).
    @Test(arguments: [
        (SalesforceError(kind: .request, status: 404, code: "NOT_FOUND", message: "The requested resource does not exist"), true),
        (SalesforceError(kind: .request, status: 400, code: "INVALID_API_INPUT", message: "Composite API is not enabled"), true),
        (SalesforceError(kind: .request, status: 400, code: "INVALID_API_INPUT", message: "bad field"), false),
        (SalesforceError(kind: .request, status: 400, code: "JSON_PARSER_ERROR", message: "composite body"), false),
        (SalesforceError(kind: .unavailable, status: 503, message: "composite down"), false),
        (SalesforceError(kind: .authentication, status: 401, code: "INVALID_SESSION_ID", message: "x"), false),
    ])
    func compositeRefusals(error: SalesforceError, refused: Bool) {
        #expect(CompositeRefusal.isRefusal(error) == refused, "\(error)")
    }

    @Test(arguments: [
        ([], 2.0), ([0.1, 0.4], 2.0), ([3.0], 6.0), ([10, 40.5, 2], 81.0), ([100], 150.0), ([Double.infinity, 1.5], 3.0),
    ] as [([Double], Double)])
    func settleWindow(posts: [Double], seconds: Double) {
        #expect(SettleWindow.seconds(postSeconds: posts) == seconds)
    }
}
