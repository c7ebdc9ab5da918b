import SalesforceModel
import Foundation
import JSON
import Salesforce
import Simulator
import Store
import SyncRules
import TestSupport
import Testing
@testable import SyncEngine

/// A job's events (TestSupport's log).
typealias SyncEventLog = EventLog<SyncEvent>

extension EventLog where Event == SyncEvent {
    var notes: [String] { all.compactMap { if case let .note(text) = $0 { text } else { nil } } }
    var progress: [SyncProgress] { all.compactMap { if case let .progress(p) = $0 { p } else { nil } } }
}

/// Issue 19: the four jobs in one shape, run by one runner; the defects their copies had.
@Suite(.serialized) struct JobShapeTests {
    func environment(_ harness: EngineHarness, _ log: SyncEventLog) throws -> JobEnvironment {
        try harness.environment(events: { log.add($0) })
    }

    /// Only the import and the export said the settings notes; every job says them now (once per org).
    @Test(arguments: JobKind.allCases)
    func everyJobSaysTheSettingsNotes(kind: JobKind) async throws {
        let harness = try await EngineHarness.start { $0.contacts = 20; $0.leads = 10; $0.accounts = 5; $0.opportunities = 5 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            try harness.store.setSetting("lytics.max_daily_calls", to: "5000", scope: harness.alias)
            try harness.store.setSetting("lytics.audiences", to: "vip", scope: harness.alias)
            try harness.store.upsertProfiles(exportProfiles(3), at: Date())
            let log = SyncEventLog()
            let environment = try environment(harness, log)
            let status: RunStatus = switch kind {
            case .import: try await JobRunner.run(ImportJob(environment, options: ImportOptions())).status
            case .export: try await JobRunner.run(ExportJob(environment, options: ExportOptions())).status
            case .contacts: try await JobRunner.run(ContactsJob(environment, options: ContactsOptions())).status
            case .writeback: try await JobRunner.run(WritebackJob(environment, options: WritebackOptions())).status
            }
            #expect(status == .succeeded)
            #expect(log.notes.contains { $0.contains("lytics.max_daily_calls (5000) is the default of both") }, "\(log.notes)")
        }
        try await stopping(harness, testBody)
    }

    /// The contact pull's deletes loop renewed no lease and reported no progress.
    @Test func theContactDeletesCheckpointLikeTheRecords() async throws {
        let harness = try await EngineHarness.start { $0.contacts = 30; $0.leads = 5; $0.accounts = 5; $0.opportunities = 5 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            _ = try await harness.contactsJob().run()
            let ids = try await harness.orgRecords("Contact").keys.sorted()
            harness.sim.clock.advance(by: 600)
            for id in ids.prefix(3) { try await harness.delete("Contact", id) }
            harness.sim.clock.advance(by: 60)
            let log = SyncEventLog()
            let report = try await JobRunner.run(ContactsJob(try environment(harness, log), options: ContactsOptions()))
            #expect(report.status == .succeeded && report.archived == 3)
            let deletes = log.progress.filter { $0.object == "Contact deletes" }
            #expect(deletes.last?.done == 3 && deletes.last?.total == 3 && deletes.last?.eta == 0, "\(log.progress)")
        }
        try await stopping(harness, testBody)
    }

    /// A checkpoint stops the run when asked, whatever the job: the run ends interrupted, its lease given back.
    @Test func aCheckpointStopsARunWhenAsked() async throws {
        let harness = try await EngineHarness.start { $0.contacts = 30; $0.leads = 5; $0.accounts = 5; $0.opportunities = 5 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let environment = try harness.environment(shouldStop: { true })
            let report = try await JobRunner.run(ContactsJob(environment, options: ContactsOptions()))
            #expect(report.status == .interrupted && report.message?.contains("the next 'sync contacts' resumes") == true)
            #expect(try harness.store.lease(org: harness.alias, job: JobKind.contacts.rawValue) == nil)
        }
        try await stopping(harness, testBody)
    }

    /// The contacts dry run was computed in the shell; it is planned in the engine like the others.
    @Test func theContactsDryRunIsPlannedInTheEngine() async throws {
        let harness = try await EngineHarness.start { $0.contacts = 2500; $0.leads = 5; $0.accounts = 5; $0.opportunities = 5 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let plan = try await harness.contactsJob().plan()
            #expect(plan.records == 2500 && plan.since == nil && plan.calls == 1)
            #expect(plan.plannedCalls == 1 + 2)  // the describe and two pages of 2,000
            _ = try await harness.contactsJob().run()
            let incremental = try await harness.contactsJob().plan()
            // The describe the run cached is fresh: a page and the deletes, what the run then makes.
            #expect(incremental.records == 0 && incremental.since != nil && incremental.plannedCalls == 1 + 1)
            #expect(try await harness.contactsJob().run().outcome.calls == incremental.plannedCalls)
        }
        try await stopping(harness, testBody)
    }
}
