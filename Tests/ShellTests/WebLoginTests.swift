import Foundation
import JSON
import LoopbackHTTP
import Salesforce
import SalesforceModel
import Simulator
import Store
import TestSupport
import Testing
@testable import Shell

/// Issue 20: `login --web` (authorization code with PKCE on a loopback callback) driven end to end, with the
/// test acting as the browser: it reads the URL sfsh prints, submits sfsim's consent form, and follows the
/// redirect to sfsh's listener.
/// The login runs in a task of its own while the test plays the browser; the harness is only read meanwhile.
extension OrgHarness: @unchecked Sendable {}

@Suite(.serialized) struct WebLoginTests {
    /// A port nobody listens on now (taken and freed again).
    static func freePort() async throws -> Int {
        let probe = try await LoopbackCallback.start(port: 0)
        let port = probe.port
        await probe.stop()
        return port
    }

    /// The browser: opens the URL sfsh printed, answers the consent page, and returns where it was sent.
    static func browse(_ shell: OrgHarness, errBefore: Int, decision: String) async throws -> String {
        let transport = CurlTransport()
        var url: String?
        for _ in 0..<200 where url == nil {
            let printed = String(shell.harness.stderr.text.dropFirst(errBefore))
            url = printed.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix("http") && $0.contains("/services/oauth2/authorize?") }
            if url == nil { try await Task.sleep(nanoseconds: 20_000_000) }
        }
        let authorize = try #require(url, "sfsh printed no authorize URL")
        let page = try await transport.send(HTTPRequest(method: "GET", url: authorize, headers: []))
        #expect(page.status == 200)
        let html = String(decoding: page.body, as: UTF8.self)
        var fields: [(String, String)] = []
        let pattern = try NSRegularExpression(pattern: #"<input type="hidden" name="([^"]+)" value="([^"]*)">"#)
        for match in pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let name = String(html[Range(match.range(at: 1), in: html)!])
            let value = String(html[Range(match.range(at: 2), in: html)!]).replacingOccurrences(of: "&quot;", with: "\"")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
            fields.append((name, value))
        }
        #expect(fields.contains { $0.0 == "code_challenge" } && fields.contains { $0.0 == "code_challenge_method" && $0.1 == "S256" })
        fields.append(("decision", decision))
        let base = String(authorize.prefix { $0 != "?" }).replacingOccurrences(of: "/services/oauth2/authorize", with: "")
        let submitted = try await transport.send(HTTPRequest(method: "POST", url: base + "/services/oauth2/authorize",
                                                             headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                             body: Data(FormEncoding.encode(fields).utf8)))
        #expect(submitted.status == 302)
        return try #require(submitted.header("Location"))
    }

    @Test func theWebFlowLogsInThroughTheBrowserAndKeepsARefreshToken() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let port = try await Self.freePort()
            let callback = "http://localhost:\(port)/OAuth2/Callback"
            server.org.addApp(ConnectedApp(clientID: "web-app", callbackURLs: [callback], flows: [.web, .refresh]))
            let errBefore = shell.harness.stderr.text.count
            let login = Task { await shell.run("login --web --no-browser --port \(port) --client-id web-app --login-url \(server.baseURL) --alias webby --json") }
            let location = try await Self.browse(shell, errBefore: errBefore, decision: "allow")
            #expect(location.hasPrefix(callback + "?code="))
            #expect(try await CurlTransport().send(HTTPRequest(method: "GET", url: location, headers: [])).status == 200)
            let result = await login.value
            #expect(result.code == 0, "\(result.err)")
            #expect(try JSONValue.parse(result.out)["flow"] == .string("web"))
            let stored = try #require(try shell.session.store.org("webby"))
            #expect(stored.flow == "web" && stored.refreshToken != nil)
            // The code was good once: the port is free again, and the same redirect cannot log in twice.
            let again = try await LoopbackCallback.start(port: port)
            await again.stop()
        }
        try await stopping(server, testBody)
    }

    @Test func denyingInTheBrowserOrAForgedStateLogsNothingIn() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let port = try await Self.freePort()
            let callback = "http://localhost:\(port)/OAuth2/Callback"
            server.org.addApp(ConnectedApp(clientID: "web-app", callbackURLs: [callback], flows: [.web]))
            var errBefore = shell.harness.stderr.text.count
            let denied = Task { await shell.run("login --web --no-browser --port \(port) --client-id web-app --login-url \(server.baseURL) --alias nope") }
            let location = try await Self.browse(shell, errBefore: errBefore, decision: "deny")
            #expect(location.contains("error=access_denied"))
            _ = try await CurlTransport().send(HTTPRequest(method: "GET", url: location, headers: []))
            let deniedResult = await denied.value
            #expect(deniedResult.code == 3 && deniedResult.err.contains("access_denied"), "\(deniedResult.err)")

            // A redirect with a code but another state (a forged or stale one) is refused before any exchange.
            errBefore = shell.harness.stderr.text.count
            let forged = Task { await shell.run("login --web --no-browser --port \(port) --client-id web-app --login-url \(server.baseURL) --alias nope") }
            _ = try await Self.browse(shell, errBefore: errBefore, decision: "allow")
            _ = try await CurlTransport().send(HTTPRequest(method: "GET", url: callback + "?code=aPrxFORGED&state=not-ours", headers: []))
            let forgedResult = await forged.value
            #expect(forgedResult.code == 3 && forgedResult.err.contains("state does not match"), "\(forgedResult.err)")
            #expect(try shell.session.store.org("nope") == nil)
        }
        try await stopping(server, testBody)
    }

    /// sfsim's side, as Salesforce answers: a callback not registered is an error page, never a redirect; a code
    /// is exchanged once, with its verifier and its redirect URI.
    @Test func sfsimChecksTheCallbackTheVerifierAndTheCode() async throws {
        var configuration = OrgConfiguration()
        configuration.inMemory = true
        configuration.contacts = 5
        configuration.leads = 5
        let server = try await SimServer.start(org: try Org(configuration: configuration))
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let callback = "http://localhost:1717/OAuth2/Callback"
            server.org.addApp(ConnectedApp(clientID: "web-app", callbackURLs: [callback], flows: [.web]))
            let transport = CurlTransport()
            let oauth = OAuthClient(loginURL: server.baseURL, transport: transport)
            let pkce = PKCE()
            let wrong = try await transport.send(HTTPRequest(method: "GET", url: oauth.authorizeURL(clientID: "web-app", redirectURI: "http://evil.example/cb", pkce: pkce), headers: []))
            #expect(wrong.status == 400 && String(decoding: wrong.body, as: UTF8.self).contains("redirect_uri_mismatch"))
            func code() async throws -> String {
                let form = [("response_type", "code"), ("client_id", "web-app"), ("redirect_uri", callback), ("code_challenge", pkce.challenge),
                            ("code_challenge_method", "S256"), ("state", pkce.state), ("decision", "allow")]
                let answer = try await transport.send(HTTPRequest(method: "POST", url: server.baseURL + "/services/oauth2/authorize",
                                                                  headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                                  body: Data(FormEncoding.encode(form).utf8)))
                let location = try #require(answer.header("Location"))
                #expect(location.contains("state=" + pkce.state))
                return try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
            }
            let otherVerifier = PKCE()
            await #expect(throws: SalesforceError.self) {
                try await oauth.exchange(code: try await code(), clientID: "web-app", clientSecret: nil, redirectURI: callback, pkce: otherVerifier)
            }
            let first = try await code()
            await #expect(throws: SalesforceError.self) {
                try await oauth.exchange(code: first, clientID: "web-app", clientSecret: nil, redirectURI: "http://localhost:1/other", pkce: pkce)
            }
            let second = try await code()
            let token = try await oauth.exchange(code: second, clientID: "web-app", clientSecret: nil, redirectURI: callback, pkce: pkce)
            #expect(!token.accessToken.isEmpty)
            // Once only.
            let reused = await #expect(throws: SalesforceError.self) {
                try await oauth.exchange(code: second, clientID: "web-app", clientSecret: nil, redirectURI: callback, pkce: pkce)
            }
            #expect(reused?.message.contains("invalid authorization code") == true)
        }
        try await stopping(server, testBody)
    }

    /// `login` with no flow named takes the web flow only where a browser can be opened (Linux: a display).
    @Test(arguments: [([:], false), (["DISPLAY": ":0"], true), (["WAYLAND_DISPLAY": "wayland-0"], true), (["DISPLAY": ""], false),
                      (["SSH_CONNECTION": "1 2 3 4"], false)] as [([String: String], Bool)])
    func theDefaultFlowIsTheWebFlowWhereABrowserCanOpen(environment: [String: String], web: Bool) {
        #expect(OrgCommands.canOpenBrowser(environment) == web)
    }

    /// RFC 7636 Appendix B's example: the verifier and its S256 challenge.
    @Test func theChallengeIsRFC7636s() {
        #expect(PKCE.challenge(of: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        let fresh = PKCE()
        #expect(fresh.verifier.count == 43 && fresh.verifier.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(fresh.state != PKCE().state)
    }
}

/// Issue 21 §1: the describe cache revalidates the global describe as it does an object's — a 304 costs no data.
@Suite(.serialized) struct GlobalDescribeRevalidationTests {
    @Test func objectsRefreshAsksIfModifiedSinceAndKeepsTheListOn304() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let before = server.org.callLog().count
            let listed = try await shell.json("objects --refresh --json")
            let again = try await shell.json("objects --refresh --json")
            #expect(listed == again && (listed.arrayValue?.count ?? 0) > 5)
            let globals = server.org.callLog().dropFirst(before).filter { $0.path.hasSuffix("/sobjects") }
            #expect(globals.map(\.status) == [304, 304], "\(globals.map(\.status))")
        }
        try await stopping(server, testBody)
    }
}
