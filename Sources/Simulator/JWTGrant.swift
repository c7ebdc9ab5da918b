import Foundation
import JSON
import JWTKit

/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`: an RS256 assertion verified against the connected
/// app's certificate (jwt-kit), for a user the app pre-authorizes, with an audience Salesforce accepts.
extension Org {
    struct BearerClaims: JWTPayload {
        var iss: IssuerClaim
        var sub: SubjectClaim
        var aud: AudienceClaim
        var exp: Epoch?

        /// The expiry is checked on the org's clock, not here.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// `exp` as seconds since 1970: a number, or a string of one (simple-salesforce sends `"1764…"`, which
    /// Salesforce accepts).
    struct Epoch: Codable, Sendable {
        var value: Date

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self) {
                value = Date(timeIntervalSince1970: seconds)
            } else if let text = try? container.decode(String.self), let seconds = Double(text) {
                value = Date(timeIntervalSince1970: seconds)
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "exp is not a number of seconds")
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(value.timeIntervalSince1970)
        }
    }

    /// sfsim's login host, as `login.salesforce.com` is Salesforce's: `http://localhost:PORT`.
    public var loginHostURL: String { baseURL.replacingOccurrences(of: "://127.0.0.1", with: "://localhost") }

    /// The audiences Salesforce accepts (and sfsim's own login host); never the instance (My Domain) host.
    var acceptedAudiences: Set<String> {
        ["https://login.salesforce.com", "https://test.salesforce.com", loginHostURL]
    }

    func jwtBearerToken(_ form: [String: String]) async -> SimResponse {
        guard let assertion = form["assertion"], !assertion.isEmpty else {
            return Self.tokenError("invalid_request", "assertion is required")
        }
        let keys = JWTKeyCollection()
        let unverified: BearerClaims
        do { unverified = try await keys.unverified(assertion, as: BearerClaims.self) } catch {
            return Self.tokenError("invalid_grant", "invalid assertion")
        }
        let app: ConnectedApp
        switch self.app(unverified.iss.value, allowing: .jwt) {
        case let .success(found): app = found
        case let .failure(error): return error.response
        }
        guard let certificate = app.certificate, let key = try? Insecure.RSA.PublicKey(certificatePEM: certificate) else {
            return Self.tokenError("invalid_grant", "invalid assertion")
        }
        await keys.add(rsa: key, digestAlgorithm: .sha256)
        let claims: BearerClaims
        do { claims = try await keys.verify(assertion, as: BearerClaims.self) } catch {
            return Self.tokenError("invalid_grant", "invalid assertion")
        }
        let audiences = claims.aud.value.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        guard audiences.count == 1, let audience = audiences.first, acceptedAudiences.contains(audience) else {
            return Self.tokenError("invalid_grant", "audience is invalid")
        }
        guard let expiry = claims.exp?.value, expiry > clock.now() else {
            return Self.tokenError("invalid_grant", "invalid assertion")
        }
        let username = claims.sub.value.lowercased()
        guard let user = lock.withLock({ users.first { $0.username.lowercased() == username } }), user.active,
              app.preAuthorized.map({ $0.contains { $0.lowercased() == username } }) ?? true else {
            return Self.tokenError("invalid_grant", "user hasn't approved this consumer")
        }
        let access = issueAccessToken(userID: user.id, refreshToken: nil)
        return .json(tokenBody(user: user, accessToken: access, refreshToken: nil, scope: "api"))
    }
}
