import Crypto
import Foundation
import JSON

/// The web-server flow with PKCE: `GET /services/oauth2/authorize` shows a plain consent page whose form any
/// HTTP client can submit; Allow redirects to the app's callback with `code` and `state`, Deny with
/// `error=access_denied`; `grant_type=authorization_code` exchanges the code once, for the same client and
/// redirect URI, with the verifier whose S256 hash was the challenge.
extension Org {
    struct AuthorizationCode {
        let clientID: String
        let redirectURI: String
        let challenge: String?
        let method: String
        let userID: String
        let expires: Date
    }

    /// The authorize endpoint: the consent page (GET) and the user's decision (POST).
    func authorize(_ request: SimRequest) -> SimResponse {
        let fields = request.method == "POST" ? request.formFields() : Dictionary(request.query, uniquingKeysWith: { _, last in last })
        guard fields["response_type"] == "code" else {
            return Self.errorPage("unsupported_response_type", "response type not supported")
        }
        guard let clientID = fields["client_id"], let app = lock.withLock({ apps[clientID] }), app.flows.contains(.web) else {
            return Self.errorPage("invalid_client_id", "client identifier invalid")
        }
        // A wrong callback is never redirected to: Salesforce shows the error instead.
        guard let redirect = fields["redirect_uri"], app.callbackURLs.contains(redirect) else {
            return Self.errorPage("redirect_uri_mismatch", "redirect_uri must match configuration")
        }
        let method = fields["code_challenge_method"] ?? "plain"
        guard fields["code_challenge"] == nil || ["S256", "plain"].contains(method) else {
            return Self.redirect(redirect, [("error", "invalid_request"), ("error_description", "invalid code_challenge_method")], state: fields["state"])
        }
        guard request.method == "POST" else { return consentPage(fields, app: app) }
        guard fields["decision"] == "allow" else {
            return Self.redirect(redirect, [("error", "access_denied"), ("error_description", "end-user denied authorization")], state: fields["state"])
        }
        let username = (fields["username"] ?? adminUser.username).lowercased()
        guard let user = lock.withLock({ users.first { $0.username.lowercased() == username } }), user.active else {
            return Self.errorPage("invalid_request", "the user is unknown or inactive")
        }
        let code = "aPrx" + Self.randomToken(40)
        lock.withLock {
            authorizationCodes[code] = AuthorizationCode(clientID: clientID, redirectURI: redirect, challenge: fields["code_challenge"],
                                                         method: method, userID: user.id, expires: clock.now().addingTimeInterval(15 * 60))
        }
        return Self.redirect(redirect, [("code", code)], state: fields["state"])
    }

    /// `grant_type=authorization_code`.
    func authorizationCodeToken(_ form: [String: String]) -> SimResponse {
        let app: ConnectedApp
        switch self.app(form["client_id"], allowing: .web) {
        case let .success(found): app = found
        case let .failure(error): return error.response
        }
        if let secret = form["client_secret"], secret != app.clientSecret {
            return Self.tokenError("invalid_client", "invalid client credentials")
        }
        // A code is good once, whatever happens next.
        let now = clock.now()
        guard let codeValue = form["code"], let code = lock.withLock({ authorizationCodes.removeValue(forKey: codeValue) }),
              code.clientID == app.clientID, code.expires > now else {
            return Self.tokenError("invalid_grant", "invalid authorization code")
        }
        guard form["redirect_uri"] == code.redirectURI else {
            return Self.tokenError("invalid_grant", "redirect_uri must match configuration")
        }
        if let challenge = code.challenge {
            guard let verifier = form["code_verifier"], Self.challenge(of: verifier, method: code.method) == challenge else {
                return Self.tokenError("invalid_grant", "invalid code verifier")
            }
        }
        guard let user = lock.withLock({ users.first { $0.id == code.userID } }), user.active else {
            return Self.tokenError("invalid_grant", "inactive user")
        }
        let refresh = app.flows.contains(.refresh) ? issueRefreshToken(userID: user.id) : nil
        let access = issueAccessToken(userID: user.id, refreshToken: refresh)
        return .json(tokenBody(user: user, accessToken: access, refreshToken: refresh, scope: refresh == nil ? "api" : "refresh_token api"))
    }

    /// RFC 7636: S256 is BASE64URL(SHA256(verifier)) without padding; plain is the verifier.
    static func challenge(of verifier: String, method: String) -> String {
        guard method == "S256" else { return verifier }
        return Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    func consentPage(_ fields: [String: String], app: ConnectedApp) -> SimResponse {
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
                .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let hidden = ["response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope"]
            .compactMap { name in fields[name].map { "<input type=\"hidden\" name=\"\(name)\" value=\"\(escaped($0))\">" } }
            .joined(separator: "\n")
        let html = """
            <!DOCTYPE html>
            <html><head><title>Allow Access? | sfsim</title></head>
            <body>
            <h1>Allow Access?</h1>
            <p>\(escaped(app.clientID)) is asking to access your data (api refresh_token).</p>
            <form method="POST" action="/services/oauth2/authorize">
            \(hidden)
            <label>Username <input type="text" name="username" value="\(escaped(adminUser.username))"></label>
            <button type="submit" name="decision" value="allow">Allow</button>
            <button type="submit" name="decision" value="deny">Deny</button>
            </form>
            </body></html>
            """
        return SimResponse(status: 200, headers: [("Content-Type", "text/html;charset=UTF-8")], body: Data(html.utf8))
    }

    static func errorPage(_ error: String, _ description: String) -> SimResponse {
        let html = "<!DOCTYPE html><html><body><h1>OAuth Error</h1><p>error=\(error)</p><p>error_description=\(description)</p></body></html>"
        return SimResponse(status: 400, headers: [("Content-Type", "text/html;charset=UTF-8")], body: Data(html.utf8))
    }

    static func redirect(_ uri: String, _ pairs: [(String, String)], state: String?) -> SimResponse {
        let query = FormCoding.encode(pairs + (state.map { [("state", $0)] } ?? []))
        return SimResponse(status: 302, headers: [("Location", uri + (uri.contains("?") ? "&" : "?") + query)], body: Data())
    }
}
