public import Foundation
import GRDB

/// An org sfsh has logged into. The tokens stay in the database; nothing
/// prints them (see `redacted`).
public struct OrgRecord: Sendable, Equatable {
    public var alias: String
    public var instanceURL: String
    public var loginURL: String
    public var orgID: String?
    public var userID: String?
    public var username: String?
    public var accessToken: String
    public var refreshToken: String?
    public var clientID: String?
    public var clientSecret: String?
    /// How it was logged into (`device`, `password`, `web`, `jwt`, `client_credentials`, `token`, `sfdx_url`, `demo`);
    /// nil for a login stored before the flow was kept.
    public var flow: String?
    /// A JWT bearer login's private key file (PEM), read again to sign each new assertion, and the audience it used.
    public var jwtKeyPath: String?
    public var jwtAudience: String?
    public var apiVersion: String
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(alias: String, instanceURL: String, loginURL: String, orgID: String? = nil, userID: String? = nil,
                username: String? = nil, accessToken: String, refreshToken: String? = nil, clientID: String? = nil,
                clientSecret: String? = nil, flow: String? = nil, jwtKeyPath: String? = nil, jwtAudience: String? = nil,
                apiVersion: String = "59.0", createdAt: Date, lastUsedAt: Date? = nil) {
        self.flow = flow
        self.jwtKeyPath = jwtKeyPath
        self.jwtAudience = jwtAudience
        self.alias = alias
        self.instanceURL = instanceURL
        self.loginURL = loginURL
        self.orgID = orgID
        self.userID = userID
        self.username = username
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.apiVersion = apiVersion
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    init(row: Row) {
        alias = row["alias"]
        instanceURL = row["instance_url"]
        loginURL = row["login_url"]
        orgID = row["org_id"]
        userID = row["user_id"]
        username = row["username"]
        accessToken = row["access_token"]
        refreshToken = row["refresh_token"]
        clientID = row["client_id"]
        clientSecret = row["client_secret"]
        flow = row["flow"]
        jwtKeyPath = row["jwt_key_path"]
        jwtAudience = row["jwt_audience"]
        apiVersion = row["api_version"]
        createdAt = Date(timeIntervalSince1970: row["created_at"])
        lastUsedAt = (row["last_used_at"] as Double?).map(Date.init(timeIntervalSince1970:))
    }
}

/// A token as it may be shown: `00D…!AR8…(redacted)`.
public func redacted(_ token: String?) -> String {
    guard let token, !token.isEmpty else { return "(none)" }
    if let bang = token.firstIndex(of: "!") {
        let head = token[..<bang].prefix(3)
        let tail = token[token.index(after: bang)...].prefix(3)
        return "\(head)…!\(tail)…(redacted)"
    }
    return "\(token.prefix(4))…(redacted)"
}

extension Store {
    /// Adds or replaces an org by alias.
    public func saveOrg(_ org: OrgRecord) throws(StoreError) {
        try write { db in
            try db.execute(sql: """
                INSERT INTO org (alias, instance_url, login_url, org_id, user_id, username, access_token, refresh_token,
                                 client_id, client_secret, flow, jwt_key_path, jwt_audience, api_version, created_at, last_used_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(alias) DO UPDATE SET instance_url = excluded.instance_url, login_url = excluded.login_url,
                    org_id = excluded.org_id, user_id = excluded.user_id, username = excluded.username,
                    access_token = excluded.access_token, refresh_token = excluded.refresh_token,
                    client_id = excluded.client_id, client_secret = excluded.client_secret, flow = excluded.flow,
                    jwt_key_path = excluded.jwt_key_path, jwt_audience = excluded.jwt_audience,
                    api_version = excluded.api_version, last_used_at = excluded.last_used_at
                """, arguments: [org.alias, org.instanceURL, org.loginURL, org.orgID, org.userID, org.username,
                                 org.accessToken, org.refreshToken, org.clientID, org.clientSecret, org.flow, org.jwtKeyPath, org.jwtAudience, org.apiVersion,
                                 org.createdAt.timeIntervalSince1970, org.lastUsedAt?.timeIntervalSince1970])
        }
    }

    public func org(_ alias: String) throws(StoreError) -> OrgRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM org WHERE alias = ?", arguments: [alias]).map(OrgRecord.init)
        }
    }

    public func orgs() throws(StoreError) -> [OrgRecord] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM org ORDER BY alias").map(OrgRecord.init) }
    }

    /// Replaces the tokens after a refresh.
    public func updateTokens(alias: String, accessToken: String, instanceURL: String) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE org SET access_token = ?, instance_url = ? WHERE alias = ?",
                           arguments: [accessToken, instanceURL, alias])
        }
    }

    @discardableResult
    public func removeOrg(_ alias: String) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM org WHERE alias = ?", arguments: [alias])
            let removed = db.changesCount > 0
            try db.execute(sql: "DELETE FROM describe_cache WHERE org = ?", arguments: [alias])
            try db.execute(sql: "DELETE FROM setting WHERE scope = ?", arguments: [alias])
            // What was imported from this org belongs to it: another org under the alias starts afresh.
            for table in ["import_object", "local_record", "sync_job"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE org = ?", arguments: [alias])
            }
            return removed
        }
    }

    public func touchOrg(_ alias: String, at date: Date) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE org SET last_used_at = ? WHERE alias = ?",
                           arguments: [date.timeIntervalSince1970, alias])
        }
    }
}

// MARK: - Ledger

/// One call to Salesforce as recorded.
public struct LedgerEntry: Sendable, Equatable {
    public var at: Date
    public var org: String
    /// The command or job that made the call.
    public var source: String
    public var method: String
    public var path: String
    public var status: Int
    public var durationMS: Double
    public var usageUsed: Int?
    public var usageMax: Int?
    /// The sync run the call belongs to, if any.
    public var runID: Int64?

    public init(at: Date, org: String, source: String, method: String, path: String, status: Int, durationMS: Double,
                usageUsed: Int? = nil, usageMax: Int? = nil, runID: Int64? = nil) {
        self.at = at
        self.org = org
        self.source = source
        self.method = method
        self.path = path
        self.status = status
        self.durationMS = durationMS
        self.usageUsed = usageUsed
        self.usageMax = usageMax
        self.runID = runID
    }
}

extension Store {
    public func record(_ entry: LedgerEntry) throws(StoreError) {
        try write { db in
            try db.execute(sql: """
                INSERT INTO ledger (at, org, source, method, path, status, duration_ms, usage_used, usage_max, run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [entry.at.timeIntervalSince1970, entry.org, entry.source, entry.method, entry.path,
                                 entry.status, entry.durationMS, entry.usageUsed, entry.usageMax, entry.runID])
        }
    }

    /// The ledger's filter: calls since `since`, optionally of one org and one source, and
    /// optionally only those Salesforce counts against the org's API requests (not token
    /// requests, not calls refused with 401).
    static func ledgerFilter(since: Date, org: String?, source: String?, countedOnly: Bool = false)
        -> (sql: String, arguments: StatementArguments)
    {
        var sql = "WHERE at >= ?"
        var arguments: [DatabaseValueConvertible] = [since.timeIntervalSince1970]
        if let org { sql += " AND org = ?"; arguments.append(org) }
        if let source { sql += " AND source = ?"; arguments.append(source) }
        if countedOnly { sql += " AND status != 401 AND path NOT LIKE '/services/oauth2/%'" }
        return (sql, StatementArguments(arguments))
    }

    /// Calls since `since` summed per source and hour (the hour's start), oldest first: how many, and how many failed
    /// (an HTTP error, or no answer).
    public func ledgerHours(since: Date, org: String? = nil) throws(StoreError) -> [(source: String, hour: Date, calls: Int, failed: Int)] {
        let filter = Self.ledgerFilter(since: since, org: org, source: nil)
        return try read { db in
            try Row.fetchAll(db, sql: """
                SELECT source, CAST(at / 3600 AS INTEGER) * 3600 AS hour, COUNT(*) AS calls,
                       SUM(status >= 400 OR status = 0) AS failed
                FROM ledger \(filter.sql) GROUP BY source, hour ORDER BY hour, source
                """, arguments: filter.arguments).map { row in
                (row["source"], Date(timeIntervalSince1970: row["hour"]), row["calls"], row["failed"])
            }
        }
    }

    /// Calls since `since`, optionally for one org and one source.
    public func ledger(since: Date, org: String? = nil, source: String? = nil) throws(StoreError) -> [LedgerEntry] {
        let filter = Self.ledgerFilter(since: since, org: org, source: source)
        return try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ledger \(filter.sql) ORDER BY at, id", arguments: filter.arguments).map { row in
                LedgerEntry(at: Date(timeIntervalSince1970: row["at"]), org: row["org"], source: row["source"],
                            method: row["method"], path: row["path"], status: row["status"],
                            durationMS: row["duration_ms"], usageUsed: row["usage_used"], usageMax: row["usage_max"],
                            runID: row["run_id"])
            }
        }
    }

    /// The org's API usage as Salesforce last reported it (`Sforce-Limit-Info`) since `since`, from any caller.
    public func latestUsage(org: String, since: Date) throws(StoreError) -> (used: Int, max: Int)? {
        try read { db in
            try Row.fetchOne(db, sql: """
                SELECT usage_used, usage_max FROM ledger WHERE org = ? AND at >= ? AND usage_used IS NOT NULL AND usage_max IS NOT NULL
                ORDER BY at DESC, id DESC LIMIT 1
                """, arguments: [org, since.timeIntervalSince1970]).map { ($0["usage_used"], $0["usage_max"]) }
        }
    }

    /// How many calls since `since`, optionally for one org and source: an indexed `COUNT`
    /// (the budget gate asks before every call of a job).
    public func ledgerCount(since: Date, org: String? = nil, source: String? = nil, countedOnly: Bool = false) throws(StoreError) -> Int {
        let filter = Self.ledgerFilter(since: since, org: org, source: source, countedOnly: countedOnly)
        return try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger \(filter.sql)", arguments: filter.arguments) ?? 0
        }
    }
}

// MARK: - Describe cache

/// A cached describe body with when it was fetched.
public struct CachedDescribe: Sendable {
    public var body: Data
    public var fetchedAt: Date
    public var lastModified: String?
    /// The describe's `ETag`, sent back as `If-None-Match`.
    public var etag: String?
}

extension Store {
    /// The key under which the global describe is cached.
    public static let globalDescribeKey = "*global*"

    public func cachedDescribe(org: String, object: String) throws(StoreError) -> CachedDescribe? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM describe_cache WHERE org = ? AND object = ? COLLATE NOCASE",
                             arguments: [org, object]).map { row in
                CachedDescribe(body: row["body"], fetchedAt: Date(timeIntervalSince1970: row["fetched_at"]),
                               lastModified: row["last_modified"], etag: row["etag"])
            }
        }
    }

    public func cacheDescribe(org: String, object: String, body: Data, fetchedAt: Date, lastModified: String?, etag: String? = nil)
        throws(StoreError)
    {
        try write { db in
            try db.execute(sql: "DELETE FROM describe_cache WHERE org = ? AND object = ? COLLATE NOCASE",
                           arguments: [org, object])
            try db.execute(sql: """
                INSERT INTO describe_cache (org, object, body, fetched_at, last_modified, etag) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [org, object, body, fetchedAt.timeIntervalSince1970, lastModified, etag])
        }
    }

    /// Marks a cached describe as checked now (after a 304).
    public func touchDescribe(org: String, object: String, at date: Date) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE describe_cache SET fetched_at = ? WHERE org = ? AND object = ? COLLATE NOCASE",
                           arguments: [date.timeIntervalSince1970, org, object])
        }
    }

    /// Objects whose describe is cached for an org, the most recently fetched first.
    public func describedObjects(org: String) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT object FROM describe_cache WHERE org = ? AND object != ? ORDER BY fetched_at DESC, object
                """, arguments: [org, Store.globalDescribeKey])
        }
    }

    /// Objects whose describe is cached for an org.
    public func cachedObjects(org: String) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT object FROM describe_cache WHERE org = ? AND object != ? ORDER BY object",
                                arguments: [org, Store.globalDescribeKey])
        }
    }
}
