public import SalesforceModel
public import Foundation
public import JSON

/// The Salesforce REST client. It knows the wire protocol, not sync rules:
/// authentication (refresh once on 401), retries of transient failures for
/// idempotent requests, paging, and typed answers.
public final class SalesforceClient: @unchecked Sendable {
    public let apiVersion: String
    public let transport: any HTTPTransport
    public let retry: RetryPolicy
    /// Seconds one request may take before it counts as a (retryable) timeout.
    public let timeout: TimeInterval
    private let lock = NSLock()
    private var current: Credentials
    private var usage: APIUsage?
    /// The refresh under way, and the token it replaces.
    private var refreshing: (token: String, task: Task<Void, any Error>)?
    public let meter: any CallMeter
    private let onRefresh: @Sendable (Credentials) -> Void
    /// The time a renewal's JWT assertion is issued at: the engine's clock (which tests move with sfsim's).
    private let now: @Sendable () -> Date

    public init(credentials: Credentials, transport: any HTTPTransport, apiVersion: String = "59.0",
                retry: RetryPolicy = .standard, timeout: TimeInterval = 120,
                meter: any CallMeter = ObservingMeter(), now: @escaping @Sendable () -> Date = { Date() },
                onRefresh: @escaping @Sendable (Credentials) -> Void = { _ in }) throws(SalesforceError) {
        self.now = now
        try Self.checkScheme(credentials.instanceURL)
        self.current = credentials
        self.transport = transport
        self.apiVersion = apiVersion
        self.retry = retry
        self.timeout = timeout
        self.meter = meter
        self.onRefresh = onRefresh
    }

    public var credentials: Credentials { lock.withLock { current } }

    /// The last `Sforce-Limit-Info` usage seen.
    public var lastUsage: APIUsage? { lock.withLock { usage } }

    /// Refuses `http://` except on loopback; TLS is always verified by the transport.
    public static func checkScheme(_ url: String) throws(SalesforceError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw SalesforceError(kind: .refused, message: "'\(url)' is not a URL (expected https://…)")
        }
        if scheme == "https" { return }
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
        guard scheme == "http" && loopback else {
            throw SalesforceError(kind: .refused,
                                  message: "refusing \(scheme)://\(host): only https is allowed (plain http only on loopback)")
        }
    }

    /// An absolute URL from the server (`nextRecordsUrl`, the identity URL) gets
    /// the same scheme rule as a typed one, and the bearer token only goes to
    /// the org's instance host or its login host.
    func checkAbsolute(_ url: String) throws(SalesforceError) {
        try Self.checkScheme(url)
        let credentials = self.credentials
        let trusted = [credentials.instanceURL, credentials.loginURL].compactMap(Self.origin)
        guard let origin = Self.origin(url), trusted.contains(origin) else {
            let host = URLComponents(string: url)?.host ?? url
            throw SalesforceError(kind: .refused,
                                  message: "refusing to send the access token to \(host): it is neither the org's instance nor its login host")
        }
    }

    /// scheme://host:port, lower-cased, with the default port made explicit.
    static func origin(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased(), !host.isEmpty else { return nil }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(host):\(port)"
    }

    /// `services/data/vXX.X/<path>` on the instance, or an absolute server path as given.
    func url(_ path: String, query: [(String, String)]) -> String {
        let base = credentials.instanceURL.hasSuffix("/") ? String(credentials.instanceURL.dropLast()) : credentials.instanceURL
        var url = path.hasPrefix("https://") || path.hasPrefix("http://") ? path
            : path.hasPrefix("/") ? base + path : "\(base)/services/data/v\(apiVersion)/\(path)"
        if !query.isEmpty { url += "?" + Self.formEncode(query) }
        return url
    }

    public static func formEncode(_ pairs: [(String, String)]) -> String { FormEncoding.encode(pairs) }

    /// Sends one REST request: bearer auth, one refresh on 401, retries of
    /// transient failures when `idempotent`. Non-2xx answers become errors.
    public func send(_ method: String, _ path: String, query: [(String, String)] = [], body: Data? = nil,
                     headers: [(String, String)] = [], idempotent: Bool? = nil,
                     accept: Set<Int> = [], maxResponseBytes: Int = HTTPRequest.restResponseLimit)
        async throws(SalesforceError) -> HTTPResponse {
        if path.hasPrefix("http://") || path.hasPrefix("https://") { try checkAbsolute(path) }
        let mayRetry = idempotent ?? ["GET", "HEAD", "DELETE"].contains(method)
        var refreshed = false
        var attempt = 0
        while true {
            attempt += 1
            let token = credentials.accessToken
            var all = headers + [("Authorization", "Bearer \(token)"), (ClientIdentity.callOptionsHeader, ClientIdentity.callOptions)]
            if !headers.contains(where: { $0.0.lowercased() == "accept" }) { all.append(("Accept", "application/json")) }
            if body != nil && !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                all.append(("Content-Type", "application/json"))
            }
            // A request that must not run twice never rides a reused connection (see HTTPRequest.freshConnection).
            let request = HTTPRequest(method: method, url: url(path, query: query), headers: all, body: body,
                                      timeout: timeout, freshConnection: !mayRetry, maxResponseBytes: maxResponseBytes)
            let recordedPath = Self.pathOnly(request.url)
            try meter.admit(method: method, path: recordedPath)
            let started = Date()
            let outcome: Result<HTTPResponse, TransportError>
            do { outcome = .success(try await transport.send(request)) } catch { outcome = .failure(error) }
            let duration = Date().timeIntervalSince(started)
            let error: SalesforceError
            switch outcome {
            case let .success(response):
                let seen = APIUsage.parse(response.header("Sforce-Limit-Info"))
                if let seen { lock.withLock { usage = seen } }
                CallTally.current?.add()
                try meter.record(CallRecord(method: method, path: recordedPath, status: response.status,
                                            duration: duration, usage: seen))
                if (200..<300).contains(response.status) || accept.contains(response.status) { return response }
                error = SalesforceError.from(status: response.status, body: response.body)
                if response.status == 401 && !refreshed && credentials.renews {
                    refreshed = true
                    try await refreshAccessToken(replacing: token)
                    attempt -= 1
                    continue
                }
                if response.status == 401 {
                    throw SalesforceError(kind: .authentication, status: 401, code: error.code ?? "INVALID_SESSION_ID",
                                          message: !credentials.renews
                                              ? "\(error.message); this login has no refresh token, so log in again"
                                              : "\(error.message) even after refreshing the token; log in again",
                                          fields: error.fields, body: error.body)
                }
            case let .failure(transportError):
                CallTally.current?.add()
                try meter.record(CallRecord(method: method, path: recordedPath, status: 0, duration: duration,
                                            usage: nil))
                error = SalesforceError(transportError)
            }
            // A locked row was not written, so even a create may be tried again.
            let retryable = error.isTransient && (mayRetry || error.code == "UNABLE_TO_LOCK_ROW")
            guard retryable, attempt < retry.attempts else {
                if error.isTransient && attempt > 1 {
                    var final = error
                    final.message += " (after \(attempt) attempts)"
                    throw final
                }
                throw error
            }
            await retry.sleep(retry.delay(forAttempt: attempt))
        }
    }

    static func pathOnly(_ url: String) -> String {
        guard let components = URLComponents(string: url) else { return url }
        return components.path
    }

    /// Replaces the access token `stale` (refused with 401) with a new one, once
    /// however many requests were refused with it at the same time: the first
    /// starts the refresh, the others wait for it; one that finds the token
    /// already replaced just sends again.
    func refreshAccessToken(replacing stale: String) async throws(SalesforceError) {
        let task = lock.withLock { () -> Task<Void, any Error>? in
            if current.accessToken != stale { return nil }
            if let refreshing, refreshing.token == stale { return refreshing.task }
            let task = Task { try await self.refreshAccessToken() }
            refreshing = (stale, task)
            return task
        }
        guard let task else { return }
        do { try await task.value } catch {
            lock.withLock { if refreshing?.token == stale { refreshing = nil } }
            throw error as? SalesforceError ?? SalesforceError(kind: .unavailable, message: "refreshing the token failed: \(error)")
        }
    }

    /// A new access token: from the refresh token, or a new client-credentials grant (on the org's own host).
    private func refreshAccessToken() async throws(SalesforceError) {
        let credentials = self.credentials
        let oauth = OAuthClient(loginURL: credentials.instanceURL, transport: transport, meter: meter)
        let token: TokenResponse
        if let refreshToken = credentials.refreshToken {
            token = try await oauth.refresh(refreshToken: refreshToken, clientID: credentials.clientID ?? "",
                                            clientSecret: credentials.clientSecret)
        } else if credentials.renewal == .clientCredentials, let clientID = credentials.clientID, let secret = credentials.clientSecret {
            token = try await oauth.clientCredentials(clientID: clientID, clientSecret: secret)
        } else if case let .jwt(username, keyPath, audience) = credentials.renewal, let clientID = credentials.clientID {
            let key: String
            do { key = try String(contentsOfFile: keyPath, encoding: .utf8) } catch {
                throw SalesforceError(kind: .authentication, message: "the JWT key \(keyPath) cannot be read to renew the session: \(error.localizedDescription)")
            }
            token = try await OAuthClient(loginURL: credentials.loginURL, transport: transport, meter: meter)
                .jwtBearer(clientID: clientID, username: username, audience: audience, privateKeyPEM: key, now: now())
        } else {
            return
        }
        // A refreshed instance URL obeys the same rule as a typed one.
        if let instance = token.instanceURL { try Self.checkScheme(instance) }
        let updated = lock.withLock { () -> Credentials in
            current.accessToken = token.accessToken
            if let instance = token.instanceURL { current.instanceURL = instance }
            return current
        }
        onRefresh(updated)
    }

    /// Sends and parses a JSON answer.
    public func json(_ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
                     headers: [(String, String)] = [], idempotent: Bool? = nil) async throws(SalesforceError) -> JSONValue {
        let response = try await send(method, path, query: query, body: body.map { Data($0.serialized().utf8) },
                                      headers: headers, idempotent: idempotent)
        guard !response.body.isEmpty else { return .null }
        do { return try JSONValue.parse(response.body) } catch {
            throw SalesforceError(kind: .protocolViolation, status: response.status,
                                  message: "the answer to \(method) \(Self.pathOnly(url(path, query: []))) is not JSON")
        }
    }
}
