public import SalesforceModel
public import Foundation
public import Salesforce
public import Store

/// Connects the engine to orgs: a client per org and caller, whose calls go
/// to the ledger under the caller's name (and through a job's budget gate),
/// and whose refreshed tokens go back to the store.
public final class OrgConnector: @unchecked Sendable {
    public let store: Store
    public let transport: any HTTPTransport
    public let clock: any EngineClock
    private let lock = NSLock()
    private var retryPolicy: RetryPolicy

    public init(store: Store, transport: any HTTPTransport, clock: any EngineClock, retry: RetryPolicy = .standard) {
        self.store = store
        self.transport = transport
        self.clock = clock
        self.retryPolicy = retry
    }

    /// How transient failures are retried by the clients made from now on.
    public var retry: RetryPolicy {
        get { lock.withLock { retryPolicy } }
        set { lock.withLock { retryPolicy = newValue } }
    }

    /// The stored org called `alias`.
    public func org(named alias: String) throws(EngineError) -> OrgRecord {
        let found: OrgRecord?
        do { found = try store.org(alias) } catch { throw EngineError(error) }
        guard let org = found else {
            throw EngineError(.usage, "no org called '\(EngineError.excerpt(alias))'", hint: "'orgs' lists the orgs you logged into")
        }
        return org
    }

    /// A client for `org` whose calls are attributed to `source` (a command or a
    /// job), with `meter` deciding (a budget gate) or the plain ledger by default.
    public func client(for org: OrgRecord, source: String, meter: (any CallMeter)? = nil) throws(EngineError) -> SalesforceClient {
        let store = self.store
        let alias = org.alias
        let credentials = Credentials(instanceURL: org.instanceURL, accessToken: org.accessToken,
                                      refreshToken: org.refreshToken, loginURL: org.loginURL,
                                      clientID: org.clientID, clientSecret: org.clientSecret,
                                      renewal: Self.renewal(of: org))
        do {
            return try SalesforceClient(
                credentials: credentials, transport: transport, apiVersion: org.apiVersion, retry: retry,
                meter: meter ?? LedgerMeter(store: store, clock: clock, org: alias, source: source),
                now: { [clock] in clock.now() },
                onRefresh: { updated in
                    // A token that cannot be saved is refreshed again next time; the call itself succeeded.
                    try? store.updateTokens(alias: alias, accessToken: updated.accessToken, instanceURL: updated.instanceURL)
                })
        } catch {
            throw EngineError(error, doing: "connecting to \(org.alias)")
        }
    }

    /// A meter for calls made outside an org's client (login, logout), attributed to `source`.
    public func ledgerMeter(org alias: String, source: String) -> LedgerMeter {
        LedgerMeter(store: store, clock: clock, org: alias, source: source)
    }
}

/// Writes every call to the ledger (SPEC §6.4), attributed to one org, source
/// and run. A call that cannot be recorded fails: the ledger is the budget.
public struct LedgerMeter: CallMeter {
    let store: Store
    let clock: any EngineClock
    public let org: String
    public let source: String
    public var runID: Int64?

    public init(store: Store, clock: any EngineClock, org: String, source: String, runID: Int64? = nil) {
        self.store = store
        self.clock = clock
        self.org = org
        self.source = source
        self.runID = runID
    }

    public func admit(method: String, path: String) throws(SalesforceError) {}

    public func record(_ call: CallRecord) throws(SalesforceError) {
        do {
            try store.record(LedgerEntry(at: clock.now(), org: org, source: source, method: call.method, path: call.path,
                                         status: call.status, durationMS: call.duration * 1000,
                                         usageUsed: call.usage?.used, usageMax: call.usage?.max, runID: runID))
        } catch {
            throw SalesforceError(kind: .ledger, message: "the call \(call.method) \(call.path) was made but not recorded: \(error)")
        }
    }
}

/// The budget of one job (SPEC §6.4): before each call it counts the job's
/// calls in the rolling 24 h (an indexed COUNT over the ledger, so other
/// processes' calls count too) plus the calls it let out that are not recorded
/// yet, and refuses the call that would go over. Never one call over.
public final class BudgetGate: CallMeter, @unchecked Sendable {
    public static let window: TimeInterval = 86_400
    let ledger: LedgerMeter
    public let budget: Int?
    public let budgetKey: String
    private let lock = NSLock()
    private var inFlight = 0

    /// Whether the org's last reported usage holds calls back (off for a forced run: it asks the org again).
    public let heedsOrgUsage: Bool

    public init(ledger: LedgerMeter, budget: Int?, budgetKey: String, heedsOrgUsage: Bool = true) {
        self.ledger = ledger
        self.budget = budget
        self.budgetKey = budgetKey
        self.heedsOrgUsage = heedsOrgUsage
    }

    /// Calls of this job in the rolling 24 h, as the ledger has them: those Salesforce counts
    /// against the org's requests (token refreshes and calls refused with 401 are recorded, not counted).
    public func used() throws(SalesforceError) -> Int {
        do {
            return try ledger.store.ledgerCount(since: ledger.clock.now().addingTimeInterval(-Self.window), org: ledger.org,
                                              source: ledger.source, countedOnly: true)
        } catch {
            throw SalesforceError(kind: .ledger, message: "cannot read the ledger: \(error)")
        }
    }

    public func admit(method: String, path: String) throws(SalesforceError) {
        lock.lock()
        defer { lock.unlock() }
        if heedsOrgUsage, !Self.uncounted(path), let usage = try orgUsage(), usage.used + inFlight >= usage.max {
            // The org's limit is shared by every job and command: never send past what it last reported.
            throw SalesforceError(kind: .limitExceeded, code: "REQUEST_LIMIT_EXCEEDED",
                                  message: "the org reported \(usage.used) of its \(usage.max) daily API requests used; no call is sent past its limit")
        }
        if let budget, !Self.uncounted(path) {
            let spent = try used() + inFlight
            guard spent < budget else {
                throw SalesforceError(kind: .budgetExhausted,
                                      message: "the budget of \(budget) calls in 24 h is spent (\(budgetKey))")
            }
        }
        inFlight += 1
    }

    /// How long the org's last reported usage is trusted: later, the rolling window may have freed calls.
    public static let usageTrust: TimeInterval = 600

    func orgUsage() throws(SalesforceError) -> (used: Int, max: Int)? {
        do {
            return try ledger.store.latestUsage(org: ledger.org, since: ledger.clock.now().addingTimeInterval(-Self.usageTrust))
        } catch {
            throw SalesforceError(kind: .ledger, message: "cannot read the ledger: \(error)")
        }
    }

    /// A token request: not an API request of the org's limit, so not one of the budget's.
    static func uncounted(_ path: String) -> Bool { path.hasPrefix("/services/oauth2/") }

    public func record(_ call: CallRecord) throws(SalesforceError) {
        defer { lock.withLock { inFlight -= 1 } }
        try ledger.record(call)
    }
}

extension OrgConnector {
    /// How a stored login renews its session without a refresh token (nil: it cannot; a refresh token may).
    static func renewal(of org: OrgRecord) -> Credentials.Renewal? {
        switch org.flow {
        case "client_credentials": return .clientCredentials
        case "jwt":
            guard let username = org.username, let keyPath = org.jwtKeyPath, let audience = org.jwtAudience else { return nil }
            return .jwt(username: username, keyPath: keyPath, audience: audience)
        default: return nil
        }
    }
}
