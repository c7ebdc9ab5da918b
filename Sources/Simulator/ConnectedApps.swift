import Foundation
import JSON

/// A connected app, as data: which flows it allows, its secret, callbacks and certificate, the user
/// client-credentials tokens act as, and the users pre-authorized for the JWT bearer flow.
/// `POST /_sfsim/apps` adds one; the default app (the configuration's client id) keeps the flows sfsim
/// always offered.
public struct ConnectedApp: Sendable, Equatable {
    public enum Flow: String, Sendable, CaseIterable {
        case web, device, password, jwt, clientCredentials = "client_credentials", refresh
    }

    public var clientID: String
    public var clientSecret: String?
    public var callbackURLs: [String]
    /// PEM certificate whose key signs this app's JWT assertions.
    public var certificate: String?
    public var flows: Set<Flow>
    /// The user client-credentials tokens act as (the app's "Run As" user).
    public var runAs: String?
    /// Usernames pre-authorized for the JWT bearer flow (nil: every user).
    public var preAuthorized: [String]?

    public init(clientID: String, clientSecret: String? = nil, callbackURLs: [String] = [], certificate: String? = nil,
                flows: Set<Flow>, runAs: String? = nil, preAuthorized: [String]? = nil) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.callbackURLs = callbackURLs
        self.certificate = certificate
        self.flows = flows
        self.runAs = runAs
        self.preAuthorized = preAuthorized
    }

    /// The flows the default app keeps offering.
    static let defaultFlows: Set<Flow> = [.web, .device, .password, .refresh]

    /// Parses the control's `{"client_id", "client_secret"?, "callback_urls", "certificate"?, "flows", "run_as"?,
    /// "pre_authorized"?}`; the error says which key is wrong.
    init(json: JSONValue) throws(ControlRefusal) {
        guard let clientID = json["client_id"]?.stringValue, !clientID.isEmpty, clientID.count <= 255 else {
            throw ControlRefusal("client_id (a non-empty string) is required")
        }
        var flows: Set<Flow> = []
        for value in json["flows"]?.arrayValue ?? [] {
            guard let name = value.stringValue, let flow = Flow(rawValue: name) else {
                throw ControlRefusal("flows must name \(Flow.allCases.map(\.rawValue).joined(separator: ", ")); not \(value.serialized())")
            }
            flows.insert(flow)
        }
        guard !flows.isEmpty else { throw ControlRefusal("flows must name at least one flow") }
        func strings(_ key: String) throws(ControlRefusal) -> [String]? {
            guard let value = json[key], value != .null else { return nil }
            guard let array = value.arrayValue, array.allSatisfy({ $0.stringValue != nil }) else {
                throw ControlRefusal("\(key) must be a list of strings")
            }
            return array.compactMap(\.stringValue)
        }
        self.init(clientID: clientID, clientSecret: json["client_secret"]?.stringValue, callbackURLs: try strings("callback_urls") ?? [],
                  certificate: json["certificate"]?.stringValue, flows: flows, runAs: json["run_as"]?.stringValue,
                  preAuthorized: try strings("pre_authorized"))
    }
}

/// Why the control refused a request.
struct ControlRefusal: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

extension Org {
    /// The app with this client id, allowing `flow`; otherwise the token endpoint's answer, as Salesforce gives it.
    func app(_ clientID: String?, allowing flow: ConnectedApp.Flow) -> Result<ConnectedApp, SimResponseError> {
        guard let clientID, let app = lock.withLock({ apps[clientID] }) else {
            return .failure(SimResponseError(Self.tokenError("invalid_client_id", "client identifier invalid")))
        }
        guard app.flows.contains(flow) else {
            switch flow {
            case .clientCredentials:
                return .failure(SimResponseError(Self.tokenError("invalid_grant", "no client credentials user enabled")))
            case .password:
                return .failure(SimResponseError(Self.tokenError("invalid_grant", "authentication failure")))
            case .jwt:
                return .failure(SimResponseError(Self.tokenError("invalid_app_access", "user is not admin approved to access this app")))
            default:
                return .failure(SimResponseError(Self.tokenError("unsupported_grant_type", "grant type not supported")))
            }
        }
        return .success(app)
    }

    /// Adds or replaces a connected app (the test hook behind `POST /_sfsim/apps`).
    public func addApp(_ app: ConnectedApp) {
        lock.withLock { apps[app.clientID] = app }
    }

    /// Whether a request reached sfsim's login host (`localhost:PORT`, as `login.salesforce.com`) rather than its
    /// instance host (`127.0.0.1:PORT`, as a My Domain host): the grants that only a My Domain host takes tell them apart.
    static func onLoginHost(_ request: SimRequest) -> Bool {
        guard let host = request.headers["host"] else { return false }
        let name = host.hasPrefix("[") ? String(host.prefix { $0 != "]" }) + "]" : String(host.split(separator: ":").first ?? "")
        return name.lowercased() == "localhost"
    }

    /// The client id and secret of a token request: HTTP Basic (`Authorization: Basic base64(id:secret)`) or the form.
    static func clientCredentials(_ request: SimRequest, form: [String: String]) -> (id: String?, secret: String?) {
        if let header = request.headers["authorization"], header.lowercased().hasPrefix("basic "),
           let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
           let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") {
            let id = String(text[..<colon]).removingPercentEncoding ?? String(text[..<colon])
            let secret = String(text[text.index(after: colon)...])
            return (id, secret.removingPercentEncoding ?? secret)
        }
        return (form["client_id"], form["client_secret"])
    }

    /// `grant_type=client_credentials`: the app's secret, on the org's own host, as the app's Run As user.
    func clientCredentialsToken(_ request: SimRequest, form: [String: String]) -> SimResponse {
        guard !Self.onLoginHost(request) else {
            return Self.tokenError("invalid_grant", "request not supported on this domain")
        }
        let (id, secret) = Self.clientCredentials(request, form: form)
        let app: ConnectedApp
        switch self.app(id, allowing: .clientCredentials) {
        case let .success(found): app = found
        case let .failure(error): return error.response
        }
        guard let expected = app.clientSecret, secret == expected else {
            return Self.tokenError("invalid_client", "invalid client credentials")
        }
        guard let runAs = app.runAs,
              let user = lock.withLock({ users.first { $0.username.lowercased() == runAs.lowercased() } }), user.active else {
            return Self.tokenError("invalid_grant", "no client credentials user enabled")
        }
        let access = issueAccessToken(userID: user.id, refreshToken: nil)
        return .json(tokenBody(user: user, accessToken: access, refreshToken: nil, scope: "api"))
    }
}

/// A token-endpoint answer carried as an error.
struct SimResponseError: Error {
    let response: SimResponse
    init(_ response: SimResponse) { self.response = response }
}
