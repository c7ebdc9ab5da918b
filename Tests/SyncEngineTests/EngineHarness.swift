import TestSupport
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Simulator
import Store
import Testing
@testable import SyncEngine

/// A store and an engine connected to an in-process sfsim over loopback, logged
/// in through the device flow (so with a refresh token). The engine's clock
/// reads sfsim's, so moving sfsim's clock moves both.
struct EngineHarness: Stoppable {
    let server: SimServer
    let store: Store
    let connector: OrgConnector
    let alias = "sim"
    /// The test's own transport (one worker thread for all its calls).
    let adminTransport = CurlTransport()
    /// A client for the test's own reads and writes (not the import's), with a
    /// fresh session each time (the test moves sfsim's clock past expiries).
    var admin: SalesforceClient {
        let token = server.org.issueAccessToken(userID: server.org.adminUser.id, refreshToken: nil)
        // The base URL is loopback http, which the client accepts.
        return try! SalesforceClient(credentials: Credentials(instanceURL: server.baseURL, accessToken: token),
                                     transport: adminTransport, retry: .none)
    }

    var sim: Org { server.org }

    static func start(clock simClock: SimulatedClock = SimulatedClock(),
                      configure: (inout OrgConfiguration) -> Void = { _ in },
                      transport wrap: (any HTTPTransport) -> any HTTPTransport = { $0 }) async throws -> EngineHarness {
        var configuration = OrgConfiguration()
        configuration.seed = 7
        configuration.inMemory = true
        configuration.contacts = 300
        configuration.leads = 250
        configuration.accounts = 40
        configuration.opportunities = 120
        configure(&configuration)
        let server = try await SimServer.start(org: try Org(configuration: configuration, clock: simClock))
        return try await connect(server, clock: simClock, transport: wrap)
    }

    /// Another home logged into the same org: a machine that remembers nothing of earlier runs.
    func anotherHome() async throws -> EngineHarness {
        try await Self.connect(server, clock: server.org.clock, transport: { $0 })
    }

    static func connect(_ server: SimServer, clock simClock: SimulatedClock,
                        transport wrap: (any HTTPTransport) -> any HTTPTransport) async throws -> EngineHarness {
        let configuration = server.org.configuration
        let store = try Store(home: SfshHome(path: NSTemporaryDirectory() + "sfsh-engine-" + UUID().uuidString))
        let clock = SimEngineClock(simClock)
        let connector = OrgConnector(store: store, transport: wrap(CurlTransport()), clock: clock,
                                     retry: RetryPolicy(attempts: 6, baseDelay: 0.001, maxDelay: 0.01))
        let oauth = OAuthClient(loginURL: server.baseURL, transport: connector.transport)
        let device = try await oauth.startDevice(clientID: configuration.clientID)
        _ = server.org.approveDevice(userCode: device.userCode)
        guard case let .granted(token) = try await oauth.pollDevice(clientID: configuration.clientID, deviceCode: device.deviceCode) else {
            throw EngineError(.auth, "the device flow did not grant a token")
        }
        let org = OrgRecord(alias: "sim", instanceURL: token.instanceURL ?? server.baseURL, loginURL: server.baseURL,
                            accessToken: token.accessToken, refreshToken: token.refreshToken,
                            clientID: configuration.clientID, clientSecret: configuration.clientSecret, createdAt: clock.now())
        try store.saveOrg(org)
        return EngineHarness(server: server, store: store, connector: connector)
    }

    func stop() async { await server.stop() }

    func org() throws -> OrgRecord { try connector.org(named: alias) }

    func settings() throws -> SyncSettings { try SyncSettings.load(from: store, scope: alias) }

    func job(_ configure: (inout ImportOptions) -> Void = { _ in }, events: @escaping @Sendable (SyncEvent) -> Void = { _ in },
             shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> ImportJob {
        var options = ImportOptions()
        configure(&options)
        return ImportJob(try environment(events: events, shouldStop: shouldStop), options: options)
    }

    /// The environment of a job of this harness's org.
    func environment(alias other: String? = nil, events: @escaping @Sendable (SyncEvent) -> Void = { _ in },
                     shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> JobEnvironment {
        let record = try connector.org(named: other ?? alias)
        return JobEnvironment(connector: connector, org: record, settings: try SyncSettings.load(from: store, scope: record.alias),
                              events: events, shouldStop: shouldStop)
    }

    /// Id → SystemModstamp of the org's live records, read through sfsim's REST API.
    func orgRecords(_ object: String) async throws -> [String: String] {
        var result: [String: String] = [:]
        for try await record in admin.records("SELECT Id, SystemModstamp FROM \(object)") {
            result[record["Id"]!.stringValue!] = record["SystemModstamp"]!.stringValue!
        }
        return result
    }

    /// Id → SystemModstamp of the live local records.
    func localRecords(_ object: String) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try store.localRecords(org: alias, object: object).map { ($0.id, $0.systemModstamp) })
    }

    /// Every object's local records equal the org's, to the SystemModstamp.
    func expectInSync(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for object in ImportJob.defaultObjects {
            let remote = try await orgRecords(object)
            let local = try localRecords(object)
            #expect(local.count == remote.count, "\(object): \(local.count) local vs \(remote.count) in the org", sourceLocation: sourceLocation)
            #expect(local == remote, "\(object) differs", sourceLocation: sourceLocation)
        }
    }

    /// Creates `count` contacts in collections of 200; returns their ids.
    func createContacts(_ count: Int, prefix: String) async throws -> [String] {
        var ids: [String] = []
        var index = 0
        while index < count {
            let batch = (index..<min(count, index + 200)).map { number -> JSONValue in
                .object([("attributes", .object([("type", .string("Contact"))])),
                         ("LastName", .string("\(prefix)\(number)")), ("Email", .string("\(prefix)\(number)@example.com"))])
            }
            let answer = try await admin.json("POST", "composite/sobjects",
                                              body: .object([("allOrNone", .bool(true)), ("records", .array(batch))]),
                                              idempotent: false)
            ids += answer.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            index += 200
        }
        #expect(ids.count == count)
        return ids
    }

    func update(_ object: String, _ id: String, _ fields: JSONValue) async throws {
        try await admin.update(object, id: id, fields: fields)
    }

    func delete(_ object: String, _ id: String) async throws {
        _ = try await admin.send("DELETE", "sobjects/\(object)/\(id)")
    }

    /// The calls the import's ledger holds for one run.
    func calls(run: Int64) throws -> Int { try store.callCount(run: run) }
}

