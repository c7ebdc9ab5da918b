import SalesforceModel
import Foundation
import JSON
import Salesforce
import TestSupport
import Testing
@testable import Simulator

/// Input that once crashed sfsim (and `sfsh --demo`, which runs it in process):
/// each is now Salesforce's error, or a usage error of the control.
@Suite struct HostileInputTests {
    @Test(arguments: [
        "SELECT Id FROM Contact WHERE CreatedDate = NEXT_N_DAYS:9223372036854775807",
        "SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS:840001",
        "SELECT Id FROM Contact WHERE CreatedDate = NEXT_N_MONTHS:9999999",
        "SELECT Id FROM Contact WHERE CreatedDate = N_DAYS_AGO:99999999999999999999",
    ])
    func hugeDateLiteralsAreMalformedQueries(soql: String) {
        let error = #expect(throws: SOQLError.self) { try SOQLParser.parse(soql) }
        #expect(error?.code == "MALFORMED_QUERY")
    }

    @Test func theLargestDateLiteralsStillWork() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            for literal in ["LAST_N_DAYS:840000", "NEXT_N_DAYS:840000", "N_DAYS_AGO:840000", "NEXT_N_MONTHS:27600", "LAST_N_MONTHS:27600"] {
                let answer = try await sim.call("GET", "query?q=" + "SELECT COUNT() FROM Contact WHERE CreatedDate = \(literal)"
                    .addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
                #expect(answer.status == 200, "\(literal): \(answer.json.serialized())")
            }
        }
        try await stopping(sim, testBody)
    }

    @Test func deepNestingAndLongStatementsAreRefusedNotRecursedInto() {
        let deep = "SELECT Id FROM Lead WHERE " + String(repeating: "(", count: 50_000) + "Name = 'x'" + String(repeating: ")", count: 50_000)
        let error = #expect(throws: SOQLError.self) { try SOQLParser.parse(deep) }
        #expect(error?.message == "SOQL statements can not be longer than 100000 characters")
        let nested = "SELECT Id FROM Lead WHERE " + String(repeating: "NOT (", count: 200) + "Name = 'x'" + String(repeating: ")", count: 200)
        let nestedError = #expect(throws: SOQLError.self) { try SOQLParser.parse(nested) }
        #expect(nestedError?.code == "MALFORMED_QUERY")
        #expect(nestedError?.message.contains("nest deeper than 100 levels") == true)
    }

    @Test func longChainsParseIntoShallowTrees() async throws {
        let chain = (0..<3000).map { "Name != 'n\($0)'" }.joined(separator: " AND ")
        let query = try SOQLParser.parse("SELECT Id FROM Lead WHERE \(chain)")
        func depth(_ condition: SOQLCondition?) -> Int {
            switch condition {
            case let .and(a, b)?, let .or(a, b)?: 1 + max(depth(a), depth(b))
            case let .not(inner)?: 1 + depth(inner)
            default: 0
            }
        }
        #expect(depth(query.condition) <= 13)
        // And the org answers it (the SQL is as shallow).
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let short = (0..<600).map { "Name != 'n\($0)'" }.joined(separator: " AND ")
            let answer = try await sim.call("GET", "query?q=" + "SELECT COUNT() FROM Lead WHERE \(short)"
                .addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(answer.status == 200)
            #expect(answer.json["totalSize"] == .int(60))
        }
        try await stopping(sim, testBody)
    }

    @Test(arguments: [
        #"{"script": [{"kind": "500", "count": -1}]}"#,
        #"{"script": [{"kind": "500", "count": 99999999999}]}"#,
        #"{"script": [{"kind": "delay", "seconds": 1e30}]}"#,
        #"{"script": [{"kind": "delay", "seconds": -5}]}"#,
        #"{"rate": 0.5, "kinds": [{"kind": "delay", "seconds": 1e300}]}"#,
        #"{"rate": -1, "kinds": ["500"]}"#,
    ])
    func controlRefusesBadFaults(body: String) async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let answer = try await sim.call("POST", "/_sfsim/faults", json: try JSONValue.parse(Data(body.utf8)))
            #expect(answer.status == 400)
            #expect(answer.json["error"]?.stringValue?.isEmpty == false)
            // The org still answers.
            #expect(try await sim.call("GET", "limits").status == 200)
        }
        try await stopping(sim, testBody)
    }

    @Test func controlRefusesAnAbsurdClockMove() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            #expect(try await sim.call("POST", "/_sfsim/clock/advance", json: .object([("seconds", .double(1e300))])).status == 400)
            #expect(try await sim.call("POST", "/_sfsim/clock/advance", json: .object([("seconds", .int(60))])).status == 200)
        }
        try await stopping(sim, testBody)
    }
}

@Suite struct ConcurrentDuplicateTests {
    @Test func concurrentCreatesOfOneEmailMakeOneLead() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let base = sim.base
            let token = sim.token
            // Eight clients, each on its own connection and thread, create the same email at once, five rounds.
            for round in 0..<5 {
                let email = "race\(round)@example.com"
                let statuses = await withTaskGroup(of: Int.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            let request = HTTPRequest(method: "POST", url: base + "/services/data/v59.0/sobjects/Lead",
                                                      headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                                                      body: Data(#"{"LastName":"Race","Company":"Co","Email":"\#(email)"}"#.utf8))
                            return (try? await CurlTransport().send(request).status) ?? 0
                        }
                    }
                    var all: [Int] = []
                    for await status in group { all.append(status) }
                    return all
                }
                #expect(statuses.filter { $0 == 201 }.count == 1, "round \(round): \(statuses)")
                #expect(statuses.filter { $0 == 400 }.count == 7, "round \(round): \(statuses)")
                let count = try await sim.query("SELECT COUNT() FROM Lead WHERE Email = '\(email)'")
                #expect(count.json["totalSize"] == .int(1))
            }
        }
        try await stopping(sim, testBody)
    }
}

@Suite struct CollectionDuplicateTests {
    func lead(_ email: String, _ name: String) -> JSONValue {
        .object([("attributes", .object([("type", .string("Lead"))])), ("LastName", .string(name)),
                 ("Company", .string("Co")), ("Email", .string(email))])
    }

    @Test func theRuleComparesWithTheOrgNotWithinOneRequest() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let existing = try await sim.call("POST", "sobjects/Lead", json: .object([
                ("LastName", .string("Old")), ("Company", .string("Co")), ("Email", .string("old@example.com"))]))
            #expect(existing.status == 201)
            let answer = try await sim.call("POST", "composite/sobjects", json: .object([
                ("allOrNone", .bool(false)),
                ("records", .array([lead("twin@example.com", "A"), lead("TWIN@example.com", "B"), lead("old@example.com", "C")])),
            ]))
            let items = answer.json.arrayValue ?? []
            #expect(items.count == 3)
            // Two new records of one email in one request are both created, as in Salesforce…
            #expect(items[0]["success"] == .bool(true) && items[1]["success"] == .bool(true))
            // …while a record matching one already in the org is refused by the rule.
            #expect(items[2]["success"] == .bool(false))
            #expect(items[2]["errors"]?.arrayValue?.first?["statusCode"] == .string("DUPLICATES_DETECTED"))
            let twins = try await sim.query("SELECT COUNT() FROM Lead WHERE Email = 'twin@example.com'")
            #expect(twins.json["totalSize"] == .int(2))
            // A later request sees them: the rule refuses a third.
            let third = try await sim.call("POST", "sobjects/Lead", json: .object([
                ("LastName", .string("D")), ("Company", .string("Co")), ("Email", .string("twin@example.com"))]))
            #expect(third.errorCode == "DUPLICATES_DETECTED")
        }
        try await stopping(sim, testBody)
    }
}
