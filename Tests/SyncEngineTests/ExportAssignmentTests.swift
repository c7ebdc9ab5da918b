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

/// `lytics.assignment_rule` over loopback: which rule sfsim runs on the Leads the export creates, and none on updates.
@Suite struct ExportAssignmentTests {
    /// 6 profiles: even ones from Germany, odd ones from France.
    static func profiles() -> [Store.ProfileRow] {
        exportProfiles(6, prefix: "a") { [("country", .string($0 % 2 == 0 ? "Germany" : "France"))] }
    }

    /// The owner of each exported profile's Lead.
    func owners(_ harness: EngineHarness) async throws -> [String: String] {
        var owners: [String: String] = [:]
        for number in 0..<6 {
            let id = try #require(try harness.store.exportedLead(org: harness.alias, profileID: String(format: "a%05d", number)))
            owners["a\(number)"] = try await harness.admin.record("Lead", id: id)["OwnerId"]?.stringValue
        }
        return owners
    }

    static func harness(rule: String?) async throws -> EngineHarness {
        let harness = try await ExportTests.harness(duplicateRule: true)
        try harness.store.setSetting("lytics.more_fields", to: "country=Country", scope: harness.alias)
        if let rule { try harness.store.setSetting("lytics.assignment_rule", to: rule, scope: harness.alias) }
        try harness.store.upsertProfiles(profiles(), at: Date())
        return harness
    }

    @Test(arguments: [(nil as String?, "active"), ("active", "active"), ("none", "none"), ("old", "old")])
    func createdLeadsRunTheChosenRule(setting: String?, expected: String) async throws {
        let harness = try await Self.harness(rule: setting == "old" ? Org.leadAssignmentRules[1].id : setting)
        func testBody() async throws {
            let users = harness.sim.users
            let plan = try await harness.exportJob().plan()
            let report = try await harness.exportJob().run()
            #expect(report.status == .succeeded && report.created == 6, "\(report.message ?? "")")
            let owners = try await owners(harness)
            for number in 0..<6 {
                let wanted = switch expected {
                case "active": number % 2 == 0 ? users[5].id : users[2].id
                case "old": users[3].id
                default: users[0].id  // the API user, who created it
                }
                #expect(owners["a\(number)"] == wanted, "a\(number) (\(expected))")
            }
            let rule = plan.json["assignment_rule"]
            #expect(rule?["setting"] == .string(expected == "old" ? Org.leadAssignmentRules[1].id : expected))
            switch expected {
            case "active": #expect(rule?["name"] == .string("Standard Lead Assignment") && rule?["active"] == .bool(true))
            case "old": #expect(rule?["name"] == .string("Old Round Robin") && rule?["active"] == .bool(false))
            default: #expect(rule?["id"] == .null && rule?["note"]?.stringValue?.hasPrefix("no assignment rule runs") == true)
            }
        }
        try await stopping(harness, testBody)
    }

    @Test func updatesNeverReassignALead() async throws {
        let harness = try await Self.harness(rule: "none")
        func testBody() async throws {
            #expect(try await harness.exportJob().run().created == 6)
            let before = try await owners(harness)
            try harness.store.setSetting("lytics.assignment_rule", to: "active", scope: harness.alias)
            let again = try await harness.exportJob { $0.full = true }.run()
            #expect(again.updated == 6 && again.created == 0)
            #expect(try await owners(harness) == before)
        }
        try await stopping(harness, testBody)
    }

    @Test func aRuleIdTheOrgDoesNotHaveIsNamedByTheDryRun() async throws {
        let harness = try await Self.harness(rule: "01Q5g0000000009AAA")
        func testBody() async throws {
            let plan = try await harness.exportJob().plan()
            #expect(plan.assignment.rule == nil)
            #expect(plan.assignment.note.hasPrefix("the org has no Lead assignment rule 01Q5g0000000009AAA"))
        }
        try await stopping(harness, testBody)
    }
}
