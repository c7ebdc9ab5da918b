import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Simulator
import Store
import TestSupport
import Testing
@testable import Shell

/// Describe files written from the simulator, for offline previews.
func describeFile(_ object: String, in harness: Harness) throws -> String {
    let org = try Org(configuration: { var c = OrgConfiguration(); c.contacts = 0; c.leads = 0; c.accounts = 0
        c.opportunities = 0; c.inMemory = true; return c }())
    let describe = try #require(org.describeJSON(object))
    return try harness.write("\(object)-describe.json", describe.prettyPrinted())
}

@Suite(.serialized) struct PreviewTests {
    @Test func contactPreviewOfflineFromFiles() async throws {
        let harness = try Harness()
        let describe = try describeFile("Contact", in: harness)
        let contact = try harness.write("contact.json", """
            {"attributes": {"type": "Contact"}, "Id": "0035g0000000S4dAAE", "FirstName": "Elizabeth", "LastName": "Smith",
             "Nickname__c": "Liz", "Phone": "(555) 010-0000", "Title": "CFO", "Birthdate": "1980-02-29",
             "Anniversary__c": "2001-06-01", "Segment__c": "GOLD", "Interests__c": "Golf;Wine", "HasOptedOutOfEmail": true,
             "Deceased__c": false, "Account": {"attributes": {"type": "Account"}, "Name": "Acme"},
             "Owner": {"attributes": {"type": "User"}, "Name": "Jordan Reyes"}, "OwnerId": "0055g0000000S4dAAE"}
            """)
        let (out, err, code) = await harness.run("""
            set levitate.nickname_field Nickname__c
            set levitate.key_dates Anniversary__c
            set levitate.tag_fields Segment__c,Interests__c
            set levitate.optout_field HasOptedOutOfEmail
            set levitate.deceased_field Deceased__c
            map owner "Jordan Reyes" jordan
            preview contact --file \(contact) --describe \(describe) --json
            """)
        #expect(code == 0, "\(err)")
        let json = try JSONValue.parse(out)
        #expect(json["first_name"] == .string("Liz"))
        #expect(json["legal_first_name"] == .string("Elizabeth"))
        #expect(json["company"] == .string("Acme"))
        #expect(json["tags"] == .array(["Salesforce", "Segment: Gold", "Interests: Golf", "Interests: Wine", "Unsubscribe"].map(JSONValue.string)))
        #expect(json["key_facts"]?.arrayValue?.map { $0["label"] } == [.string("Birthday"), .string("Anniversary")])
        #expect(json["owner"] == .object([("salesforce", .string("Salesforce: Jordan Reyes")), ("local", .string("jordan"))]))
        #expect(json["phones"]?.arrayValue?.first?["label"] == .string("Business Phone"))
        #expect(json["archived"] == .bool(false) && json["removed"] == .bool(false))
        #expect(json["trace"]?.arrayValue?.isEmpty == false)
        #expect(err.contains("not checked now"))  // no org: settings taken, checked when used
    }

    @Test func badFilesAndMissingFieldsAreClearErrors() async throws {
        let harness = try Harness()
        let describe = try describeFile("Contact", in: harness)
        let broken = try harness.write("broken.json", "{not json")
        let notJSON = await harness.run("preview contact --file \(broken) --describe \(describe)")
        #expect(notJSON.code == 1 && notJSON.err.contains("broken.json is not valid JSON"))
        let good = try harness.write("c.json", #"{"LastName": "X"}"#)
        let badDescribe = await harness.run("preview contact --file \(good) --describe \(broken)")
        #expect(badDescribe.code == 1 && badDescribe.err.contains("is not valid JSON"))
        let missing = await (try Harness()).run("""
            set levitate.tag_fields Nope__c
            preview contact --file \(good) --describe \(describe)
            """)
        #expect(missing.code == 1 && missing.err.contains("levitate.tag_fields: the Contact describe has no field Nope__c"))
        let neither = await harness.run("preview contact")
        #expect(neither.code == 2)
        let noDescribe = await (try Harness()).run("preview contact --file \(good)")
        #expect(noDescribe.code == 2 && noDescribe.err.contains("--describe FILE"))
    }

    @Test func leadPreviewOfflineFromFiles() async throws {
        let harness = try Harness()
        let describe = try describeFile("Lead", in: harness)
        let profile = try harness.write("profile.json", """
            {"id": "u1", "attributes": {"email": "ann@example.com", "last_name": "Lee", "ltv": 10.129, "signup": {"$date": "2024-02-29"}, "visits": "7"},
             "audiences": ["vip", "other"], "content_affinity": {"golf": 0.9, "wine": 0.5, "art": 0.7, "tennis": 0.1}, "scores": {"b": 2, "a": 1.5}}
            """)
        let (out, err, code) = await harness.run("""
            set lytics.audiences vip,active
            set lytics.unknown_company_ok on
            set lytics.affinity_field Lytics_Content_Affinity__c
            set lytics.scores_field Lytics_Scores__c
            map lead ltv Lifetime_Value__c
            map lead signup Signup_Date__c
            map lead visits Visits__c
            preview lead --file \(profile) --describe \(describe) --json
            """)
        #expect(code == 0, "\(err)")
        let json = try JSONValue.parse(out)
        #expect(json["action"] == .string("create"))
        #expect(json["payload"]?["Company"] == .string("Unknown"))
        #expect(json["payload"]?["Lytics_Audiences__c"] == .string("vip"))
        #expect(json["payload"]?["Lytics_Content_Affinity__c"] == .string("golf, art, wine"))
        #expect(json["payload"]?["Lytics_Scores__c"] == .string("a: 1.5, b: 2"))
        #expect(json["payload"]?["Lifetime_Value__c"] == .double(10.12))
        #expect(json["payload"]?["Signup_Date__c"] == .string("2024-02-29"))
        #expect(json["skipped_fields"] == .array([.object([("field", .string("Visits__c")),
                                                            ("reason", .string("type mismatch: string into double"))])]))
        let badProfile = try harness.write("bad.json", #"{"id": "x", "attributes": {"d": {"$date": "2024-13-01"}}}"#)
        let bad = await harness.run("preview lead --file \(badProfile) --describe \(describe)")
        #expect(bad.code == 1 && bad.err.contains("attributes.d"))
    }

    @Test func profilesImportReportsBadLinesAndUpserts() async throws {
        let harness = try Harness()
        let file = try harness.write("p.jsonl", """
            {"id": "a", "attributes": {"email": "a@x.com"}, "audiences": ["vip"]}
            {"id": "b", "audiences": ["vip", "active"]}
            oops
            {"id": "c", "attributes": {"when": {"$datetime": "nope"}}}

            {"id": "a", "attributes": {"email": "a2@x.com"}, "audiences": ["active"]}
            """)
        let (out, err, code) = await harness.run("profiles import \(file) --json")
        #expect(code == 1, "\(out) \(err)")
        let json = try JSONValue.parse(out)
        #expect(json["imported"] == .int(2) && json["created"] == .int(2))
        #expect(json["bad_lines"]?.arrayValue?.map { $0["line"] } == [.int(3), .int(4)])
        #expect(err.contains("p.jsonl:3: not valid JSON"))
        let printed = harness.stdout.text.count
        let audiences = try JSONValue.parse(String(await harness.run("set lytics.audiences vip\naudiences --json").out.dropFirst(printed)))
        #expect(audiences == .array([
            .object([("audience", .string("active")), ("members", .int(2)), ("selected", .bool(false))]),
            .object([("audience", .string("vip")), ("members", .int(1)), ("selected", .bool(true))]),
        ]))
        #expect(try harness.session.store.profileBody(id: "a")?.contains("a2@x.com") == true)
    }

    @Test func settingsAreValidatedAgainstTheOrgsDescribe() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let datetime = await shell.run("set levitate.key_dates Last_Meeting__c")
            #expect(datetime.code == 2)
            #expect(datetime.err.contains("Contact.Last_Meeting__c is a datetime field; levitate.key_dates takes date fields"))
            let unknown = await shell.run("set levitate.tag_fields Segment__c,Nope__c")
            #expect(unknown.code == 2 && unknown.err.contains("Contact has no field 'Nope__c'"))
            #expect(shell.session.setting("levitate.tag_fields") == nil)  // nothing stored
            let ok = await shell.run("set levitate.key_dates anniversary__c,Review_Date__c")
            #expect(ok.code == 0)
            #expect(shell.session.setting("levitate.key_dates") == "Anniversary__c,Review_Date__c")
            let mapLead = await shell.run("map lead x Lytics_Audiences__c\nmap lead y Nope__c")
            #expect(mapLead.code == 2 && mapLead.err.contains("Lead has no field 'Nope__c'"))
            let badValue = await shell.run("set lytics.unknown_company_ok maybe")
            #expect(badValue.code == 2)
            // Settings are per org: the default scope is untouched.
            #expect(try shell.session.store.setting("levitate.key_dates", scope: Store.defaultScope) == nil)
            #expect(try shell.session.store.setting("levitate.key_dates", scope: "demo") == "Anniversary__c,Review_Date__c")
        }
        try await stopping(server, testBody)
    }

    @Test func previewsAgainstTheOrg() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let id = try #require(try await shell.json("SELECT Id FROM Contact WHERE Nickname__c != null LIMIT 1 --json").arrayValue?.first?["Id"]?.stringValue)
            _ = await shell.run("set levitate.nickname_field Nickname__c")
            let before = shell.org.callLog().count
            let contact = try await shell.json("preview contact \(id) --json")
            #expect(shell.org.callLog().count == before + 1)  // the describe is cached: one call for the record
            #expect(contact["first_name"] != contact["legal_first_name"])
            #expect(contact["owner"]?["salesforce"]?.stringValue?.hasPrefix("Salesforce: ") == true)

            let profiles = try shell.harness.write("p.jsonl", """
                {"id": "new", "attributes": {"email": "brand.new@example.com", "last_name": "New", "company": "N"}, "audiences": ["vip"]}
                """)
            _ = await shell.run("profiles import \(profiles)\nset lytics.audiences vip")
            let lead = try #require(try await shell.json("SELECT Email FROM Lead WHERE Email != null LIMIT 1 --json").arrayValue?.first?["Email"]?.stringValue)
            let existing = try shell.harness.write("e.json", #"{"id": "old", "attributes": {"email": "\#(lead)"}, "audiences": ["vip"]}"#)
            let update = try await shell.json("preview lead --file \(existing) --json")
            #expect(update["action"] == .string("update"))
            #expect(update["lead_id"]?.stringValue?.hasPrefix("00Q") == true)
            let offline = try await shell.json("preview lead --file \(existing) --offline --json")
            #expect(offline["action"] == .string("skip") && offline["reason"] == .string("missing last name"))
            let create = try await shell.json("preview lead new --json")
            #expect(create["action"] == .string("create"))
            // The assignment rule a create runs: the org's active one by default, read from the org.
            #expect(create["assignment_rule"]?["name"] == .string("Standard Lead Assignment"))
            #expect(create["assignment_rule"]?["setting"] == .string("active"))
            #expect(await shell.run("preview lead new").out.contains("assignment rule: 'Standard Lead Assignment' (01Q"))
            #expect(await shell.run("set lytics.assignment_rule 00Q5g000000000B").err.contains("lytics.assignment_rule must be active, none or an Id starting 01Q"))
            _ = await shell.run("set lytics.assignment_rule NONE")
            let none = try await shell.json("preview lead new --json")
            #expect(none["assignment_rule"]?["id"] == .null && none["assignment_rule"]?["setting"] == .string("none"))
            #expect(update["assignment_rule"] != nil)
            #expect(await shell.run("preview lead --file \(existing)").out.contains("assignment rule: none on an update"))

            // lytics.match_field: the preview shows the upsert and its key; check verifies the field.
            #expect(await shell.run("set lytics.match_field NoSuch__c").code == 2)
            _ = await shell.run("set lytics.match_field lytics_id__c")
            #expect(try shell.session.store.setting("lytics.match_field", scope: "demo") == "Lytics_Id__c")
            let upsert = try await shell.json("preview lead new --json")
            #expect(upsert["action"] == .string("upsert") && upsert["payload"]?["Lytics_Id__c"] == .string("new"))
            let checked = await shell.run("check lytics --json")
            let rows = try JSONValue.parse(Data(checked.out.utf8)).arrayValue ?? []
            let match = rows.first { $0["check"] == .string("lytics: Lead.Lytics_Id__c (match field)") }
            #expect(match?["status"] == .string("pass"), "\(checked.out)")
        }
        try await stopping(server, testBody)
    }
}

@Suite(.serialized) struct EstimateCommandTests {
    @Test func allotmentAndItsJSON() async throws {
        let (out, _, code) = try await Harness().run("estimate allotment --total 15001 --other 1000 --json")
        #expect(code == 0)
        #expect(try JSONValue.parse(out) == .object([("total", .int(15001)), ("other", .int(1000)),
                                                     ("per_direction", .double(7000.5)), ("setting", .int(7000))]))
        let human = try await Harness().run("estimate allotment --total 100000 --other 20000").out
        #expect(human.contains("(100000 − 20000) / 2 = 40000"))
    }

    @Test(arguments: [
        ("estimate allotment --other 5", "--total is required"),
        ("estimate allotment --total 100", "--other is required"),
        ("estimate allotment --total abc --other 1", "--total must be a whole number, not 'abc'"),
        ("estimate allotment --total 100 --other -1", "--other must not be negative"),
        ("estimate allotment --total 100 --other 100", "--other (100) must be less than --total (100)"),
        ("estimate import --leads 1 --contacts 1 --opportunities 1 --accounts 1 --calls 0", "--calls must be at least 1"),
        ("estimate import --leads 1 --contacts 1 --opportunities 1 --calls 5", "--accounts is required"),
        ("estimate import --leads x --contacts 1 --opportunities 1 --accounts 1 --calls 5", "--leads must be a whole number"),
        ("estimate import --leads 1 --contacts 1 --opportunities 1 --accounts 1 --calls 5 --latency -2", "--latency must be a number"),
        ("estimate import --leads 1 --contacts 1 --opportunities 1 --accounts 1 --calls 5 --page-size 5000", "--page-size must be from 1 to 2000"),
    ])
    func badInputIsAUsageErrorNamingTheOption(line: String, message: String) async throws {
        let (_, err, code) = try await Harness().run(line)
        #expect(code == 2)
        #expect(err.contains(message), "\(err)")
    }

    @Test func importWithTheScheduleSimulation() async throws {
        let (out, _, code) = try await Harness().run(
            "estimate import --leads 4000 --contacts 4000 --opportunities 0 --accounts 2000 --calls 5 --latency 60 --json")
        #expect(code == 0)
        let json = try JSONValue.parse(out)
        #expect(json["records"] == .int(10_000))
        #expect(json["documented_days"] == .double(2000))
        #expect(json["engine"]?["calls"] == .int(14))  // 4 describes + 4 counts + 2 + 2 + 1 (even for 0 rows) + 1 pages
        #expect(json["engine"]?["schedule"]?.arrayValue?.map { $0["calls"] } == [.int(5), .int(5), .int(4)])
        #expect((json["engine"]?["days"]?.doubleValue ?? 0) > 2)
        // Objects this small are cheaper through REST: the default import's plan is the REST one.
        #expect(json["bulk"]?["calls"] == .int(14))
        #expect(json["bulk"]?["objects"]?["Lead"]?["method"] == .string("rest"))
    }

    @Test func importShowsTheBulkPlanBesideREST() async throws {
        let (out, _, code) = try await Harness().run(
            "estimate import --leads 50000 --contacts 200000 --opportunities 5000 --accounts 20000 --calls 100000 --json")
        #expect(code == 0)
        let json = try JSONValue.parse(out)
        // REST: 4 describes + 4 counts + 25 + 100 + 3 + 10 pages.
        #expect(json["engine"]?["calls"] == .int(146))
        let bulk = try #require(json["bulk"])
        // Contact: the first page, then a job for 198,000: create + 2 polls + 8 chunks.
        #expect(bulk["objects"]?["Contact"] == JSONValue.object([
            ("method", .string("bulk")), ("pages", .int(1)), ("jobs", .int(1)), ("polls", .int(2)), ("chunks", .int(8)),
            ("calls", .int(14)),
        ]))
        #expect(bulk["objects"]?["Opportunity"]?["method"] == .string("rest"))
        #expect(bulk["objects"]?["Lead"]?["chunks"] == .int(2))
        #expect(bulk["objects"]?["Account"]?["method"] == .string("bulk"))
        // Lead 1 + 1 + 2 + 2 (+2), Contact 12 (+2), Opportunity 3 (+2), Account 1 + 1 + 2 + 1 (+2).
        #expect(bulk["calls"] == .int(8 + 14 + 5 + 7))
        // Each later run's extra passes at the default schedules (daily refresh, weekly reconciliation), read as the
        // import reads: Lead 1 + 5, Contact 1 + 11, Opportunity 3 pages, Account 1 + 4.
        let passes = try #require(json["passes"])
        #expect(passes["formula_refresh"] == .string("daily") && passes["reconcile_deletes"] == .string("weekly"))
        #expect(passes["objects"]?["Contact"] == .object([("reconcile", .int(12)), ("refresh", .int(12))]))
        #expect(passes["reconcile"] == .int(26) && passes["refresh"] == .int(26))
        #expect(passes["calls_per_week"] == .int(7 * 26 + 26 + 4), "\(passes.serialized())")
        let (text, _, _) = try await Harness().run(
            "estimate import --leads 50000 --contacts 200000 --opportunities 5000 --accounts 20000 --calls 100000")
        #expect(text.contains("Contact: 1 page + 1 job + 2 polls + 8 chunks"))
        #expect(text.contains("Opportunity: REST, 3 pages"))
        #expect(text.contains("Account: 1 page + 1 job + 2 polls + 1 chunk (+ describe, count)"))
        #expect(text.contains("delete reconciliation (weekly): 26 calls to list every Id (Lead 6, Contact 12, Opportunity 3, Account 5)"))
        #expect(text.contains("a week: at most 212 calls"))
    }

    @Test func liveNumbersComeFromTheOrgAndSayWhatTheyCost() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let before = shell.org.callLog().count
            let allotment = try await shell.json("estimate allotment --live --other 20000 --json")
            #expect(allotment["total"] == .int(100_000) && allotment["setting"] == .int(40_000))
            #expect(allotment["live_calls"] == .int(1))
            let estimate = try await shell.json("estimate import --live --calls 1000 --json")
            let config = shell.org.configuration
            #expect(estimate["records"] == .int(config.leads + config.contacts + config.opportunities + config.accounts))
            #expect(estimate["live_calls"] == .int(1))
            #expect(shell.org.callLog().count == before + 2)
        }
        try await stopping(server, testBody)
    }

    @Test func exportCountsUniqueMembersAndOutcomes() async throws {
        let harness = try Harness()
        let describe = try describeFile("Lead", in: harness)
        let file = try harness.write("p.jsonl", """
            {"id": "1", "attributes": {"email": "a@x.com", "last_name": "A", "company": "C"}, "audiences": ["vip", "active"]}
            {"id": "2", "attributes": {"email": "b@x.com", "last_name": "B", "company": "C"}, "audiences": ["active"]}
            {"id": "3", "attributes": {"email": "c@x.com", "last_name": "C"}, "audiences": ["vip"]}
            {"id": "4", "attributes": {"last_name": "D", "company": "C"}, "audiences": ["vip"]}
            {"id": "5", "attributes": {"email": "e@x.com", "last_name": "E", "company": "C"}, "audiences": ["other"]}
            """)
        let (out, err, code) = await harness.run("""
            profiles import \(file)
            set lytics.audiences vip,active
            estimate export --describe \(describe) --calls 1 --json
            """)
        #expect(code == 0, "\(err)")
        let json = try JSONValue.parse(out.split(separator: "\n").drop { !$0.hasPrefix("{") }.joined(separator: "\n"))
        #expect(json["members"] == .int(4))
        #expect(json["create"] == .int(2) && json["update"] == .int(0) && json["skip"] == .int(2))
        #expect(json["calls"] == .int(2))  // one lookup query and one collection of creates
        #expect((json["days"]?.doubleValue ?? 0) >= 1)
        let missing = await harness.run("unset lytics.max_daily_calls\nestimate export --describe \(describe)")
        #expect(missing.code == 2 && missing.err.contains("--calls is required"))
    }

    @Test func helpExplainsBothFormulas() async throws {
        let (out, _, _) = try await Harness().run("help estimate")
        #expect(out.contains("(Total Daily API Calls Allowed − Daily API Calls For Other Integrations) / 2"))
        #expect(out.contains("(Leads + Contacts + Opportunities + Accounts) / Daily API Calls for the import"))
        #expect(out.contains("slightly low"))
        #expect(out.contains("It differs because"))
    }
}

/// `check lytics`: the match field, row by row.
@Suite struct MatchFieldCheckTests {
    @Test(arguments: [
        (FieldDescribe(name: "Lytics_Id__c", label: "L", type: "string", length: 255, externalId: true, unique: true), "pass", ""),
        (FieldDescribe(name: "Lytics_Id__c", label: "L", type: "string", length: 255, externalId: false, unique: true), "fail", "not an External ID"),
        (FieldDescribe(name: "Lytics_Id__c", label: "L", type: "string", length: 255, externalId: true, unique: false), "fail", "not unique"),
        (FieldDescribe(name: "Lytics_Id__c", label: "L", type: "string", length: 255, updateable: false, externalId: true, unique: true),
         "fail", "not writable by this user (field-level security)"),
        (FieldDescribe(name: "Other__c", label: "O", type: "string"), "fail", "missing"),
    ])
    func theMatchFieldIsAUniqueWritableExternalID(field: FieldDescribe, status: String, detail: String) {
        let item = CheckCommand.matchFieldItem("Lytics_Id__c", SObjectDescribe(name: "Lead", label: "Lead", fields: [field]))
        #expect(item.status.rawValue == status)
        if status == "fail" { #expect(item.detail == detail && !item.fix.isEmpty) }
    }
}
