import Foundation
import JSON
import TestSupport
import Testing
@testable import Simulator

@Suite struct OAuthTests {
    @Test func passwordGrantAndItsErrors() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let config = sim.org.configuration
            func grant(_ fields: [(String, String)]) async throws -> SimHarness.Answer {
                try await sim.call("POST", "/services/oauth2/token", form: fields)
            }
            let ok = try await grant([("grant_type", "password"), ("client_id", config.clientID),
                                      ("client_secret", config.clientSecret), ("username", config.adminUsername),
                                      ("password", config.adminPassword + config.securityToken)])
            #expect(ok.status == 200)
            #expect(ok.json["instance_url"]?.stringValue == sim.base)
            #expect(ok.json["refresh_token"] == nil)
            #expect(ok.json["token_type"] == .string("Bearer"))
            let token = try #require(ok.json["access_token"]?.stringValue)
            #expect(try await sim.call("GET", "limits", token: token).status == 200)

            let badPassword = try await grant([("grant_type", "password"), ("client_id", config.clientID),
                                               ("client_secret", config.clientSecret), ("username", config.adminUsername),
                                               ("password", "wrong")])
            #expect(badPassword.status == 400)
            #expect(badPassword.json["error"] == .string("invalid_grant"))
            #expect(badPassword.json["error_description"] == .string("authentication failure"))
            let badClient = try await grant([("grant_type", "password"), ("client_id", "nope")])
            #expect(badClient.json["error"] == .string("invalid_client_id"))
            let badSecret = try await grant([("grant_type", "password"), ("client_id", config.clientID),
                                             ("client_secret", "nope")])
            #expect(badSecret.json["error"] == .string("invalid_client"))
            let badGrant = try await grant([("grant_type", "magic")])
            #expect(badGrant.json["error"] == .string("unsupported_grant_type"))
        }
        try await stopping(sim, testBody)
    }

    @Test func deviceFlowRefreshAndRevoke() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let clientID = sim.org.configuration.clientID
            let start = try await sim.call("POST", "/services/oauth2/token",
                                           form: [("response_type", "device_code"), ("client_id", clientID),
                                                  ("scope", "refresh_token api")])
            #expect(start.status == 200)
            let deviceCode = try #require(start.json["device_code"]?.stringValue)
            let userCode = try #require(start.json["user_code"]?.stringValue)
            #expect(start.json["interval"] == .int(5))
            #expect(start.json["verification_uri"]?.stringValue?.isEmpty == false)

            let poll: [(String, String)] = [("grant_type", "device"), ("client_id", clientID), ("code", deviceCode)]
            let pending = try await sim.call("POST", "/services/oauth2/token", form: poll)
            #expect(pending.status == 400 && pending.json["error"] == .string("authorization_pending"))
            let tooFast = try await sim.call("POST", "/services/oauth2/token", form: poll)
            #expect(tooFast.json["error"] == .string("slow_down"))

            let approve = try await sim.call("POST", "/_sfsim/device/approve", json: .object([("user_code", .string(userCode))]))
            #expect(approve.status == 200)
            sim.org.clock.advance(by: 6)
            let granted = try await sim.call("POST", "/services/oauth2/token", form: poll)
            #expect(granted.status == 200)
            let access = try #require(granted.json["access_token"]?.stringValue)
            let refresh = try #require(granted.json["refresh_token"]?.stringValue)
            #expect(granted.json["scope"] == .string("refresh_token api web"))

            // The code is spent.
            let again = try await sim.call("POST", "/services/oauth2/token", form: poll)
            #expect(again.status == 400)

            // An expired session answers 401 INVALID_SESSION_ID; the refresh token gets a new one.
            sim.org.clock.advance(by: 3 * 3600)
            let expired = try await sim.call("GET", "limits", token: access)
            #expect(expired.status == 401 && expired.errorCode == "INVALID_SESSION_ID")
            #expect(expired.message == "Session expired or invalid")
            #expect(expired.header("WWW-Authenticate") == "Token")
            #expect(expired.header("Sforce-Limit-Info") == nil)
            let refreshed = try await sim.call("POST", "/services/oauth2/token",
                                               form: [("grant_type", "refresh_token"), ("client_id", clientID),
                                                      ("refresh_token", refresh)])
            let newAccess = try #require(refreshed.json["access_token"]?.stringValue)
            #expect(try await sim.call("GET", "limits", token: newAccess).status == 200)

            // Revoking the refresh token ends its sessions too.
            let revoked = try await sim.call("POST", "/services/oauth2/revoke", form: [("token", refresh)])
            #expect(revoked.status == 200)
            #expect(try await sim.call("GET", "limits", token: newAccess).status == 401)
            let reuse = try await sim.call("POST", "/services/oauth2/token",
                                           form: [("grant_type", "refresh_token"), ("client_id", clientID),
                                                  ("refresh_token", refresh)])
            #expect(reuse.json["error_description"] == .string("expired access/refresh token"))
            let unknown = try await sim.call("POST", "/services/oauth2/revoke", form: [("token", "nope")])
            #expect(unknown.status == 400 && unknown.json["error"] == .string("invalid_token"))
        }
        try await stopping(sim, testBody)
    }

    @Test func identityAndUserInfo() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let admin = sim.org.adminUser
            let identity = try await sim.call("GET", "/id/\(sim.org.orgID)/\(admin.id)")
            #expect(identity.status == 200)
            #expect(identity.json["username"] == .string(admin.username))
            #expect(identity.json["organization_id"] == .string(sim.org.orgID))
            #expect(identity.json["urls"]?["rest"]?.stringValue?.contains("{version}") == true)
            let info = try await sim.call("GET", "/services/oauth2/userinfo")
            #expect(info.json["preferred_username"] == .string(admin.username))
            #expect(info.json["user_id"] == .string(admin.id))
            let anonymous = try await sim.call("GET", "/services/oauth2/userinfo", token: "bad")
            #expect(anonymous.status == 403)
        }
        try await stopping(sim, testBody)
    }
}
