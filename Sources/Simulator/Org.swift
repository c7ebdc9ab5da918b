public import Foundation
import GRDB
import JSON

/// A simulated Salesforce org: users and tokens, records, limits, the
/// duplicate rule, injected faults and the call log. `handle` answers one
/// request the way Salesforce would; the HTTP server is a thin layer over it.
public final class Org: @unchecked Sendable {
    public let configuration: OrgConfiguration
    public let clock: SimulatedClock
    public let orgID: String
    let store: OrgStore
    let queries: QueryEngine
    let bulkJobs = BulkQueryJobs()
    let ingestJobs = BulkIngestJobs()
    /// Where the org is served (set by the server once it listens).
    public internal(set) var baseURL = "http://127.0.0.1"
    let lock = NSLock()
    let created: Date

    // Guarded by `lock`.
    var users: [SimUser] = []
    var accessTokens: [String: AccessToken] = [:]
    var refreshTokens: [String: String] = [:]  // token → user id
    var deviceCodes: [String: DeviceCode] = [:]
    /// Connected apps by client id.
    var apps: [String: ConnectedApp] = [:]
    /// Web-flow authorization codes, each good once.
    var authorizationCodes: [String: AuthorizationCode] = [:]
    var usage: [Date] = []
    var dailyLimit: Int
    var duplicateRuleActive: Bool
    var faults = FaultPlan()
    var calls: [CallRecord] = []
    var random: SeededRandom
    /// When each object's Recycle Bin was last emptied (getDeleted's `earliestDateAvailable`).
    var purges: [String: Date] = [:]
    /// When a field was last added to each object (by lower-cased name): its describe's Last-Modified.
    var schemaChanges: [String: Date] = [:]

    /// Every API version Salesforce serves today, v31.0 (Summer '14) to v66.0 (Spring '26).
    public static let versions = (31...66).map { "\($0).0" }

    /// A version's release label: three releases a year, Summer '14 being v31.0.
    static func releaseLabel(_ version: String) -> String {
        let step = (Int(Double(version) ?? 31) - 31)
        let season = ["Summer", "Winter", "Spring"][((step % 3) + 3) % 3]
        return "\(season) '\(14 + (step + 2) / 3)"
    }

    struct AccessToken {
        let userID: String
        let expires: Date
        let refreshToken: String?
    }

    struct DeviceCode {
        let userCode: String
        let expires: Date
        let interval: TimeInterval
        var lastPoll: Date?
        var approvedUser: String?
    }

    public struct CallRecord: Sendable {
        public let time: Date
        public let method: String
        public let path: String
        public let status: Int
        public let user: String?
        public let counted: Bool
        /// The `client` of the request's `Sforce-Call-Options` header, as Salesforce's event logs keep it.
        public let client: String?
    }

    public init(configuration: OrgConfiguration = OrgConfiguration(), clock: SimulatedClock = SimulatedClock()) throws {
        self.configuration = configuration
        self.clock = clock
        self.dailyLimit = configuration.dailyLimit
        self.duplicateRuleActive = configuration.leadDuplicateRule
        self.random = SeededRandom(seed: configuration.seed)
        self.created = clock.now()
        apps[configuration.clientID] = ConnectedApp(clientID: configuration.clientID, clientSecret: configuration.clientSecret,
                                                    callbackURLs: ["http://localhost:1717/OAuth2/Callback"], flows: ConnectedApp.defaultFlows)
        // Never from the seeded generator: the data is reproducible, the control token must not be.
        controlToken = configuration.controlToken
            ?? (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        orgID = RecordID.make(prefix: "00D", number: Int(configuration.seed % 1_000_000) + 4242)
        store = try OrgStore(objects: StandardObjects.merged(with: configuration.shape), inMemory: configuration.inMemory)
        queries = QueryEngine(store: store)
        try DataGenerator(org: self).populate()
        try store.installFormulas(StandardObjects.crossObjectFormulas)
        try store.createIndexes()
    }

    /// The admin user's access token, minted at start and printed by `sfsim`.
    public private(set) var adminAccessToken = ""
    /// The token `/_sfsim/…` requests carry in `X-Sfsim-Control` (set, or random per start).
    public let controlToken: String

    func mintAdminToken() {
        adminAccessToken = issueAccessToken(userID: users[0].id, refreshToken: nil)
    }

    public var adminUser: SimUser { lock.withLock { users[0] } }

    // MARK: Tokens

    public func issueAccessToken(userID: String, refreshToken: String?) -> String {
        let token = orgID.prefix(15) + "!AR" + Self.randomToken(60)
        lock.withLock {
            accessTokens[String(token)] = AccessToken(userID: userID,
                                                      expires: clock.now().addingTimeInterval(configuration.sessionLifetime),
                                                      refreshToken: refreshToken)
        }
        return String(token)
    }

    func issueRefreshToken(userID: String) -> String {
        let token = "5Aep" + Self.randomToken(80)
        lock.withLock { refreshTokens[token] = userID }
        return token
    }

    static func randomToken(_ length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    /// The user behind a bearer token, or the 401 Salesforce sends.
    func authenticate(_ request: SimRequest) throws(APIError) -> SimUser {
        guard let token = Self.bearerToken(request) else { throw Self.invalidSession }
        let now = clock.now()
        lock.lock()
        defer { lock.unlock() }
        guard let entry = accessTokens[token], entry.expires > now,
              let user = users.first(where: { $0.id == entry.userID }), user.active
        else { throw Self.invalidSession }
        return user
    }

    /// The token of `Authorization: Bearer …` (or the Bulk API's `X-SFDC-Session`).
    static func bearerToken(_ request: SimRequest) -> String? {
        let header = request.headers["authorization"] ?? ""
        if header.lowercased().hasPrefix("bearer ") || header.lowercased().hasPrefix("oauth ") {
            return String(header.drop(while: { $0 != " " }).dropFirst()).trimmingCharacters(in: .whitespaces)
        }
        return request.headers["x-sfdc-session"]
    }

    static let invalidSession = APIError(status: 401, code: "INVALID_SESSION_ID", message: "Session expired or invalid",
                                         fields: nil)
        .with(header: ("WWW-Authenticate", "Token"))

    // MARK: Limits

    /// Calls in the rolling 24 h window ending now.
    func usedCalls(now: Date) -> Int {
        let start = now.addingTimeInterval(-24 * 3600)
        if let first = usage.firstIndex(where: { $0 > start }) {
            if first > 0 { usage.removeFirst(first) }
        } else {
            usage.removeAll()
        }
        return usage.count
    }

    public var apiUsage: (used: Int, max: Int) {
        lock.withLock { (usedCalls(now: clock.now()), dailyLimit) }
    }

    // MARK: Dispatch

    /// Answers one request.
    public func handle(_ request: SimRequest) async -> SimResponse {
        var response: SimResponse
        var user: String?
        var counted = false
        let path = request.path.count > 1 && request.path.hasSuffix("/") ? String(request.path.dropLast()) : request.path
        if path.hasPrefix("/_sfsim") {
            if !configuration.controlEnabled {
                response = .error(APIError.notFound)
            } else if let refusal = ControlGuard.refusal(request, token: controlToken) {
                response = refusal
            } else {
                response = handleControl(request, path: path)
            }
        } else if path.hasPrefix("/services/oauth2/") || path.hasPrefix("/id/") || path.hasPrefix("/services/Soap/") {
            response = await handleOAuth(request, path: path)
        } else if path == "/services/data" {
            // In Salesforce's key order: version, url, label.
            response = .json(.array(Self.versions.map { version in
                .object([("version", .string(version)), ("url", .string("/services/data/v\(version)")),
                         ("label", .string(Self.releaseLabel(version)))])
            }))
        } else if path.hasPrefix("/services/data/") {
            (response, user, counted) = await handleREST(request, path: path)
        } else {
            response = .error(APIError.notFound)
        }
        let record = CallRecord(time: clock.now(), method: request.method,
                                path: path + (request.query.isEmpty ? "" : "?" + FormCoding.encode(request.query.filter { $0.0 != "token" })),
                                status: response.status, user: user, counted: counted,
                                client: Self.callOptionsClient(request.headers["sforce-call-options"]))
        lock.withLock {
            calls.append(record)
            if calls.count > 200_000 { calls.removeFirst(100_000) }
        }
        return response
    }

    func handleREST(_ request: SimRequest, path: String) async -> (SimResponse, String?, Bool) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        // services, data, vXX.X, rest…
        guard parts.count >= 3, parts[2].hasPrefix("v"), Self.versions.contains(String(parts[2].dropFirst())) else {
            return (.error(APIError.notFound), nil, false)
        }
        let version = String(parts[2].dropFirst())
        let user: SimUser
        do {
            user = try authenticate(request)
        } catch {
            return (.error(error), nil, false)
        }
        if !user.apiEnabled {
            return (.error(APIError(status: 403, code: "API_CURRENTLY_DISABLED", message: "API is disabled for this User")),
                    user.username, false)
        }
        if configuration.edition == "Professional Edition" && !configuration.apiAddOn {
            return (.error(APIError(status: 403, code: "API_DISABLED_FOR_ORG",
                                    message: "The REST API is not enabled for this Organization.")), user.username, false)
        }
        let now = clock.now()
        let (allowed, used, fault) = lock.withLock { () -> (Bool, Int, Fault?) in
            let used = usedCalls(now: now)
            guard used < dailyLimit else { return (false, used, nil) }
            usage.append(now)
            return (true, used + 1, faults.next(for: path, random: &random))
        }
        let limitHeader = ("Sforce-Limit-Info", "api-usage=\(used)/\(lock.withLock { dailyLimit })")
        guard allowed else {
            // Refused calls are not counted: usage drops as the window rolls on.
            var response = SimResponse.error(APIError(status: 403, code: "REQUEST_LIMIT_EXCEEDED",
                                                      message: "TotalRequests Limit exceeded."))
            response.headers.append(limitHeader)
            return (response, user.username, false)
        }
        if let fault {
            if let response = await apply(fault, request: request) {
                var response = response
                if response.status != 401 { response.headers.append(limitHeader) }
                return (response, user.username, true)
            }
        }
        var response: SimResponse
        do {
            response = try route(request, parts: Array(parts.dropFirst(3)), version: version, user: user)
        } catch {
            response = .error(error)
        }
        response.headers.append(limitHeader)
        // The work is done; the caller never hears of it.
        if fault == .dropAfter { response.dropConnection = true }
        return (response, user.username, true)
    }
}

extension APIError {
    func with(header: (String, String)) -> APIError {
        var copy = self
        copy.headers.append(header)
        return copy
    }
}

extension Org {
    /// The `client` value of a `Sforce-Call-Options` header (`client=NAME` among `;`- or `,`-separated options).
    static func callOptionsClient(_ header: String?) -> String? {
        guard let header else { return nil }
        for option in header.split(whereSeparator: { $0 == ";" || $0 == "," }) {
            let pair = option.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "client", !pair[1].isEmpty { return pair[1] }
        }
        return nil
    }
}
