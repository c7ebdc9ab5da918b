import Foundation
import GRDB
import JSON

/// `/_sfsim/…`: the test control, served only when enabled. Not part of
/// Salesforce's protocol; tests use it to move time, set limits, switch the
/// duplicate rule, inject faults, approve device codes and read the call log.
extension Org {
    func handleControl(_ request: SimRequest, path: String) -> SimResponse {
        let body = (try? JSONValue.parse(request.body)) ?? .object([])
        switch (request.method, path) {
        case ("GET", "/_sfsim/calls"):
            return .json(.object([("calls", .array(callLog().map { call in
                .object([("time", .string(SimDates.format(call.time))), ("method", .string(call.method)),
                         ("path", .string(call.path)), ("status", .int(call.status)),
                         ("user", call.user.map(JSONValue.string) ?? .null), ("counted", .bool(call.counted)),
                         ("client", call.client.map(JSONValue.string) ?? .null)])
            }))]))
        case ("DELETE", "/_sfsim/calls"):
            lock.withLock { calls.removeAll() }
            return SimResponse(status: 204)
        case ("POST", "/_sfsim/apps"):
            do {
                let app = try ConnectedApp(json: body)
                addApp(app)
                return .json(.object([("client_id", .string(app.clientID)), ("flows", .array(app.flows.map(\.rawValue).sorted().map(JSONValue.string)))]),
                             status: 201)
            } catch {
                return Self.controlError(error.message)
            }
        case ("GET", "/_sfsim/clock"):
            return .json(.object([("now", .string(SimDates.format(clock.now())))]))
        case ("POST", "/_sfsim/clock/advance"):
            guard let seconds = body["seconds"]?.doubleValue, seconds.isFinite, abs(seconds) <= 1e10 else {
                return Self.controlError("seconds (a number of at most 1e10) is required")
            }
            clock.advance(by: seconds)
            return .json(.object([("now", .string(SimDates.format(clock.now())))]))
        case ("GET", "/_sfsim/limits"):
            let (used, max) = apiUsage
            return .json(.object([("used", .int(used)), ("max", .int(max))]))
        case ("POST", "/_sfsim/limits"):
            guard let limit = body["daily_limit"]?.intValue, limit >= 0 else {
                return Self.controlError("daily_limit (a whole number) is required")
            }
            setDailyLimit(limit)
            return .json(.object([("daily_limit", .int(limit))]))
        case ("POST", "/_sfsim/duplicate-rule"):
            guard let active = body["active"]?.boolValue else { return Self.controlError("active (true/false) is required") }
            setDuplicateRule(active: active)
            return .json(.object([("active", .bool(active))]))
        case ("POST", "/_sfsim/faults"):
            var plan = FaultPlan()
            for step in body["script"]?.arrayValue ?? [] {
                guard let fault = Fault(json: step) else {
                    return Self.controlError("unknown fault kind, or a delay outside 0…\(Int(Fault.longestDelay)) seconds, in \(step.serialized())")
                }
                let count = step["count"].map { $0.intValue ?? -1 } ?? 1
                guard (0...10_000).contains(count) else {
                    return Self.controlError("count must be a whole number from 0 to 10000 in \(step.serialized())")
                }
                for _ in 0..<count {
                    plan.script.append(.init(fault: fault, pathContains: step["path"]?.stringValue))
                }
            }
            plan.rate = body["rate"]?.doubleValue ?? 0
            guard plan.rate.isFinite, (0...1).contains(plan.rate) else { return Self.controlError("rate must be from 0 to 1") }
            for kind in body["kinds"]?.arrayValue ?? [] {
                guard let fault = Fault(json: kind.stringValue.map { .object([("kind", .string($0))]) } ?? kind) else {
                    return Self.controlError("unknown fault kind, or a delay outside 0…\(Int(Fault.longestDelay)) seconds: \(kind.serialized())")
                }
                plan.kinds.append(fault)
            }
            lock.withLock { faults = plan }
            return .json(.object([("scripted", .int(plan.script.count)), ("rate", .double(plan.rate))]))
        case ("POST", "/_sfsim/fields"):
            // {"object", "name", "type", "length"?, "default"?}: a custom field added at run time.
            guard let object = body["object"]?.stringValue, let name = body["name"]?.stringValue,
                  let type = body["type"]?.stringValue else {
                return Self.controlError("object, name and type are required")
            }
            do {
                return .json(try addCustomField(object: object, name: name, type: type, length: body["length"]?.intValue,
                                                defaultValue: body["default"]), status: 201)
            } catch {
                return .error(error)
            }
        case ("POST", "/_sfsim/purge"):
            // {"ids": [...]} or {"object": "Contact"}: empties the Recycle Bin of those records.
            guard let body = try? JSONValue.parse(request.body) else { return Self.controlError("the body is not JSON") }
            let ids = body["ids"]?.arrayValue.map { $0.compactMap(\.stringValue) }
            let object = body["object"]?.stringValue
            guard ids != nil || object != nil else { return Self.controlError("give \"ids\": [...] or \"object\": NAME") }
            do { return .json(.object([("purged", .int(try purge(ids: ids, object: object)))])) } catch {
                return .error(error)
            }
        case ("DELETE", "/_sfsim/faults"):
            lock.withLock { faults = FaultPlan() }
            return SimResponse(status: 204)
        case ("POST", "/_sfsim/device/approve"):
            guard let code = body["user_code"]?.stringValue else { return Self.controlError("user_code is required") }
            return approveDevice(userCode: code, username: body["username"]?.stringValue)
                ? .json(.object([("approved", .bool(true))])) : Self.controlError("no pending device code \(code)")
        case ("POST", "/_sfsim/sessions/expire"):
            lock.withLock {
                if let token = body["token"]?.stringValue { accessTokens[token] = nil } else { accessTokens.removeAll() }
            }
            return SimResponse(status: 204)
        case ("POST", "/_sfsim/users"):
            guard let username = body["username"]?.stringValue else { return Self.controlError("username is required") }
            let user = addUser(username: username, password: body["password"]?.stringValue ?? configuration.adminPassword,
                               firstName: body["first_name"]?.stringValue ?? "Test",
                               lastName: body["last_name"]?.stringValue ?? "User",
                               apiEnabled: body["api_enabled"]?.boolValue ?? true,
                               viewAllData: body["view_all_data"]?.boolValue ?? true)
            let token = issueAccessToken(userID: user.id, refreshToken: nil)
            return .json(.object([("id", .string(user.id)), ("username", .string(user.username)),
                                  ("access_token", .string(token))]))
        default:
            return .error(APIError.notFound)
        }
    }

    static func controlError(_ message: String) -> SimResponse {
        .json(.object([("error", .string(message))]), status: 400)
    }

    /// The calls answered so far, oldest first.
    public func callLog() -> [CallRecord] { lock.withLock { calls } }

    public func setDailyLimit(_ limit: Int) { lock.withLock { dailyLimit = limit } }

    /// Switches the Lead duplicate rule (and its `DuplicateRule.IsActive`).
    public func setDuplicateRule(active: Bool) {
        lock.withLock { duplicateRuleActive = active }
        _ = try? store.db.write { db in
            try db.execute(sql: "UPDATE DuplicateRule SET IsActive = ? WHERE SobjectType = 'Lead'", arguments: [active ? 1 : 0])
        }
    }

    /// Injects faults: `script` in order (each for the next matching call), then `rate` at random among `kinds`.
    public func injectFaults(script: [(Fault, String?)] = [], rate: Double = 0, kinds: [Fault] = []) {
        var plan = FaultPlan()
        plan.script = script.map { FaultPlan.Step(fault: $0.0, pathContains: $0.1) }
        plan.rate = rate
        plan.kinds = kinds
        lock.withLock { faults = plan }
    }

    /// Ends every session (or one): the next call with it gets 401 INVALID_SESSION_ID.
    public func expireSessions(token: String? = nil) {
        lock.withLock {
            if let token { accessTokens[token] = nil } else { accessTokens.removeAll() }
        }
    }

    /// Adds a user (and its UserPermissionAccess row).
    @discardableResult
    public func addUser(username: String, password: String, firstName: String, lastName: String,
                        apiEnabled: Bool = true, viewAllData: Bool = true) -> SimUser {
        let id = store.nextID(for: StandardObjects.user)
        let user = SimUser(id: id, username: username, firstName: firstName, lastName: lastName,
                           email: username, password: password, apiEnabled: apiEnabled, viewAllData: viewAllData)
        lock.withLock { users.append(user) }
        let stamp = SimDates.format(clock.now())
        _ = try? store.db.write { db in
            try store.insertStandard(StandardObjects.user, [
                "Id": id, "Username": username, "FirstName": firstName, "LastName": lastName,
                "Name": "\(firstName) \(lastName)", "Email": username,
                "Alias": String((firstName.prefix(1) + lastName).prefix(8)).lowercased(), "IsActive": 1,
                "UserType": "Standard", "CommunityNickname": username.split(separator: "@").first.map(String.init),
                "TimeZoneSidKey": "America/Los_Angeles", "LocaleSidKey": "en_US", "EmailEncodingKey": "UTF-8",
                "LanguageLocaleKey": "en_US", "CreatedDate": stamp, "CreatedById": users.first?.id ?? id,
                "LastModifiedDate": stamp, "LastModifiedById": users.first?.id ?? id, "SystemModstamp": stamp,
            ], in: db)
            try store.insertStandard(StandardObjects.userPermissionAccess, [
                "Id": RecordID.make(prefix: "0up", number: users.count + 10), "UserId": id,
                "PermissionsApiEnabled": apiEnabled ? 1 : 0, "PermissionsViewAllData": viewAllData ? 1 : 0,
                "PermissionsModifyAllData": viewAllData ? 1 : 0, "PermissionsViewSetup": 1,
            ], in: db)
        }
        return user
    }
}
