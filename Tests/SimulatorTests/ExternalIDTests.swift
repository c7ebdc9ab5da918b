import Foundation
import JSON
import TestSupport
import Testing
@testable import Simulator

/// Issue 21 §1: records by external id, sObject Collections upsert and delete, field names without case,
/// versions with their release labels — answered as Salesforce answers them.
@Suite struct ExternalIDTests {
    static func lead(_ fields: [(String, JSONValue)]) -> JSONValue {
        .object([("attributes", .object([("type", .string("Lead"))])), ("LastName", .string("Upsert")), ("Company", .string("U Co"))] + fields)
    }

    @Test func aRecordIsUpsertedAndReadByItsExternalID() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let created = try await sim.call("PATCH", "sobjects/Lead/Lytics_Id__c/p-001", json: .object([
                ("LastName", .string("First")), ("Company", .string("Acme")), ("Email", .string("p001@x.test"))]))
            #expect(created.status == 201)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(created.raw == #"{"id":"\#(id)","success":true,"errors":[],"created":true}"#)
            #expect(created.header("Location") == "/services/data/v59.0/sobjects/Lead/\(id)")
            // Again: the same record is updated (200 with a body since v46.0; 204 before).
            let updated = try await sim.call("PATCH", "sobjects/Lead/Lytics_Id__c/P-001", json: .object([("Company", .string("Acme 2"))]))
            #expect(updated.status == 200 && updated.json["created"] == .bool(false) && updated.json["id"] == .string(id))
            let old = try await sim.call("PATCH", "/services/data/v45.0/sobjects/Lead/Lytics_Id__c/p-001", json: .object([("Title", .string("CEO"))]))
            #expect(old.status == 204)
            let fetched = try await sim.call("GET", "sobjects/Lead/Lytics_Id__c/p-001")
            #expect(fetched.status == 200 && fetched.json["Id"] == .string(id) && fetched.json["Company"] == .string("Acme 2"))
            #expect(fetched.json["Lytics_Id__c"] == .string("p-001"))
            #expect(try await sim.call("GET", "sobjects/Lead/Lytics_Id__c/nobody").status == 404)
            // A field that is no External ID, or none at all.
            for field in ["Email", "NoSuchField__c"] {
                let refused = try await sim.call("GET", "sobjects/Lead/\(field)/x")
                #expect(refused.status == 404 && refused.errorCode == "NOT_FOUND")
                #expect(refused.message == "Provided external ID field does not exist or is not accessible: \(field)")
            }
            // Unique: another record cannot take the value.
            let other = try await sim.call("POST", "sobjects/Lead", json: .object([("LastName", .string("Other")), ("Company", .string("O")),
                                                                                     ("Lytics_Id__c", .string("P-001"))]))
            #expect(other.status == 400 && other.errorCode == "DUPLICATE_VALUE")
            #expect(other.message == "duplicate value found: Lytics_Id__c duplicates value on record with id: \(id)")
        }
        try await stopping(sim, testBody)
    }

    @Test func severalMatchesAnswer300WithTheirURLs() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            var ids: [String] = []
            for name in ["A", "B"] {
                let made = try await sim.call("POST", "sobjects/Contact", json: .object([("LastName", .string(name)), ("Legacy_Id__c", .string("L-9"))]))
                ids.append(try #require(made.json["id"]?.stringValue))
            }
            let read = try await sim.call("GET", "sobjects/Contact/Legacy_Id__c/L-9")
            #expect(read.status == 300)
            #expect(read.json == .array(ids.sorted().map { .string("/services/data/v59.0/sobjects/Contact/\($0)") }))
            let upsert = try await sim.call("PATCH", "sobjects/Contact/Legacy_Id__c/L-9", json: .object([("Title", .string("x"))]))
            #expect(upsert.status == 300)
        }
        try await stopping(sim, testBody)
    }

    @Test func collectionsUpsertByExternalIDAndRollBackAllOrNone() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let first = try await sim.call("PATCH", "composite/sobjects/Lead/Lytics_Id__c", json: .object([
                ("allOrNone", .bool(false)),
                ("records", .array([Self.lead([("Lytics_Id__c", .string("c-1"))]), Self.lead([("Lytics_Id__c", .string("c-2"))]),
                                    Self.lead([("Email", .string("no-key@x.test"))])])),
            ]))
            #expect(first.status == 200)
            let results = try #require(first.json.arrayValue)
            #expect(results.count == 3)
            #expect(results[0]["created"] == .bool(true) && results[1]["created"] == .bool(true))
            #expect(results[2]["success"] == .bool(false) && results[2]["errors"]?.arrayValue?.first?["statusCode"] == .string("MISSING_ARGUMENT"))
            // Again, with one new: two updated, one created; keys in Salesforce's order.
            let second = try await sim.call("PATCH", "composite/sobjects/Lead/Lytics_Id__c", json: .object([
                ("records", .array([Self.lead([("Lytics_Id__c", .string("c-1"))]), Self.lead([("Lytics_Id__c", .string("c-2"))]),
                                    Self.lead([("Lytics_Id__c", .string("c-3"))])])),
            ]))
            let again = try #require(second.json.arrayValue)
            #expect(again.map { $0["created"] } == [.bool(false), .bool(false), .bool(true)])
            #expect(again[0]["id"] == results[0]["id"])
            #expect(second.raw.hasPrefix(#"[{"id":""#) && second.raw.contains(#"","success":true,"errors":[],"created":false}"#))
            // allOrNone: a failing record rolls back the others (c-4 is not created).
            let halted = try await sim.call("PATCH", "composite/sobjects/Lead/Lytics_Id__c", json: .object([
                ("allOrNone", .bool(true)),
                ("records", .array([Self.lead([("Lytics_Id__c", .string("c-4"))]), Self.lead([("Email", .string("no-key@x.test"))])])),
            ]))
            let rolled = try #require(halted.json.arrayValue)
            #expect(rolled[0]["errors"]?.arrayValue?.first?["statusCode"] == .string("ALL_OR_NONE_OPERATION_ROLLED_BACK"))
            #expect(try await sim.call("GET", "sobjects/Lead/Lytics_Id__c/c-4").status == 404)
            let wrongField = try await sim.call("PATCH", "composite/sobjects/Lead/Email", json: .object([("records", .array([]))]))
            #expect(wrongField.status == 404 && wrongField.errorCode == "NOT_FOUND")
        }
        try await stopping(sim, testBody)
    }

    @Test func collectionsDeleteAndUpdateAnswerEachRecord() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            var ids: [String] = []
            for name in ["D1", "D2"] {
                ids.append(try #require(try await sim.call("POST", "sobjects/Lead", json: .object([("LastName", .string(name)), ("Company", .string("D"))])).json["id"]?.stringValue))
            }
            // Field names without case: `id` is `Id`; a well-formed Id of no record fails that record.
            let missing = "00Q" + String(repeating: "0", count: 11) + "ZZZAAA"
            let updated = try await sim.call("PATCH", "composite/sobjects", json: .object([
                ("records", .array([.object([("attributes", .object([("type", .string("Lead"))])), ("id", .string(ids[0])), ("title", .string("T"))]),
                                    .object([("attributes", .object([("type", .string("Lead"))])), ("Id", .string(missing)), ("Title", .string("T"))])])),
            ]))
            let answers = try #require(updated.json.arrayValue)
            #expect(answers[0]["success"] == .bool(true))
            #expect(answers[1]["errors"]?.arrayValue?.first?["statusCode"] == .string("INVALID_CROSS_REFERENCE_KEY"))
            #expect(try await sim.call("GET", "sobjects/Lead/\(ids[0])").json["Title"] == .string("T"))

            let deleted = try await sim.call("DELETE", "composite/sobjects?ids=\(ids[0]),\(ids[1]),bogus&allOrNone=false")
            let results = try #require(deleted.json.arrayValue)
            #expect(results.map { $0["success"] } == [.bool(true), .bool(true), .bool(false)])
            #expect(deleted.raw.hasPrefix(#"[{"id":"\#(ids[0])","success":true,"errors":[]}"#))
            #expect(results[2]["errors"]?.arrayValue?.first?["statusCode"] == .string("MALFORMED_ID"))
            #expect(try await sim.call("GET", "sobjects/Lead/\(ids[1])").errorCode == "ENTITY_IS_DELETED")
            let none = try await sim.call("DELETE", "composite/sobjects")
            #expect(none.status == 400 && none.raw == #"[{"message":"At least 1 Id is required.","errorCode":"REQUIRED_FIELD_MISSING"}]"#)
        }
        try await stopping(sim, testBody)
    }

    /// Every version Salesforce serves, in its key order, with release labels.
    @Test func versionsAreListedAsSalesforceListsThem() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let listed = try await sim.call("GET", "/services/data")
            let versions = try #require(listed.json.arrayValue)
            #expect(versions.count == 36)
            #expect(listed.raw.hasPrefix(#"[{"version":"31.0","url":"/services/data/v31.0","label":"Summer '14"},"#))
            #expect(listed.raw.hasSuffix(#"{"version":"66.0","url":"/services/data/v66.0","label":"Spring '26"}]"#))
            #expect(versions.first { $0["version"] == .string("59.0") }?["label"] == .string("Winter '24"))
            #expect(versions.first { $0["version"] == .string("46.0") }?["label"] == .string("Summer '19"))
            let resources = try await sim.call("GET", "/services/data/v66.0")
            #expect(resources.json.objectValue?.map(\.0).sorted() == ["composite", "jobs", "limits", "query", "queryAll", "sobjects"])
            #expect(try await sim.call("GET", "/services/data/v30.0/limits").status == 404)
        }
        try await stopping(sim, testBody)
    }
}

/// Issue 21 §1: parent-to-child subqueries, a nested page per parent (null when it has none), as recorded.
@Suite struct SubqueryTests {
    @Test func eachParentCarriesItsChildrenWhereTheSubqueryStood() async throws {
        let sim = try await SimHarness.start { $0.contacts = 40; $0.accounts = 6; $0.opportunities = 3 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let lonely = try #require(try await sim.call("POST", "sobjects/Account", json: .object([("Name", .string("Lonely"))])).json["id"]?.stringValue)
            let answer = try await sim.query("SELECT Account.Name, (SELECT Contact.FirstName, Contact.LastName FROM Account.Contacts ORDER BY LastName), Industry FROM Account ORDER BY Name")
            #expect(answer.status == 200, "\(answer.raw)")
            let records = answer.json.records
            #expect(records.count == 7)
            // Keys as written in the select list, the relationship where it stood.
            #expect(answer.raw.contains(#""Name":"Lonely","Contacts":null,"Industry":"#))
            let contacts = try await sim.query("SELECT Id, AccountId, LastName FROM Contact WHERE AccountId != null")
            var expected: [String: [String]] = [:]
            for contact in contacts.json.records {
                expected[contact["AccountId"]?.stringValue ?? "", default: []].append(contact["LastName"]?.stringValue ?? "")
            }
            for record in records {
                let id = String(record["attributes"]?["url"]?.stringValue?.split(separator: "/").last ?? "")
                let nested = record["Contacts"]
                if id == lonely { #expect(nested == .null) }
                let names = nested?["records"]?.arrayValue?.compactMap { $0["LastName"]?.stringValue } ?? []
                #expect(names == (expected[id] ?? []).sorted { $0.lowercased() < $1.lowercased() }, "\(id)")
                if let nested, nested != .null {
                    #expect(nested["totalSize"] == .int(names.count) && nested["done"] == .bool(true))
                    #expect(nested["records"]?.arrayValue?.first?["attributes"]?["type"] == .string("Contact"))
                }
            }
            let unknown = try await sim.query("SELECT Name, (SELECT LastName FROM Nope) FROM Account")
            #expect(unknown.status == 400 && unknown.errorCode == "INVALID_TYPE")
            let nested = try await sim.query("SELECT Name, (SELECT LastName, (SELECT Id FROM Notes) FROM Contacts) FROM Account")
            #expect(nested.status == 400)
        }
        try await stopping(sim, testBody)
    }
}
