import SalesforceModel
import Foundation
import JSON
import Salesforce
import Simulator
import Store
import TestSupport
import Testing
@testable import SyncEngine

/// Issue 20: the client-credentials flow against sfsim over loopback — its answers as Salesforce gives them,
/// and the engine (the daemon above all) renewing such a login across an expiry with no person there.
@Suite(.serialized) struct LoginFlowTests {
    static let app = ConnectedApp(clientID: "headless-app", clientSecret: "s3cret:with/odd+chars", flows: [.clientCredentials],
                                  runAs: "admin@sfsim.example.com")

    /// sfsim's login host (`localhost`, as login.salesforce.com) and its instance host (`127.0.0.1`, as a My Domain host).
    static func hosts(_ h: EngineHarness) -> (login: String, instance: String) {
        (h.server.baseURL.replacingOccurrences(of: "127.0.0.1", with: "localhost"), h.server.baseURL)
    }

    /// (client id, secret, on the login host, expected error code, a phrase of the explanation)
    @Test(arguments: [
        ("headless-app", "s3cret:with/odd+chars", true, "invalid_grant", "My Domain host"),
        ("no-such-app", "x", false, "invalid_client_id", "no connected app has this client id"),
        ("headless-app", "wrong", false, "invalid_client", "client secret does not match"),
        ("no-run-as", "s", false, "invalid_grant", "no Run As user"),
        ("not-offered", "s", false, "invalid_grant", "no Run As user"),
    ])
    func refusalsAreAnsweredAsSalesforceDoesAndExplained(clientID: String, secret: String, loginHost: Bool, code: String,
                                                         phrase: String) async throws {
        let h = try await EngineHarness.start { $0.contacts = 5; $0.leads = 5; $0.accounts = 2; $0.opportunities = 2 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            h.sim.addApp(Self.app)
            h.sim.addApp(ConnectedApp(clientID: "no-run-as", clientSecret: "s", flows: [.clientCredentials]))
            h.sim.addApp(ConnectedApp(clientID: "not-offered", clientSecret: "s", flows: [.password], runAs: "admin@sfsim.example.com"))
            let hosts = Self.hosts(h)
            // sfsim says which is which when it starts.
            #expect(h.server.startupInfo["login_url"]?.stringValue == hosts.login)
            #expect(h.server.startupInfo["instance_url"]?.stringValue == hosts.instance)
            let oauth = OAuthClient(loginURL: loginHost ? hosts.login : hosts.instance, transport: h.connector.transport)
            let error = await #expect(throws: SalesforceError.self) {
                try await oauth.clientCredentials(clientID: clientID, clientSecret: secret)
            }
            #expect(error?.code == code)
            #expect(error?.kind == .authentication)
            #expect(error?.message.contains(phrase) == true, "\(error?.message ?? "")")
        }
        try await stopping(h, testBody)
    }

    @Test func aClientCredentialsLoginIsRenewedUnattendedAcrossAnExpiry() async throws {
        let h = try await EngineHarness.start(clock: .standing()) { $0.contacts = 20; $0.leads = 10; $0.accounts = 4; $0.opportunities = 6 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            h.sim.addApp(Self.app)
            let instance = Self.hosts(h).instance
            let before = h.sim.callLog().count
            let token = try await OAuthClient(loginURL: instance, transport: h.connector.transport)
                .clientCredentials(clientID: Self.app.clientID, clientSecret: Self.app.clientSecret!)
            #expect(token.refreshToken == nil)
            try h.store.saveOrg(OrgRecord(alias: "cc", instanceURL: token.instanceURL ?? instance, loginURL: instance,
                                          accessToken: token.accessToken, clientID: Self.app.clientID,
                                          clientSecret: Self.app.clientSecret, flow: "client_credentials", createdAt: h.connector.clock.now()))
            // The session expires; the daemon's scheduled import mints a new token by itself, no person there.
            try h.schedule(.import, .hourly, org: "cc")
            h.sim.clock.advance(by: h.sim.configuration.sessionLifetime + 60)
            let outcomes = await h.daemon(DaemonLog()).runDue()
            #expect(outcomes.map(\.org) == ["cc"] && outcomes.first?.status == .succeeded, "\(outcomes)")
            let stored = try #require(try h.store.org("cc"))
            #expect(stored.accessToken != token.accessToken)
            #expect(stored.flow == "client_credentials")
            // The new token was asked for on the org's own host, with the app's credentials in HTTP Basic.
            let grants = h.sim.callLog().dropFirst(before).filter { $0.path.hasPrefix("/services/oauth2/token") }
            #expect(grants.count == 2 && grants.allSatisfy { $0.status == 200 })
        }
        try await stopping(h, testBody)
    }

    static let keys = TestKeyPair.shared

    static func jwtApp(preAuthorized: [String]? = ["admin@sfsim.example.com"]) -> ConnectedApp {
        ConnectedApp(clientID: "jwt-app", certificate: keys.certificatePEM, flows: [.jwt], preAuthorized: preAuthorized)
    }

    enum Assertion: String, CaseIterable { case instanceAudience, notPreAuthorized, unknownApp, otherKey, expired, appWithoutJWT, unknownUser }

    /// Each refusal of a JWT bearer grant, answered as Salesforce answers it and explained.
    @Test(arguments: Assertion.allCases)
    func jwtRefusals(_ assertion: Assertion) async throws {
        let h = try await EngineHarness.start(clock: .standing()) { $0.contacts = 5; $0.leads = 5; $0.accounts = 2; $0.opportunities = 2 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            h.sim.addApp(Self.jwtApp(preAuthorized: assertion == .notPreAuthorized ? ["someone.else@sfsim.example.com"] : nil))
            h.sim.addApp(ConnectedApp(clientID: "no-jwt", certificate: Self.keys.certificatePEM, flows: [.password]))
            let login = Self.hosts(h).login
            let oauth = OAuthClient(loginURL: login, transport: h.connector.transport)
            var clientID = "jwt-app", username = "admin@sfsim.example.com", audience = login, key = Self.keys.privateKeyPEM
            var now = h.sim.clock.now()
            let expected: (code: String, phrase: String)
            switch assertion {
            case .instanceAudience: audience = Self.hosts(h).instance; expected = ("invalid_grant", "never the My Domain host")
            case .notPreAuthorized: expected = ("invalid_grant", "pre-authorized")
            case .unknownApp: clientID = "nobody"; expected = ("invalid_client_id", "no connected app has this client id")
            case .otherKey: key = try TestKeyPair.make().privateKeyPEM; expected = ("invalid_grant", "invalid assertion")
            case .expired: now = now.addingTimeInterval(-600); expected = ("invalid_grant", "invalid assertion")
            case .appWithoutJWT: clientID = "no-jwt"; expected = ("invalid_app_access", "pre-authorize")
            case .unknownUser: username = "ghost@sfsim.example.com"; expected = ("invalid_grant", "pre-authorized")
            }
            let error = await #expect(throws: SalesforceError.self) {
                try await oauth.jwtBearer(clientID: clientID, username: username, audience: audience, privateKeyPEM: key, now: now)
            }
            #expect(error?.code == expected.code, "\(error?.message ?? "")")
            #expect(error?.message.contains(expected.phrase) == true, "\(error?.message ?? "")")
        }
        try await stopping(h, testBody)
    }

    @Test func aJWTLoginIsRenewedUnattendedAcrossAnExpiry() async throws {
        let h = try await EngineHarness.start(clock: .standing()) { $0.contacts = 20; $0.leads = 10; $0.accounts = 4; $0.opportunities = 6 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            h.sim.addApp(Self.jwtApp())
            let login = Self.hosts(h).login
            let keyPath = NSTemporaryDirectory() + "sfsh-jwt-" + UUID().uuidString + ".pem"
            try Self.keys.privateKeyPEM.write(toFile: keyPath, atomically: true, encoding: .utf8)
            let before = h.sim.callLog().count
            let token = try await OAuthClient(loginURL: login, transport: h.connector.transport)
                .jwtBearer(clientID: "jwt-app", username: "admin@sfsim.example.com", audience: login,
                           privateKeyPEM: Self.keys.privateKeyPEM, now: h.sim.clock.now())
            #expect(token.refreshToken == nil)
            try h.store.saveOrg(OrgRecord(alias: "jwt", instanceURL: token.instanceURL ?? h.server.baseURL, loginURL: login,
                                          username: "admin@sfsim.example.com", accessToken: token.accessToken, clientID: "jwt-app",
                                          flow: "jwt", jwtKeyPath: keyPath, jwtAudience: login, createdAt: h.connector.clock.now()))
            // The session expires; the daemon's scheduled import signs a new assertion by itself, no person there.
            try h.schedule(.import, .hourly, org: "jwt")
            h.sim.clock.advance(by: h.sim.configuration.sessionLifetime + 60)
            let outcomes = await h.daemon(DaemonLog()).runDue()
            #expect(outcomes.map(\.org) == ["jwt"] && outcomes.first?.status == .succeeded, "\(outcomes)")
            #expect(try h.store.org("jwt")?.accessToken != token.accessToken)
            let grants = h.sim.callLog().dropFirst(before).filter { $0.path.hasPrefix("/services/oauth2/token") }
            #expect(grants.count == 2 && grants.allSatisfy { $0.status == 200 })
        }
        try await stopping(h, testBody)
    }
}
