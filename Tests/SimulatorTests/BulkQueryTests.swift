import Salesforce
import Foundation
import JSON
import TestSupport
import Testing
@testable import Simulator

/// Bulk API 2.0 query jobs, over a real socket, on sfsim's clock.
@Suite struct BulkQueryTests {
    func create(_ sim: SimHarness, _ soql: String, operation: String = "query") async throws -> SimHarness.Answer {
        try await sim.call("POST", "jobs/query", json: .object([("operation", .string(operation)), ("query", .string(soql)),
                                                               ("columnDelimiter", .string("COMMA")), ("lineEnding", .string("LF"))]))
    }

    /// The body as text (CSV is not JSON, though a one-column header alone would parse as a JSON string).
    func text(_ answer: SimHarness.Answer) -> String { String(decoding: answer.headers.body, as: UTF8.self) }

    /// Parses Bulk 2.0's CSV (every value quoted, quotes doubled).
    func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" { field.append("\""); characters.removeFirst() } else { quoted = false }
                } else { field.append(character) }
            } else if character == "\"" { quoted = true }
            else if character == "," { row.append(field); field = "" }
            else if character == "\n" { row.append(field); rows.append(row); row = []; field = "" }
        }
        return rows
    }

    @Test func aJobMovesOnTheOrgsClockAndServesItsResultInChunks() async throws {
        // sfsim's clock stands still unless the test moves it, so the states do not depend on the machine's speed.
        let fixed = Date(timeIntervalSince1970: 1_790_000_000)
        let sim = try await SimHarness.start(clock: SimulatedClock(base: { fixed })) { $0.contacts = 120 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let before = sim.org.callLog().count
            let created = try await create(sim, "SELECT Id, LastName, Account.Name, Email FROM Contact ORDER BY LastName")
            #expect(created.status == 200)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(id.hasPrefix("750"))
            #expect(created.json["state"] == .string("UploadComplete"))
            #expect(created.json["object"] == .string("Contact") && created.json["operation"] == .string("query"))
            #expect(created.json["apiVersion"] == .double(59) && created.json["contentType"] == .string("CSV"))

            let early = try await sim.call("GET", "jobs/query/\(id)/results")
            #expect(early.status == 412 && early.errorCode == "JOB_NOT_COMPLETE")
            sim.org.clock.advance(by: 0.3)
            #expect(try await sim.call("GET", "jobs/query/\(id)").json["state"] == .string("InProgress"))
            sim.org.clock.advance(by: 1)
            let done = try await sim.call("GET", "jobs/query/\(id)")
            #expect(done.json["state"] == .string("JobComplete"))
            #expect(done.json["numberRecordsProcessed"] == .int(120))
            #expect(done.json["jobType"] == .string("V2Query"))

            // Chunks of 50: 50, 50, 20, the last with the locator "null".
            var locator: String?
            var all: [[String]] = []
            var chunks: [Int] = []
            repeat {
                let answer = try await sim.call("GET", "jobs/query/\(id)/results?maxRecords=50" + (locator.map { "&locator=\($0)" } ?? ""),
                                                headers: [("Accept", "text/csv")])
                #expect(answer.status == 200)
                #expect(answer.header("Content-Type") == "text/csv")
                let text = text(answer)
                let parsed = rows(text)
                #expect(parsed.first == ["Id", "LastName", "Account.Name", "Email"])
                #expect(text.hasPrefix("\"Id\",\"LastName\",\"Account.Name\",\"Email\"\n"))
                chunks.append(Int(answer.header("Sforce-NumberOfRecords") ?? "") ?? -1)
                all += parsed.dropFirst()
                locator = answer.header("Sforce-Locator")
            } while locator != "null"
            #expect(chunks == [50, 50, 20])
            // The same records as the REST API, in the same order.
            let rest = try await sim.query("SELECT Id, LastName, Account.Name, Email FROM Contact ORDER BY LastName").json.records
            #expect(all.map { $0[0] } == rest.map { $0["Id"]?.stringValue ?? "" })
            #expect(all.map { $0[2] } == rest.map { $0["Account"]?["Name"]?.stringValue ?? "" })
            // Every request was one API call: create, the early 412, two polls, three chunks and the REST query.
            #expect(sim.org.callLog().count - before == 8)
            let limits = try await sim.call("GET", "limits")
            #expect(limits.json["DailyBulkV2QueryJobs"]?["Remaining"] == .int(9_999))
        }
        try await stopping(sim, testBody)
    }

    @Test func queryAllSeesDeletedRecordsAndJobsCanBeListedAbortedAndDeleted() async throws {
        let fixed = Date(timeIntervalSince1970: 1_790_000_000)
        let sim = try await SimHarness.start(clock: SimulatedClock(base: { fixed }))
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let lead = try #require(try await sim.query("SELECT Id FROM Lead LIMIT 1").json.records.first?["Id"]?.stringValue)
            _ = try await sim.call("DELETE", "sobjects/Lead/\(lead)")
            let all = try #require(try await create(sim, "SELECT Id, IsDeleted FROM Lead WHERE IsDeleted = true", operation: "queryAll").json["id"]?.stringValue)
            let plain = try #require(try await create(sim, "SELECT Id FROM Lead WHERE IsDeleted = true").json["id"]?.stringValue)
            sim.org.clock.advance(by: 2)
            let deleted = rows(text(try await sim.call("GET", "jobs/query/\(all)/results")))
            #expect(deleted.dropFirst().map { $0[0] } == [lead])
            #expect(deleted.dropFirst().first?[1] == "true")
            #expect(rows(text(try await sim.call("GET", "jobs/query/\(plain)/results"))).count == 1)

            let list = try await sim.call("GET", "jobs/query")
            #expect(list.json["records"]?.arrayValue?.count == 2)
            let running = try #require(try await create(sim, "SELECT Id FROM Contact").json["id"]?.stringValue)
            let aborted = try await sim.call("PATCH", "jobs/query/\(running)", json: .object([("state", .string("Aborted"))]))
            #expect(aborted.json["state"] == .string("Aborted"))
            #expect(try await sim.call("GET", "jobs/query/\(running)/results").status == 412)
            #expect(try await sim.call("PATCH", "jobs/query/\(all)", json: .object([("state", .string("Aborted"))])).status == 400)
            #expect(try await sim.call("DELETE", "jobs/query/\(all)").status == 204)
            #expect(try await sim.call("GET", "jobs/query/\(all)").status == 404)
        }
        try await stopping(sim, testBody)
    }

    @Test(arguments: [
        ("SELECT COUNT() FROM Contact", "API_ERROR"),
        ("SELECT Id, MailingAddress FROM Contact", "API_ERROR"),
        ("SELECT Id FROM Contact LIMIT 5 OFFSET 2", "API_ERROR"),
        ("SELECT Id FROM Nothing__c", "INVALID_TYPE"),
        ("SELEKT Id FROM Contact", "MALFORMED_QUERY"),
    ])
    func whatBulkDoesNotSupportIsRefusedAsSalesforceWordsIt(soql: String, code: String) async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let answer = try await create(sim, soql)
            #expect(answer.status == 400)
            #expect(answer.errorCode == code, "\(answer.json.serialized())")
        }
        try await stopping(sim, testBody)
    }

    @Test func quotingAndLocators() {
        #expect(Org.csvField(#"say "hi", ok"#) == #""say ""hi"", ok""#)
        #expect(Org.encodeLocator(10000) == "MTAwMDA")
        #expect(Org.decodeLocator("MTAwMDA") == 10000)
        #expect(Org.decodeLocator("not base64!") == nil)
    }
}
