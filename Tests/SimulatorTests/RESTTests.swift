import Salesforce
import Foundation
import JSON
import TestSupport
import Testing
@testable import Simulator

@Suite struct DescribeAndQueryTests {
    @Test func versionsNeedNoTokenAndCostNothing() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let versions = try await sim.call("GET", "/services/data", token: "")
            #expect(versions.status == 200)
            #expect(versions.json.arrayValue?.contains { $0["version"] == .string("59.0") } == true)
            #expect(versions.header("Sforce-Limit-Info") == nil)
            let badVersion = try await sim.call("GET", "/services/data/viAmABadVersion/limits")
            #expect(badVersion.status == 404 && badVersion.errorCode == "NOT_FOUND")
        }
        try await stopping(sim, testBody)
    }

    @Test func describesWithRevalidation() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let global = try await sim.call("GET", "sobjects")
            #expect(global.json["maxBatchSize"] == .int(200))
            let names = global.json["sobjects"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(Set(["Account", "Contact", "Lead", "Opportunity", "User", "Organization", "UserPermissionAccess",
                         "DuplicateRule", "Note"]).isSubset(of: Set(names)))
            let contact = try await sim.call("GET", "sobjects/Contact/describe")
            #expect(contact.status == 200)
            let fields = contact.json["fields"]?.arrayValue ?? []
            func field(_ name: String) -> JSONValue? { fields.first { $0["name"] == .string(name) } }
            #expect(field("LastName")?["nillable"] == .bool(false))
            #expect(field("Phone")?["type"] == .string("phone"))
            #expect(field("Interests__c")?["type"] == .string("multipicklist"))
            #expect(field("Display_Name__c")?["calculated"] == .bool(true))
            #expect(field("MailingCity")?["compoundFieldName"] == .string("MailingAddress"))
            #expect(field("Segment__c")?["picklistValues"]?.arrayValue?.first?["label"] == .string("Gold"))
            let lead = try await sim.call("GET", "sobjects/Lead/describe")
            let audiences = lead.json["fields"]?.arrayValue?.first { $0["name"] == .string("Lytics_Audiences__c") }
            #expect(audiences?["type"] == .string("textarea") && audiences?["length"] == .int(32768))

            let lastModified = try #require(contact.header("Last-Modified"))
            let notModified = try await sim.call("GET", "sobjects/Contact/describe",
                                                 headers: [("If-Modified-Since", lastModified)])
            #expect(notModified.status == 304)
            let unknown = try await sim.call("GET", "sobjects/Nope__c/describe")
            #expect(unknown.status == 404 && unknown.errorCode == "NOT_FOUND")
        }
        try await stopping(sim, testBody)
    }

    @Test func pagesCarryTotalSizeAndEndWithoutALocator() async throws {
        let sim = try await SimHarness.start { $0.contacts = 1234 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            var page = try await sim.query("SELECT Id, Name FROM Contact", batchSize: 500)
            var seen = Set<String>()
            var pages = 0
            while true {
                pages += 1
                #expect(page.json["totalSize"] == .int(1234))
                for record in page.json.records { seen.insert(record["Id"]?.stringValue ?? "") }
                guard let next = page.json["nextRecordsUrl"]?.stringValue else {
                    #expect(page.json["done"] == .bool(true))
                    break
                }
                #expect(page.json["done"] == .bool(false))
                #expect(next.hasPrefix("/services/data/v59.0/query/01g"))
                #expect(!next.split(separator: "/").last!.contains("/"))
                page = try await sim.call("GET", next)
            }
            #expect(pages == 3)
            #expect(seen.count == 1234)
            let expired = try await sim.call("GET", "query/01gNOPE-500")
            #expect(expired.status == 400 && expired.errorCode == "INVALID_QUERY_LOCATOR")
        }
        try await stopping(sim, testBody)
    }

    @Test func defaultPageIs2000AndLimitsCount() async throws {
        let sim = try await SimHarness.start { $0.contacts = 2500 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let first = try await sim.query("SELECT Id FROM Contact")
            #expect(first.json.records.count == 2000)
            let limited = try await sim.query("SELECT Id FROM Contact ORDER BY LastName LIMIT 2100 OFFSET 10")
            #expect(limited.json["totalSize"] == .int(2100))
            let second = try await sim.call("GET", try #require(limited.json["nextRecordsUrl"]?.stringValue))
            #expect(second.json.records.count == 100)
            #expect(second.json["nextRecordsUrl"] == nil)
            let count = try await sim.query("SELECT COUNT() FROM Contact")
            #expect(count.json["totalSize"] == .int(2500))
            #expect(count.json.records.isEmpty)
        }
        try await stopping(sim, testBody)
    }

    @Test func parentPathsNestWithAttributes() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let answer = try await sim.query("SELECT Id, Account.Name, Account.Owner.Name, Owner.Name FROM Contact")
            let records = answer.json.records
            let withAccount = try #require(records.first { $0["Account"] != .null })
            #expect(withAccount["attributes"]?["type"] == .string("Contact"))
            #expect(withAccount["Account"]?["attributes"]?["type"] == .string("Account"))
            #expect(withAccount["Account"]?["Name"]?.stringValue?.isEmpty == false)
            #expect(withAccount["Account"]?["Owner"]?["attributes"]?["type"] == .string("User"))
            #expect(withAccount["Owner"]?["Name"]?.stringValue?.isEmpty == false)
            #expect(records.contains { $0["Account"] == .null })
            // On the wire, keys come in SELECT order after attributes.
            let text = String(decoding: answer.headers.body, as: UTF8.self)
            #expect(text.hasPrefix(#"{"totalSize":"#))
            #expect(text.contains(#"{"attributes":{"type":"Contact","url":"/services/data/v59.0/sobjects/Contact/"#))
            let first = try #require(text.range(of: #""records":[{"attributes""#))
            let id = try #require(text.range(of: #""Id":""#, range: first.upperBound..<text.endIndex))
            let account = try #require(text.range(of: #""Account":"#, range: first.upperBound..<text.endIndex))
            #expect(id.lowerBound < account.lowerBound)
        }
        try await stopping(sim, testBody)
    }

    @Test func whereClauses() async throws {
        let sim = try await SimHarness.start { $0.contacts = 400 }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            func count(_ condition: String, all: Bool = false) async throws -> Int {
                let answer = try await sim.query("SELECT COUNT() FROM Contact WHERE \(condition)", all: all)
                #expect(answer.status == 200, "\(condition): \(answer.json.serialized())")
                return answer.json["totalSize"]?.intValue ?? -1
            }
            let total = try await count("Id != null")
            #expect(total == 400)
            let gold = try await count("Segment__c = 'GOLD'")
            let goldLower = try await count("Segment__c = 'gold'")
            #expect(gold > 0 && gold == goldLower)
            let notGold = try await count("Segment__c != 'GOLD'")
            #expect(gold + notGold == total)
            let inList = try await count("Segment__c IN ('GOLD', 'SILVER')")
            let notIn = try await count("Segment__c NOT IN ('GOLD', 'SILVER')")
            #expect(inList + notIn == total)
            let golf = try await count("Interests__c INCLUDES ('Golf')")
            let noGolf = try await count("Interests__c EXCLUDES ('Golf')")
            #expect(golf > 0 && golf + noGolf == total)
            let golfAndWine = try await count("Interests__c INCLUDES ('Golf;Wine')")
            #expect(golfAndWine <= golf)
            let like = try await count("Email LIKE '%@example.com'")
            #expect(like > 0 && like < total)
            let noEmail = try await count("Email = null")
            let hasEmail = try await count("Email != null")
            #expect(noEmail + hasEmail == total)
            let deceased = try await count("Deceased__c = true")
            let alive = try await count("NOT Deceased__c = true")
            #expect(deceased + alive == total)
            let both = try await count("(Segment__c = 'GOLD' OR Segment__c = 'SILVER') AND Deceased__c = false")
            #expect(both <= inList)
            let recent = try await count("CreatedDate = LAST_N_DAYS:365")
            #expect(recent > 0 && recent < total)
            let past = try await count("CreatedDate < 2100-01-01T00:00:00Z")
            #expect(past == total)
            let born = try await count("Birthdate > 1900-01-01")
            #expect(born > 0)
            let today = try await count("CreatedDate > TODAY")
            #expect(today == 0)

            let ordered = try await sim.query("SELECT LastName FROM Contact WHERE LastName != null ORDER BY LastName ASC LIMIT 50")
            let names = ordered.json.records.compactMap { $0["LastName"]?.stringValue }
            #expect(names == names.sorted { $0.lowercased() <= $1.lowercased() })
        }
        try await stopping(sim, testBody)
    }

    @Test func queryErrorsAreSalesforces() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let malformed = try await sim.query("SELEKT Name FROM Account")
            #expect(malformed.status == 400 && malformed.errorCode == "MALFORMED_QUERY")
            #expect(malformed.message == "unexpected token: SELEKT")
            let field = try await sim.query("SELECT Bacon__c FROM Account LIMIT 2")
            #expect(field.status == 400 && field.errorCode == "INVALID_FIELD")
            #expect(field.message?.hasPrefix("\nSELECT Bacon__c FROM Account LIMIT 2\n       ^\nERROR at Row:1:Column:8\nNo such column 'Bacon__c' on entity 'Account'.") == true)
            let type = try await sim.query("select count() from XYZZY")
            #expect(type.errorCode == "INVALID_TYPE")
            #expect(type.message?.contains("ERROR at Row:1:Column:21\nsObject type 'XYZZY' is not supported.") == true)
            let relationship = try await sim.query("SELECT Nope.Name FROM Contact")
            #expect(relationship.errorCode == "INVALID_FIELD")
            let wrongType = try await sim.query("SELECT Id FROM Contact WHERE Deceased__c = 'yes'")
            #expect(wrongType.errorCode == "MALFORMED_QUERY")
            let missing = try await sim.call("GET", "query")
            #expect(missing.status == 400)
        }
        try await stopping(sim, testBody)
    }

    @Test func permissionsOrgAndRules() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let permissions = try await sim.query("SELECT PermissionsApiEnabled, PermissionsViewAllData FROM UserPermissionAccess")
            #expect(permissions.json["totalSize"] == .int(1))
            #expect(permissions.json.records.first?["PermissionsViewAllData"] == .bool(true))
            let organization = try await sim.query("SELECT Id, Name, OrganizationType, IsSandbox FROM Organization")
            #expect(organization.json.records.first?["OrganizationType"] == .string("Enterprise Edition"))
            let rules = try await sim.query("SELECT DeveloperName, IsActive FROM DuplicateRule WHERE SobjectType = 'Lead'")
            #expect(rules.json.records.first?["IsActive"] == .bool(true))
            sim.org.setDuplicateRule(active: false)
            let off = try await sim.query("SELECT DeveloperName, IsActive FROM DuplicateRule WHERE SobjectType = 'Lead'")
            #expect(off.json.records.first?["IsActive"] == .bool(false))
        }
        try await stopping(sim, testBody)
    }

    @Test func usersWithoutViewAllDataOrApiAccess() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let limited = try await sim.call("POST", "/_sfsim/users", json: .object([
                ("username", .string("limited@sfsim.example.com")), ("view_all_data", .bool(false)),
            ]))
            let token = try #require(limited.json["access_token"]?.stringValue)
            let mine = try await sim.query("SELECT COUNT() FROM Contact", token: token)
            #expect(mine.json["totalSize"] == .int(0))
            let permissions = try await sim.query("SELECT PermissionsViewAllData FROM UserPermissionAccess", token: token)
            #expect(permissions.json.records.first?["PermissionsViewAllData"] == .bool(false))
            let noAPI = try await sim.call("POST", "/_sfsim/users", json: .object([
                ("username", .string("noapi@sfsim.example.com")), ("api_enabled", .bool(false)),
            ]))
            let refused = try await sim.call("GET", "limits", token: noAPI.json["access_token"]?.stringValue)
            #expect(refused.status == 403 && refused.errorCode == "API_CURRENTLY_DISABLED")
        }
        try await stopping(sim, testBody)
    }

    @Test func professionalEditionWithoutTheAddOn() async throws {
        let sim = try await SimHarness.start { $0.edition = "Professional Edition" }
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let refused = try await sim.call("GET", "limits")
            #expect(refused.status == 403 && refused.errorCode == "API_DISABLED_FOR_ORG")
        }
        try await stopping(sim, testBody)
    }
}
