import Crypto
import Foundation
public import SalesforceModel

/// PKCE (RFC 7636) for the web-server flow: a random verifier, its S256 challenge, and a random `state`.
public struct PKCE: Sendable, Equatable {
    public let verifier: String
    public let challenge: String
    public let state: String

    /// A fresh verifier (32 random bytes, 43 characters) and state.
    public init() {
        self.init(verifier: Self.randomURLSafe(bytes: 32), state: Self.randomURLSafe(bytes: 16))
    }

    public init(verifier: String, state: String) {
        self.verifier = verifier
        self.state = state
        challenge = Self.challenge(of: verifier)
    }

    /// BASE64URL(SHA256(ASCII(verifier))), without padding.
    public static func challenge(of verifier: String) -> String {
        base64URL(Data(SHA256.hash(data: Data(verifier.utf8))))
    }

    static func randomURLSafe(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return base64URL(Data((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension OAuthClient {
    /// Where the browser goes: the authorize endpoint with the code challenge and state.
    public func authorizeURL(clientID: String, redirectURI: String, pkce: PKCE, scope: String = "api refresh_token") -> String {
        loginURL + "/services/oauth2/authorize?" + FormEncoding.encode([
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirectURI), ("scope", scope),
            ("code_challenge", pkce.challenge), ("code_challenge_method", "S256"), ("state", pkce.state),
        ])
    }

    /// Exchanges the code the callback received, with the verifier (and the secret, when the app has one).
    public func exchange(code: String, clientID: String, clientSecret: String?, redirectURI: String, pkce: PKCE)
        async throws(SalesforceError) -> TokenResponse
    {
        var form = [("grant_type", "authorization_code"), ("code", code), ("client_id", clientID), ("redirect_uri", redirectURI),
                    ("code_verifier", pkce.verifier)]
        if let clientSecret, !clientSecret.isEmpty { form.append(("client_secret", clientSecret)) }
        return try await token(form)
    }
}
