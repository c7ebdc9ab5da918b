public import Foundation
import JWTKit
public import SalesforceModel

/// The JWT bearer flow's assertion, signed with jwt-kit (RS256): `iss` the connected app's client id, `sub` the
/// username, `aud` the login host (`https://login.salesforce.com`, `https://test.salesforce.com` for a sandbox —
/// never the My Domain host), `exp` three minutes ahead, as Salesforce documents it.
public enum JWTBearer {
    /// How long an assertion is valid.
    public static let lifetime: TimeInterval = 180

    struct Claims: JWTPayload {
        var iss: IssuerClaim
        var sub: SubjectClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
        }
    }

    /// The audience for a login URL: the test host for a sandbox (`test.salesforce.com`, `*.sandbox.my.salesforce.com`),
    /// otherwise the production login host; a loopback login URL (sfsim) is its own audience.
    public static func audience(forLoginURL loginURL: String) -> String {
        let host = URLComponents(string: loginURL)?.host?.lowercased() ?? ""
        if ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) { return loginURL.hasSuffix("/") ? String(loginURL.dropLast()) : loginURL }
        if host == "test.salesforce.com" || host.hasSuffix(".sandbox.my.salesforce.com") || host.contains("--") {
            return "https://test.salesforce.com"
        }
        return "https://login.salesforce.com"
    }

    /// Why a key cannot sign assertions, or nil when it can.
    public static func keyProblem(_ privateKeyPEM: String) -> String? {
        do { _ = try privateKey(privateKeyPEM) } catch { return error.message }
        return nil
    }

    static func privateKey(_ pem: String) throws(SalesforceError) -> Insecure.RSA.PrivateKey {
        do { return try Insecure.RSA.PrivateKey(pem: pem) } catch {
            throw SalesforceError(kind: .authentication,
                                  message: "the JWT key is not an RSA private key in PEM (PKCS#1 or PKCS#8, at least 2048 bits, unencrypted)")
        }
    }

    /// Signs an assertion with the PEM private key (PKCS#1 or PKCS#8, RSA of at least 2048 bits).
    public static func assertion(clientID: String, username: String, audience: String, privateKeyPEM: String,
                                 now: Date = Date()) async throws(SalesforceError) -> String {
        let key = try privateKey(privateKeyPEM)
        let keys = JWTKeyCollection()
        await keys.add(rsa: key, digestAlgorithm: .sha256)
        let claims = Claims(iss: IssuerClaim(value: clientID), sub: SubjectClaim(value: username),
                            aud: AudienceClaim(value: [audience]), exp: ExpirationClaim(value: now.addingTimeInterval(lifetime)))
        do { return try await keys.sign(claims) } catch {
            throw SalesforceError(kind: .authentication, message: "signing the JWT failed: \(error)")
        }
    }
}

extension OAuthClient {
    /// The JWT bearer flow: a signed assertion for a pre-authorized user; no secret, no refresh token.
    public func jwtBearer(clientID: String, username: String, audience: String, privateKeyPEM: String,
                          now: Date = Date()) async throws(SalesforceError) -> TokenResponse {
        let assertion = try await JWTBearer.assertion(clientID: clientID, username: username, audience: audience,
                                                      privateKeyPEM: privateKeyPEM, now: now)
        return try await token([("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)])
    }
}
