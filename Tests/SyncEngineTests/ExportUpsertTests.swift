import SalesforceModel
import Foundation
import JSON
import Salesforce
@testable import Simulator
import Store
import SyncRules
import TestSupport
import Testing
@testable import SyncEngine

/// `lytics.match_field`: the export upserts by an External ID that holds the profile id — no email lookups, no
/// intents, and a re-run from a home that remembers nothing creates nothing.
@Suite struct ExportUpsertTests {
    static func harness(duplicateRule: Bool = false) async throws -> EngineHarness {
        let harness = try await ExportTests.harness(duplicateRule: duplicateRule)
        try harness.store.setSetting("lytics.match_field", to: "Lytics_Id__c", scope: harness.alias)
        return harness
    }

    /// Lytics_Id__c → the Ids of the Leads holding it.
    func leadsByKey(_ harness: EngineHarness) async throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for try await record in harness.admin.records("SELECT Id, Lytics_Id__c FROM Lead WHERE Lytics_Id__c != null") {
            result[record["Lytics_Id__c"]!.stringValue!, default: []].append(record["Id"]!.stringValue!)
        }
        return result
    }

    @Test func upsertsCreateOnceAndAHomeWithNoMemoryCreatesNothing() async throws {
        let harness = try await Self.harness()
        func testBody() async throws {
            try harness.store.upsertProfiles(exportProfiles(1_200), at: Date())
            let plan = try await harness.exportJob().plan()
            #expect(plan.upsert == 1_200 && plan.create == 1_200)
            let report = try await harness.exportJob().run()
            #expect(report.status == .succeeded && report.created == 1_200 && report.failed == 0, "\(report.message ?? "")")
            // No lookups: the rules (to name the active one by Id) and 6 collections of upserts in 2 composite calls.
            #expect(report.calls == 1 + 2 && report.calls == report.plannedCalls && plan.plannedCalls == report.plannedCalls)
            let calls = harness.sim.callLog().filter { $0.path.contains("/composite") }
            #expect(!calls.isEmpty)
            #expect(try harness.store.unsettledExports(org: harness.alias).isEmpty)
            let keys = try await leadsByKey(harness)
            #expect(keys.count == 1_200 && keys.values.allSatisfy { $0.count == 1 })

            // Another machine, the same audience: every upsert matches its Lead; nothing is created.
            let other = try await harness.anotherHome()
            try other.store.setSetting("lytics.audiences", to: "vip", scope: other.alias)
            try other.store.setSetting("lytics.match_field", to: "Lytics_Id__c", scope: other.alias)
            try other.store.upsertProfiles(exportProfiles(1_200) { $0 == 7 ? [("company", .string("Moved On"))] : [] }, at: Date())
            let again = try await other.exportJob().run()
            #expect(again.created == 0 && again.updated == 1_200 && again.failed == 0)
            #expect(try await leadsByKey(harness) == keys)
            let moved = try await harness.admin.record("Lead", id: try #require(keys["p00007"]?.first))
            #expect(moved["Company"]?.stringValue == "Moved On")
            // The remembered Leads are updated by Id from now on.
            #expect(try other.store.exportedLead(org: other.alias, profileID: "p00007") == keys["p00007"]?.first)
        }
        try await stopping(harness, testBody)
    }

    @Test func anUpsertNeverReassignsTheLeadItUpdates() async throws {
        let harness = try await Self.harness()
        func testBody() async throws {
            try harness.store.setSetting("lytics.more_fields", to: "country=Country", scope: harness.alias)
            try harness.store.upsertProfiles(exportProfiles(4) { [("country", .string($0 % 2 == 0 ? "Germany" : "France"))] }, at: Date())
            #expect(try await harness.exportJob().run().created == 4)
            let users = harness.sim.users
            var owners: [String: String] = [:]
            for (key, ids) in try await leadsByKey(harness) {
                owners[key] = try await harness.admin.record("Lead", id: ids[0])["OwnerId"]?.stringValue
            }
            #expect(owners == ["p00000": users[5].id, "p00001": users[2].id, "p00002": users[5].id, "p00003": users[2].id])
            // A rep takes a Lead; an upsert from a home that remembers nothing updates it and leaves the owner alone.
            let taken = try #require(try await leadsByKey(harness)["p00001"]?.first)
            // (As a rep's edit in the UI: no assignment rule runs, where an API update without the header would run it.)
            _ = try await harness.admin.send("PATCH", "sobjects/Lead/\(taken)", body: Data(#"{"OwnerId": "\#(users[1].id)"}"#.utf8),
                                             headers: [("Content-Type", "application/json"), ("Sforce-Auto-Assign", "FALSE")], idempotent: false)
            #expect(try await harness.admin.record("Lead", id: taken)["OwnerId"]?.stringValue == users[1].id)
            let other = try await harness.anotherHome()
            try other.store.setSetting("lytics.audiences", to: "vip", scope: other.alias)
            try other.store.setSetting("lytics.match_field", to: "Lytics_Id__c", scope: other.alias)
            try other.store.setSetting("lytics.more_fields", to: "country=Country", scope: other.alias)
            try other.store.upsertProfiles(exportProfiles(4) { [("country", .string($0 % 2 == 0 ? "Austria" : "Switzerland"))] }, at: Date())
            let again = try await other.exportJob().run()
            #expect(again.updated == 4)
            #expect(try await harness.admin.record("Lead", id: taken)["OwnerId"]?.stringValue == users[1].id)
            #expect(try await harness.admin.record("Lead", id: taken)["Country"]?.stringValue == "Switzerland")
        }
        try await stopping(harness, testBody)
    }

    @Test func aDuplicateRuleMatchOnAnUpsertUpdatesTheLeadThatHasTheEmail() async throws {
        let harness = try await Self.harness(duplicateRule: true)
        func testBody() async throws {
            let existing = try await harness.createLeads(["p1@x.test"])
            try harness.store.upsertProfiles(exportProfiles(3), at: Date())
            let report = try await harness.exportJob().run()
            #expect(report.created == 2 && report.updated == 1 && report.failed == 0, "\(report.json.serialized())")
            #expect(try harness.store.exportedLead(org: harness.alias, profileID: "p00001") == existing[0])
            #expect(try await harness.admin.record("Lead", id: existing[0])["Lytics_Id__c"]?.stringValue == "p00001")
            #expect(try await harness.leadsByEmail()["p1@x.test"]?.count == 1)
        }
        try await stopping(harness, testBody)
    }

    @Test func aMatchFieldThatIsNotAnExternalIDStopsTheRunBeforeAnyWrite() async throws {
        let harness = try await Self.harness()
        func testBody() async throws {
            try harness.store.setSetting("lytics.match_field", to: "Company", scope: harness.alias)
            try harness.store.upsertProfiles(exportProfiles(3), at: Date())
            let report = try await harness.exportJob().run()
            #expect(report.status == .failed)
            #expect(report.message?.contains("Lead.Company is not an External ID field") == true)
            #expect(try await harness.leadsByEmail()["p1@x.test"] == nil)
        }
        try await stopping(harness, testBody)
    }
}
