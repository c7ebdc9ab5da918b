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

/// Issue 23 §5: an Account change seen through the Contact's formula after one refresh and re-mapped as a tag, and
/// Contacts purged from the Recycle Bin archived — in the contact pull.
@Suite(.serialized) struct ContactsPassesTests {
    @Test func aFormulaTagFollowsItsAccountAndPurgedContactsAreArchived() async throws {
        let h = try await EngineHarness.start()
        func testBody() async throws {
            try h.store.setSetting("levitate.tag_fields", to: "Account_Tier__c", scope: h.alias)
            try h.store.setSetting("levitate.formula_refresh", to: "every-run", scope: h.alias)
            try h.store.setSetting("levitate.reconcile_deletes", to: "every-run", scope: h.alias)
            let first = try await h.contactsJob().run()
            #expect(first.status == .succeeded)
            #expect(first.warnings.contains { $0.contains("Account_Tier__c is a formula field") })

            var byAccount: [String: [String]] = [:]
            for try await record in h.admin.records("SELECT Id, AccountId FROM Contact WHERE AccountId != null") {
                byAccount[record["AccountId"]!.stringValue!, default: []].append(record["Id"]!.stringValue!)
            }
            let (account, siblings) = try #require(byAccount.max { $0.value.count < $1.value.count })
            h.sim.clock.advance(by: 600)
            try await h.update("Account", account, .object([("Tier__c", .string("Platinum"))]))
            // One Contact is deleted and purged: the pull's queryAll never sees it.
            let purged = try #require(try h.store.liveLevitateContactIDs(org: h.alias).first { !siblings.contains($0) })
            try await h.delete("Contact", purged)
            #expect(try h.sim.purge(ids: [purged]) == 1)
            h.sim.clock.advance(by: 600)

            // The dry run plans the passes: a page of Ids (one call: no getDeleted first) and a page of formulas, after the
            // pass's page and its deletes (the describe cached 20 minutes ago is still fresh).
            let plan = try await h.contactsJob().plan()
            #expect(plan.reconcile == 1 && plan.refresh == 1 && plan.plannedCalls == 4 && plan.calls == 2, "\(plan.json.serialized())")
            let notes = NoteLog()
            let second = try await h.contactsJob(events: { event in
                if case let .note(text) = event { notes.add(text) }
            }).run()
            #expect(second.status == .succeeded, "\(second.message ?? "")")
            #expect(second.read == 0 && second.updated == siblings.count && second.archived == 1, "\(second.json.serialized())")
            #expect(second.outcome.calls == plan.plannedCalls, "\(second.json.serialized())")
            for id in siblings {
                let stored = try #require(try h.store.levitateContact(org: h.alias, id: id))
                #expect(stored.body.contains("Account Tier: Platinum"), "\(id)")
            }
            #expect(try h.store.levitateContact(org: h.alias, id: purged)?.archived == true)
            #expect(notes.all.contains { $0.contains("re-mapped") } && notes.all.contains { $0.contains("purged") }, "\(notes.all)")

            // Nothing changed since: the passes read, write nothing.
            h.sim.clock.advance(by: 600)
            let third = try await h.contactsJob().run()
            #expect(third.updated == 0 && third.archived == 0)
        }
        try await stopping(h, testBody)
    }
}
