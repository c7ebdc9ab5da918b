import Foundation
import JSON
import Salesforce
import Simulator
import Store

/// The command or job the ledger attributes calls to. Shared with the
/// client's call hook, which may run on another thread.
final class LedgerSource: @unchecked Sendable {
    private let lock = NSLock()
    private var name = "shell"

    var current: String {
        get { lock.withLock { name } }
        set { lock.withLock { name = newValue } }
    }
}

extension ShellSession {
    /// The alias of the org commands act on: `--org`, else the one chosen with `use`.
    public var currentOrgAlias: String? {
        orgOverride ?? (try? store.setting("current_org", scope: Store.stateScope)) ?? nil
    }

    /// The org record commands act on, or a usage error saying how to get one.
    func currentOrg() throws(ShellError) -> OrgRecord {
        guard let alias = currentOrgAlias else {
            throw ShellError(.auth, "no org selected",
                             hint: "log in first: login (device flow), login --password, login --token … --instance …, or login --demo")
        }
        return try org(named: alias)
    }

    /// The stored org called `alias`, or a usage error saying so.
    func org(named alias: String) throws(ShellError) -> OrgRecord {
        let found: OrgRecord?
        do { found = try store.org(alias) } catch { throw ShellError(error) }
        guard let org = found else {
            throw ShellError(.usage, "no org called '\(Invocation.excerpt(alias))'", hint: "'orgs' lists the orgs you logged into")
        }
        return org
    }

    func setCurrentOrg(_ alias: String) throws(ShellError) {
        do { try store.setSetting("current_org", to: alias, scope: Store.stateScope) } catch { throw ShellError(error) }
        clients[alias] = nil
    }

    /// A client for an org: calls go to the ledger, refreshed tokens back to the store.
    func client(for org: OrgRecord) throws(ShellError) -> SalesforceClient {
        if let cached = clients[org.alias], cached.credentials.accessToken == org.accessToken { return cached }
        let store = self.store
        let source = ledgerSource
        let clock = self.clock
        let alias = org.alias
        let credentials = Credentials(instanceURL: org.instanceURL, accessToken: org.accessToken,
                                      refreshToken: org.refreshToken, loginURL: org.loginURL,
                                      clientID: org.clientID, clientSecret: org.clientSecret)
        do {
            let client = try SalesforceClient(
                credentials: credentials, transport: transport, apiVersion: org.apiVersion, retry: retryPolicy,
                onCall: { call in
                    try? store.record(LedgerEntry(at: clock(), org: alias, source: source.current, method: call.method,
                                                  path: call.path, status: call.status,
                                                  durationMS: call.duration * 1000, usageUsed: call.usage?.used,
                                                  usageMax: call.usage?.max))
                },
                onRefresh: { updated in
                    try? store.updateTokens(alias: alias, accessToken: updated.accessToken,
                                            instanceURL: updated.instanceURL)
                })
            clients[org.alias] = client
            return client
        } catch {
            throw ShellError(error, doing: "connecting to \(org.alias)")
        }
    }

    /// The client of the current org.
    func currentClient() throws(ShellError) -> (OrgRecord, SalesforceClient) {
        let org = try currentOrg()
        return (org, try client(for: org))
    }

    /// Runs a Salesforce call, turning its failure into a shell error.
    func salesforce<T>(_ action: String, _ body: () async throws(SalesforceError) -> T) async throws(ShellError) -> T {
        do { return try await body() } catch { throw ShellError(error, doing: action) }
    }

    /// A ledger hook for calls made outside an org's client (login, logout).
    func ledgerHook(alias: String) -> @Sendable (CallRecord) -> Void {
        let store = self.store
        let source = ledgerSource
        let clock = self.clock
        return { call in
            try? store.record(LedgerEntry(at: clock(), org: alias, source: source.current, method: call.method,
                                          path: call.path, status: call.status, durationMS: call.duration * 1000,
                                          usageUsed: call.usage?.used, usageMax: call.usage?.max))
        }
    }

    // MARK: Describe cache

    /// The describe of an object: from the cache when fresh enough (no call),
    /// revalidated with If-Modified-Since when `revalidate` or stale.
    func describe(_ object: String, revalidate: Bool = false) async throws(ShellError) -> SObjectDescribe {
        let (org, client) = try currentClient()
        let cached: CachedDescribe?
        do { cached = try store.cachedDescribe(org: org.alias, object: object) } catch { throw ShellError(error) }
        let now = clock()
        if let cached, !revalidate, now.timeIntervalSince(cached.fetchedAt) < Self.describeFreshness,
           let parsed = try? SObjectDescribe.parse(cached.body) {
            return parsed
        }
        let result = try await salesforce("describe \(object)") { () async throws(SalesforceError) in
            try await client.describe(object, ifModifiedSince: cached?.lastModified)
        }
        switch result {
        case .notModified:
            guard let cached, let parsed = try? SObjectDescribe.parse(cached.body) else {
                throw ShellError(.failure, "Salesforce answered 304 for \(object) but the cached describe is unreadable")
            }
            try? store.touchDescribe(org: org.alias, object: object, at: now)
            return parsed
        case let .fresh(describe, raw, lastModified):
            do {
                try store.cacheDescribe(org: org.alias, object: describe.name, body: raw, fetchedAt: now,
                                        lastModified: lastModified)
            } catch { throw ShellError(error) }
            return describe
        }
    }

    /// The describe of an object when an org is selected and it can be had
    /// (cache or one call); nil otherwise.
    func describeIfAvailable(_ object: String) async -> SObjectDescribe? {
        guard currentOrgAlias != nil else { return nil }
        return try? await describe(object)
    }

    /// How long a cached describe is used without asking Salesforce.
    static let describeFreshness: TimeInterval = 3600

    /// The raw cached describe body (for `describe --json`).
    func cachedDescribeBody(_ object: String) -> Data? {
        guard let alias = currentOrgAlias else { return nil }
        return (try? store.cachedDescribe(org: alias, object: object))??.body
    }

    /// The global describe: cached, fetched when missing or when `refresh`.
    func globalDescribe(refresh: Bool = false) async throws(ShellError) -> GlobalDescribe {
        let (org, client) = try currentClient()
        if !refresh, let cached = (try? store.cachedDescribe(org: org.alias, object: Store.globalDescribeKey)) ?? nil,
           let parsed = try? JSONDecoder().decode(GlobalDescribe.self, from: cached.body) {
            return parsed
        }
        let global = try await salesforce("describe global") { () async throws(SalesforceError) in
            try await client.describeGlobal()
        }
        if let body = try? JSONEncoder().encode(global) {
            try? store.cacheDescribe(org: org.alias, object: Store.globalDescribeKey, body: body, fetchedAt: clock(),
                                     lastModified: nil)
        }
        return global
    }
}

/// Completion candidates from the store: org aliases, and sObjects and fields
/// from the describe cache of the current org (zero API calls).
final class StoreCompletionSource: CompletionSource, @unchecked Sendable {
    let store: Store
    let currentOrg: @Sendable () -> String?

    init(store: Store, currentOrg: @escaping @Sendable () -> String?) {
        self.store = store
        self.currentOrg = currentOrg
    }

    func orgAliases() -> [String] { ((try? store.orgs()) ?? []).map(\.alias) }

    func sObjectNames() -> [String] {
        guard let alias = currentOrg() else { return [] }
        if let cached = (try? store.cachedDescribe(org: alias, object: Store.globalDescribeKey)) ?? nil,
           let global = try? JSONDecoder().decode(GlobalDescribe.self, from: cached.body) {
            return global.sobjects.map(\.name)
        }
        return (try? store.cachedObjects(org: alias)) ?? []
    }

    func fieldNames(of sObject: String) -> [String] {
        guard let alias = currentOrg(),
              let cached = (try? store.cachedDescribe(org: alias, object: sObject)) ?? nil,
              let describe = try? SObjectDescribe.parse(cached.body) else { return [] }
        return describe.fields.map(\.name)
    }
}
