import SalesforceModel
import Foundation
import JSON
import Salesforce
import Simulator
import Store
import TestSupport
import Testing
@testable import SyncEngine

/// The daemon's events (TestSupport's log).
typealias DaemonLog = EventLog<DaemonEvent>

extension EventLog where Event == DaemonEvent {
    var started: [(org: String, job: JobKind)] {
        all.compactMap { if case let .started(org, job, _) = $0 { (org, job) } else { nil } }
    }
}

extension EngineHarness {
    func daemon(_ log: DaemonLog) -> Daemon { Daemon(connector: connector, events: { log.add($0) }) }

    func schedule(_ job: JobKind, _ kind: ScheduleKind, org: String? = nil) throws {
        try store.setSetting(job.scheduleKey, to: kind.rawValue, scope: org ?? alias)
    }

    /// Logs into `server`'s org through the device flow and saves it as `alias` in this store.
    func addOrg(_ alias: String, server: SimServer) async throws {
        let oauth = OAuthClient(loginURL: server.baseURL, transport: connector.transport)
        let clientID = server.org.configuration.clientID
        let device = try await oauth.startDevice(clientID: clientID)
        _ = server.org.approveDevice(userCode: device.userCode)
        guard case let .granted(token) = try await oauth.pollDevice(clientID: clientID, deviceCode: device.deviceCode) else {
            throw EngineError(.auth, "the device flow did not grant a token")
        }
        try store.saveOrg(OrgRecord(alias: alias, instanceURL: token.instanceURL ?? server.baseURL, loginURL: server.baseURL,
                                    accessToken: token.accessToken, refreshToken: token.refreshToken, clientID: clientID,
                                    clientSecret: server.org.configuration.clientSecret, createdAt: connector.clock.now()))
    }
}

@Suite(.serialized) struct DaemonTests {
    static func small(_ configuration: inout OrgConfiguration) {
        configuration.contacts = 60
        configuration.leads = 40
        configuration.accounts = 10
        configuration.opportunities = 20
    }

    @Test func keepUpdatedRunsExactly24HoursAfterThePreviousRunFinished() async throws {
        // sfsim's clock (and so the engine's) stands still: no time passes but what the test moves.
        let harness = try await EngineHarness.start(clock: .standing(), configure: Self.small)
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            try harness.schedule(.import, .keepUpdated)
            let log = DaemonLog()
            let daemon = harness.daemon(log)
            let first = await daemon.runDue()
            #expect(first.map(\.job) == [.import] && first[0].status == .succeeded)
            let firstRun = try #require(first.first?.run)
            let finished = try #require(try harness.store.run(firstRun)?.finishedAt)
            // One second short of 24 h after the finish: nothing is due.
            harness.sim.clock.advance(by: finished.addingTimeInterval(86_399).timeIntervalSince(harness.sim.clock.now()))
            #expect(await daemon.runDue().isEmpty)
            #expect(daemon.nextDue().map { Int($0.timeIntervalSince(finished)) } == 86_400)
            harness.sim.clock.advance(by: 1)
            let second = await daemon.runDue()
            #expect(second.map(\.job) == [.import])
            let secondRun = try #require(second.first?.run)
            let started = try #require(try harness.store.run(secondRun)?.startedAt)
            #expect(started.timeIntervalSince(finished) == 86_400)
        }
        try await stopping(harness, testBody)
    }

    @Test func hourlyRunsEveryHourPausesAtTheBudgetAndResumes() async throws {
        let harness = try await EngineHarness.start(configure: Self.small)
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            try harness.schedule(.import, .hourly)
            // 8 calls a full run, then a delete query per object an incremental one: the budget lasts a few hours.
            try harness.store.setSetting("lytics.import_max_daily_calls", to: "30", scope: harness.alias)
            let log = DaemonLog()
            let daemon = harness.daemon(log)
            var statuses: [RunStatus] = []
            for _ in 0..<30 {
                for outcome in await daemon.runDue() { if let status = outcome.status { statuses.append(status) } }
                harness.sim.clock.advance(by: 3_600)
            }
            #expect(statuses.first == .succeeded)
            let paused = try #require(statuses.firstIndex(of: .paused), "\(statuses)")
            // The pause lasts 24 h: no run between it and its end, then the schedule goes on.
            #expect(statuses.count < 30 && statuses.count > paused + 1, "\(statuses)")
            let runs = try harness.store.runs(org: harness.alias, job: "import", limit: 100).reversed()
            let pauseRun = try #require(runs.first { $0.status == .paused })
            let next = try #require(runs.first { $0.id > pauseRun.id })
            #expect(next.startedAt.timeIntervalSince(pauseRun.finishedAt!) >= 86_400)
            try expectWithinBudget(harness, source: JobKind.import.ledgerSource, budget: 30)
        }
        try await stopping(harness, testBody)
    }

    @Test func contactsEvery12HoursWithAWritebackAfterEach() async throws {
        let harness = try await EngineHarness.start(configure: Self.small)
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            try harness.schedule(.contacts, .every12h)
            try harness.schedule(.writeback, .withContacts)
            let log = DaemonLog()
            let daemon = harness.daemon(log)
            var order: [JobKind] = []
            for hour in 0..<48 {
                if hour == 5 {
                    let contact = try #require(try harness.store.levitateContacts(org: harness.alias, pattern: nil, limit: 1).first)
                    _ = try harness.store.addActivity(org: harness.alias, contactID: contact.id, kind: "note", subject: "S", text: "hello",
                                                      at: harness.connector.clock.now())
                }
                if hour == 7 {
                    // On demand between two pulls: written now; the schedule goes on after the next pull.
                    let contact = try #require(try harness.store.levitateContacts(org: harness.alias, pattern: nil, limit: 1).first)
                    _ = try harness.store.addActivity(org: harness.alias, contactID: contact.id, kind: "call", subject: nil, text: "now",
                                                      at: harness.connector.clock.now())
                    let now = try await harness.writebackJob().run()
                    #expect(now.created == 2)  // this one and the one logged at hour 5
                }
                order += await daemon.runDue().filter { $0.status == .succeeded }.map(\.job)
                harness.sim.clock.advance(by: 3_600)
            }
            #expect(order == Array(repeating: [JobKind.contacts, .writeback], count: 4).flatMap { $0 })
            let notes = try await harness.notes()
            #expect(notes.values.reduce(0) { $0 + $1.count } == 2)
        }
        try await stopping(harness, testBody)
    }

    @Test func aWeekForTwoOrgsKeepsEveryBudgetAndAccountsForEveryRun() async throws {
        let simClock = SimulatedClock()
        let harness = try await EngineHarness.start(clock: simClock, configure: Self.small)
        var second = OrgConfiguration()
        second.seed = 8
        second.inMemory = true
        Self.small(&second)
        let other = try await SimServer.start(org: try Org(configuration: second, clock: simClock))
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            // Stopped when the body ends, and waited for, however it ends.
            func testBody() async throws {
                try await harness.addOrg("other", server: other)
                for org in [harness.alias, "other"] {
                    try harness.schedule(.import, .hourly, org: org)
                    try harness.schedule(.export, .keepUpdated, org: org)
                    try harness.schedule(.contacts, .every12h, org: org)
                    try harness.schedule(.writeback, .withContacts, org: org)
                    try harness.store.setSetting("lytics.audiences", to: "vip", scope: org)
                    try harness.store.setSetting("lytics.import_max_daily_calls", to: "40", scope: org)
                    try harness.store.setSetting("lytics.export_max_daily_calls", to: "6", scope: org)
                    try harness.store.setSetting("levitate.max_daily_calls", to: "12", scope: org)
                }
                try harness.store.upsertProfiles(exportProfiles(300), at: Date())
                let log = DaemonLog()
                let daemon = harness.daemon(log)
                var outcomes: [Daemon.Outcome] = []
                for hour in 0..<(7 * 24) {
                    if hour % 10 == 3 {
                        for org in [harness.alias, "other"] {
                            let contact = try harness.store.levitateContacts(org: org, pattern: nil, limit: 1).first
                            if let contact {
                                _ = try harness.store.addActivity(org: org, contactID: contact.id, kind: "call", subject: nil, text: "hour \(hour)",
                                                                  at: harness.connector.clock.now())
                            }
                        }
                    }
                    outcomes += await daemon.runDue()
                    simClock.advance(by: 3_600)
                }
                for org in [harness.alias, "other"] {
                    try expectWithinBudget(harness, org: org, source: JobKind.import.ledgerSource, budget: 40)
                    try expectWithinBudget(harness, org: org, source: JobKind.export.ledgerSource, budget: 6)
                    try expectWithinBudget(harness, org: org, source: JobKind.contacts.ledgerSource, budget: 12)
                }
                // Every run started is accounted for: one outcome each, none left running, each with its ledger calls.
                let runs = try harness.store.runs(limit: 100_000)
                #expect(runs.count == outcomes.filter { $0.run != nil }.count)
                #expect(!runs.contains { $0.status == .running })
                #expect(Set(outcomes.compactMap(\.run)) == Set(runs.map(\.id)))
                #expect(log.started.count == outcomes.filter { $0.refused == nil }.count)
                for org in [harness.alias, "other"] {
                    for job in JobKind.allCases {
                        #expect(runs.contains { $0.org == org && $0.job == job.rawValue && $0.status == .succeeded }, "\(org) \(job)")
                    }
                }
            }
            try await stopping(other, testBody)
        }
        try await stopping(harness, testBody)
    }
}

/// For every call of `source`, the calls counted against its budget in the 24 h up to it stay within `budget`.
func expectWithinBudget(_ harness: EngineHarness, org: String? = nil, source: String, budget: Int,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
    let calls = try harness.store.ledger(since: .distantPast, org: org ?? harness.alias, source: source)
        .filter { $0.status != 401 && !$0.path.hasPrefix("/services/oauth2/") }.map(\.at)
    var worst = 0
    var start = 0
    for (index, at) in calls.enumerated() {
        while calls[start] <= at.addingTimeInterval(-86_400) { start += 1 }
        worst = max(worst, index - start + 1)
    }
    #expect(worst <= budget, "\(source) of \(org ?? harness.alias): \(worst) calls in a rolling 24 h (budget \(budget))",
            sourceLocation: sourceLocation)
}
