import Foundation
import JSON
import Testing
@testable import Simulator

/// Seeded fuzzing of the SOQL sfsim parses, compiles and runs: Salesforce's
/// error codes for what is refused, never a crash.
@Suite struct SOQLFuzzTests {
    static let queries = 30_000

    @Test func queriesParseCompileAndRunOrFailWithSalesforcesCodes() throws {
        var configuration = OrgConfiguration()
        configuration.inMemory = true
        configuration.contacts = 30
        configuration.leads = 30
        configuration.accounts = 10
        configuration.opportunities = 10
        let org = try Org(configuration: configuration)
        let user = org.adminUser
        var mutator = Mutator(seed: 11)
        let seeds = [
            "SELECT Id, Name, Account.Name, Account.Owner.Name FROM Contact WHERE (Email LIKE '%@example.com' OR NOT Segment__c IN ('GOLD', 'SILVER')) AND Birthdate >= 1990-01-31 ORDER BY LastName DESC NULLS LAST, FirstName LIMIT 10 OFFSET 5",
            "SELECT COUNT() FROM Lead WHERE CreatedDate = LAST_N_DAYS:30 AND IsConverted = false",
            "SELECT Id FROM Contact WHERE Interests__c INCLUDES ('Golf;Wine') AND CreatedDate < 2024-01-01T10:00:00Z",
            "SELECT Id, Amount FROM Opportunity WHERE Amount > 1000.5 AND StageName != null ORDER BY Amount",
            "SELECT Id FROM Lead WHERE Email = 'a\\'b' AND (Name = 'x' OR (Name = 'y' AND NOT Name = 'z'))",
        ]
        let words = ["SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "(", ")", ",", "Id", "Name", "Account.Name", "Contact",
                     "Lead", "=", "!=", "<", "LIKE", "IN", "INCLUDES", "'x'", "null", "true", "TODAY", "NEXT_N_DAYS:5",
                     "2024-01-01", "2024-01-01T00:00:00Z", "ORDER", "BY", "LIMIT", "OFFSET", "COUNT()", "5", "-1", "1e309"]
        var ran = 0
        var refused: [String: Int] = [:]
        for index in 0..<Self.queries {
            let soql = index % 4 == 0 ? mutator.sentence(words, count: 1...14)
                : String(decoding: mutator.mutate(Array(seeds[index % seeds.count].utf8), maxEdits: 3), as: UTF8.self)
            do {
                _ = try org.query(soql, all: index % 2 == 0, user: user, version: "59.0", pageSize: 200)
                ran += 1
            } catch {
                #expect(error.status == 400, "\(soql): \(error.status) \(error.message)")
                #expect(!error.message.isEmpty && !error.message.contains("Optional("), "\(soql): \(error.message)")
                refused[error.code, default: 0] += 1
            }
        }
        #expect(ran > 500)
        #expect(Set(refused.keys).isSubset(of: ["MALFORMED_QUERY", "INVALID_FIELD", "INVALID_TYPE", "INVALID_QUERY_FILTER_OPERATOR"]),
                "\(refused)")
    }
}
