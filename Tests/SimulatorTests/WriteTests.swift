import Foundation
import JSON
import TestSupport
import Testing
@testable import Simulator

@Suite struct WriteTests {
    @Test func recordLifecycle() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let created = try await sim.call("POST", "sobjects/Lead/", json: .object([
                ("LastName", .string("Nguyễn")), ("Company", .string("Acme")), ("Email", .string("new.lead@example.com")),
                ("Visits__c", .int(3)), ("Newsletter__c", .bool(true)), ("Signup_Date__c", .string("2024-02-29")),
            ]))
            #expect(created.status == 201)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(id.hasPrefix("00Q") && id.count == 18)
            #expect(created.json["success"] == .bool(true) && created.json["errors"] == .array([]))
            #expect(created.header("Location") == "/services/data/v59.0/sobjects/Lead/\(id)")

            let fetched = try await sim.call("GET", "sobjects/Lead/\(id)")
            #expect(fetched.json["Status"] == .string("Open - Not Contacted"))
            #expect(fetched.json["Name"] == .string("Nguyễn"))
            #expect(fetched.json["Newsletter__c"] == .bool(true))
            #expect(fetched.json["Visits__c"] == .double(3))
            #expect(fetched.json["Address"] != nil)
            let some = try await sim.call("GET", "sobjects/Lead/\(id)?fields=Email,Company")
            #expect(some.json.objectValue?.count == 3)

            let updated = try await sim.call("PATCH", "sobjects/Lead/\(id)", json: .object([("Company", .string("Acme 2"))]))
            #expect(updated.status == 204)
            #expect(updated.header("Sforce-Limit-Info") != nil)
            #expect(try await sim.call("GET", "sobjects/Lead/\(id)").json["Company"] == .string("Acme 2"))

            #expect(try await sim.call("DELETE", "sobjects/Lead/\(id)").status == 204)
            let again = try await sim.call("DELETE", "sobjects/Lead/\(id)")
            #expect(again.status == 404 && again.errorCode == "ENTITY_IS_DELETED")
            let hidden = try await sim.query("SELECT COUNT() FROM Lead WHERE Id = '\(id)'")
            #expect(hidden.json["totalSize"] == .int(0))
            let all = try await sim.query("SELECT Id, IsDeleted FROM Lead WHERE Id = '\(id)'", all: true)
            #expect(all.json.records.first?["IsDeleted"] == .bool(true))
            let short = try await sim.query("SELECT COUNT() FROM Lead WHERE Id = '\(id.prefix(15))'", all: true)
            #expect(short.json["totalSize"] == .int(1))
        }
        try await stopping(sim, testBody)
    }

    @Test func writeErrors() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let missing = try await sim.call("POST", "sobjects/Lead", json: .object([("FirstName", .string("x"))]))
            #expect(missing.status == 400 && missing.errorCode == "REQUIRED_FIELD_MISSING")
            #expect(missing.message == "Required fields are missing: [LastName, Company]")
            #expect(missing.json.arrayValue?.first?["fields"] == .array([.string("LastName"), .string("Company")]))
            let unknown = try await sim.call("POST", "sobjects/Account", json: .object([("FavoritePet__c", .string("Dog"))]))
            #expect(unknown.errorCode == "INVALID_FIELD")
            #expect(unknown.message == "No such column 'FavoritePet__c' on sobject of type Account")
            let tooLong = try await sim.call("POST", "sobjects/Account", json: .object([
                ("Name", .string(String(repeating: "x", count: 256))),
            ]))
            #expect(tooLong.errorCode == "STRING_TOO_LONG")
            #expect(tooLong.message?.hasPrefix("Account Name: data value too large: xxx") == true)
            #expect(tooLong.message?.hasSuffix("(max length=255)") == true)
            let readOnly = try await sim.call("POST", "sobjects/Contact", json: .object([
                ("LastName", .string("x")), ("Name", .string("y")),
            ]))
            #expect(readOnly.errorCode == "INVALID_FIELD_FOR_INSERT_UPDATE")
            let badID = try await sim.call("PATCH", "sobjects/Lead/001B000001LntWlIAJ", json: .object([]))
            #expect(badID.status == 400 && badID.errorCode == "MALFORMED_ID")
            let badReference = try await sim.call("POST", "sobjects/Contact", json: .object([
                ("LastName", .string("x")), ("AccountId", .string("nope")),
            ]))
            #expect(badReference.errorCode == "MALFORMED_ID")
            let badBoolean = try await sim.call("POST", "sobjects/Lead", json: .object([
                ("LastName", .string("x")), ("Company", .string("y")), ("Newsletter__c", .string("maybe")),
            ]))
            #expect(badBoolean.errorCode == "JSON_PARSER_ERROR")
            let unknownObject = try await sim.call("POST", "sobjects/PlayingCard__c", json: .object([]))
            #expect(unknownObject.status == 404 && unknownObject.errorCode == "NOT_FOUND")
            let notFound = try await sim.call("GET", "sobjects/Lead/00Q5g0000009999AAA")
            #expect(notFound.status == 404)
            let note = try await sim.call("POST", "sobjects/Note", json: .object([
                ("ParentId", .string(try #require(try await sim.query("SELECT Id FROM Contact LIMIT 1").json.records.first?["Id"]?.stringValue))),
                ("Title", .string("Call: follow up")), ("Body", .string("Talked about the renewal.")),
            ]))
            #expect(note.status == 201)
        }
        try await stopping(sim, testBody)
    }

    @Test func collectionsReportPerItemAndRollBack() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            func lead(_ last: String?, _ email: String) -> JSONValue {
                var pairs: [(String, JSONValue)] = [("attributes", .object([("type", .string("Lead"))])),
                                                    ("Company", .string("Co")), ("Email", .string(email))]
                if let last { pairs.append(("LastName", .string(last))) }
                return .object(pairs)
            }
            let mixed = try await sim.call("POST", "composite/sobjects", json: .object([
                ("allOrNone", .bool(false)),
                ("records", .array([lead("A", "a@x.example"), lead(nil, "b@x.example"), lead("C", "c@x.example")])),
            ]))
            #expect(mixed.status == 200)
            let results = mixed.json.arrayValue ?? []
            #expect(results.map { $0["success"] } == [.bool(true), .bool(false), .bool(true)])
            #expect(results[1]["errors"]?.arrayValue?.first?["statusCode"] == .string("REQUIRED_FIELD_MISSING"))

            let rolledBack = try await sim.call("POST", "composite/sobjects", json: .object([
                ("allOrNone", .bool(true)),
                ("records", .array([lead("D", "d@x.example"), lead(nil, "e@x.example")])),
            ]))
            let items = rolledBack.json.arrayValue ?? []
            #expect(items.first?["errors"]?.arrayValue?.first?["statusCode"] == .string("ALL_OR_NONE_OPERATION_ROLLED_BACK"))
            let d = try await sim.query("SELECT COUNT() FROM Lead WHERE Email = 'd@x.example'")
            #expect(d.json["totalSize"] == .int(0))

            let ids = results.compactMap { $0["id"]?.stringValue }
            let update = try await sim.call("PATCH", "composite/sobjects", json: .object([
                ("records", .array(ids.map { .object([("attributes", .object([("type", .string("Lead"))])),
                                                      ("Id", .string($0)), ("Company", .string("Updated"))]) })),
            ]))
            #expect(update.json.arrayValue?.allSatisfy { $0["success"] == .bool(true) } == true)
            let updated = try await sim.query("SELECT COUNT() FROM Lead WHERE Company = 'Updated'")
            #expect(updated.json["totalSize"] == .int(2))

            let partly = try await sim.call("PATCH", "composite/sobjects", json: .object([
                ("allOrNone", .bool(true)),
                ("records", .array([
                    .object([("attributes", .object([("type", .string("Lead"))])), ("Id", .string(ids[0])), ("Company", .string("Again"))]),
                    .object([("attributes", .object([("type", .string("Lead"))])), ("Id", .string(ids[1])), ("LastName", .null)]),
                ])),
            ]))
            #expect(partly.json.arrayValue?.first?["errors"]?.arrayValue?.first?["statusCode"] == .string("ALL_OR_NONE_OPERATION_ROLLED_BACK"))
            #expect(try await sim.call("GET", "sobjects/Lead/\(ids[0])").json["Company"] == .string("Updated"))

            let tooMany = try await sim.call("POST", "composite/sobjects", json: .object([
                ("records", .array((0..<201).map { lead("L\($0)", "l\($0)@x.example") })),
            ]))
            #expect(tooMany.status == 400 && tooMany.errorCode == "EXCEEDED_ID_LIMIT")
        }
        try await stopping(sim, testBody)
    }

    @Test func duplicateRuleOnLeads() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let body: JSONValue = .object([("LastName", .string("Dup")), ("Company", .string("Co")),
                                           ("Email", .string("DUP@example.com"))])
            let first = try await sim.call("POST", "sobjects/Lead", json: body)
            let firstID = try #require(first.json["id"]?.stringValue)
            let second = try await sim.call("POST", "sobjects/Lead", json: .object([
                ("LastName", .string("Dup")), ("Company", .string("Co")), ("Email", .string("dup@example.com")),
            ]))
            #expect(second.status == 400 && second.errorCode == "DUPLICATES_DETECTED")
            let result = second.json.arrayValue?.first?["duplicateResult"]
            #expect(result?["duplicateRuleEntityType"] == .string("Lead"))
            let match = result?["matchResults"]?.arrayValue?.first?["matchRecords"]?.arrayValue?.first?["record"]?["Id"]
            #expect(match == .string(firstID))
            let inCollection = try await sim.call("POST", "composite/sobjects", json: .object([
                ("records", .array([.object([("attributes", .object([("type", .string("Lead"))])),
                                             ("LastName", .string("Dup")), ("Company", .string("Co")),
                                             ("Email", .string("dup@example.com"))])])),
            ]))
            let item = inCollection.json.arrayValue?.first
            #expect(item?["errors"]?.arrayValue?.first?["statusCode"] == .string("DUPLICATES_DETECTED"))
            #expect(item?["errors"]?.arrayValue?.first?["duplicateResult"] == nil)

            _ = try await sim.call("POST", "/_sfsim/duplicate-rule", json: .object([("active", .bool(false))]))
            let allowed = try await sim.call("POST", "sobjects/Lead", json: body)
            #expect(allowed.status == 201)
            let count = try await sim.query("SELECT COUNT() FROM Lead WHERE Email = 'dup@example.com'")
            #expect(count.json["totalSize"] == .int(2))
        }
        try await stopping(sim, testBody)
    }
}

@Suite struct LimitsAndFaultsTests {
    @Test func limitsAndTheRollingWindow() async throws {
        let sim = try await SimHarness.start { $0.dailyLimit = 5 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let limits = try await sim.call("GET", "limits/")
            #expect(limits.header("Sforce-Limit-Info") == "api-usage=1/5")
            #expect(limits.json["DailyApiRequests"]?["Max"] == .int(5))
            #expect(limits.json["DailyApiRequests"]?["Remaining"] == .int(4))
            let counts = try await sim.call("GET", "limits/recordCount?sObjects=Account,Contact,Nope")
            #expect(counts.json["sObjects"]?.arrayValue?.count == 2)
            #expect(counts.json["sObjects"]?.arrayValue?.first { $0["name"] == .string("Contact") }?["count"] == .int(120))
            for _ in 0..<3 { _ = try await sim.call("GET", "limits") }
            let refused = try await sim.call("GET", "limits")
            #expect(refused.status == 403 && refused.errorCode == "REQUEST_LIMIT_EXCEEDED")
            #expect(refused.message == "TotalRequests Limit exceeded.")
            #expect(refused.header("Sforce-Limit-Info") == "api-usage=5/5")
            sim.org.clock.advance(by: 24 * 3600 + 1)
            // Sessions expire with time too; mint a fresh one.
            let token = sim.org.issueAccessToken(userID: sim.org.adminUser.id, refreshToken: nil)
            let again = try await sim.call("GET", "limits", token: token)
            #expect(again.status == 200)
            #expect(again.header("Sforce-Limit-Info") == "api-usage=1/5")
            _ = try await sim.call("POST", "/_sfsim/limits", json: .object([("daily_limit", .int(100))]))
            #expect(try await sim.call("GET", "limits", token: token).header("Sforce-Limit-Info") == "api-usage=2/100")
        }
        try await stopping(sim, testBody)
    }

    @Test func scriptedFaults() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let set = try await sim.call("POST", "/_sfsim/faults", json: .object([("script", .array([
                .object([("kind", .string("unavailable"))]),
                .object([("kind", .string("lock_row")), ("path", .string("/sobjects/"))]),
                .object([("kind", .string("server_error"))]),
                .object([("kind", .string("delay")), ("seconds", .double(0.3))]),
                .object([("kind", .string("drop"))]),
                .object([("kind", .string("expire_session"))]),
            ]))]))
            #expect(set.json["scripted"] == .int(6))
            let unavailable = try await sim.call("GET", "limits")
            #expect(unavailable.status == 503 && unavailable.errorCode == "SERVER_UNAVAILABLE")
            let serverError = try await sim.call("GET", "limits")
            #expect(serverError.status == 500)
            let lock = try await sim.call("GET", "sobjects/Contact/describe")
            #expect(lock.status == 400 && lock.errorCode == "UNABLE_TO_LOCK_ROW")
            let started = Date()
            #expect(try await sim.call("GET", "limits").status == 200)
            #expect(Date().timeIntervalSince(started) >= 0.25)
            await #expect(throws: (any Error).self) { try await sim.call("GET", "limits") }
            let expired = try await sim.call("GET", "limits")
            #expect(expired.status == 401 && expired.errorCode == "INVALID_SESSION_ID")
            #expect(try await sim.call("GET", "limits").status == 401)
        }
        try await stopping(sim, testBody)
    }

    @Test func theCallLogCountsEveryCall() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            _ = try await sim.call("GET", "limits")
            _ = try await sim.query("SELECT Id FROM Lead")
            _ = try await sim.call("GET", "limits", token: "bad")
            let log = try await sim.call("GET", "/_sfsim/calls")
            let calls = log.json["calls"]?.arrayValue ?? []
            #expect(calls.count == 3)
            #expect(calls.filter { $0["counted"] == .bool(true) }.count == 2)
            #expect(calls.last?["status"] == .int(401))
            #expect(sim.org.apiUsage.used == 2)
        }
        try await stopping(sim, testBody)
    }

    @Test func controlIsOffUnlessEnabled() async throws {
        let sim = try await SimHarness.start { $0.controlEnabled = false }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            #expect(try await sim.call("GET", "/_sfsim/calls").status == 404)
        }
        try await stopping(sim, testBody)
    }
}
