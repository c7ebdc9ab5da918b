import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store

/// `login`, `logout`, `orgs`, `use`, `whoami`.
enum OrgCommands {
    static let group = "orgs & auth"
    static let all: [CommandSpec] = [login, logout, orgs, use, whoami]

    static let login = CommandSpec(
        "login", group: group,
        usage: "login [--web [--port N] [--no-browser]] [--device] [--password [--username U]] [--jwt --username U --key FILE [--audience URL]] [--client-credentials --instance URL] [--sfdx-url FILE|-] [--token [TOKEN|-] --instance URL] [--demo] [--alias A] [--login-url URL|--sandbox] [--client-id ID] [--client-secret S]",
        summary: "log into an org: the web flow or device flow (default), JWT, client credentials, an sf CLI login, username-password, a token, or the demo org",
        details: """
            With no flow named: the web flow when a browser can be opened (a display, or macOS), else the device flow.
            --web: the authorization-code flow with PKCE (S256, a random state) through the browser: sfsh listens on
            127.0.0.1 (--port, default 1717; 0 = any free port) for http://localhost:PORT/OAuth2/Callback, opens the
            browser unless --no-browser, always prints the URL, and gives up after 5 minutes or on Ctrl-C.
            --device: shows a code and a URL to approve it, then waits; it yields a refresh token (offline access).
            --password asks for username, password and security token with echo off; the password is never stored.
            --token/--instance use a token obtained elsewhere: '--token -' reads it from stdin, a bare --token asks
            with echo off (a token typed on the command line is visible to other local users and stays in your shell's
            history, so sfsh warns), or SF_ACCESS_TOKEN and SF_INSTANCE_URL.
            --jwt (headless) signs an RS256 assertion with --key FILE for --username, a user the connected app
            pre-authorizes; its audience is the login host (https://login.salesforce.com, or https://test.salesforce.com
            for a sandbox; --audience overrides), never the My Domain host. The key's path is kept to sign new ones.
            --client-credentials (headless: the daemon, CI) asks the org's own My Domain host (--instance; the login
            hosts refuse this grant) for a token acting as the connected app's Run As user; the secret comes from
            --client-secret, SF_CLIENT_SECRET or a prompt with echo off, and is kept in the store (0600) so the engine
            mints a new token when the session expires, with no person there.
            --sfdx-url imports an sf CLI login (force://CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN@INSTANCE, or the JSON of
            'sf org display --verbose --json') from FILE, or stdin with '-': its refresh token keeps it renewed.
            --demo starts a simulated org on 127.0.0.1 inside sfsh and logs into it as 'demo'.
            The connected app's client id and secret come from --client-id/--client-secret or the client_id and
            client_secret settings. Plain http:// is refused except on loopback.
            """,
        examples: ["login --demo", "login --alias prod", "login --password --username me@example.com --sandbox",
                   "login --jwt --client-id ID --username ci@acme.com --key server.key --alias acme",
                   "login --client-credentials --client-id ID --instance https://acme.my.salesforce.com --alias acme",
                   "login --token --instance https://acme.my.salesforce.com --alias acme"],
        options: [
            .flag("web", "web-server flow with PKCE through the browser and a loopback callback"),
            .value("port", "N", "the --web callback port on 127.0.0.1 (default 1717; 0 = any free port)"),
            .flag("no-browser", "with --web: print the URL only, do not open a browser"),
            .flag("device", "device flow: approve a code in any browser, on any machine"),
            .flag("password", "username-password flow (prompts with echo off)"),
            .flag("jwt", "JWT bearer flow: --client-id, --username and --key FILE; for headless use"),
            .value("key", "FILE", "the PEM private key that signs --jwt assertions", completion: .file),
            .value("audience", "URL", "the --jwt audience (default: the login host, https://test.salesforce.com for sandboxes)"),
            .flag("client-credentials", "client-credentials flow on the org's My Domain host (--instance), for headless use"),
            .value("sfdx-url", "FILE", "import an sf CLI login (force://…) from FILE, or stdin with '-'", completion: .file),
            .value("username", "U", "the username for --password"),
            .optionalValue("token", "TOKEN", "an access token obtained elsewhere: '-' reads it from stdin, no value asks for it with echo off (a token typed on the command line is visible to other users and kept in shell history)"),
            .value("instance", "URL", "the instance URL (with --token, or to log in through My Domain)"),
            .flag("demo", "start the simulated demo org and log into it"),
            .value("alias", "A", "the name to remember the org by (default: from the username)", completion: .orgAlias),
            .value("login-url", "URL", "the login URL (default https://login.salesforce.com)"),
            .flag("sandbox", "log in through https://test.salesforce.com"),
            .value("client-id", "ID", "the connected app's consumer key"),
            .value("client-secret", "S", "the connected app's consumer secret"),
        ],
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            if invocation.has("demo") { return try await loginDemo(invocation, session) }
            if invocation.has("client-credentials") { return try await loginClientCredentials(invocation, session) }
            if invocation.has("jwt") { return try await loginJWT(invocation, session) }
            if let source = invocation.value("sfdx-url") { return try await loginSfdxURL(source, invocation, session) }
            let environment = session.io.environment
            if let token = try await tokenArgument(invocation, session) ?? (invocation.has("password") ? nil : environment["SF_ACCESS_TOKEN"]) {
                guard let instance = invocation.value("instance") ?? environment["SF_INSTANCE_URL"] else {
                    throw ShellError.usage("--token needs --instance URL (or SF_INSTANCE_URL)", usage: invocation.usage)
                }
                return try await loginWithToken(token, instance: instance, invocation, session)
            }
            let loginURL = invocation.has("sandbox") ? "https://test.salesforce.com"
                : invocation.value("login-url") ?? invocation.value("instance") ?? "https://login.salesforce.com"
            do throws(SalesforceError) { try SalesforceClient.checkScheme(loginURL) } catch { throw ShellError(error, doing: "login") }
            guard let clientID = invocation.value("client-id") ?? session.setting("client_id") else {
                throw ShellError(.usage, "login needs the connected app's client id",
                                 hint: "pass --client-id ID or 'set client_id ID' (and client_secret for --password)")
            }
            let clientSecret = invocation.value("client-secret") ?? session.setting("client_secret")
            let oauth = OAuthClient(loginURL: loginURL, transport: session.transport,
                                    meter: session.ledgerMeter(alias: invocation.value("alias") ?? "(login)"))
            let token: TokenResponse
            let flow: String
            if invocation.has("password") {
                (token, flow) = (try await passwordFlow(invocation, session, oauth: oauth, clientID: clientID, clientSecret: clientSecret), "password")
            } else if invocation.has("web") || (!invocation.has("device") && Self.canOpenBrowser(environment)) {
                (token, flow) = (try await webFlow(invocation, session, oauth: oauth, clientID: clientID, clientSecret: clientSecret), "web")
            } else {
                (token, flow) = (try await deviceFlow(session, oauth: oauth, clientID: clientID), "device")
            }
            try await remember(token, flow: flow, loginURL: loginURL,
                               clientID: clientID, clientSecret: clientSecret,
                               alias: invocation.value("alias"), invocation: invocation, session)
            return .done
        })

    static func passwordFlow(_ invocation: Invocation, _ session: ShellSession, oauth: OAuthClient, clientID: String,
                             clientSecret: String?) async throws(ShellError) -> TokenResponse {
        guard let clientSecret else {
            throw ShellError(.usage, "the username-password flow needs the connected app's client secret",
                             hint: "pass --client-secret S or type 'set client_secret' to enter it unechoed")
        }
        let username: String
        if let given = invocation.value("username") {
            username = given
        } else {
            guard let typed = await session.readVisible(prompt: "username: "), !typed.isEmpty else {
                throw ShellError.usage("--password needs a username", usage: invocation.usage)
            }
            username = typed
        }
        guard let password = await session.readSecret(prompt: "password: ") else {
            throw ShellError.usage("--password needs a terminal to ask for the password (or stdin lines)",
                                   usage: invocation.usage)
        }
        let securityToken = await session.readSecret(prompt: "security token (empty if none): ") ?? ""
        return try await session.salesforce("login") { () async throws(SalesforceError) in
            try await oauth.password(username: username, password: password + securityToken, clientID: clientID,
                                     clientSecret: clientSecret)
        }
    }

    static func deviceFlow(_ session: ShellSession, oauth: OAuthClient, clientID: String) async throws(ShellError)
        -> TokenResponse
    {
        let device = try await session.salesforce("login") { () async throws(SalesforceError) in
            try await oauth.startDevice(clientID: clientID)
        }
        session.note("To log in, open \(device.verificationURI) and enter the code \(device.userCode)")
        session.note("waiting for approval (Ctrl-C to give up)…")
        var interval = max(1, device.interval)
        let deadline = session.clock.now().addingTimeInterval(600)
        while session.clock.now() < deadline {
            try await session.pause(seconds: interval)
            let poll = try await session.salesforce("login") { () async throws(SalesforceError) in
                try await oauth.pollDevice(clientID: clientID, deviceCode: device.deviceCode)
            }
            switch poll {
            case .pending: continue
            case .slowDown: interval += 5
            case let .granted(token): return token
            }
        }
        throw ShellError(.auth, "the device code expired before it was approved", hint: "run login again")
    }

    /// The token of `--token`: `-` reads a line from stdin, a bare `--token` asks with echo off; a token typed
    /// on the command line works but is warned about (other users see it in /proc, the shell keeps it in history).
    static func tokenArgument(_ invocation: Invocation, _ session: ShellSession) async throws(ShellError) -> String? {
        if invocation.has("token") {
            // Asked with echo off on a terminal; read from stdin when the commands come from -c or -f.
            guard let typed = await session.readSecret(prompt: "access token: ") ?? readLine(strippingNewline: true),
                  !typed.trimmingBlanks.isEmpty else {
                throw ShellError.usage("login: no access token given", usage: invocation.usage)
            }
            return typed.trimmingBlanks
        }
        guard let value = invocation.value("token") else { return nil }
        if value == "-" {
            guard let line = readLine(strippingNewline: true), !line.trimmingBlanks.isEmpty else {
                throw ShellError.usage("login: --token - found no token on stdin", usage: invocation.usage)
            }
            return line.trimmingBlanks
        }
        session.note("warning: a token on the command line can be read by other local users (/proc) and stays in your "
            + "shell's history; use --token - (stdin), a bare --token (asked with echo off) or SF_ACCESS_TOKEN")
        return value
    }

    static func loginWithToken(_ token: String, instance: String, _ invocation: Invocation, _ session: ShellSession)
        async throws(ShellError) -> CommandOutcome
    {
        do throws(SalesforceError) { try SalesforceClient.checkScheme(instance) } catch { throw ShellError(error, doing: "login") }
        try await remember(TokenResponse(accessToken: token, refreshToken: nil, instanceURL: instance, identityURL: nil,
                                         scope: nil), flow: "token",
                           loginURL: instance, clientID: nil, clientSecret: nil, alias: invocation.value("alias"),
                           invocation: invocation, session)
        return .done
    }

    /// Starts (once per process) the simulated org and logs into it as `demo`
    /// through the device flow, approved on the spot.
    static func loginDemo(_ invocation: Invocation, _ session: ShellSession) async throws(ShellError) -> CommandOutcome {
        let server: any DemoOrg
        if let running = session.demoOrg {
            server = running
        } else {
            guard let start = session.demoStarter else {
                throw ShellError(.usage, "this sfsh has no demo org built in")
            }
            session.note("starting the demo org (sfsim, a simulated Salesforce org on 127.0.0.1)…")
            do { server = try await start() } catch {
                throw ShellError(.failure, "the demo org did not start: \(error)")
            }
            session.demoOrg = server
        }
        let oauth = OAuthClient(loginURL: server.baseURL, transport: session.transport,
                                meter: session.ledgerMeter(alias: "demo"))
        let device = try await session.salesforce("login") { () async throws(SalesforceError) in
            try await oauth.startDevice(clientID: server.clientID)
        }
        _ = server.approveDevice(userCode: device.userCode)
        let poll = try await session.salesforce("login") { () async throws(SalesforceError) in
            try await oauth.pollDevice(clientID: server.clientID, deviceCode: device.deviceCode)
        }
        guard case let .granted(token) = poll else {
            throw ShellError(.failure, "the demo org did not grant a token")
        }
        try await remember(token, flow: "demo", loginURL: server.baseURL, clientID: server.clientID,
                           clientSecret: server.clientSecret, alias: invocation.value("alias") ?? "demo",
                           invocation: invocation, session)
        return .done
    }

    static func alias(from username: String?) -> String {
        guard let username, let at = username.firstIndex(of: "@") else { return "default" }
        let domain = username[username.index(after: at)...].split(separator: ".").first.map(String.init) ?? "default"
        return domain.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }.lowercased()
    }

    static func isValidAlias(_ alias: String) -> Bool {
        !alias.isEmpty && alias.count <= 64 && alias.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    static let logout = CommandSpec(
        "logout", group: group, usage: "logout [ALIAS]",
        summary: "revoke the org's token at Salesforce and forget the org",
        examples: ["logout", "logout acme"],
        arguments: [.orgAlias],
        handler: { invocation, session in
            try invocation.expectArguments(0...1)
            let org = try invocation.positionals.first.map { alias throws(ShellError) in try session.org(named: alias) }
                ?? session.currentOrg()
            let oauth = OAuthClient(loginURL: org.instanceURL, transport: session.transport,
                                    meter: session.ledgerMeter(alias: org.alias))
            var revoked = true
            do throws(SalesforceError) {
                try await oauth.revoke(token: org.refreshToken ?? org.accessToken)
            } catch {
                revoked = false
                session.note("warning: Salesforce did not confirm the revocation (\(error.description)); the token is forgotten here anyway")
            }
            do throws(StoreError) { try session.store.removeOrg(org.alias) } catch { throw ShellError(error) }
            if session.currentOrgAlias == org.alias {
                session.forgetCurrentOrg(org.alias)
                session.orgOverride = nil
            }
            if session.format(for: invocation) == .json {
                session.emit(.object([("alias", .string(org.alias)), ("revoked", .bool(revoked))]), human: "", for: invocation)
            }
            session.note("logged out of \(org.alias)\(revoked ? " (token revoked)" : "")")
            return .done
        })

    static let orgs = CommandSpec(
        "orgs", group: group, usage: "orgs",
        summary: "list the orgs this sfsh home is logged into (* marks the current one)",
        examples: ["orgs", "orgs --json"],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            let all: [OrgRecord]
            do throws(StoreError) { all = try session.store.orgs() } catch { throw ShellError(error) }
            let current = session.currentOrgAlias
            let formatter = ISO8601DateFormatter()
            session.emit(Table(columns: ["current", "alias", "username", "instance_url", "refresh_token", "last_used", "flow"],
                               rows: all.map { org in
                [.bool(org.alias == current), .string(org.alias), org.username.map(JSONValue.string) ?? .null,
                 .string(org.instanceURL), .bool(org.refreshToken != nil),
                 org.lastUsedAt.map { .string(formatter.string(from: $0)) } ?? .null, org.flow.map(JSONValue.string) ?? .null]
            }), for: invocation, tableOverride: { table in
                Table(columns: [" ", "alias", "username", "instance", "flow", "refresh", "last used"], rows: table.rows.map { row in
                    [.string(row[0] == .bool(true) ? "*" : ""), row[1], row[2], row[3], row[6] == .null ? .string("—") : row[6],
                     .string(row[4] == .bool(true) ? "yes" : "no"), row[5]]
                })
            })
            if all.isEmpty { session.note("no orgs yet: try 'login --demo'") }
            return .done
        })

    static let use = CommandSpec(
        "use", group: group, usage: "use ALIAS",
        summary: "make an org the current one (for this and later sessions)",
        examples: ["use demo"],
        arguments: [.orgAlias],
        handler: { invocation, session in
            try invocation.expectArguments(1...1)
            let alias = try session.org(named: invocation.positionals[0]).alias
            try session.setCurrentOrg(alias)
            session.orgOverride = nil
            try? session.store.touchOrg(alias, at: session.clock.now())
            session.note("now using \(alias)")
            return .done
        })

    static let whoami = CommandSpec(
        "whoami", group: group, usage: "whoami",
        summary: "the user and org of the current login, its edition, API usage and the (redacted) token",
        examples: ["whoami", "whoami --json"],
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            let (org, client) = try session.currentClient()
            let organization = try await session.salesforce("whoami") { () async throws(SalesforceError) in
                try await client.query("SELECT Id, Name, OrganizationType, IsSandbox, InstanceName FROM Organization")
            }.records.first ?? .null
            let user = try await session.salesforce("whoami") { () async throws(SalesforceError) in
                try await client.json("GET", "/services/oauth2/userinfo")
            }
            let usage = client.lastUsage
            let pairs: [(String, JSONValue)] = [
                ("alias", .string(org.alias)),
                ("username", user["preferred_username"] ?? org.username.map(JSONValue.string) ?? .null),
                ("name", user["name"] ?? .null),
                ("user_id", user["user_id"] ?? org.userID.map(JSONValue.string) ?? .null),
                ("org_id", organization["Id"] ?? org.orgID.map(JSONValue.string) ?? .null),
                ("org_name", organization["Name"] ?? .null),
                ("edition", organization["OrganizationType"] ?? .null),
                ("sandbox", organization["IsSandbox"] ?? .null),
                ("instance_url", .string(org.instanceURL)),
                ("flow", org.flow.map(JSONValue.string) ?? .null),
                ("api_usage", usage.map { .object([("used", .int($0.used)), ("max", .int($0.max))]) } ?? .null),
                ("access_token", .string(redacted(org.accessToken))),
                ("refresh_token", .string(org.refreshToken == nil ? "(none)" : redacted(org.refreshToken))),
            ]
            let width = pairs.map(\.0.count).max() ?? 0
            let human = pairs.map { key, value in
                let text: String
                if key == "api_usage", let usage { text = "\(usage.used) of \(usage.max) calls in the last 24 h" }
                else { text = value == .null ? "—" : value.cellText }
                return key + String(repeating: " ", count: width - key.count + 2) + TerminalText.sanitize(text)
            }.joined(separator: "\n")
            session.emit(.object(pairs), human: human, for: invocation)
            return .done
        })
}
