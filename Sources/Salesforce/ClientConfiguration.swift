public import SalesforceModel
public import Foundation
import JSON

/// What the client needs to act for a user in an org.
public struct Credentials: Sendable, Equatable {
    /// Whether a session refused with 401 can be renewed without a person.
    public var renews: Bool { refreshToken != nil || renewal != nil }

    public var instanceURL: String
    public var accessToken: String
    public var refreshToken: String?
    public var loginURL: String
    public var clientID: String?
    public var clientSecret: String?
    /// How a refused session is renewed with no person there, besides a refresh token.
    public var renewal: Renewal?

    /// A grant that mints a new session without a refresh token.
    public enum Renewal: Sendable, Equatable {
        /// The client-credentials grant, on the org's own (My Domain) host.
        case clientCredentials
        /// A new JWT bearer assertion for `username`, signed with the key in `keyPath`, posted to the login URL.
        case jwt(username: String, keyPath: String, audience: String)
    }

    public init(instanceURL: String, accessToken: String, refreshToken: String? = nil,
                loginURL: String = "https://login.salesforce.com", clientID: String? = nil, clientSecret: String? = nil,
                renewal: Renewal? = nil) {
        self.renewal = renewal
        self.instanceURL = instanceURL
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.loginURL = loginURL
        self.clientID = clientID
        self.clientSecret = clientSecret
    }
}

/// One HTTP exchange with Salesforce, as the ledger records it. Never holds a token.
public struct CallRecord: Sendable {
    public init(method: String, path: String, status: Int, duration: TimeInterval, usage: APIUsage?) {
        self.method = method
        self.path = path
        self.status = status
        self.duration = duration
        self.usage = usage
    }

    public var method: String
    /// The path without its query string.
    public var path: String
    /// 0 when there was no answer.
    public var status: Int
    public var duration: TimeInterval
    public var usage: APIUsage?
}

/// Sees every call a client makes: asked before a request goes out (it may
/// refuse, e.g. a job's budget, and then nothing is sent) and told after it,
/// answered or not (e.g. to write the ledger; a failure to record fails the call).
/// Each `admit` is followed by exactly one `record`.
public protocol CallMeter: Sendable {
    func admit(method: String, path: String) throws(SalesforceError)
    func record(_ call: CallRecord) throws(SalesforceError)
}

/// A meter that refuses nothing and hands each call to a closure.
public struct ObservingMeter: CallMeter {
    let onCall: @Sendable (CallRecord) throws(SalesforceError) -> Void

    public init(_ onCall: @escaping @Sendable (CallRecord) throws(SalesforceError) -> Void = { _ in }) {
        self.onCall = onCall
    }

    public func admit(method: String, path: String) throws(SalesforceError) {}
    public func record(_ call: CallRecord) throws(SalesforceError) { try onCall(call) }
}

/// How transient failures are retried: bounded attempts, exponential backoff
/// with full jitter. Sleeping is injected so tests need not wait.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    public var sleep: @Sendable (TimeInterval) async -> Void

    public init(attempts: Int = 4, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 8,
                sleep: @escaping @Sendable (TimeInterval) async -> Void = { seconds in
                    try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
                }) {
        self.attempts = attempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.sleep = sleep
    }

    public static let standard = RetryPolicy()
    public static let none = RetryPolicy(attempts: 1)

    func delay(forAttempt attempt: Int) -> TimeInterval {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return Double.random(in: ceiling / 2...ceiling)
    }
}
