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

/// Failed rows are retried by the next runs, then parked after `lytics.max_attempts` failures in a row.
@Suite struct ExportParkedTests {
    /// Profiles c0…c3; c1 and c2 carry a Clean Status the org's restricted picklist refuses.
    static func profiles(bad: Bool) -> [Store.ProfileRow] {
        exportProfiles(4, prefix: "c") { [("clean", .string(bad && (1...2).contains($0) ? "Bogus" : "Matched"))] }
    }

    @Test func aProfileThatKeepsFailingIsParkedUntilRetried() async throws {
        let harness = try await ExportTests.harness(duplicateRule: true)
        func testBody() async throws {
            try harness.store.setSetting("lytics.more_fields", to: "clean=CleanStatus", scope: harness.alias)
            try harness.store.setSetting("lytics.max_attempts", to: "2", scope: harness.alias)
            try harness.store.upsertProfiles(Self.profiles(bad: true), at: Date())

            let first = try await harness.exportJob().run()
            #expect(first.created == 2 && first.failed == 2 && first.parked == 0, "\(first.json.serialized())")
            let failed = try #require(try harness.store.exportState(org: harness.alias, profileID: "c00001"))
            #expect(failed.outcome == "failed" && failed.attempts == 1 && failed.errorCode == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")

            // The second failure in a row parks them, with their last error.
            let second = try await harness.exportJob().run()
            #expect(second.failed == 2 && second.parked == 2 && second.unchanged == 2)
            #expect(second.json["parked"] == .int(2))
            let parked = try #require(try harness.store.exportState(org: harness.alias, profileID: "c00002"))
            #expect(parked.isParked && parked.attempts == 2 && parked.errorCode == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")
            #expect(try ExportJob.report(run: second.runID, store: harness.store).parked == 2)

            // Fixed or not, a parked profile is not sent (nor looked up) again: this run makes no call.
            try harness.store.upsertProfiles(Self.profiles(bad: false), at: Date())
            let plan = try await harness.exportJob().plan()
            #expect(plan.parked == 2 && plan.create == 0 && plan.json["parked"] == .int(2))
            let third = try await harness.exportJob().run()
            #expect(third.parked == 2 && third.failed == 0 && third.created == 0 && third.calls == 0, "\(third.json.serialized())")
            #expect(try await harness.leadsByEmail()["c1@x.test"] == nil)

            // Released, they go again and, fixed, are created; their attempts start over.
            #expect(try harness.store.retryParked(org: harness.alias, profileIDs: ["c00001", "c00003"]) == ["c00001"])
            #expect(try harness.store.retryParked(org: harness.alias, profileIDs: nil) == ["c00002"])
            let fourth = try await harness.exportJob().run()
            #expect(fourth.created == 2 && fourth.parked == 0 && fourth.failed == 0)
            #expect(try harness.store.exportState(org: harness.alias, profileID: "c00001")?.attempts == 0)
            #expect(try await harness.leadsByEmail()["c1@x.test"]?.count == 1)
        }
        try await stopping(harness, testBody)
    }

    @Test func aSuccessBetweenFailuresStartsTheCountOver() async throws {
        let harness = try await ExportTests.harness(duplicateRule: true)
        func testBody() async throws {
            try harness.store.setSetting("lytics.more_fields", to: "clean=CleanStatus", scope: harness.alias)
            try harness.store.setSetting("lytics.max_attempts", to: "2", scope: harness.alias)
            try harness.store.upsertProfiles(Self.profiles(bad: true), at: Date())
            #expect(try await harness.exportJob().run().failed == 2)
            try harness.store.upsertProfiles(Self.profiles(bad: false), at: Date())
            #expect(try await harness.exportJob().run().created == 2)
            try harness.store.upsertProfiles(Self.profiles(bad: true), at: Date())
            let again = try await harness.exportJob().run()
            #expect(again.failed == 2 && again.parked == 0)
            #expect(try harness.store.exportState(org: harness.alias, profileID: "c00001")?.attempts == 1)
        }
        try await stopping(harness, testBody)
    }
}
