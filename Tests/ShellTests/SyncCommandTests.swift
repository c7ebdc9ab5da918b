import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Simulator
import Store
import SyncRules
import TestSupport
import Testing
@testable import Shell

/// `sync import`, `sync status`, `runs`, `imported`, `local` through the shell, against the demo org.
@Suite(.serialized) struct SyncCommandTests {
    /// The keys of a parsed JSON object, sorted (parsing does not keep their order).
    func keys(_ value: JSONValue?) -> [String] { (value?.objectValue?.map(\.0) ?? []).sorted() }

    @Test func importPrintsTheDocumentedShapesAndStatusFollows() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let report = try await shell.json("sync import --json")
            #expect(keys(report) == ["calls", "job", "objects", "org", "paused_until", "planned_calls", "run", "status"])
            #expect(report["job"] == .string("import") && report["org"] == .string("demo") && report["status"] == .string("succeeded"))
            #expect(report["paused_until"] == .null)
            #expect(keys(report["objects"]) == ["Account", "Contact", "Lead", "Opportunity"])
            #expect(keys(report["objects"]?["Contact"]) == ["calls", "created", "deleted", "method", "read", "refreshed", "updated"])
            #expect(report["objects"]?["Contact"]?["method"] == .string("rest"))
            #expect(report["objects"]?["Contact"]?["created"] == .int(200))
            #expect(report["calls"] == report["planned_calls"])

            let status = try await shell.json("sync status --json")
            let importStatus = try #require(status.arrayValue?.first)
            #expect(keys(importStatus) == ["budget", "calls_24h", "job", "last_run", "next_run_at", "org", "paused_until", "state"])
            #expect(importStatus["state"] == .string("idle"))
            #expect(importStatus["calls_24h"] == report["calls"])
            #expect(importStatus["budget"] == .null)
            #expect(importStatus["last_run"]?["id"] == report["run"])

            let runs = try await shell.json("runs --json")
            let run = try #require(runs.arrayValue?.first)
            #expect(keys(run) == ["calls", "created", "deleted", "failed", "finished_at", "id", "job", "org", "planned_calls", "read", "skipped", "started_at", "status", "updated"])
            #expect(run["id"] == report["run"] && run["read"] == .int(550) && run["skipped"] == .object([]))

            let imported = try await shell.json("imported --json")
            #expect(keys(imported) == ["Account", "Contact", "Lead", "Opportunity"])
            #expect(keys(imported["Lead"]) == ["cursor", "deleted", "last_run", "records"])
            #expect(imported["Account"]?["records"] == .int(50))

            let shown = await shell.run("runs show \(report["run"]!.intValue!)")
            #expect(shown.code == 0)
            expectTranscript(shown.out, """
                run 1: import of demo, succeeded
                started {…}Z, finished {…}Z ({…} s)
                calls: 8 made, 8 planned
                object       via   read  created  updated  deleted  planned  calls  done
                -----------  ----  ----  -------  -------  -------  -------  -----  ----
                Lead         rest  200   200      0        0        2        2      yes
                Contact      rest  200   200      0        0        2        2      yes
                Opportunity  rest  100   100      0        0        2        2      yes
                Account      rest  50    50       0        0        2        2      yes

                """)

            // One record in its combined view, and SQL over the local views.
            let contactID = try #require(try await shell.json("local 'SELECT Id FROM contact_combined WHERE \"Account.Name\" IS NOT NULL LIMIT 1' --json")
                .arrayValue?.first?["Id"]?.stringValue)
            let record = try await shell.json("imported Contact \(contactID) --json")
            #expect(record["Id"] == .string(contactID))
            #expect(record["Account"]?["Name"]?.stringValue?.isEmpty == false)
            let count = await shell.run("local 'SELECT COUNT(*) AS n FROM Lead' --csv")
            #expect(count.out == "n\n200\n")
            let opportunity = try await shell.json("local 'SELECT \"Account.Contacts\" AS c FROM opportunity_combined WHERE AccountId IS NOT NULL LIMIT 1' --json")
            #expect(opportunity.arrayValue?.first?["c"]?.stringValue?.hasPrefix("[") == true)

            // No progress line in scripts.
            let quiet = await shell.run("sync import")
            // No progress line (nor anything else) on stderr in scripts.
            expectTranscript(quiet.err, "")
            // Incremental: nothing new, and each object spent what it planned.
            expectTranscript(quiet.out, """
                object       via   read  created  updated  deleted  planned  calls
                -----------  ----  ----  -------  -------  -------  -------  -----
                Lead         rest  0     0        0        0        3        3
                Contact      rest  0     0        0        0        3        3
                Opportunity  rest  0     0        0        0        3        3
                Account      rest  0     0        0        0        3        3
                run 2 succeeded: 12 calls (planned 12)

                """)
        }
        try await stopping(server, testBody)
    }

    @Test func localRefusesWrites() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            _ = await shell.run("sync import")
            for statement in ["DELETE FROM local_record", "SELECT 1; DELETE FROM local_record", "DROP VIEW Contact",
                              "PRAGMA query_only = OFF", "INSERT INTO setting VALUES ('a', 'b', 'c')"] {
                let result = await shell.run("local \"\(statement)\"")
                #expect(result.code == 2, "\(statement): \(result.err)")
            }
            #expect(try await shell.json("local 'SELECT COUNT(*) AS n FROM Contact' --json").arrayValue?.first?["n"] == .int(200))
            let bad = await shell.run("local 'SELEC nonsense'")
            #expect(bad.code == 2 && bad.err.contains("syntax error"))
        }
        try await stopping(server, testBody)
    }

    @Test func aBudgetPauseExitsFourAndRefusesUntilForced() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            _ = await shell.run("set lytics.import_max_daily_calls 3")
            let paused = await shell.run("sync import --json")
            #expect(paused.code == 4)
            let report = try JSONValue.parse(paused.out)
            #expect(report["status"] == .string("paused"))
            #expect(report["calls"] == .int(3))
            #expect(report["paused_until"]?.stringValue != nil)
            expectTranscript(paused.err, """
                {"error":{"code":4,"kind":"limit","message":"the import of demo paused until {…}Z: the budget of 3 calls in 24 h is spent (lytics.import_max_daily_calls)","hint":"it goes on from its checkpoint on the next 'sync import' after that (or now with --force)","salesforce":null}}

                """)

            let again = await shell.run("sync import")
            #expect(again.code == 4)
            expectTranscript(again.err, """
                sfsh: error: the import of demo is paused until {…}Z: the budget of 3 calls in 24 h is spent (lytics.import_max_daily_calls)
                  it resumes from its checkpoint then; add --force to run it now anyway

                """)
            let status = try await shell.json("sync status --json")
            #expect(status.arrayValue?.first?["state"] == .string("paused"))
            #expect(status.arrayValue?.first?["budget"] == .int(3))
            #expect(status.arrayValue?.first?["calls_24h"] == .int(3))

            // Raising the budget and forcing resumes from the checkpoints.
            _ = await shell.run("set lytics.import_max_daily_calls 100")
            let forced = await shell.run("sync import --force --json")
            #expect(forced.code == 0, "\(forced.err)")
            let done = try JSONValue.parse(forced.out)
            #expect(done["status"] == .string("succeeded"))
            let imported = try await shell.json("imported --json")
            #expect(imported["Contact"]?["records"] == .int(200) && imported["Lead"]?["records"] == .int(200))
        }
        try await stopping(server, testBody)
    }

    @Test func theRetiredBudgetKeyIsTheDefaultOfBothAndSaidOnce() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            _ = await shell.run("set lytics.max_daily_calls 5000")
            let first = await shell.run("sync import")
            #expect(first.code == 0)
            #expect(first.err.contains("lytics.max_daily_calls (5000) is the default of both"))
            let status = try await shell.json("sync status --json")
            #expect(status.arrayValue?.first?["budget"] == .int(5000))
            let second = await shell.run("sync import")
            #expect(!second.err.contains("is the default of both"))
        }
        try await stopping(server, testBody)
    }

    @Test func unreachableSalesforceExitsFiveAndTheRunIsFailed() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            // Every call is dropped: retried, then given up on.
            shell.org.injectFaults(rate: 1.0, kinds: [.drop])
            let result = await shell.run("sync import --json")
            shell.org.injectFaults()
            #expect(result.code == 5, "\(result.err)")
            #expect(result.err.contains("after 3 attempts"))
            let report = try JSONValue.parse(result.out)
            #expect(report["status"] == .string("failed"))
            let runs = try await shell.json("runs --json")
            #expect(runs.arrayValue?.first?["status"] == .string("failed"))
            // The next run starts where this one stopped and finishes.
            let again = try await shell.json("sync import --json")
            #expect(again["status"] == .string("succeeded"))
            #expect(again["objects"]?["Lead"]?["created"] == .int(200))
        }
        try await stopping(server, testBody)
    }

    @Test func dryRunAndUsageErrors() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let plan = try await shell.json("sync import --dry-run --json")
            #expect(plan["dry_run"] == .bool(true) && plan["calls"] == .int(4) && plan["planned_calls"] == .int(8))
            #expect(plan["objects"]?["Contact"]?["records"] == .int(200))
            #expect(try await shell.json("imported --json")["Contact"]?["records"] == .int(0))
            #expect(await shell.run("sync import --objects Case").code == 2)
            #expect(await shell.run("sync import --batch-size 10").code == 2)
            #expect(await shell.run("runs show 999").code == 2)
            #expect(await shell.run("runs abc").code == 2)
            #expect(await shell.run("imported Contact").code == 2)
            #expect(await shell.run("imported Contact 003000000000000AAA").code == 1)
            #expect(await shell.run("sync nothing").code == 2)
        }
        try await stopping(server, testBody)
    }

    /// Issue 23 §6: a combined record never repeats a key (sfsh's deleted flag is kept apart from the record's own
    /// IsDeleted), and a contact deleted in Salesforce is archived in `contacts`, `contacts --json` and `contacts show`.
    @Test func localViewsNeverRepeatAKeyAndArchivedHasOneSource() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        func testBody() async throws {
            #expect(await shell.run("sync import --objects Account,Contact").code == 0)
            _ = await shell.run("sync contacts")
            let listed = try await shell.json("contacts --json --limit 1")
            let id = try #require(listed.arrayValue?.first?["id"]?.stringValue)
            let client = try shell.session.client(for: try shell.session.currentOrg())
            _ = try await client.send("DELETE", "sobjects/Contact/\(id)", idempotent: false)
            #expect(await shell.run("sync import --objects Contact").code == 0)
            _ = await shell.run("sync contacts")

            // The parser would fold a repeated key: the printed text is read for the top level's keys.
            let raw = await shell.run("imported Contact \(id) --json").out
            let names = raw.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("  \""), !line.hasPrefix("   ") else { return nil }
                return line.dropFirst(3).split(separator: "\"", maxSplits: 1).first.map(String.init)
            }
            #expect(names.count > 10 && names.count == Set(names).count, "\(names)")
            #expect(names.contains("IsDeleted"))
            let combined = try await shell.json("imported Contact \(id) --json")
            #expect(combined["sfsh"]?["deleted"] == .bool(true))
            #expect(combined["Id"] == .string(id))

            let archivedInList = try await shell.json("contacts \(id) --json").arrayValue?.first?["archived"]
            let shown = try await shell.json("contacts show \(id) --json")
            #expect(archivedInList == .bool(true) && shown["archived"] == .bool(true), "\(shown)")
            let table = await shell.run("contacts \(id) --csv")
            #expect(table.out.contains("true"), "\(table.out)")
        }
        try await stopping(server, testBody)
    }

    @Test func contactsWritebackAndExportPrintTheDocumentedShapes() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            _ = await shell.run("set levitate.deceased_field Deceased__c")
            let pulled = try await shell.json("sync contacts --json")
            #expect(keys(pulled) == ["archived", "calls", "created", "job", "org", "paused_until", "read", "removed", "run", "status",
                                     "unmapped_owners", "updated"])
            #expect(pulled["job"] == .string("contacts") && pulled["status"] == .string("succeeded"))
            #expect(pulled["read"] == .int(200) && pulled["created"] == .int(200))
            #expect((pulled["unmapped_owners"]?.arrayValue ?? []).contains(.string("Avery Admin")))

            // contacts show and preview contact agree: the same object, plus id and synced_at.
            let listed = try await shell.json("contacts --json --limit 5")
            let first = try #require(listed.arrayValue?.first)
            let id = try #require(first["id"]?.stringValue)
            let shown = try await shell.json("contacts show \(id) --json")
            #expect(shown == first)
            let preview = try await shell.json("preview contact \(id) --json")
            var stripped = shown.objectValue ?? []
            stripped.removeAll { $0.0 == "id" || $0.0 == "synced_at" }
            #expect(JSONValue.object(stripped) == preview)
            #expect(shown["synced_at"]?.stringValue?.hasSuffix("Z") == true)

            // An activity logged by name is written back once, as a Note.
            let name = [first["first_name"]?.stringValue, first["last_name"]?.stringValue].compactMap { $0 }.joined(separator: " ")
            let logged = await shell.run("log call '\(name)' Talked about the renewal --subject Renewal")
            #expect(logged.code == 0, "\(logged.err)")
            let ambiguous = await shell.run("log note Nobody-At-All hello")
            #expect(ambiguous.code == 2 && ambiguous.err.contains("not the Id or the name"))
            let written = try await shell.json("sync writeback --json")
            #expect(keys(written) == ["calls", "created", "failed", "job", "org", "paused_until", "run", "skipped", "status"])
            #expect(written["created"] == .int(1) && written["failed"] == .int(0))
            let activities = try await shell.json("activities --json")
            let activity = try #require(activities.arrayValue?.first)
            #expect(activity["state"] == .string("written"))
            let noteID = try #require(activity["note_id"]?.stringValue)
            let note = try await shell.json("get Note \(noteID) --json")
            #expect(note["Title"] == .string("Call: Renewal") && note["Body"] == .string("Talked about the renewal"))
            #expect(note["ParentId"] == .string(id))
            let again = try await shell.json("sync writeback --json")
            #expect(again["created"] == .int(0) && again["calls"] == .int(0))

            let status = try await shell.json("sync status --json")
            #expect(status.arrayValue?.compactMap { $0["job"]?.stringValue } == ["import", "export", "contacts", "writeback"])

            // The export: its JSON shape, and a usage error without audiences.
            let none = await shell.run("sync export")
            #expect(none.code == 2 && none.err.contains("lytics.audiences"))

            // A profile that fails lytics.max_attempts times in a row is parked, listed and released.
            let profiles = try shell.harness.write("parked.jsonl", """
                {"id": "good", "attributes": {"email": "good@parked.test", "last_name": "Good", "company": "G", "clean": "Matched"}, "audiences": ["vip"]}
                {"id": "bad", "attributes": {"email": "bad@parked.test", "last_name": "Bad", "company": "B", "clean": "Bogus"}, "audiences": ["vip"]}
                """)
            _ = await shell.run("profiles import \(profiles)\nset lytics.audiences vip\nset lytics.more_fields clean=CleanStatus\nset lytics.max_attempts 1")
            let exported = try await shell.json("sync export --json")
            #expect(keys(exported) == ["calls", "created", "failed", "job", "method", "org", "parked", "paused_until", "planned_calls", "run",
                                       "skipped", "status", "unchanged", "updated"])
            #expect(exported["method"] == .string("rest"))
            #expect(exported["failed"] == .int(1) && exported["parked"] == .int(1))
            let parked = try await shell.json("exports --parked --json")
            #expect(parked.arrayValue?.map { $0["profile"] } == [.string("bad")])
            #expect(parked.arrayValue?.first?["attempts"] == .int(1) && parked.arrayValue?.first?["outcome"] == .string("parked"))
            #expect(await shell.run("sync export").out.contains("1 parked profile is not sent until 'exports retry'"))
            #expect(await shell.run("exports retry").code == 2)
            #expect(await shell.run("exports retry nobody").err.contains("no parked profile 'nobody'"))
            let released = try await shell.json("exports retry --all --json")
            #expect(released["released"] == .array([.string("bad")]))
            #expect(try await shell.json("exports --parked --json").arrayValue?.isEmpty == true)
            #expect(try await shell.json("exports bad --json").arrayValue?.first?["outcome"] == .string("failed"))
        }
        try await stopping(server, testBody)
    }

    /// Issue 19: `estimate export` and `sync export --dry-run` count the export's calls by one rule, and the run
    /// spends what they said (3,000 new profiles: the estimate said 30 calls, the dry run planned 3).
    @Test(arguments: [true, false])
    func theEstimateTheDryRunAndTheRunAgreeOnTheExportsCalls(composite: Bool) async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let lines = (0..<3000).map { number in
                #"{"id": "q\#(String(format: "%05d", number))", "attributes": {"email": "someone.new\#(number)@example.com", "last_name": "N\#(number)", "company": "C"}, "audiences": ["vip"]}"#
            }
            let file = try shell.harness.write("audience.jsonl", lines.joined(separator: "\n"))
            #expect(await shell.run("profiles import \(file)\nset lytics.audiences vip").code == 0)
            // Without composite, ingest jobs cost fewer calls than 15 collections: both say so unless told --rest.
            if !composite {
                let auto = try await shell.json("estimate export --calls 100000 --no-composite --json")
                let autoPlan = try await shell.json("sync export --dry-run --no-composite --json")
                #expect(auto["method"] == .string("bulk") && autoPlan["method"] == .string("bulk"), "\(auto) \(autoPlan)")
                #expect(auto["calls"] == .int(11 + ExportCalls.ingestJobCalls))
            }
            let flag = composite ? "" : " --no-composite --rest"
            let estimate = try await shell.json("estimate export --calls 100000\(flag) --json")
            let plan = try await shell.json("sync export --dry-run\(flag) --json")
            #expect(estimate["create"] == .int(3000) && plan["create"] == .int(3000))
            #expect(estimate["calls"] == plan["planned_calls"], "estimate \(estimate), dry run \(plan)")
            // With composite: one lookup call (the 3,000 emails in two queries) and three of five collections each;
            // without: 11 lookup queries in their URLs and 15 collections.
            #expect(estimate["calls"] == .int(composite ? 4 : 26), "\(plan)")
            let run = try await shell.json("sync export\(flag) --json")
            #expect(run["created"] == .int(3000))
            // The run also describes Lead (cached by the dry run) and reads nothing else.
            #expect(run["calls"] == plan["planned_calls"], "run \(run), dry run \(plan)")
        }
        try await stopping(server, testBody)
    }

    @Test func schedulesAndTheirLyticsViewsStayInStep() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let set = try await shell.json("schedule import keep-updated --json")
            #expect(set["schedule"] == .string("keep-updated") && set["job"] == .string("import"))
            #expect(try await shell.json("set lytics.keep_updated --json")["value"] == .string("on"))
            #expect(try await shell.json("set lytics.run_hourly --json")["value"] == .string("off"))
            #expect(await shell.run("set lytics.run_hourly on").code == 0)
            var all = try await shell.json("schedule --json")
            let imports = try #require(all.arrayValue?.first { $0["job"] == .string("import") })
            #expect(imports["schedule"] == .string("hourly") && imports["next_run_at"] != .null)
            let fields = Set((imports.objectValue ?? []).map(\.0))
            #expect(fields.isSuperset(of: ["org", "job", "schedule", "state", "last_run", "next_run_at", "calls_24h", "budget"]))
            #expect(await shell.run("set lytics.keep_updated off").code == 0)
            all = try await shell.json("schedule --json")
            #expect(all.arrayValue?.first { $0["job"] == .string("import") }?["schedule"] == .string("hourly"))
            #expect(all.arrayValue?.first { $0["job"] == .string("export") }?["schedule"] == .string("off"))
            let refused = await shell.run("schedule export hourly")
            #expect(refused.code == 2 && refused.err.contains("keep-updated, off"))
            #expect(await shell.run("schedule contacts every-12h").code == 0)
            #expect(try await shell.json("set schedule.contacts --json")["value"] == .string("every-12h"))
        }
        try await stopping(server, testBody)
    }
}
