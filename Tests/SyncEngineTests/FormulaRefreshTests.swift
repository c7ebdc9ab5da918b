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

/// Issue 23 §1: a formula that reads the Account changes when the Account does, not the Contact; the import reads
/// formula fields again when `lytics.formula_refresh` says so, and writes only what changed.
@Suite(.serialized) struct FormulaRefreshTests {
    @Test(arguments: [
        (PassSchedule.off, nil as TimeInterval?, 0.0, false),
        (.everyRun, 0, 0, true),
        (.daily, nil, 0, true),
        (.daily, 86_400 - 700, 0, false),
        (.daily, 86_400 - 500, 0, true),
        (.daily, 3 * 86_400, 0, true),
    ])
    func whenARefreshIsDue(schedule: PassSchedule, age: TimeInterval?, unused: Double, due: Bool) {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(schedule.isDue(last: age.map { now.addingTimeInterval(-$0) }, now: now) == due)
    }

    /// The stored Account_Tier__c of each Contact of `account`.
    func storedTiers(_ h: EngineHarness, account: String) throws -> [JSONValue?] {
        try h.store.localRecords(org: h.alias, object: "Contact").filter { $0.accountID == account }.map {
            try JSONValue.parse(Data($0.body.utf8))["Account_Tier__c"]
        }
    }

    @Test func anAccountsChangeReachesItsContactsFormulaWhenTheRefreshIsDue() async throws {
        let h = try await EngineHarness.start()
        func testBody() async throws {
            try h.store.setSetting("lytics.formula_refresh", to: "daily", scope: h.alias)
            #expect(try await h.job { $0.objects = ["Account", "Contact"] }.run().status == .succeeded)
            let contacts = try h.store.localRecords(org: h.alias, object: "Contact")
            let account = try #require(Dictionary(grouping: contacts.compactMap(\.accountID), by: { $0 }).max { $0.value.count < $1.value.count }?.key)
            let siblings = contacts.filter { $0.accountID == account }.count
            #expect(siblings >= 2)

            // The Account's tier changes: no Contact's SystemModstamp moves.
            h.sim.clock.advance(by: 600)
            try await h.update("Account", account, .object([("Tier__c", .string("Platinum"))]))
            h.sim.clock.advance(by: 600)

            // Daily, refreshed by the first (full) pass an hour ago: not due, so the Contacts keep the old value.
            let notDue = try await h.job { $0.objects = ["Contact"] }.run()
            #expect(notDue.objects.first?.refreshed == 0 && notDue.objects.first?.read == 0)
            #expect(try storedTiers(h, account: account).allSatisfy { $0 != .string("Platinum") })

            // A day later it is: only the formula is read again, and only the changed values are written.
            h.sim.clock.advance(by: 86_400)
            let due = try await h.job { $0.objects = ["Contact"] }.run()
            #expect(due.status == .succeeded, "\(due.message ?? "")")
            let object = try #require(due.objects.first)
            #expect(object.refreshed == siblings && object.read == 0 && object.updated == 0, "\(due.json.serialized())")
            #expect(due.json["objects"]?["Contact"]?["refreshed"] == .int(siblings))
            #expect(try storedTiers(h, account: account).allSatisfy { $0 == .string("Platinum") })

            // every-run: the next change is seen at once; off: never.
            try h.store.setSetting("lytics.formula_refresh", to: "every-run", scope: h.alias)
            try await h.update("Account", account, .object([("Tier__c", .string("Bronze"))]))
            h.sim.clock.advance(by: 600)
            let plan = try await h.job { $0.objects = ["Contact"] }.plan()
            #expect(plan.json["objects"]?["Contact"]?["refresh"] == .int(1), "\(plan.json.serialized())")
            let everyRun = try await h.job { $0.objects = ["Contact"] }.run()
            #expect(everyRun.plannedCalls == plan.plannedCalls)
            #expect(everyRun.objects.first?.refreshed == siblings)
            // The refresh's calls are in the plan (a describe, the empty page, the deletes, the formula page).
            #expect(everyRun.calls == everyRun.plannedCalls, "\(everyRun.calls) calls, \(everyRun.plannedCalls) planned")
            try h.store.setSetting("lytics.formula_refresh", to: "off", scope: h.alias)
            try await h.update("Account", account, .object([("Tier__c", .string("Gold"))]))
            h.sim.clock.advance(by: 3 * 86_400)
            #expect(try await h.job { $0.objects = ["Contact"] }.run().objects.first?.refreshed == 0)
            #expect(try storedTiers(h, account: account).allSatisfy { $0 == .string("Bronze") })
        }
        try await stopping(h, testBody)
    }
}
