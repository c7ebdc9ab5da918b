import Foundation
import JSON
import TestSupport
import Testing
@testable import Simulator

@Suite struct CompositeTests {
    func sub(_ method: String, _ path: String, _ reference: String, _ body: JSONValue? = nil) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("method", .string(method)), ("url", .string("/services/data/v59.0/" + path)),
                                            ("referenceId", .string(reference))]
        if let body { pairs.append(("body", body)) }
        return .object(pairs)
    }

    func composite(_ sim: SimHarness, allOrNone: Bool, _ subs: [JSONValue]) async throws -> (Int, [JSONValue], SimHarness.Answer) {
        let answer = try await sim.call("POST", "composite", json: .object([("allOrNone", .bool(allOrNone)), ("compositeRequest", .array(subs))]))
        return (answer.status, answer.json["compositeResponse"]?.arrayValue ?? [], answer)
    }

    @Test func subrequestsRunInOrderWithReferencesAsOneCall() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let before = sim.org.callLog().count
            let (status, results, answer) = try await composite(sim, allOrNone: true, [
                sub("POST", "sobjects/Account", "refAccount", .object([("Name", .string("Composite Co"))])),
                sub("POST", "sobjects/Contact", "refContact", .object([("LastName", .string("Ref")), ("AccountId", .string("@{refAccount.id}"))])),
                sub("GET", "query?q=SELECT+Id,AccountId+FROM+Contact+WHERE+Id+=+'@{refContact.id}'", "refQuery"),
            ])
            #expect(status == 200)
            #expect(sim.org.callLog().count - before == 1)
            #expect(answer.header("Sforce-Limit-Info") != nil)
            #expect(results.map { $0["httpStatusCode"] } == [.int(201), .int(201), .int(200)])
            #expect(results.map { $0["referenceId"]?.stringValue } == ["refAccount", "refContact", "refQuery"])
            let account = try #require(results[0]["body"]?["id"]?.stringValue)
            #expect(results[0]["httpHeaders"]?["Location"]?.stringValue?.hasSuffix("/sobjects/Account/\(account)") == true)
            #expect(results[2]["body"]?["totalSize"] == .int(1))
            #expect(results[2]["body"]?["records"]?.arrayValue?.first?["AccountId"] == .string(account))
        }
        try await stopping(sim, testBody)
    }

    @Test func allOrNoneRollsEveryWriteBack() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let lead = try #require(try await sim.query("SELECT Id, Title FROM Lead ORDER BY Id LIMIT 1").json.records.first)
            let leadID = try #require(lead["Id"]?.stringValue)
            let contact = try #require(try await sim.query("SELECT Id FROM Contact ORDER BY Id LIMIT 1").json.records.first?["Id"]?.stringValue)
            let (status, results, _) = try await composite(sim, allOrNone: true, [
                sub("POST", "sobjects/Account", "refAccount", .object([("Name", .string("Rolled Back Co"))])),
                sub("PATCH", "sobjects/Lead/\(leadID)", "refLead", .object([("Title", .string("Changed in a rolled back request"))])),
                sub("DELETE", "sobjects/Contact/\(contact)", "refDelete"),
                sub("POST", "sobjects/Contact", "refBad", .object([("FirstName", .string("No last name"))])),
                sub("POST", "sobjects/Account", "refAfter", .object([("Name", .string("Never Co"))])),
            ])
            #expect(status == 200)
            #expect(results.map { $0["httpStatusCode"] } == [.int(400), .int(400), .int(400), .int(400), .int(400)])
            #expect(results[3]["body"]?.arrayValue?.first?["errorCode"] == .string("REQUIRED_FIELD_MISSING"))
            for index in [0, 1, 2, 4] {
                #expect(results[index]["body"]?.arrayValue?.first?["errorCode"] == .string("PROCESSING_HALTED"))
            }
            #expect(try await sim.query("SELECT COUNT() FROM Account WHERE Name IN ('Rolled Back Co', 'Never Co')").json["totalSize"] == .int(0))
            let after = try await sim.query("SELECT Title FROM Lead WHERE Id = '\(leadID)'").json.records.first
            #expect(after?["Title"] == lead["Title"])
            #expect(try await sim.query("SELECT COUNT() FROM Contact WHERE Id = '\(contact)'").json["totalSize"] == .int(1))
        }
        try await stopping(sim, testBody)
    }

    @Test func withoutAllOrNoneOnlyDependentsAreSkipped() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let (_, results, _) = try await composite(sim, allOrNone: false, [
                sub("POST", "sobjects/Contact", "refBad", .object([("FirstName", .string("No last name"))])),
                sub("PATCH", "sobjects/Contact/@{refBad.id}", "refDependent", .object([("Title", .string("x"))])),
                sub("POST", "sobjects/Account", "refIndependent", .object([("Name", .string("Independent Co"))])),
            ])
            #expect(results.map { $0["httpStatusCode"] } == [.int(400), .int(400), .int(201)])
            #expect(results[1]["body"]?.arrayValue?.first?["errorCode"] == .string("PROCESSING_HALTED"))
            #expect(results[1]["body"]?.arrayValue?.first?["message"]?.stringValue?.contains("Invalid reference specified") == true)
            #expect(try await sim.query("SELECT COUNT() FROM Account WHERE Name = 'Independent Co'").json["totalSize"] == .int(1))
        }
        try await stopping(sim, testBody)
    }

    @Test func fiveCollectionsOfTwoHundredAreAThousandRecordsInOneCall() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            func collection(_ batch: Int) -> JSONValue {
                .object([("allOrNone", .bool(false)), ("records", .array((0..<200).map { index in
                    .object([("attributes", .object([("type", .string("Lead"))])), ("LastName", .string("Bulk \(batch)-\(index)")),
                             ("Company", .string("Co")), ("Email", .string("bulk\(batch).\(index)@example.com"))])
                }))])
            }
            let before = sim.org.callLog().count
            let (_, results, _) = try await composite(sim, allOrNone: false, (0..<5).map { sub("POST", "composite/sobjects", "batch\($0)", collection($0)) })
            #expect(sim.org.callLog().count - before == 1)
            #expect(results.count == 5)
            #expect(results.allSatisfy { $0["httpStatusCode"] == .int(200) && $0["body"]?.arrayValue?.count == 200 })
            #expect(try await sim.query("SELECT COUNT() FROM Lead WHERE Email LIKE 'bulk%'").json["totalSize"] == .int(1000))

            // The limits: five heavy subrequests, twenty-five in all, no nesting, unique references.
            let six = try await sim.call("POST", "composite", json: .object([("compositeRequest", .array((0..<6).map {
                sub("GET", "query?q=SELECT+Id+FROM+Lead+LIMIT+1", "q\($0)") }))]))
            #expect(six.status == 400 && six.errorCode == "LIMIT_EXCEEDED")
            let many = try await sim.call("POST", "composite", json: .object([("compositeRequest", .array((0..<26).map {
                sub("GET", "limits", "l\($0)") }))]))
            #expect(many.status == 400 && many.errorCode == "LIMIT_EXCEEDED")
            let nested = try await sim.call("POST", "composite", json: .object([("compositeRequest", .array([sub("POST", "composite", "c")]))]))
            #expect(nested.status == 400)
            let twice = try await sim.call("POST", "composite", json: .object([("compositeRequest", .array([sub("GET", "limits", "a"), sub("GET", "limits", "a")]))]))
            #expect(twice.status == 400 && twice.errorCode == "JSON_PARSER_ERROR")
        }
        try await stopping(sim, testBody)
    }
}
