import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Simulator
import Store
import TestSupport
import Testing
@testable import Shell

@Suite(.serialized) struct InspectTests {
    @Test func objectsDescribeAndFieldsInEveryFormat() async throws {
        let shell = try await OrgHarness.demo(width: 80)
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let (table, _, code) = await shell.run("objects cont")
            #expect(code == 0)
            expectTranscript(table, """
                name     label    custom  queryable  key_prefix
                -------  -------  ------  ---------  ----------
                Contact  Contact  false   true       003

                """)
            let objects = try await shell.json("objects --json")
            #expect(objects.arrayValue?.count == 10)
            let csv = await shell.run("objects '*Rule' --csv").out
            #expect(csv == "name,label,custom,queryable,key_prefix\nAssignmentRule,Assignment Rule,false,true,01Q\nDuplicateRule,Duplicate Rule,false,true,0Bm\n")

            let describe = await shell.run("describe Contact")
            #expect(describe.code == 0)
            for line in describe.out.split(separator: "\n") { #expect(TerminalText.width(String(line)) <= 80) }
            #expect(describe.out.contains("LastName") && describe.out.contains("string(80)"))
            let raw = try await shell.json("describe Lead --json")
            #expect(raw["name"] == .string("Lead"))
            #expect(raw["fields"]?.arrayValue?.isEmpty == false)
            let describeCSV = await shell.run("describe Contact --csv").out
            #expect(describeCSV.hasPrefix("name,label,type,required,custom,formula,picklist_values\n"))
            #expect(describeCSV.contains("LastName,Last Name,string(80),true,false,false,\n"))
            #expect(describeCSV.contains("Segment__c,Segment,picklist(255),false,true,false,GOLD (Gold); SILVER (Silver); BRONZE (Bronze)\n"))
            #expect(describeCSV.contains("Display_Name__c,Display Name,string(1300),false,true,true,"))

            let phones = try await shell.json("fields Contact --type phone --json")
            #expect(phones.arrayValue?.map { $0["name"]?.stringValue ?? "" }.sorted()
                    == ["AssistantPhone", "Fax", "HomePhone", "MobilePhone", "OtherPhone", "Phone", "Preferred_Phone__c"])
            let dates = await shell.run("fields Contact --type date '*Date*' --csv").out
            // Date fields named like *Date*: not Anniversary__c (no match), not CreatedDate (a datetime).
            expectTranscript(dates, """
                name,label,type,required,custom,formula,picklist_values
                Birthdate,Birthdate,date,false,false,false,
                LastActivityDate,Last Activity,date,false,false,false,
                Deceased_Date__c,Deceased Date,date,false,true,false,
                Review_Date__c,Review Date,date,false,true,false,

                """)
            let unknown = await shell.run("describe Nope__c")
            #expect(unknown.code == 1)
            expectTranscript(unknown.err, """
                sfsh: error: describe Nope__c failed: NOT_FOUND: The requested resource does not exist
                  'objects' lists the sObjects you can use

                """)
        }
        try await stopping(server, testBody)
    }

    @Test func describeIsCachedAndRevalidated() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            _ = await shell.run("describe Contact")
            let calls = shell.org.callLog().count
            _ = await shell.run("fields Contact phone")  // from the cache: no call
            #expect(shell.org.callLog().count == calls)
            _ = await shell.run("describe Contact")  // revalidated: one 304
            let last = try #require(shell.org.callLog().last)
            #expect(shell.org.callLog().count == calls + 1)
            #expect(last.status == 304)
            let completion = StoreCompletionSource(store: shell.session.store, currentOrg: { "demo" })
            #expect(completion.fieldNames(of: "Contact").contains("Nickname__c"))
            #expect(completion.orgAliases() == ["demo"])
        }
        try await stopping(server, testBody)
    }

    @Test func queryPagesAndFlattens() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let first = await shell.run("SELECT Id, Name, Account.Name, Owner.Name FROM Contact --batch-size 200")
            #expect(first.code == 0)
            #expect(first.out.split(separator: "\n").count == 202)  // header, rule, 200 rows
            #expect(first.out.split(separator: "\n")[0].contains("Account.Name"))
            #expect(first.err == "200 rows\n")
            let demoContacts = shell.org.configuration.contacts
            let all = try await shell.json("query 'SELECT Id, Account.Name FROM Contact' --all --batch-size 200 --json")
            #expect(all.arrayValue?.count == demoContacts)
            #expect(Set(all.arrayValue?.compactMap { $0["Id"]?.stringValue } ?? []).count == demoContacts)
            #expect(Set(all.arrayValue?.first?.objectValue?.map(\.0) ?? []) == ["Account.Name", "Id"])
            #expect(all.arrayValue?.contains { $0["Account.Name"]?.stringValue?.isEmpty == false } == true)
            let limited = await shell.run("SELECT Id FROM Contact --limit 7 --csv")
            #expect(limited.out.split(separator: "\n").count == 8)
            #expect(limited.err.contains("7 of \(demoContacts) rows; \(demoContacts - 7) more"))
            let count = await shell.run("SELECT COUNT() FROM Contact")
            #expect(count.out.contains("\(demoContacts)"))
            let quoted = try await shell.json("SELECT Id, LastName FROM Contact WHERE LastName = 'O\\'Brien' --json")
            #expect(quoted.arrayValue?.isEmpty == false)
            #expect(quoted.arrayValue?.allSatisfy { $0["LastName"] == .string("O'Brien") } == true)
        }
        try await stopping(server, testBody)
    }

    @Test func getCountLimitsAndUsage() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let id = try #require(try await shell.json("SELECT Id FROM Contact LIMIT 1 --json").arrayValue?.first?["Id"]?.stringValue)
            let record = try await shell.json("get Contact \(id) --json")
            #expect(record["Id"] == .string(id))
            #expect(record["attributes"] == nil)
            let table = await shell.run("get Contact \(id) --fields LastName,MailingAddress")
            #expect(table.out.contains("LastName"))
            let counts = try await shell.json("count Lead Contact Account --json")
            #expect(counts.arrayValue?.map { $0["count"] } == [.int(shell.org.configuration.leads),
                                                               .int(shell.org.configuration.contacts),
                                                               .int(shell.org.configuration.accounts)])
            let limits = try await shell.json("limits --json")
            #expect(limits.arrayValue?.first?["limit"] == .string("DailyApiRequests"))
            #expect(limits.arrayValue?.first?["max"] == .int(100_000))

            // The ledger holds exactly the calls sfsim answered for this home.
            let usage = try await shell.json("usage --json")
            let logged = shell.org.callLog().count
            #expect(usage["total"] == .int(logged))
            let rows = usage["calls"]?.arrayValue ?? []
            #expect(rows.contains { $0["command"] == .string("count") && $0["calls"] == .int(3) })
            #expect(usage["latest_limit_info"]?.arrayValue?.first?["org"] == .string("demo"))
            let text = await shell.run("usage")
            #expect(text.err.contains("latest Sforce-Limit-Info for demo: api-usage="))
        }
        try await stopping(server, testBody)
    }

    @Test func errorsCarryTheCodeAndTheExitStatus() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let bad = await shell.run("SELECT Id FROM Contact WHERE")
            #expect(bad.code == 1 && bad.err.contains("MALFORMED_QUERY"))
            let field = await shell.run("SELECT Nope__c FROM Contact --json")
            #expect(field.code == 1)
            let error = try JSONValue.parse(field.err)["error"]
            #expect(error?["salesforce"]?["errorCode"] == .string("INVALID_FIELD"))
            #expect(error?["code"] == .int(1))
            let type = await shell.run("count Nope__c")
            #expect(type.code == 1 && type.err.contains("INVALID_TYPE"))

            shell.org.setDailyLimit(0)
            let limited = await shell.run("limits")
            #expect(limited.code == 4 && limited.err.contains("REQUEST_LIMIT_EXCEEDED"))
            shell.org.setDailyLimit(100_000)

            shell.org.injectFaults(script: [(.unavailable, nil), (.unavailable, nil), (.unavailable, nil)])
            let unavailable = await shell.run("limits")
            #expect(unavailable.code == 5 && unavailable.err.contains("SERVER_UNAVAILABLE"))
            #expect(unavailable.err.contains("after 3 attempts"))
            shell.org.injectFaults(script: [(.lockRow, nil), (.drop, nil)])
            #expect(await shell.run("limits").code == 0)  // retried through a locked row and a dropped connection

            await shell.session.demoServer?.stop()
            let down = await shell.run("limits")
            #expect(down.code == 5)
        }
        try await stopping(server, testBody)
    }

    @Test func checkPassesOnTheDemoOrgAndFailsEachItemElsewhere() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let (out, err, code) = await shell.run("check --json")
            #expect(code == 0, "\(err)")
            let items = try JSONValue.parse(out).arrayValue ?? []
            #expect(items.allSatisfy { $0["status"] != .string("fail") })
            #expect(items.contains { $0["check"] == .string("lytics: active Lead duplicate rule") && $0["status"] == .string("pass") })

            // Now break each thing.
            shell.org.setDuplicateRule(active: false)
            _ = await shell.run("set lytics.max_daily_calls 60000")
            _ = await shell.run("set lytics.audiences_field Bio__c")
            _ = await shell.run("set levitate.key_dates Anniversary__c")
            let base = shell.session.demoServer!.baseURL
            _ = await shell.run("login --token \(shell.org.adminAccessToken) --instance \(base) --alias bare")
            _ = await shell.run("set lytics.audiences_field Bio__c\nset lytics.max_daily_calls 60000")
            let failing = await shell.run("check --json")
            #expect(failing.code == 1)
            let failed = (try JSONValue.parse(failing.out).arrayValue ?? []).filter { $0["status"] == .string("fail") }
                .compactMap { $0["check"]?.stringValue }
            #expect(failed.contains("refresh token (offline access)"))
            #expect(failed.contains("lytics: active Lead duplicate rule"))
            #expect(failed.contains("lytics: Lead.Bio__c (audiences)"))
            #expect(failed.contains("daily API budget"))
            #expect(failing.err.contains("checks failed"))

            _ = try await shell.harness.session.execute(words: ["use", "demo"])
            #expect(shell.session.currentOrgAlias == "demo")
            let again = await shell.run("check --json")
            #expect(again.code == 1)
            #expect(try JSONValue.parse(again.out).arrayValue?.contains { $0["check"] == .string("lytics: active Lead duplicate rule") && $0["status"] == .string("fail") } == true)
        }
        try await stopping(server, testBody)
    }

    @Test func checkFailsForEditionAndPermissions() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let base = shell.session.demoServer!.baseURL
            let limitedUser = shell.org.addUser(username: "limited@sfsim.example.com", password: "x", firstName: "Lim",
                                                lastName: "Ited", apiEnabled: true, viewAllData: false)
            let token = shell.org.issueAccessToken(userID: limitedUser.id, refreshToken: nil)
            _ = await shell.run("login --token \(token) --instance \(base) --alias limited")
            let levitate = await shell.run("check levitate --json")
            let failed = (try JSONValue.parse(levitate.out).arrayValue ?? []).filter { $0["status"] == .string("fail") }
                .compactMap { $0["check"]?.stringValue }
            #expect(failed.contains("levitate: user sees all contacts"))
            let noAPI = shell.org.addUser(username: "noapi@sfsim.example.com", password: "x", firstName: "No", lastName: "Api",
                                          apiEnabled: false, viewAllData: true)
            let noAPIToken = shell.org.issueAccessToken(userID: noAPI.id, refreshToken: nil)
            _ = await shell.run("login --token \(noAPIToken) --instance \(base) --alias noapi")
            #expect(shell.session.currentOrgAlias == "noapi")
            let noAPICheck = await shell.run("check --json")
            #expect(noAPICheck.code == 1, "\(noAPICheck.err)")
            let noAPIItems = try JSONValue.parse(noAPICheck.out).arrayValue ?? []
            func status(_ name: String, in items: [JSONValue]) -> String? {
                items.first { $0["check"] == .string(name) }?["status"]?.stringValue
            }
            #expect(status("user has API Enabled", in: noAPIItems) == "fail")
            #expect(status("daily API budget", in: noAPIItems) == "unknown")

            // An edition without API access (Professional without the add-on) fails the edition item.
            var configuration = OrgConfiguration()
            configuration.inMemory = true
            configuration.edition = "Professional Edition"
            configuration.contacts = 5
            let professional = try await SimServer.start(org: try Org(configuration: configuration))
            // Stopped when the body ends, and waited for, however it ends.
            func testBody() async throws {
                _ = await shell.run("login --token \(professional.org.adminAccessToken) --instance \(professional.baseURL) --alias pro")
                let proCheck = await shell.run("check --json")
                #expect(proCheck.code == 1, "\(proCheck.err)")
                let proItems = try JSONValue.parse(proCheck.out).arrayValue ?? []
                #expect(status("edition has API access", in: proItems) == "fail")
                #expect(proItems.first { $0["check"] == .string("edition has API access") }?["fix"]?.stringValue?.contains("API add-on") == true)
            }
            try await stopping(professional, testBody)
        }
        try await stopping(server, testBody)
    }
}
