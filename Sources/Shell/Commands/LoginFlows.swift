import SalesforceModel
import Foundation
import LoopbackHTTP
import JSON
import Salesforce
import Store
import SyncEngine

// The login flows beyond the device and password flows, and what every login ends with.
extension OrgCommands {
    /// `login --client-credentials`: a token for the connected app's Run As user, from the org's own host.
    static func loginClientCredentials(_ invocation: Invocation, _ session: ShellSession) async throws(ShellError) -> CommandOutcome {
        guard let instance = invocation.value("instance") ?? invocation.value("login-url") else {
            throw ShellError(.usage, "--client-credentials needs the org's My Domain URL: --instance https://DOMAIN.my.salesforce.com",
                             hint: "login.salesforce.com and test.salesforce.com refuse this grant ('request not supported on this domain')")
        }
        do throws(SalesforceError) { try SalesforceClient.checkScheme(instance) } catch { throw ShellError(error, doing: "login") }
        guard let clientID = invocation.value("client-id") ?? session.setting("client_id") else {
            throw ShellError(.usage, "--client-credentials needs the connected app's client id",
                             hint: "pass --client-id ID or 'set client_id ID'")
        }
        let secret: String
        if let given = invocation.value("client-secret") ?? session.io.environment["SF_CLIENT_SECRET"] ?? session.setting("client_secret") {
            secret = given
        } else if let typed = await session.readSecret(prompt: "client secret: "), !typed.isEmpty {
            secret = typed
        } else {
            throw ShellError(.usage, "--client-credentials needs the connected app's client secret",
                             hint: "pass --client-secret S, set SF_CLIENT_SECRET, or run it where sfsh can ask with echo off")
        }
        let oauth = OAuthClient(loginURL: instance, transport: session.transport,
                                meter: session.ledgerMeter(alias: invocation.value("alias") ?? "(login)"))
        let token = try await session.salesforce("login") { () async throws(SalesforceError) in
            try await oauth.clientCredentials(clientID: clientID, clientSecret: secret)
        }
        try await remember(token, flow: "client_credentials", loginURL: instance, clientID: clientID, clientSecret: secret,
                           alias: invocation.value("alias"), invocation: invocation, session)
        return .done
    }

    /// Whether `login` with no flow named can send a person to a browser: a display, or macOS.
    static func canOpenBrowser(_ environment: [String: String]) -> Bool {
        #if os(macOS)
        return true
        #else
        return !(environment["DISPLAY"] ?? "").isEmpty || !(environment["WAYLAND_DISPLAY"] ?? "").isEmpty
        #endif
    }

    /// How long the web flow waits for the browser.
    static let webLoginTimeout: TimeInterval = 300

    /// `login --web`: authorization code with PKCE through the browser and a loopback callback.
    static func webFlow(_ invocation: Invocation, _ session: ShellSession, oauth: OAuthClient, clientID: String,
                        clientSecret: String?) async throws(ShellError) -> TokenResponse {
        let port: Int
        if let text = invocation.value("port") {
            guard let value = Int(text), (0...65535).contains(value) else {
                throw ShellError.usage("--port must be 0…65535 (0: any free port), not '\(Invocation.excerpt(text))'", usage: invocation.usage)
            }
            port = value
        } else {
            port = 1717
        }
        let listener: LoopbackCallback
        do { listener = try await LoopbackCallback.start(port: port) } catch {
            throw ShellError(.failure, "\(error)")
        }
        let pkce = PKCE()
        let url = oauth.authorizeURL(clientID: clientID, redirectURI: listener.redirectURI, pkce: pkce)
        session.note("log in and allow access in the browser (waiting up to 5 minutes for \(listener.redirectURI); Ctrl-C gives up):")
        session.note("  \(url)")
        if !invocation.has("no-browser") { openBrowser(url, session) }
        let deadline = session.clock.now().addingTimeInterval(webLoginTimeout)
        var outcome: LoopbackCallback.Outcome?
        while outcome == nil {
            outcome = listener.received
            if outcome != nil { break }
            if session.interruption.take() {
                await listener.stop()
                throw ShellError(.failure, "interrupted: no login (the callback port is free again)")
            }
            if session.clock.now() >= deadline {
                await listener.stop()
                throw ShellError(.auth, "no answer from the browser in 5 minutes", hint: "run login again, or use --device on a machine without a browser")
            }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        await listener.stop()
        switch outcome {
        case let .code(code, state)?:
            // A redirect that does not carry our state is not an answer to our request (RFC 6749 §10.12).
            guard state == pkce.state else {
                throw ShellError(.auth, "the callback's state does not match the request's: refused (a forged or stale redirect)",
                                 hint: "run login again")
            }
            return try await session.salesforce("login") { () async throws(SalesforceError) in
                try await oauth.exchange(code: code, clientID: clientID, clientSecret: clientSecret, redirectURI: listener.redirectURI, pkce: pkce)
            }
        case let .error(error, description, _)?:
            throw ShellError(.auth, "the login was not allowed: \(error)\(description.map { " (\($0))" } ?? "")",
                             hint: error == "access_denied" ? "run login again and choose Allow" : "check the connected app's callback URL (\(listener.redirectURI)) and OAuth settings")
        case nil:
            throw ShellError(.auth, "no answer from the browser")
        }
    }

    /// Opens `url` in the person's browser (`open` on macOS, `xdg-open` elsewhere); a failure only means they open it themselves.
    static func openBrowser(_ url: String, _ session: ShellSession) {
        let process = Process()
        #if os(macOS)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/open")
        process.arguments = [url]
        #else
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["xdg-open", url]
        #endif
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            session.note("(no browser could be opened: open the URL above yourself)")
        }
    }

    /// `login --jwt`: a signed assertion for a pre-authorized user, no secret and no person; renewed the same way.
    static func loginJWT(_ invocation: Invocation, _ session: ShellSession) async throws(ShellError) -> CommandOutcome {
        guard let clientID = invocation.value("client-id") ?? session.setting("client_id") else {
            throw ShellError(.usage, "--jwt needs the connected app's client id", hint: "pass --client-id ID or 'set client_id ID'")
        }
        guard let username = invocation.value("username") else {
            throw ShellError.usage("--jwt needs --username USER (the pre-authorized user to act as)", usage: invocation.usage)
        }
        guard let keyFile = invocation.value("key") else {
            throw ShellError.usage("--jwt needs --key FILE (the connected app certificate's private key, PEM)", usage: invocation.usage)
        }
        let keyPath = URL(fileURLWithPath: keyFile).standardizedFileURL.path
        let key: String
        do { key = try String(contentsOfFile: keyPath, encoding: .utf8) } catch {
            throw ShellError(.failure, "cannot read the key \(Invocation.excerpt(keyFile)): \(error.localizedDescription)")
        }
        if let problem = JWTBearer.keyProblem(key) {
            throw ShellError.usage("--key \(Invocation.excerpt(keyFile)): \(problem)", usage: invocation.usage)
        }
        let loginURL = invocation.has("sandbox") ? "https://test.salesforce.com"
            : invocation.value("login-url") ?? "https://login.salesforce.com"
        do throws(SalesforceError) { try SalesforceClient.checkScheme(loginURL) } catch { throw ShellError(error, doing: "login") }
        let audience = invocation.value("audience") ?? JWTBearer.audience(forLoginURL: loginURL)
        let oauth = OAuthClient(loginURL: loginURL, transport: session.transport,
                                meter: session.ledgerMeter(alias: invocation.value("alias") ?? "(login)"))
        let now = session.clock.now()
        let token = try await session.salesforce("login") { () async throws(SalesforceError) in
            do throws(SalesforceError) {
                return try await oauth.jwtBearer(clientID: clientID, username: username, audience: audience, privateKeyPEM: key, now: now)
            } catch {
                // Say which audience was sent, beside the one to use.
                var explained = error
                if error.message.contains("audience is invalid") { explained.message += " (sfsh sent aud=\(audience))" }
                throw explained
            }
        }
        try await remember(token, flow: "jwt", loginURL: loginURL, clientID: clientID, clientSecret: nil,
                           jwt: (keyPath, audience), alias: invocation.value("alias"), invocation: invocation, session)
        return .done
    }

    /// `login --sfdx-url FILE|-`: an sf CLI login, renewed with its refresh token from now on.
    static func loginSfdxURL(_ source: String, _ invocation: Invocation, _ session: ShellSession) async throws(ShellError) -> CommandOutcome {
        guard !source.lowercased().hasPrefix("force://") else {
            throw ShellError.usage("--sfdx-url takes a FILE holding the URL (or - for stdin), not the URL itself: on the command line "
                                   + "its refresh token is visible to other local users and kept in your shell's history", usage: invocation.usage)
        }
        let text: String
        if source == "-" {
            var lines: [String] = []
            while let line = readLine(strippingNewline: true) { lines.append(line) }
            text = lines.joined(separator: "\n")
        } else {
            do { text = try String(contentsOfFile: source, encoding: .utf8) } catch {
                throw ShellError(.failure, "cannot read \(Invocation.excerpt(source)): \(error.localizedDescription)")
            }
        }
        let login: SfdxAuthURL
        do throws(SfdxAuthURL.Invalid) { login = try SfdxAuthURL.parse(text) } catch {
            throw ShellError.usage("--sfdx-url: \(error.reason)", usage: invocation.usage)
        }
        do throws(SalesforceError) { try SalesforceClient.checkScheme(login.instanceURL) } catch { throw ShellError(error, doing: "login") }
        let oauth = OAuthClient(loginURL: login.instanceURL, transport: session.transport,
                                meter: session.ledgerMeter(alias: invocation.value("alias") ?? "(login)"))
        var token = try await session.salesforce("login") { () async throws(SalesforceError) in
            try await oauth.refresh(refreshToken: login.refreshToken, clientID: login.clientID, clientSecret: login.clientSecret)
        }
        // The refresh grant does not send the refresh token back: the imported one is what renews this login.
        token.refreshToken = token.refreshToken ?? login.refreshToken
        if token.instanceURL == nil { token.instanceURL = login.instanceURL }
        try await remember(token, flow: "sfdx_url", loginURL: login.instanceURL, clientID: login.clientID,
                           clientSecret: login.clientSecret, alias: invocation.value("alias"), invocation: invocation, session)
        return .done
    }

    /// Looks up who the token belongs to, stores the org and makes it current.
    static func remember(_ token: TokenResponse, flow: String, loginURL: String, clientID: String?, clientSecret: String?,
                         jwt: (keyPath: String, audience: String)? = nil,
                         alias requested: String?, invocation: Invocation, _ session: ShellSession) async throws(ShellError) {
        guard let instance = token.instanceURL else {
            throw ShellError(.auth, "the token answer has no instance URL")
        }
        let probeAlias = requested ?? "(login)"
        let client: SalesforceClient
        do {
            client = try SalesforceClient(credentials: Credentials(instanceURL: instance, accessToken: token.accessToken, loginURL: loginURL),
                                          transport: session.transport, retry: session.retryPolicy,
                                          meter: session.ledgerMeter(alias: probeAlias))
        } catch { throw ShellError(error, doing: "login") }
        let identity = try await session.salesforce("login (who am I)") { () async throws(SalesforceError) in
            try await client.json("GET", token.identityURL ?? "/services/oauth2/userinfo")
        }
        let username = identity["username"]?.stringValue ?? identity["preferred_username"]?.stringValue
        let alias = requested ?? Self.alias(from: username)
        guard Self.isValidAlias(alias) else {
            throw ShellError.usage("alias '\(Invocation.excerpt(alias))' must be letters, digits, '-', '_' or '.'",
                                   usage: invocation.usage)
        }
        let record = OrgRecord(alias: alias, instanceURL: instance, loginURL: loginURL,
                               orgID: identity["organization_id"]?.stringValue, userID: identity["user_id"]?.stringValue,
                               username: username, accessToken: token.accessToken, refreshToken: token.refreshToken,
                               clientID: clientID, clientSecret: clientSecret, flow: flow, jwtKeyPath: jwt?.keyPath,
                               jwtAudience: jwt?.audience, createdAt: session.clock.now(),
                               lastUsedAt: session.clock.now())
        do throws(StoreError) { try session.store.saveOrg(record) } catch { throw ShellError(error) }
        try session.setCurrentOrg(alias)
        let refresh = token.refreshToken != nil ? "with a refresh token"
            : flow == "client_credentials" ? "renewed with new client-credentials tokens"
            : flow == "jwt" ? "renewed with new signed JWT assertions"
            : "no refresh token: log in again when the session expires"
        // The confirmation is a status line (stderr); --json also puts the facts on stdout.
        let facts: JSONValue = .object([("alias", .string(alias)), ("username", username.map(JSONValue.string) ?? .null),
                                        ("instance_url", .string(instance)), ("refresh_token", .bool(token.refreshToken != nil)),
                                        ("flow", .string(flow))])
        if session.format(for: invocation) == .json { session.emit(facts, human: "", for: invocation) }
        session.note("logged into \(alias) as \(username ?? "?") at \(instance) (\(refresh))")
        // One call now so TAB completes sObject names from the first prompt (the ledger shows it under login).
        do {
            let client = try session.client(for: record)
            _ = try await session.describes.globalDescribe(org: alias, client: client, refresh: true)
        } catch {
            let reason = (error as? ShellError)?.message ?? (error as? EngineError)?.message ?? "\(error)"
            session.note("warning: the list of sObjects could not be fetched (\(reason)); 'objects' tries again")
        }
    }
}
