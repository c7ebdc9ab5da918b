import Testing
@testable import SalesforceModel

/// Issue 18 §9: a server that never says `done` stops a query walk instead of looping.
@Suite struct QueryPagingTests {
    struct Page: Sendable, CustomStringConvertible {
        var records: Int
        var done: Bool
        var next: String?
        var description: String { "\(records) \(done) \(next ?? "-")" }
    }

    @Test(arguments: [
        // (totalSize, pages, URLs followed, or the word in the error)
        (5, [Page(records: 2, done: false, next: "/q-2"), Page(records: 2, done: false, next: "/q-4"),
             Page(records: 1, done: true, next: nil)], "/q-2 /q-4", nil),
        (0, [Page(records: 0, done: true, next: nil)], "", nil),
        (4, [Page(records: 2, done: true, next: "/ignored")], "", nil),
        (9, [Page(records: 2, done: false, next: "/q-2"), Page(records: 2, done: false, next: "/q-2")], "/q-2", "same next page"),
        (3, [Page(records: 2, done: false, next: "/q-2"), Page(records: 2, done: false, next: "/q-4")], "/q-2", "said has 3"),
        (1_000_000, [Page(records: 0, done: false, next: "/a"), Page(records: 0, done: false, next: "/b"),
                     Page(records: 0, done: false, next: "/a")], "/a /b", "same next page"),
    ] as [(Int, [Page], String, String?)])
    func walks(total: Int, pages: [Page], followed: String, failure: String?) {
        var paging = QueryPaging(totalSize: total)
        var urls: [String] = []
        do throws(SalesforceError) {
            for page in pages {
                guard let url = try paging.next(records: page.records, done: page.done, nextRecordsUrl: page.next) else { break }
                urls.append(url)
            }
            #expect(failure == nil, "expected a failure with '\(failure ?? "")'")
        } catch {
            #expect(error.kind == .protocolViolation)
            #expect(failure.map { error.message.contains($0) } == true, "\(error.message)")
        }
        #expect(urls.joined(separator: " ") == followed)
    }
}

/// Issue 20: a refusal from the token endpoint names its cause and its fix — one row each.
@Suite struct TokenFailureTests {
    @Test(arguments: [
        ("invalid_grant", "request not supported on this domain", "My Domain host"),
        ("invalid_grant", "no client credentials user enabled", "Run As user"),
        ("invalid_grant", "user hasn't approved this consumer", "pre-authorized"),
        ("invalid_grant", "audience is invalid", "https://login.salesforce.com"),
        ("invalid_grant", "expired access/refresh token", "log in again"),
        ("invalid_grant", "authentication failure", "username-password logins are blocked"),
        ("invalid_client_id", "client identifier invalid", "no connected app has this client id"),
        ("invalid_client", "invalid client credentials", "client secret does not match"),
        ("invalid_app_access", "user is not admin approved to access this app", "pre-authorize"),
        ("unsupported_grant_type", "grant type not supported", "https://"),
        ("inactive_user", "user is inactive", "deactivated"),
        ("inactive_org", "organization is locked", "locked"),
    ])
    func knownRefusals(error: String, description: String, phrase: String) {
        #expect(TokenFailure.explanation(error: error, description: description)?.contains(phrase) == true)
    }

    @Test func anUnknownRefusalHasNoExplanation() {
        #expect(TokenFailure.explanation(error: "invalid_grant", description: "something new") == nil)
        #expect(TokenFailure.explanation(error: "brand_new_error", description: nil) == nil)
    }

    @Test func everyRowIsReachable() {
        for row in TokenFailure.rows {
            #expect(TokenFailure.explanation(error: row.error, description: row.phrase ?? "") == row.explanation, "\(row.error)")
        }
    }
}

/// Issue 20: `login --sfdx-url` reads an sf CLI login as the CLI writes it.
@Suite struct SfdxAuthURLTests {
    @Test(arguments: [
        ("force://PlatformCLI::5Aep861abc.def@acme.my.salesforce.com", "PlatformCLI", nil, "5Aep861abc.def", "https://acme.my.salesforce.com"),
        ("force://3MVG9id:s3cret:5Aep861xyz@acme--uat.sandbox.my.salesforce.com/", "3MVG9id", "s3cret", "5Aep861xyz",
         "https://acme--uat.sandbox.my.salesforce.com"),
        ("  force://5Aep861only@acme.my.salesforce.com\n", "PlatformCLI", nil, "5Aep861only", "https://acme.my.salesforce.com"),
        ("force://app:sec:tok@http://127.0.0.1:4242", "app", "sec", "tok", "http://127.0.0.1:4242"),
        (#"{"status":0,"result":{"sfdxAuthUrl":"force://PlatformCLI::5Aep@x.my.salesforce.com","username":"u"}}"#,
         "PlatformCLI", nil, "5Aep", "https://x.my.salesforce.com"),
        (#"{"sfdxAuthUrl":"force://a:b:c@y.my.salesforce.com"}"#, "a", "b", "c", "https://y.my.salesforce.com"),
    ] as [(String, String, String?, String, String)])
    func validLogins(text: String, clientID: String, secret: String?, refresh: String, instance: String) throws {
        let login = try SfdxAuthURL.parse(text)
        #expect(login == SfdxAuthURL(clientID: clientID, clientSecret: secret, refreshToken: refresh, instanceURL: instance))
    }

    @Test(arguments: [
        ("https://acme.my.salesforce.com", "starts with force://"), ("force://a:b:c", "no @INSTANCE"), ("force://a:b:c@", "instance after @ is empty"),
        ("force://a:b@host", "CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN"), ("force://::tok@host", "client id is empty"),
        ("force://a:b:@host", "refresh token is empty"), ("force://@host", "refresh token is empty"), (#"{"result":{}}"#, "no sfdxAuthUrl"),
        ("", "starts with force://"),
    ])
    func invalidLogins(text: String, reason: String) {
        #expect(throws: SfdxAuthURL.Invalid.self) { try SfdxAuthURL.parse(text) }
        do { _ = try SfdxAuthURL.parse(text) } catch { #expect(error.reason.contains(reason), "\(error.reason)") }
    }
}

/// Issue 20 §3: the route libcurl takes, as `check` shows it, from the environment.
@Suite struct NetworkRouteTests {
    @Test(arguments: [
        ("https://acme.my.salesforce.com", [:], NetworkRoute.direct),
        ("https://acme.my.salesforce.com", ["HTTPS_PROXY": "http://proxy:3128"], .proxy(url: "http://proxy:3128", variable: "HTTPS_PROXY")),
        ("https://acme.my.salesforce.com", ["https_proxy": "http://a:3128", "HTTPS_PROXY": "http://b:3128"], .proxy(url: "http://a:3128", variable: "https_proxy")),
        ("https://acme.my.salesforce.com", ["ALL_PROXY": "socks5://s:1080"], .proxy(url: "socks5://s:1080", variable: "ALL_PROXY")),
        ("https://acme.my.salesforce.com", ["HTTPS_PROXY": "http://user:pa55@proxy:3128"], .proxy(url: "http://(credentials hidden)@proxy:3128", variable: "HTTPS_PROXY")),
        ("https://acme.my.salesforce.com", ["HTTPS_PROXY": "http://p:1", "NO_PROXY": "salesforce.com"], .bypassed(variable: "HTTPS_PROXY")),
        ("https://acme.my.salesforce.com", ["HTTPS_PROXY": "http://p:1", "no_proxy": ".my.salesforce.com"], .bypassed(variable: "HTTPS_PROXY")),
        ("https://acme.my.salesforce.com", ["HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"], .bypassed(variable: "HTTPS_PROXY")),
        ("https://acme.my.salesforce.com", ["HTTPS_PROXY": "http://p:1", "NO_PROXY": "force.com, example.org"], .proxy(url: "http://p:1", variable: "HTTPS_PROXY")),
        ("https://notsalesforce.com", ["HTTPS_PROXY": "http://p:1", "NO_PROXY": "salesforce.com"], .proxy(url: "http://p:1", variable: "HTTPS_PROXY")),
        // libcurl reads only the lower-case http_proxy for http (httpoxy).
        ("http://127.0.0.1:4242", ["HTTP_PROXY": "http://p:1"], .direct),
        ("http://127.0.0.1:4242", ["http_proxy": "http://p:1"], .proxy(url: "http://p:1", variable: "http_proxy")),
        ("http://127.0.0.1:4242", ["http_proxy": "http://p:1", "no_proxy": "localhost,127.0.0.1"], .bypassed(variable: "http_proxy")),
        ("https://acme.my.salesforce.com", ["http_proxy": "http://p:1"], .direct),
    ] as [(String, [String: String], NetworkRoute)])
    func routes(url: String, environment: [String: String], route: NetworkRoute) {
        #expect(NetworkRoute.route(for: url, environment: environment) == route)
    }
}
