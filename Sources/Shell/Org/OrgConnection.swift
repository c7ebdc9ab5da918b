import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncEngine

extension ShellSession {
    /// The command running in this task: the ledger attributes the calls of the
    /// clients it makes to it. Bound per command (a task-local), not session-wide.
    @TaskLocal static var commandSource = "shell"

    /// The alias of the org given by the environment for this invocation.
    public static let environmentAlias = "env"

    /// The org of `SF_ACCESS_TOKEN` + `SF_INSTANCE_URL` (as the `sf` CLI reads them): used
    /// for this invocation when both are set and no `--org` is given, never written to the store.
    var environmentOrg: OrgRecord? {
        guard let token = io.environment["SF_ACCESS_TOKEN"], !token.isEmpty,
              let instance = io.environment["SF_INSTANCE_URL"], !instance.isEmpty else { return nil }
        return OrgRecord(alias: Self.environmentAlias, instanceURL: instance, loginURL: instance, accessToken: token,
                         createdAt: clock.now())
    }

    /// The alias of the org commands act on: `--org`, else the environment's token, else the one chosen with
    /// `use` or `login`. The home-wide choice is read once, when the session first needs it: other sessions that
    /// log in or `use` another org afterwards do not move this one (its `set`s stay on the org it shows).
    public var currentOrgAlias: String? {
        if let orgOverride { return orgOverride }
        if environmentOrg != nil { return Self.environmentAlias }
        return sessionOrg.resolve { (try? store.setting("current_org", scope: Store.stateScope)) ?? nil }
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
        if alias == Self.environmentAlias, orgOverride == nil, let environmentOrg { return environmentOrg }
        do { return try connector.org(named: alias) } catch { throw ShellError(error) }
    }

    /// Makes `alias` this session's org, and the home-wide default for sessions that start later.
    func setCurrentOrg(_ alias: String) throws(ShellError) {
        do { try store.setSetting("current_org", to: alias, scope: Store.stateScope) } catch { throw ShellError(error) }
        sessionOrg.set(alias)
    }

    /// Forgets `alias` as the current org (logout, a demo org gone): here, and home-wide if it is the default there.
    func forgetCurrentOrg(_ alias: String) {
        if (try? store.setting("current_org", scope: Store.stateScope)) == alias {
            _ = try? store.removeSetting("current_org", scope: Store.stateScope)
        }
        if sessionOrg.resolve({ nil }) == alias { sessionOrg.set(nil) }
    }

    /// A client for an org whose calls the ledger attributes to the running command.
    func client(for org: OrgRecord) throws(ShellError) -> SalesforceClient {
        do { return try connector.client(for: org, source: Self.commandSource) } catch { throw ShellError(error) }
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

    /// A ledger meter for calls made outside an org's client (login, logout).
    func ledgerMeter(alias: String) -> LedgerMeter {
        connector.ledgerMeter(org: alias, source: Self.commandSource)
    }

    // MARK: Describe cache

    /// The describe of an object: from the cache when fresh enough (no call),
    /// revalidated with If-Modified-Since when `revalidate` or stale.
    func describe(_ object: String, revalidate: Bool = false) async throws(ShellError) -> SObjectDescribe {
        let (org, client) = try currentClient()
        do { return try await describes.describe(object, org: org.alias, client: client, revalidate: revalidate) } catch {
            throw ShellError(error)
        }
    }

    /// The describe of an object when an org is selected and it can be had
    /// (cache or one call); nil otherwise.
    func describeIfAvailable(_ object: String) async -> SObjectDescribe? {
        guard currentOrgAlias != nil else { return nil }
        return try? await describe(object)
    }

    /// The raw cached describe body (for `describe --json`).
    func cachedDescribeBody(_ object: String) -> Data? {
        guard let alias = currentOrgAlias else { return nil }
        return describes.cachedBody(object, org: alias)
    }

    /// The global describe: cached, fetched when missing or when `refresh`.
    func globalDescribe(refresh: Bool = false) async throws(ShellError) -> GlobalDescribe {
        let (org, client) = try currentClient()
        do { return try await describes.globalDescribe(org: org.alias, client: client, refresh: refresh) } catch {
            throw ShellError(error)
        }
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
           let global = try? GlobalDescribe.parse(cached.body) {
            return global.sobjects.map(\.name)
        }
        return (try? store.cachedObjects(org: alias)) ?? []
    }

    func describedFieldNames() -> [String] {
        guard let alias = currentOrg() else { return [] }
        return ((try? store.describedObjects(org: alias)) ?? []).flatMap(fieldNames(of:))
    }

    func fieldNames(of sObject: String) -> [String] {
        guard let alias = currentOrg(),
              let cached = (try? store.cachedDescribe(org: alias, object: sObject)) ?? nil,
              let describe = try? SObjectDescribe.parse(cached.body) else { return [] }
        return describe.fields.map(\.name)
    }
}
