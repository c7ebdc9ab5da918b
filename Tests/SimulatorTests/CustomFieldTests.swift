import Foundation
import JSON
import TestSupport
import Testing
@testable import Simulator

/// A custom field added while the org runs: the describe changes, existing records get a value, their
/// SystemModstamp does not move.
@Suite struct CustomFieldTests {
    @Test func anAddedFieldIsDescribedFilledAndInvisibleToSystemModstamp() async throws {
        let clock = SimulatedClock.standing(at: Date(timeIntervalSince1970: 1_796_000_000))
        let sim = try await SimHarness.start(clock: clock)
        func testBody() async throws {
            let before = try await sim.call("GET", "sobjects/Contact/describe")
            let etag = try #require(before.header("ETag"))
            let lastModified = try #require(before.header("Last-Modified"))
            let stamps = try await sim.query("SELECT Id, SystemModstamp FROM Contact ORDER BY Id LIMIT 5").json.records
            clock.advance(by: 3_600)

            let added = try await sim.call("POST", "/_sfsim/fields", json: .object([
                ("object", .string("Contact")), ("name", .string("Tier_Note__c")), ("type", .string("string")),
                ("length", .int(40)), ("default", .string("Silver")),
            ]))
            #expect(added.status == 201, "\(added.raw)")
            #expect(added.json["name"] == .string("Tier_Note__c") && added.json["length"] == .int(40) && added.json["custom"] == .bool(true))

            let after = try await sim.call("GET", "sobjects/Contact/describe")
            #expect(after.json["fields"]?.arrayValue?.contains { $0["name"] == .string("Tier_Note__c") } == true)
            #expect(after.header("ETag") != etag && after.header("Last-Modified") != lastModified)
            // A client revalidating what it had gets the new describe, by either validator.
            #expect(try await sim.call("GET", "sobjects/Contact/describe", headers: [("If-None-Match", etag)]).status == 200)
            #expect(try await sim.call("GET", "sobjects/Contact/describe", headers: [("If-Modified-Since", lastModified)]).status == 200)
            #expect(try await sim.call("GET", "sobjects", headers: [("If-Modified-Since", lastModified)]).status == 200)

            let filled = try await sim.query("SELECT Id, SystemModstamp, Tier_Note__c FROM Contact ORDER BY Id LIMIT 5").json.records
            #expect(filled.allSatisfy { $0["Tier_Note__c"] == .string("Silver") })
            #expect(filled.map { $0["SystemModstamp"] } == stamps.map { $0["SystemModstamp"] })
            let unchanged = try await sim.query("SELECT COUNT() FROM Contact WHERE SystemModstamp >= \(SimDates.format(clock.now()).replacingOccurrences(of: ".000+0000", with: "Z"))")
            #expect(unchanged.json["totalSize"] == .int(0))

            // Without a default, each record gets a value of its own; new records take the field like any other.
            let generated = try await sim.call("POST", "/_sfsim/fields", json: .object([
                ("object", .string("Account")), ("name", .string("Region_Code__c")), ("type", .string("picklist")),
            ]))
            #expect(generated.status == 400 && generated.errorCode == "INVALID_TYPE")
            #expect(try await sim.call("POST", "/_sfsim/fields", json: .object([
                ("object", .string("Account")), ("name", .string("Region_Code__c")), ("type", .string("string")),
            ])).status == 201)
            let tiers = try await sim.query("SELECT Region_Code__c FROM Account").json.records.compactMap { $0["Region_Code__c"]?.stringValue }
            #expect(tiers.count == 20 && Set(tiers).count == 20)
            let created = try await sim.call("POST", "sobjects/Account", json: .object([("Name", .string("New")), ("Region_Code__c", .string("Gold"))]))
            let id = try #require(created.json["id"]?.stringValue)
            #expect(try await sim.call("GET", "sobjects/Account/\(id)").json["Region_Code__c"] == .string("Gold"))
        }
        try await stopping(sim, testBody)
    }

    @Test(arguments: [
        (#"{"object": "Contact", "name": "Bad Name__c", "type": "string"}"#, "INVALID_FIELD"),
        (#"{"object": "Contact", "name": "NoSuffix", "type": "string"}"#, "INVALID_FIELD"),
        (#"{"object": "Contact", "name": "Two__Parts__c", "type": "string"}"#, "INVALID_FIELD"),
        (#"{"object": "Contact", "name": "LastName", "type": "string"}"#, "INVALID_FIELD"),
        (#"{"object": "Contact", "name": "Deceased__c", "type": "boolean"}"#, "DUPLICATE_DEVELOPER_NAME"),
        (#"{"object": "Nothing", "name": "A__c", "type": "string"}"#, "INVALID_TYPE"),
        (#"{"object": "Contact", "name": "A__c", "type": "boolean", "default": "yes"}"#, "INVALID_FIELD"),
        (#"{"object": "Contact", "name": "A__c", "type": "string", "length": 0}"#, "INVALID_FIELD"),
    ])
    func badFieldsAreRefused(body: String, code: String) async throws {
        let sim = try await SimHarness.start()
        func testBody() async throws {
            let answer = try await sim.call("POST", "/_sfsim/fields", json: try JSONValue.parse(body))
            #expect(answer.status == 400 && answer.errorCode == code, "\(answer.raw)")
        }
        try await stopping(sim, testBody)
    }
}
