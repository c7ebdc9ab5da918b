import Foundation
import JSON
import TestSupport
import Testing
@testable import Simulator

/// A cross-object formula as Salesforce computes it: Contact.Account_Tier__c follows Account.Tier__c at once, and
/// the Contact's SystemModstamp does not move.
@Suite struct FormulaTests {
    @Test func aContactsFormulaFollowsItsAccountWithoutTouchingSystemModstamp() async throws {
        let clock = SimulatedClock.standing(at: Date(timeIntervalSince1970: 1_796_000_000))
        let sim = try await SimHarness.start(clock: clock)
        func testBody() async throws {
            let describe = try await sim.call("GET", "sobjects/Contact/describe")
            let field = try #require(describe.json["fields"]?.arrayValue?.first { $0["name"] == .string("Account_Tier__c") })
            #expect(field["calculated"] == .bool(true) && field["calculatedFormula"] == .string("TEXT(Account.Tier__c)"))
            #expect(field["createable"] == .bool(false) && field["updateable"] == .bool(false))
            let tier = try #require(try await sim.call("GET", "sobjects/Account/describe").json["fields"]?.arrayValue?
                .first { $0["name"] == .string("Tier__c") })
            #expect(tier["updateable"] == .bool(true) && tier["calculated"] == .bool(false))

            let contact = try #require(try await sim.query("SELECT Id, AccountId, Account_Tier__c, Account.Tier__c, SystemModstamp FROM Contact WHERE AccountId != null LIMIT 1").json.records.first)
            #expect(contact["Account_Tier__c"] == contact["Account"]?["Tier__c"])
            let accountID = try #require(contact["AccountId"]?.stringValue)
            let contactID = try #require(contact["Id"]?.stringValue)
            clock.advance(by: 600)
            #expect(try await sim.call("PATCH", "sobjects/Account/\(accountID)", json: .object([("Tier__c", .string("Platinum"))])).status == 204)
            let after = try await sim.call("GET", "sobjects/Contact/\(contactID)")
            #expect(after.json["Account_Tier__c"] == .string("Platinum"))
            #expect(after.json["SystemModstamp"] == contact["SystemModstamp"])
            let counted = try await sim.query("SELECT COUNT() FROM Contact WHERE Account_Tier__c = 'Platinum'")
            let siblings = try await sim.query("SELECT COUNT() FROM Contact WHERE AccountId = '\(accountID)'")
            #expect(counted.json["totalSize"] == siblings.json["totalSize"])

            // A formula cannot be written; a new or moved Contact reads its Account's value.
            let refused = try await sim.call("POST", "sobjects/Contact", json: .object([("LastName", .string("F")), ("Account_Tier__c", .string("x"))]))
            #expect(refused.status == 400, "\(refused.raw)")
            let created = try #require(try await sim.call("POST", "sobjects/Contact", json: .object([
                ("LastName", .string("F")), ("AccountId", .string(accountID)),
            ])).json["id"]?.stringValue)
            #expect(try await sim.call("GET", "sobjects/Contact/\(created)").json["Account_Tier__c"] == .string("Platinum"))
            #expect(try await sim.call("PATCH", "sobjects/Contact/\(created)", json: .object([("AccountId", .null)])).status == 204)
            #expect(try await sim.call("GET", "sobjects/Contact/\(created)").json["Account_Tier__c"] == .null)
        }
        try await stopping(sim, testBody)
    }
}
