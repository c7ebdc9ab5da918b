import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Simulator
import Store
import TestSupport
import Testing
@testable import Shell

/// A line source with scripted answers for secret prompts.
final class ScriptedReader: LineReader {
    var lines: [String]
    var secrets: [String]
    init(lines: [String], secrets: [String] = []) {
        self.lines = lines
        self.secrets = secrets
    }
    var isInteractive: Bool { false }
    func readLine(prompt: String) -> LineInput { lines.isEmpty ? .end : .line(lines.removeFirst()) }
    func readSecret(prompt: String) -> String? { secrets.isEmpty ? nil : secrets.removeFirst() }
    func remember(_ line: String) {}
}

/// A shell logged into the in-process demo org.
struct OrgHarness: Stoppable {
    let harness: Harness
    var session: ShellSession { harness.session }
    var org: Org { session.demoServer!.org }

    static func demo(width: Int? = nil) async throws -> OrgHarness {
        let harness = try Harness(width: width)
        harness.session.retryPolicy = RetryPolicy(attempts: 3, baseDelay: 0.01, maxDelay: 0.02)
        let result = await harness.run("login --demo")
        #expect(result.code == 0, "\(result.err)")
        return OrgHarness(harness: harness)
    }

    /// Runs lines and returns only what they printed.
    func run(_ script: String, secrets: [String] = []) async -> (out: String, err: String, code: Int32) {
        let outBefore = harness.stdout.text.count
        let errBefore = harness.stderr.text.count
        session.keepGoing = false
        let result = await session.run(reader: ScriptedReader(lines: script.split(separator: "\n").map(String.init),
                                                               secrets: secrets))
        return (String(harness.stdout.text.dropFirst(outBefore)), String(harness.stderr.text.dropFirst(errBefore)),
                result.exitCode)
    }

    func json(_ line: String) async throws -> JSONValue {
        let (out, err, code) = await run(line)
        #expect(code == 0, "\(line): \(err)")
        return try JSONValue.parse(out)
    }

    func stop() async { await session.demoServer?.stop() }
}

@Suite(.serialized) struct LoginTests {
    @Test func demoLoginStoresTheOrgAndWhoamiRedacts() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let orgs = try await shell.json("orgs --json")
            #expect(orgs.arrayValue?.first?["alias"] == .string("demo"))
            #expect(orgs.arrayValue?.first?["current"] == .bool(true))
            #expect(orgs.arrayValue?.first?["refresh_token"] == .bool(true))
            let whoami = try await shell.json("whoami --json")
            #expect(whoami["username"] == .string("admin@sfsim.example.com"))
            #expect(whoami["edition"] == .string("Enterprise Edition"))
            let token = try #require(try shell.session.store.org("demo")?.accessToken)
            #expect(whoami["access_token"]?.stringValue?.hasSuffix("…(redacted)") == true)
            #expect(whoami.serialized().contains(token) == false)
            #expect(whoami["api_usage"]?["max"] == .int(100_000))
        }
        try await stopping(server, testBody)
    }

    @Test func tokenLoginAndUse() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let base = shell.session.demoServer!.baseURL
            let (out, err, code) = await shell.run("login --token \(shell.org.adminAccessToken) --instance \(base) --alias second")
            #expect(code == 0, "\(err)")
            #expect(out.isEmpty)
            #expect(err.contains("logged into second as admin@sfsim.example.com"))
            #expect(err.contains("no refresh token"))
            let json = try JSONValue.parse(await shell.run("login --token \(shell.org.adminAccessToken) --instance \(base) --alias third --json").out)
            #expect(json["alias"] == .string("third") && json["refresh_token"] == .bool(false))
            #expect(shell.session.currentOrgAlias == "third")
            #expect(await shell.run("use demo").code == 0)
            #expect(shell.session.currentOrgAlias == "demo")
            let unknown = await shell.run("use nowhere")
            #expect(unknown.code == 2 && unknown.err.contains("no org called 'nowhere'"))
            let insecure = await shell.run("login --token x --instance http://example.com")
            #expect(insecure.code == 2 && insecure.err.contains("only https is allowed"))
        }
        try await stopping(server, testBody)
    }

    /// Issue 20: `login --client-credentials` on the org's own host, its secret asked with echo off; the flow is kept
    /// and shown (`whoami`, `orgs`, `check`); a login host refuses it with the fix in the message.
    @Test func clientCredentialsLoginAsksForTheSecretAndKeepsTheFlow() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            server.org.addApp(ConnectedApp(clientID: "headless", clientSecret: "app-secret-1", flows: [.clientCredentials],
                                           runAs: "admin@sfsim.example.com"))
            let asked = await shell.run("login --client-credentials --client-id headless --instance \(server.baseURL) --alias cc --json",
                                        secrets: ["app-secret-1"])
            #expect(asked.code == 0, "\(asked.err)")
            let facts = try JSONValue.parse(asked.out)
            #expect(facts["flow"] == .string("client_credentials") && facts["refresh_token"] == .bool(false))
            #expect(asked.err.contains("renewed with new client-credentials tokens"))
            #expect(!asked.out.contains("app-secret-1") && !asked.err.contains("app-secret-1"))
            let whoami = try await shell.json("whoami --json")
            #expect(whoami["flow"] == .string("client_credentials"))
            let orgs = try await shell.json("orgs --json")
            #expect(orgs.arrayValue?.first { $0["alias"] == .string("cc") }?["flow"] == .string("client_credentials"))
            #expect(orgs.arrayValue?.first { $0["alias"] == .string("demo") }?["flow"] == .string("demo"))
            let check = await shell.run("check --json")
            let renewal = try JSONValue.parse(check.out).arrayValue?.first { $0["check"] == .string("refresh token (offline access)") }
            #expect(renewal?["status"] == .string("pass"), "\(check.out)")
            // sfsim's login host (localhost, as login.salesforce.com) refuses the grant, and sfsh says what to do.
            let loginHost = server.baseURL.replacingOccurrences(of: "127.0.0.1", with: "localhost")
            let refused = await shell.run("login --client-credentials --client-id headless --client-secret app-secret-1 --instance \(loginHost)")
            #expect(refused.code == 3)
            #expect(refused.err.contains("request not supported on this domain") && refused.err.contains("My Domain host"), "\(refused.err)")
            let missing = await shell.run("login --client-credentials --client-id headless")
            #expect(missing.code == 2 && missing.err.contains("--instance"))
        }
        try await stopping(server, testBody)
    }

    /// Issue 20: `login --sfdx-url FILE|-` imports an sf CLI login and keeps its refresh token; the URL itself on the
    /// command line is refused and never echoed.
    @Test func anSfdxURLLoginImportsTheRefreshToken() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let demo = try #require(try shell.session.store.org("demo"))
            let refresh = try #require(demo.refreshToken)
            let url = "force://\(server.org.configuration.clientID):\(server.org.configuration.clientSecret):\(refresh)@\(server.baseURL)"
            let file = try shell.harness.write("auth.json", #"{"status":0,"result":{"sfdxAuthUrl":"\#(url)"}}"#)
            let imported = await shell.run("login --sfdx-url \(file) --alias ci --json")
            #expect(imported.code == 0, "\(imported.err)")
            #expect(try JSONValue.parse(imported.out)["flow"] == .string("sfdx_url"))
            let stored = try #require(try shell.session.store.org("ci"))
            #expect(stored.refreshToken == refresh && stored.flow == "sfdx_url")
            let typed = await shell.run("login --sfdx-url \(url)")
            #expect(typed.code == 2 && typed.err.contains("not the URL itself") && !typed.err.contains(refresh), "\(typed.err)")
            let bad = try shell.harness.write("bad.txt", "https://example.com\n")
            let refused = await shell.run("login --sfdx-url \(bad)")
            #expect(refused.code == 2 && refused.err.contains("starts with force://"))
        }
        try await stopping(server, testBody)
    }

    /// Issue 20: `login --jwt` signs an assertion for a pre-authorized user with the login host as its audience;
    /// the key's path is kept (not the key), the flow shown, and a My Domain audience refused with the fix.
    @Test func aJWTLoginSignsForThePreAuthorizedUser() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let keys = TestKeyPair.shared
            server.org.addApp(ConnectedApp(clientID: "jwt-app", certificate: keys.certificatePEM, flows: [.jwt],
                                           preAuthorized: ["admin@sfsim.example.com"]))
            let key = try shell.harness.write("server.key", keys.privateKeyPEM)
            let loginHost = server.baseURL.replacingOccurrences(of: "127.0.0.1", with: "localhost")
            let signed = await shell.run("login --jwt --client-id jwt-app --username admin@sfsim.example.com --key \(key) --login-url \(loginHost) --alias headless --json")
            #expect(signed.code == 0, "\(signed.err)")
            #expect(try JSONValue.parse(signed.out)["flow"] == .string("jwt"))
            #expect(signed.err.contains("renewed with new signed JWT assertions"))
            let stored = try #require(try shell.session.store.org("headless"))
            #expect(stored.jwtKeyPath == key && stored.jwtAudience == loginHost && stored.clientSecret == nil)
            let check = await shell.run("check --json")
            let renewal = try JSONValue.parse(check.out).arrayValue?.first { $0["check"] == .string("refresh token (offline access)") }
            #expect(renewal?["status"] == .string("pass"), "\(check.out)")
            // The instance (My Domain) host as the audience: refused, and sfsh names the audience to use.
            let refused = await shell.run("login --jwt --client-id jwt-app --username admin@sfsim.example.com --key \(key) --login-url \(loginHost) --audience \(server.baseURL)")
            #expect(refused.code == 3 && refused.err.contains("audience is invalid") && refused.err.contains("https://login.salesforce.com")
                    && refused.err.contains("sfsh sent aud=\(server.baseURL)"), "\(refused.err)")
            let noKey = await shell.run("login --jwt --client-id jwt-app --username admin@sfsim.example.com")
            #expect(noKey.code == 2 && noKey.err.contains("--key FILE"))
        }
        try await stopping(server, testBody)
    }

    /// Issue 18 §5: the token need not be on the command line; when it is, sfsh says why it should not be.
    @Test func aBareTokenOptionAsksWithEchoOffAndTheArgvFormWarns() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let token = shell.org.adminAccessToken
            let asked = await shell.run("login --token --instance \(server.baseURL) --alias asked", secrets: [token])
            #expect(asked.code == 0, "\(asked.err)")
            #expect(asked.err.contains("logged into asked") && !asked.err.contains("warning"))
            let typed = await shell.run("login --token \(token) --instance \(server.baseURL) --alias typed")
            #expect(typed.code == 0 && typed.err.contains("warning: a token on the command line"))
            let none = await shell.run("login --token --instance \(server.baseURL) --alias none", secrets: [""])
            #expect(none.code == 2 && none.err.contains("no access token given"))
        }
        try await stopping(server, testBody)
    }

    @Test(arguments: [
        ("00D5g000000016R!ARRYbcdefghijklmnopqrstuvwxyz.0123", true),
        ("x=00D5g000000016RAB!ARRYbcdefghijklmnopqrstuvwxyz_0123", true),
        ("00D5g000000016R!short", false),
        ("00Dnotanorg!ARRYbcdefghijklmnopqrstuvwxyz", false),
        ("003000000000001AAA", false),
        ("hello", false),
    ])
    func tokenShapedWordsAreSecretsAnywhere(word: String, secret: Bool) throws {
        #expect(SecretWords.isTokenShaped(word) == secret)
        let session = try Harness().session
        #expect(session.isSecretLine("login \(word)") == secret)
        #expect(session.isSecretLine("echo \(word)") == secret)
    }

    @Test func aTokenTypedWhereNoneBelongsIsRedactedInTheError() async throws {
        let harness = try Harness()
        let token = "00D5g000000016R!ARRYbcdefghijklmnopqrstuvwxyz.0123"
        let (_, err, code) = await harness.run("login \(token)")
        #expect(code == 2 && !err.contains(token) && err.contains("(redacted)"), "\(err)")
    }

    /// Issue 18 §8: another session's `login` or `use` does not move this session's org.
    @Test func aSessionKeepsTheOrgItResolved() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let other = ShellSession(table: Commands.table, store: shell.session.store,
                                         io: ShellIO(stdout: BufferSink(), stderr: BufferSink()))
            #expect(other.currentOrgAlias == "demo")
            // The other session logs into a second org, which becomes the home-wide default…
            let login = await other.run(reader: ScriptedReader(lines: [
                "login --token --instance \(server.baseURL) --alias elsewhere"], secrets: [shell.org.adminAccessToken]))
            #expect(login.exitCode == 0)
            #expect(other.currentOrgAlias == "elsewhere")
            // …but this session's settings still land on the org it shows.
            #expect(shell.session.currentOrgAlias == "demo")
            #expect(await shell.run("set levitate.tag_fields Title").code == 0)
            #expect(try shell.session.store.setting("levitate.tag_fields", scope: "demo") == "Title")
            #expect(try shell.session.store.setting("levitate.tag_fields", scope: "elsewhere") == nil)
            // A session started now takes the new default.
            let third = ShellSession(table: Commands.table, store: shell.session.store,
                                         io: ShellIO(stdout: BufferSink(), stderr: BufferSink()))
            #expect(third.currentOrgAlias == "elsewhere")
        }
        try await stopping(server, testBody)
    }

    @Test func passwordFlowPromptsAndStoresNoPassword() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let config = shell.org.configuration
            let base = shell.session.demoServer!.baseURL
            let script = "set client_id \(config.clientID)\nset client_secret \(config.clientSecret)\n"
                + "login --password --username \(config.adminUsername) --login-url \(base) --alias pw"
            let (out, err, code) = await shell.run(script, secrets: [config.adminPassword, config.securityToken])
            #expect(code == 0, "\(err)")
            #expect(out.isEmpty && err.contains("logged into pw"))
            let bad = await shell.run("login --password --username \(config.adminUsername) --login-url \(base) --alias pw2",
                                      secrets: ["wrong", ""])
            #expect(bad.code == 3)
            #expect(bad.err.contains("invalid_grant"))
            let database = try Data(contentsOf: URL(fileURLWithPath: shell.session.store.home.databasePath))
            #expect(database.range(of: Data(config.adminPassword.utf8)) == nil)
        }
        try await stopping(server, testBody)
    }

    @Test func deviceFlowWaitsForApproval() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let org = shell.org
            let stderr = shell.harness.stderr
            let approver = Task {
                for _ in 0..<200 {
                    if let range = stderr.text.range(of: #"enter the code ([A-Z]+)"#, options: .regularExpression) {
                        let code = String(stderr.text[range].split(separator: " ").last!)
                        _ = org.approveDevice(userCode: code)
                        return
                    }
                    try await Task.sleep(nanoseconds: 50_000_000)
                }
            }
            let (out, err, code) = await shell.run("login --login-url \(shell.session.demoServer!.baseURL) --client-id \(org.configuration.clientID) --alias device")
            _ = try await approver.value
            #expect(code == 0, "\(err)")
            #expect(out.isEmpty && err.contains("logged into device") && err.contains("with a refresh token"))
        }
        try await stopping(server, testBody)
    }

    @Test func expiredSessionsRefreshOnceAndLogoutRevokes() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let before = try #require(try shell.session.store.org("demo"))
            shell.org.expireSessions()
            let (_, err, code) = await shell.run("limits")
            #expect(code == 0, "\(err)")
            let after = try #require(try shell.session.store.org("demo"))
            #expect(after.accessToken != before.accessToken)
            let refreshCalls = shell.org.callLog().filter { $0.path == "/services/oauth2/token" }
            #expect(refreshCalls.count == 3)  // the demo login's device start and poll, then one refresh

            let logout = await shell.run("logout")
            #expect(logout.code == 0 && logout.err.contains("token revoked"))
            #expect(try shell.session.store.org("demo") == nil)
            let stale = try await rawStatus(shell.session.demoServer!, token: after.accessToken, path: "limits")
            #expect(stale == 401)
            let none = await shell.run("limits")
            #expect(none.code == 3 && none.err.contains("no org selected"))
        }
        try await stopping(server, testBody)
    }

    @Test func withoutARefreshTokenAnExpiredSessionSaysLogInAgain() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let base = shell.session.demoServer!.baseURL
            _ = await shell.run("login --token \(shell.org.adminAccessToken) --instance \(base) --alias bare")
            shell.org.expireSessions()
            let (_, err, code) = await shell.run("limits")
            #expect(code == 3)
            #expect(err.contains("INVALID_SESSION_ID") && err.contains("log in again"))
        }
        try await stopping(server, testBody)
    }
}

/// The status of one GET with a token (no client logic in between).
func rawStatus(_ server: SimServer, token: String, path: String) async throws -> Int {
    let response = try await CurlTransport().send(HTTPRequest(
        url: server.baseURL + "/services/data/v59.0/" + path, headers: [("Authorization", "Bearer \(token)")]))
    return response.status
}

@Suite(.serialized) struct SecretTests {
    @Test func noTokenOrPasswordReachesOutputHistoryOrLedger() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let config = shell.org.configuration
            let base = server.baseURL
            let adminToken = shell.org.adminAccessToken
            // Lines typed interactively reach the history file; secret ones must not.
            shell.session.history.append("set client_secret", limit: 100)
            for line in ["login --token \(adminToken) --instance \(base) --alias t", "set client_secret \(config.clientSecret)"]
                where !shell.session.isSecretLine(line) {
                shell.session.history.append(line, limit: 100)
            }
            let script = """
                set client_id \(config.clientID)
                set client_secret \(config.clientSecret)
                login --password --username \(config.adminUsername) --login-url \(base) --alias pw
                login --token \(adminToken) --instance \(base) --alias t
                use demo
                whoami
                whoami --json
                orgs --json
                show settings
                SELECT Id FROM Contact LIMIT 3
                limits
                usage --json
                check
                history
                logout t
                """
            _ = await shell.run(script, secrets: [config.adminPassword, config.securityToken])
            let stored = try shell.session.store.orgs()
            var secrets = [config.adminPassword, config.securityToken, config.clientSecret, adminToken]
            secrets += stored.map(\.accessToken) + stored.compactMap(\.refreshToken)
            let history = (try? String(contentsOfFile: shell.session.store.home.historyPath, encoding: .utf8)) ?? ""
            let ledger = try shell.session.store.ledger(since: .distantPast)
            let ledgerText = ledger.map { "\($0.org) \($0.source) \($0.method) \($0.path)" }.joined(separator: "\n")
            #expect(!ledger.isEmpty)
            for secret in secrets {
                #expect(!shell.harness.stdout.text.contains(secret), "stdout shows a secret")
                #expect(!shell.harness.stderr.text.contains(secret), "stderr shows a secret")
                #expect(!history.contains(secret), "history holds a secret")
                #expect(!ledgerText.contains(secret), "the ledger holds a secret")
            }
            #expect(history.contains("set client_secret"))
        }
        try await stopping(server, testBody)
    }
}
