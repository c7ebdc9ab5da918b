public import SalesforceModel
public import Foundation
import JSON

/// A token answer from `/services/oauth2/token`.
public struct TokenResponse: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String?
    public var instanceURL: String?
    /// The identity URL (`…/id/<orgId>/<userId>`).
    public var identityURL: String?
    public var scope: String?

    public init(accessToken: String, refreshToken: String? = nil, instanceURL: String? = nil, identityURL: String? = nil,
                scope: String? = nil) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.instanceURL = instanceURL
        self.identityURL = identityURL
        self.scope = scope
    }

    static func parse(_ value: JSONValue) throws(SalesforceError) -> TokenResponse {
        guard let access = value["access_token"]?.stringValue else {
            throw SalesforceError(kind: .protocolViolation, message: "the token answer has no access_token")
        }
        return TokenResponse(accessToken: access, refreshToken: value["refresh_token"]?.stringValue,
                             instanceURL: value["instance_url"]?.stringValue, identityURL: value["id"]?.stringValue,
                             scope: value["scope"]?.stringValue)
    }
}

/// The first step of the device flow.
public struct DeviceAuthorization: Sendable, Equatable {
    public var deviceCode: String
    public var userCode: String
    public var verificationURI: String
    public var interval: TimeInterval
}

/// OAuth 2.0 against a login URL (production, sandbox, My Domain or sfsim).
public struct OAuthClient: Sendable {
    public let loginURL: String
    let transport: any HTTPTransport
    let meter: any CallMeter

    public init(loginURL: String, transport: any HTTPTransport, meter: any CallMeter = ObservingMeter()) {
        self.loginURL = loginURL.hasSuffix("/") ? String(loginURL.dropLast()) : loginURL
        self.transport = transport
        self.meter = meter
    }

    func post(_ path: String, form: [(String, String)], headers: [(String, String)] = []) async throws(SalesforceError) -> HTTPResponse {
        try SalesforceClient.checkScheme(loginURL)
        let request = HTTPRequest(method: "POST", url: loginURL + path,
                                  headers: [("Content-Type", "application/x-www-form-urlencoded"),
                                            ("Accept", "application/json")] + headers,
                                  body: Data(SalesforceClient.formEncode(form).utf8), timeout: 60,
                                  maxResponseBytes: 1 << 20)
        try meter.admit(method: "POST", path: path)
        let started = Date()
        let outcome: Result<HTTPResponse, TransportError>
        do { outcome = .success(try await transport.send(request)) } catch { outcome = .failure(error) }
        switch outcome {
        case let .success(response):
            try meter.record(CallRecord(method: "POST", path: path, status: response.status,
                                        duration: Date().timeIntervalSince(started), usage: nil))
            return response
        case let .failure(error):
            try meter.record(CallRecord(method: "POST", path: path, status: 0,
                                        duration: Date().timeIntervalSince(started), usage: nil))
            throw SalesforceError(error)
        }
    }

    func token(_ form: [(String, String)], headers: [(String, String)] = []) async throws(SalesforceError) -> TokenResponse {
        let response = try await post("/services/oauth2/token", form: form, headers: headers)
        guard response.status == 200 else {
            var error = SalesforceError.from(status: response.status, body: response.body)
            if response.status == 400 { error.kind = .authentication }
            if let code = error.code, let explanation = TokenFailure.explanation(error: code, description: error.message) {
                error.message += " — " + explanation
            }
            throw error
        }
        do { return try TokenResponse.parse(try JSONValue.parse(response.body)) } catch let error as SalesforceError {
            throw error
        } catch {
            throw SalesforceError(kind: .protocolViolation, message: "the token answer is not JSON")
        }
    }

    /// Username-password flow; `password` is the password followed by the security token.
    public func password(username: String, password: String, clientID: String, clientSecret: String)
        async throws(SalesforceError) -> TokenResponse
    {
        try await token([("grant_type", "password"), ("client_id", clientID), ("client_secret", clientSecret),
                         ("username", username), ("password", password)])
    }

    /// The client-credentials flow: the app's id and secret (HTTP Basic, each form-encoded first as RFC 6749
    /// §2.3.1 asks), posted to the org's own (My Domain) host; the token acts as the app's Run As user.
    public func clientCredentials(clientID: String, clientSecret: String) async throws(SalesforceError) -> TokenResponse {
        let pair = FormEncoding.component(clientID) + ":" + FormEncoding.component(clientSecret)
        return try await token([("grant_type", "client_credentials")],
                               headers: [("Authorization", "Basic " + Data(pair.utf8).base64EncodedString())])
    }

    public func refresh(refreshToken: String, clientID: String, clientSecret: String?) async throws(SalesforceError)
        -> TokenResponse
    {
        var form = [("grant_type", "refresh_token"), ("client_id", clientID), ("refresh_token", refreshToken)]
        if let clientSecret, !clientSecret.isEmpty { form.append(("client_secret", clientSecret)) }
        return try await token(form)
    }

    /// Starts the device flow (scope includes refresh_token: offline access).
    public func startDevice(clientID: String, scope: String = "refresh_token api") async throws(SalesforceError)
        -> DeviceAuthorization
    {
        let response = try await post("/services/oauth2/token",
                                      form: [("response_type", "device_code"), ("client_id", clientID), ("scope", scope)])
        guard response.status == 200 else {
            var error = SalesforceError.from(status: response.status, body: response.body)
            error.kind = .authentication
            throw error
        }
        guard let value = try? JSONValue.parse(response.body), let device = value["device_code"]?.stringValue,
              let user = value["user_code"]?.stringValue, let uri = value["verification_uri"]?.stringValue else {
            throw SalesforceError(kind: .protocolViolation, message: "the device answer lacks device_code/user_code")
        }
        return DeviceAuthorization(deviceCode: device, userCode: user, verificationURI: uri,
                                   interval: value["interval"]?.doubleValue ?? 5)
    }

    public enum DevicePoll: Sendable, Equatable {
        case pending
        case slowDown
        case granted(TokenResponse)
    }

    /// One poll of the device flow.
    public func pollDevice(clientID: String, deviceCode: String) async throws(SalesforceError) -> DevicePoll {
        do {
            return .granted(try await token([("grant_type", "device"), ("client_id", clientID), ("code", deviceCode)]))
        } catch {
            switch error.code {
            case "authorization_pending": return .pending
            case "slow_down": return .slowDown
            default: throw error
            }
        }
    }

    /// Revokes a token (a refresh token also ends its sessions).
    public func revoke(token: String) async throws(SalesforceError) {
        let response = try await post("/services/oauth2/revoke", form: [("token", token)])
        guard response.status == 200 else { throw SalesforceError.from(status: response.status, body: response.body) }
    }
}
