import Foundation
import JSON

/// `/services/oauth2/*`, the identity URL and the SOAP partner login.
extension Org {
    enum DevicePoll {
        case answer(SimResponse)
        case approved(SimUser)
    }

    static func tokenError(_ error: String, _ description: String) -> SimResponse {
        .json(.object([("error", .string(error)), ("error_description", .string(description))]), status: 400)
    }

    func tokenBody(user: SimUser, accessToken: String, refreshToken: String?, scope: String) -> JSONValue {
        let issued = String(Int64(clock.now().timeIntervalSince1970 * 1000))
        var pairs: [(String, JSONValue)] = [
            ("access_token", .string(accessToken)),
        ]
        if let refreshToken { pairs.append(("refresh_token", .string(refreshToken))) }
        pairs += [
            ("signature", .string(Data(Self.randomToken(32).utf8).base64EncodedString())),
            ("scope", .string(scope)),
            ("instance_url", .string(baseURL)),
            ("id", .string("\(baseURL)/id/\(orgID)/\(user.id)")),
            ("token_type", .string("Bearer")),
            ("issued_at", .string(issued)),
        ]
        return .object(pairs)
    }

    func handleOAuth(_ request: SimRequest, path: String) async -> SimResponse {
        switch path {
        case "/services/oauth2/token":
            guard request.method == "POST" else { return .error(APIError.notFound) }
            return await token(request.formFields(), request: request)
        case "/services/oauth2/authorize":
            guard request.method == "GET" || request.method == "POST" else { return .error(APIError.notFound) }
            return authorize(request)
        case "/services/oauth2/revoke":
            let token = request.method == "GET" ? request.queryValue("token") : request.formFields()["token"]
            return revoke(token)
        case "/services/oauth2/userinfo":
            guard let user = try? authenticate(request) else {
                return SimResponse(status: 403, headers: [("Content-Type", "text/plain")], body: Data("Bad_OAuth_Token".utf8))
            }
            return .json(userInfo(user))
        case _ where path.hasPrefix("/id/"):
            let parts = path.split(separator: "/")
            guard let user = try? authenticate(request) else {
                return SimResponse(status: 403, headers: [("Content-Type", "text/plain")], body: Data("Bad_OAuth_Token".utf8))
            }
            guard parts.count == 3, parts[1] == orgID, parts[2] == user.id else { return .error(APIError.notFound) }
            return .json(identity(user, version: request.queryValue("version")))
        case _ where path.hasPrefix("/services/Soap/u/"):
            return soapLogin(request)
        default:
            return .error(APIError.notFound)
        }
    }

    func token(_ form: [String: String], request: SimRequest) async -> SimResponse {
        if form["response_type"] == "device_code" {
            if case let .failure(error) = app(form["client_id"], allowing: .device) { return error.response }
            let deviceCode = Self.randomToken(40)
            let userCode = String((0..<8).map { _ in Array("BCDFGHJKLMNPQRSTVWXZ")[Int.random(in: 0..<20)] })
            lock.withLock {
                deviceCodes[deviceCode] = DeviceCode(userCode: userCode, expires: clock.now().addingTimeInterval(600),
                                                     interval: 5, lastPoll: nil, approvedUser: nil)
            }
            return .json(.object([
                ("device_code", .string(deviceCode)), ("user_code", .string(userCode)),
                ("verification_uri", .string("\(baseURL)/setup/connect")), ("interval", .int(5)),
            ]))
        }
        switch form["grant_type"] {
        case "password":
            let app: ConnectedApp
            switch self.app(form["client_id"], allowing: .password) {
            case let .success(found): app = found
            case let .failure(error): return error.response
            }
            guard form["client_secret"] == app.clientSecret else {
                return Self.tokenError("invalid_client", "invalid client credentials")
            }
            let user = lock.withLock { users.first { $0.username.lowercased() == form["username"]?.lowercased() } }
            // Like an org whose login IP ranges trust the caller, the token may be left off.
            guard let user, user.active,
                  form["password"] == user.password + configuration.securityToken || form["password"] == user.password
            else { return Self.tokenError("invalid_grant", "authentication failure") }
            let access = issueAccessToken(userID: user.id, refreshToken: nil)
            return .json(tokenBody(user: user, accessToken: access, refreshToken: nil, scope: "api web"))
        case "refresh_token":
            let app: ConnectedApp
            switch self.app(form["client_id"], allowing: .refresh) {
            case let .success(found): app = found
            case let .failure(error): return error.response
            }
            if let secret = form["client_secret"], secret != app.clientSecret {
                return Self.tokenError("invalid_client", "invalid client credentials")
            }
            guard let refresh = form["refresh_token"], let userID = lock.withLock({ refreshTokens[refresh] }),
                  let user = lock.withLock({ users.first { $0.id == userID } }), user.active
            else { return Self.tokenError("invalid_grant", "expired access/refresh token") }
            let access = issueAccessToken(userID: user.id, refreshToken: refresh)
            return .json(tokenBody(user: user, accessToken: access, refreshToken: nil, scope: "refresh_token api web"))
        case "client_credentials":
            return clientCredentialsToken(request, form: form)
        case "authorization_code":
            return authorizationCodeToken(form)
        case "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return await jwtBearerToken(form)
        case "device":
            if case let .failure(error) = app(form["client_id"], allowing: .device) { return error.response }
            let code = form["code"] ?? form["device_code"] ?? ""
            let now = clock.now()
            let outcome: DevicePoll = lock.withLock {
                guard var entry = deviceCodes[code] else {
                    return .answer(Self.tokenError("invalid_grant", "invalid device code"))
                }
                guard entry.expires > now else {
                    deviceCodes[code] = nil
                    return .answer(Self.tokenError("expired_token", "device code has expired"))
                }
                defer { deviceCodes[code] = entry }
                if let userID = entry.approvedUser, let user = users.first(where: { $0.id == userID }) {
                    entry = DeviceCode(userCode: "", expires: .distantPast, interval: 0)
                    return .approved(user)
                }
                if let last = entry.lastPoll, now.timeIntervalSince(last) < entry.interval {
                    entry.lastPoll = now
                    return .answer(Self.tokenError("slow_down", "polling too fast; wait the interval"))
                }
                entry.lastPoll = now
                return .answer(Self.tokenError("authorization_pending", "authorization pending"))
            }
            switch outcome {
            case let .answer(response): return response
            case let .approved(user):
                let refresh = issueRefreshToken(userID: user.id)
                let access = issueAccessToken(userID: user.id, refreshToken: refresh)
                return .json(tokenBody(user: user, accessToken: access, refreshToken: refresh,
                                       scope: "refresh_token api web"))
            }
        default:
            return Self.tokenError("unsupported_grant_type", "grant type not supported")
        }
    }

    /// Approves a pending device code for a user (the test hook behind `/_sfsim/device/approve`).
    public func approveDevice(userCode: String, username: String? = nil) -> Bool {
        lock.withLock {
            guard let (code, _) = deviceCodes.first(where: { $0.value.userCode == userCode.uppercased() }),
                  let user = username.map({ name in users.first { $0.username == name } }) ?? users.first
            else { return false }
            deviceCodes[code]?.approvedUser = user.id
            return true
        }
    }

    func revoke(_ token: String?) -> SimResponse {
        guard let token, !token.isEmpty else { return Self.tokenError("unsupported_token_type", "missing token") }
        let found: Bool = lock.withLock {
            if accessTokens.removeValue(forKey: token) != nil { return true }
            if refreshTokens.removeValue(forKey: token) != nil {
                // Revoking a refresh token also ends the sessions it issued.
                accessTokens = accessTokens.filter { $0.value.refreshToken != token }
                return true
            }
            return false
        }
        return found ? SimResponse(status: 200) : Self.tokenError("invalid_token", "invalid token")
    }

    func identity(_ user: SimUser, version: String?) -> JSONValue {
        let v = version ?? "{version}"
        func url(_ path: String) -> JSONValue { .string("\(baseURL)/services/data/v\(v)/\(path)") }
        return .object([
            ("id", .string("\(baseURL)/id/\(orgID)/\(user.id)")),
            ("asserted_user", .bool(true)),
            ("user_id", .string(user.id)),
            ("organization_id", .string(orgID)),
            ("username", .string(user.username)),
            ("nick_name", .string(user.firstName.lowercased())),
            ("display_name", .string(user.name)),
            ("email", .string(user.email)),
            ("email_verified", .bool(true)),
            ("first_name", .string(user.firstName)),
            ("last_name", .string(user.lastName)),
            ("timezone", .string("America/Los_Angeles")),
            ("photos", .object([("picture", .string("\(baseURL)/profilephoto/005/F")),
                                ("thumbnail", .string("\(baseURL)/profilephoto/005/T"))])),
            ("addr_street", .null), ("addr_city", .null), ("addr_state", .null), ("addr_country", .string("US")),
            ("addr_zip", .null), ("mobile_phone", .null), ("mobile_phone_verified", .bool(false)),
            ("is_lightning_login_user", .bool(false)),
            ("status", .object([("created_date", .null), ("body", .null)])),
            ("urls", .object([
                ("enterprise", .string("\(baseURL)/services/Soap/c/\(v)/\(orgID)")),
                ("metadata", .string("\(baseURL)/services/Soap/m/\(v)/\(orgID)")),
                ("partner", .string("\(baseURL)/services/Soap/u/\(v)/\(orgID)")),
                ("rest", url("")), ("sobjects", url("sobjects/")), ("search", url("search/")),
                ("query", url("query/")), ("recent", url("recent/")),
                ("tooling_soap", .string("\(baseURL)/services/Soap/T/\(v)/\(orgID)")),
                ("tooling_rest", url("tooling/")), ("profile", .string("\(baseURL)/\(user.id)")),
                ("feeds", url("chatter/feeds")), ("groups", url("chatter/groups")), ("users", url("chatter/users")),
                ("feed_items", url("chatter/feed-items")), ("feed_elements", url("chatter/feed-elements")),
                ("custom_domain", .string(baseURL)),
            ])),
            ("active", .bool(user.active)),
            ("user_type", .string("STANDARD")),
            ("language", .string("en_US")),
            ("locale", .string("en_US")),
            ("utcOffset", .int(-28_800_000)),
            ("last_modified_date", .string(ISO8601DateFormatter().string(from: created))),
            ("is_app_installed", .bool(true)),
        ])
    }

    func userInfo(_ user: SimUser) -> JSONValue {
        .object([
            ("sub", .string("\(baseURL)/id/\(orgID)/\(user.id)")),
            ("user_id", .string(user.id)),
            ("organization_id", .string(orgID)),
            ("preferred_username", .string(user.username)),
            ("nickname", .string(user.firstName.lowercased())),
            ("name", .string(user.name)),
            ("email", .string(user.email)),
            ("email_verified", .bool(true)),
            ("given_name", .string(user.firstName)),
            ("family_name", .string(user.lastName)),
            ("zoneinfo", .string("America/Los_Angeles")),
            ("photos", .object([("picture", .string("\(baseURL)/profilephoto/005/F"))])),
            ("profile", .string("\(baseURL)/\(user.id)")),
            ("picture", .string("\(baseURL)/profilephoto/005/F")),
            ("address", .object([("country", .string("US"))])),
            ("is_salesforce_integration_user", .bool(false)),
            ("urls", .object([("rest", .string("\(baseURL)/services/data/v{version}/"))])),
            ("active", .bool(user.active)),
            ("user_type", .string("STANDARD")),
            ("language", .string("en_US")),
            ("locale", .string("en_US")),
            ("utcOffset", .int(-28_800_000)),
            ("updated_at", .string(ISO8601DateFormatter().string(from: created))),
            ("is_app_installed", .bool(true)),
        ])
    }

    /// The SOAP partner login simple-salesforce uses for username + password + token.
    func soapLogin(_ request: SimRequest) -> SimResponse {
        let body = String(decoding: request.body, as: UTF8.self)
        func element(_ name: String) -> String? {
            guard let start = body.range(of: "<\(name)>") ?? body.range(of: "<n1:\(name)>"),
                  let end = body.range(of: "</", range: start.upperBound..<body.endIndex) else { return nil }
            return String(body[start.upperBound..<end.lowerBound])
                .replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
                .replacingOccurrences(of: "&apos;", with: "'")
        }
        let user = lock.withLock { users.first { $0.username.lowercased() == element("username")?.lowercased() } }
        guard let user, user.active, element("password") == user.password + configuration.securityToken else {
            let fault = """
                <?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>
                """
            return SimResponse(status: 500, headers: [("Content-Type", "text/xml;charset=UTF-8")], body: Data(fault.utf8))
        }
        let token = issueAccessToken(userID: user.id, refreshToken: nil)
        let version = request.path.split(separator: "/").last.map(String.init) ?? "59.0"
        let envelope = """
            <?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>\(baseURL)/services/Soap/m/\(version)/\(orgID)</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>\(baseURL)/services/Soap/u/\(version)/\(orgID)</serverUrl><sessionId>\(token)</sessionId><userId>\(user.id)</userId><userInfo><organizationId>\(orgID)</organizationId><userEmail>\(user.email)</userEmail><userFullName>\(user.name)</userFullName><userName>\(user.username)</userName></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>
            """
        return SimResponse(status: 200, headers: [("Content-Type", "text/xml;charset=UTF-8")], body: Data(envelope.utf8))
    }
}
