import Salesforce
import Foundation
import JSON
import TestSupport
import Testing
@testable import Simulator

/// Bulk API 2.0 ingest jobs, over a real socket, on sfsim's standing clock.
@Suite struct BulkIngestTests {
    static let start = Date(timeIntervalSince1970: 1_790_000_000)

    func harness(_ configure: (inout OrgConfiguration) -> Void = { _ in }) async throws -> SimHarness {
        try await SimHarness.start(clock: SimulatedClock.standing(at: Self.start), configure)
    }

    func createJob(_ sim: SimHarness, _ settings: [(String, JSONValue)]) async throws -> String {
        let created = try await sim.call("POST", "jobs/ingest", json: .object(settings))
        #expect(created.status == 200, "\(created.raw)")
        #expect(created.json["state"] == .string("Open"))
        return try #require(created.json["id"]?.stringValue)
    }

    /// Creates, uploads and closes a job, then moves the clock until it has settled.
    func run(_ sim: SimHarness, _ settings: [(String, JSONValue)], csv: String) async throws -> (id: String, info: JSONValue) {
        let id = try await createJob(sim, settings)
        #expect(try await sim.call("PUT", "jobs/ingest/\(id)/batches", csv: csv).status == 201)
        let closed = try await sim.call("PATCH", "jobs/ingest/\(id)", json: .object([("state", .string("UploadComplete"))]))
        #expect(closed.json["state"] == .string("UploadComplete"))
        sim.org.clock.advance(by: 60)
        return (id, try await sim.call("GET", "jobs/ingest/\(id)").json)
    }

    func results(_ sim: SimHarness, _ id: String, _ kind: String) async throws -> [[String]] {
        let answer = try await sim.call("GET", "jobs/ingest/\(id)/\(kind)")
        #expect(answer.header("Content-Type") == "text/csv")
        return try CSVReaderAdapter.rows(answer.raw).rows
    }

    func lead(_ sim: SimHarness, email: String) async throws -> JSONValue? {
        try await sim.query("SELECT Id, LastName, Company, OwnerId, Lytics_Id__c FROM Lead WHERE Email = '\(email)'").json.records.first
    }

    @Test func anInsertWritesEveryGoodRowAndFailsEachBadOneAsRESTWould() async throws {
        let sim = try await harness()
        func testBody() async throws {
            let batchesBefore = sim.org.limits()["DailyBulkApiBatches"]?["Remaining"]?.intValue
            let csv = """
            LastName,Company,Email
            Okafor,Acme,ada.okafor@bulk.example
            ,NoName Inc,nobody@bulk.example
            Lindqvist,"Quoted, Inc",erik@bulk.example
            Okafor,Acme,ada.okafor@bulk.example

            """
            let (id, info) = try await run(sim, [("object", .string("Lead")), ("operation", .string("insert")),
                                                 ("lineEnding", .string("LF"))], csv: csv)
            #expect(info["state"] == .string("JobComplete"))
            #expect(info["numberRecordsProcessed"] == .int(4) && info["numberRecordsFailed"] == .int(2))
            #expect(info["jobType"] == .string("V2Ingest"))

            let succeeded = try await results(sim, id, "successfulResults")
            #expect(succeeded.map { Array($0.dropFirst(2)) } == [["Okafor", "Acme", "ada.okafor@bulk.example"],
                                                                 ["Lindqvist", "Quoted, Inc", "erik@bulk.example"]])
            #expect(succeeded.allSatisfy { $0[0].hasPrefix("00Q") && $0[1] == "true" })
            let failed = try await results(sim, id, "failedResults")
            #expect(failed.count == 2)
            #expect(failed[0][1] == "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --")
            #expect(failed[1][1].hasPrefix("DUPLICATES_DETECTED:"))
            #expect(try await results(sim, id, "unprocessedrecords").isEmpty)
            #expect(try await lead(sim, email: "erik@bulk.example")?["Company"] == .string("Quoted, Inc"))
            // One 10,000-row batch counted in the limits.
            #expect(sim.org.limits()["DailyBulkApiBatches"]?["Remaining"]?.intValue == batchesBefore.map { $0 - 1 })
        }
        try await stopping(sim, testBody)
    }

    @Test func upsertByExternalIDCreatesOnceThenUpdatesAndDeleteEmptiesThem() async throws {
        let sim = try await harness()
        func testBody() async throws {
            let settings: [(String, JSONValue)] = [("object", .string("Lead")), ("operation", .string("upsert")),
                                                   ("externalIdFieldName", .string("Lytics_Id__c"))]
            let csv = "Lytics_Id__c,LastName,Company,Email\np-1,Abe,One,p1@bulk.example\np-2,Bo,Two,p2@bulk.example\n"
            let first = try await run(sim, settings, csv: csv)
            #expect(first.info["numberRecordsFailed"] == .int(0))
            #expect(try await results(sim, first.id, "successfulResults").map { $0[1] } == ["true", "true"])
            // The same rows again create nothing: the external id matches.
            let again = try await run(sim, settings, csv: csv.replacingOccurrences(of: "Abe", with: "Abel"))
            let rows = try await results(sim, again.id, "successfulResults")
            #expect(rows.map { $0[1] } == ["false", "false"])
            #expect(try await sim.query("SELECT COUNT() FROM Lead WHERE Lytics_Id__c LIKE 'p-%'").json["totalSize"] == .int(2))
            #expect(try await lead(sim, email: "p1@bulk.example")?["LastName"] == .string("Abel"))
            // A row without its key fails alone.
            let keyless = try await run(sim, settings, csv: "Lytics_Id__c,LastName,Company\n,Cy,Three\n")
            #expect(try await results(sim, keyless.id, "failedResults").first?[1].hasPrefix("MISSING_ARGUMENT:") == true)

            // update by Id, then delete by Id: #N/A empties a field.
            let ids = rows.map { $0[0] }
            let update = try await run(sim, [("object", .string("Lead")), ("operation", .string("update"))],
                                       csv: "Id,Company,Email\n\(ids[0]),Renamed,#N/A\n00Q5g0000000000ZZZ,X,\n")
            #expect(update.info["numberRecordsFailed"] == .int(1))
            let renamed = try await sim.call("GET", "sobjects/Lead/\(ids[0])")
            #expect(renamed.json["Company"] == .string("Renamed") && renamed.json["Email"] == .null)
            let delete = try await run(sim, [("object", .string("Lead")), ("operation", .string("delete"))], csv: "Id\n\(ids[0])\n\(ids[1])\n")
            #expect(delete.info["numberRecordsProcessed"] == .int(2) && delete.info["numberRecordsFailed"] == .int(0))
            #expect(try await sim.query("SELECT COUNT() FROM Lead WHERE Lytics_Id__c LIKE 'p-%'").json["totalSize"] == .int(0))
        }
        try await stopping(sim, testBody)
    }

    @Test func anAbortedJobWritesNoMoreAndListsTheRestAsUnprocessed() async throws {
        let sim = try await harness()
        func testBody() async throws {
            let rows = (0..<12_000).map { "Bulk\($0),Abort Co,abort\($0)@bulk.example" }
            let id = try await createJob(sim, [("object", .string("Lead")), ("operation", .string("insert"))])
            #expect(try await sim.call("PUT", "jobs/ingest/\(id)/batches", csv: "LastName,Company,Email\n" + rows.joined(separator: "\n") + "\n").status == 201)
            _ = try await sim.call("PATCH", "jobs/ingest/\(id)", json: .object([("state", .string("UploadComplete"))]))
            // The first 10,000-row chunk is due after the queue, one processing period and half a second of rows.
            sim.org.clock.advance(by: 0.2 + 0.5 + 0.5 + 0.01)
            #expect(try await sim.call("GET", "jobs/ingest/\(id)").json["state"] == .string("InProgress"))
            let aborted = try await sim.call("PATCH", "jobs/ingest/\(id)", json: .object([("state", .string("Aborted"))]))
            #expect(aborted.json["state"] == .string("Aborted"))
            sim.org.clock.advance(by: 60)
            let info = try await sim.call("GET", "jobs/ingest/\(id)").json
            #expect(info["state"] == .string("Aborted") && info["numberRecordsProcessed"] == .int(10_000))
            #expect(try await results(sim, id, "unprocessedrecords").count == 2_000)
            #expect(try await sim.query("SELECT COUNT() FROM Lead WHERE Company = 'Abort Co'").json["totalSize"] == .int(10_000))
            // Only a finished job can be deleted; then it is gone.
            #expect(try await sim.call("DELETE", "jobs/ingest/\(id)").status == 204)
            #expect(try await sim.call("GET", "jobs/ingest/\(id)").status == 404)
        }
        try await stopping(sim, testBody)
    }

    @Test(arguments: [
        ([("object", JSONValue.string("Lead")), ("operation", .string("merge"))], "INVALIDJOB"),
        ([("object", .string("Nope__c")), ("operation", .string("insert"))], "INVALIDJOB"),
        ([("object", .string("Lead")), ("operation", .string("upsert"))], "INVALIDJOB"),
        ([("object", .string("Lead")), ("operation", .string("upsert")), ("externalIdFieldName", .string("Company"))], "NOT_FOUND"),
        ([("object", .string("Lead")), ("operation", .string("insert")), ("assignmentRuleId", .string("01Q5g000000zzzzZZZ"))], "INVALIDJOB"),
        ([("object", .string("Lead")), ("operation", .string("insert")), ("columnDelimiter", .string("PIPE"))], "INVALIDJOB"),
    ])
    func aBadJobIsRefused(settings: [(String, JSONValue)], code: String) async throws {
        let sim = try await harness()
        func testBody() async throws {
            let answer = try await sim.call("POST", "jobs/ingest", json: .object(settings))
            #expect(answer.status >= 400 && answer.errorCode == code, "\(answer.raw)")
        }
        try await stopping(sim, testBody)
    }

    @Test func uploadsAndStatesOutOfOrderAreRefused() async throws {
        let sim = try await harness()
        func testBody() async throws {
            let id = try await createJob(sim, [("object", .string("Lead")), ("operation", .string("insert"))])
            #expect(try await sim.call("DELETE", "jobs/ingest/\(id)").errorCode == "INVALIDJOBSTATE")
            #expect(try await sim.call("PUT", "jobs/ingest/\(id)/batches", csv: "LastName,Company\nA,B\n").status == 201)
            let second = try await sim.call("PUT", "jobs/ingest/\(id)/batches", csv: "LastName,Company\nA,B\n")
            #expect(second.errorCode == "BULK_API_ERROR" && second.message?.hasPrefix("Found multiple contents for job") == true)
            let bad = try await sim.call("PATCH", "jobs/ingest/\(id)", json: .object([("state", .string("JobComplete"))]))
            #expect(bad.errorCode == "INVALIDJOBSTATE")
            // A column the object does not have: closed as asked, then Failed with Salesforce's message.
            let unknown = try await createJob(sim, [("object", .string("Lead")), ("operation", .string("insert"))])
            _ = try await sim.call("PUT", "jobs/ingest/\(unknown)/batches", csv: "LastName,Shoe_Size__c\nA,9\n")
            let closed = try await sim.call("PATCH", "jobs/ingest/\(unknown)", json: .object([("state", .string("UploadComplete"))]))
            #expect(closed.json["state"] == .string("UploadComplete"))
            sim.org.clock.advance(by: 5)
            let failed = try await sim.call("GET", "jobs/ingest/\(unknown)").json
            #expect(failed["state"] == .string("Failed"))
            #expect(failed["errorMessage"] == .string("InvalidBatch : InvalidBatch : Field name not found : Shoe_Size__c"))
        }
        try await stopping(sim, testBody)
    }
}

/// Lead assignment rules: queryable, and run as the REST header or the Bulk job asks.
@Suite struct LeadAssignmentTests {
    func owners(_ sim: SimHarness) -> (dach: String, other: String, old: String, admin: String) {
        let users = sim.org.users
        return (users[5].id, users[2].id, users[3].id, users[0].id)
    }

    func ownerOf(_ sim: SimHarness, _ email: String) async throws -> String? {
        try await sim.query("SELECT OwnerId FROM Lead WHERE Email = '\(email)'").json.records.first?["OwnerId"]?.stringValue
    }

    @Test func theRulesAreQueryable() async throws {
        let sim = try await SimHarness.start()
        func testBody() async throws {
            let rules = try await sim.query("SELECT Id, Name, Active FROM AssignmentRule WHERE SobjectType = 'Lead' ORDER BY Name").json.records
            #expect(rules.map { $0["Name"]?.stringValue } == ["Old Round Robin", "Standard Lead Assignment"])
            #expect(rules.map { $0["Active"] } == [.bool(false), .bool(true)])
            #expect(rules.allSatisfy { $0["Id"]?.stringValue?.hasPrefix("01Q") == true })
            let describe = try await sim.call("GET", "sobjects/AssignmentRule/describe").json
            #expect(describe["createable"] == .bool(false) && describe["queryable"] == .bool(true))
        }
        try await stopping(sim, testBody)
    }

    @Test(arguments: [
        // header, country, which owner
        (nil as String?, "Germany", "dach"), (nil, "France", "other"), ("TRUE", "austria", "dach"), ("true", "USA", "other"),
        ("FALSE", "Germany", "admin"), ("false", "France", "admin"), ("old", "Germany", "old"), ("unknown", "Germany", "admin"),
    ])
    func restCreatesRunTheRuleTheHeaderChooses(header: String?, country: String, owner: String) async throws {
        let sim = try await SimHarness.start()
        func testBody() async throws {
            let expected = owners(sim)
            let value: String? = header == "old" ? Org.leadAssignmentRules[1].id : header == "unknown" ? "01Q5g000000zzzzZZZ" : header
            let email = "assign@rules.example"
            let created = try await sim.call("POST", "sobjects/Lead", json: .object([
                ("LastName", .string("Rule")), ("Company", .string("Rules")), ("Email", .string(email)), ("Country", .string(country)),
            ]), headers: value.map { [("Sforce-Auto-Assign", $0)] } ?? [])
            #expect(created.status == 201)
            let wanted = ["dach": expected.dach, "other": expected.other, "old": expected.old, "admin": expected.admin][owner]
            #expect(try await ownerOf(sim, email) == wanted)
        }
        try await stopping(sim, testBody)
    }

    @Test func updatesRunTheActiveRuleUnlessTheHeaderSaysFalse() async throws {
        let sim = try await SimHarness.start()
        func testBody() async throws {
            let expected = owners(sim)
            let created = try await sim.call("POST", "sobjects/Lead", json: .object([
                ("LastName", .string("Mover")), ("Company", .string("Moves")), ("Email", .string("mover@rules.example")),
                ("Country", .string("France")),
            ]), headers: [("Sforce-Auto-Assign", "FALSE")])
            let id = try #require(created.json["id"]?.stringValue)
            _ = try await sim.call("PATCH", "sobjects/Lead/\(id)", json: .object([("Country", .string("Switzerland"))]),
                                   headers: [("Sforce-Auto-Assign", "FALSE")])
            #expect(try await ownerOf(sim, "mover@rules.example") == expected.admin)
            _ = try await sim.call("PATCH", "sobjects/Lead/\(id)", json: .object([("Country", .string("Switzerland"))]))
            #expect(try await ownerOf(sim, "mover@rules.example") == expected.dach)
            // A collection inside /composite carries the outer request's header.
            let composite = try await sim.call("POST", "composite", json: .object([("compositeRequest", .array([.object([
                ("method", .string("POST")), ("url", .string("/services/data/v59.0/composite/sobjects")), ("referenceId", .string("c")),
                ("body", .object([("records", .array([.object([
                    ("attributes", .object([("type", .string("Lead"))])), ("LastName", .string("Inner")), ("Company", .string("In")),
                    ("Email", .string("inner@rules.example")), ("Country", .string("Germany")),
                ])]))])),
            ])]))]), headers: [("Sforce-Auto-Assign", "FALSE")])
            #expect(composite.status == 200)
            #expect(try await ownerOf(sim, "inner@rules.example") == expected.admin)
        }
        try await stopping(sim, testBody)
    }

    @Test(arguments: [(nil as Int?, "admin"), (0, "dach"), (1, "old")])
    func aBulkJobRunsOnlyTheRuleItNames(rule: Int?, owner: String) async throws {
        let sim = try await SimHarness.start(clock: SimulatedClock.standing(at: BulkIngestTests.start))
        func testBody() async throws {
            let expected = owners(sim)
            var settings: [(String, JSONValue)] = [("object", .string("Lead")), ("operation", .string("insert"))]
            if let rule { settings.append(("assignmentRuleId", .string(String(Org.leadAssignmentRules[rule].id.prefix(15))))) }
            _ = try await BulkIngestTests().run(sim, settings, csv: "LastName,Company,Email,Country\nBulk,B,bulk@rules.example,Germany\n")
            let wanted = ["dach": expected.dach, "old": expected.old, "admin": expected.admin][owner]
            #expect(try await ownerOf(sim, "bulk@rules.example") == wanted)
        }
        try await stopping(sim, testBody)
    }
}
