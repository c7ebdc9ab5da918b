import Foundation
import JSON
import TestSupport
import Testing
@testable import Simulator

/// Issue 18 §11: sfsim compares text as Salesforce does, without case in every script.
@Suite struct TextCollationTests {
    @Test(arguments: [
        ("ünï@example.com", "ÜNÏ@EXAMPLE.COM", ComparisonResult.orderedSame),
        ("dup@example.com", "DUP@example.com", .orderedSame),
        ("ΣΑΣ@x.gr", "σας@x.gr", .orderedSame),
        ("a", "B", .orderedAscending),
        ("B", "a", .orderedDescending),
        ("ab", "a", .orderedDescending),
        ("", "a", .orderedAscending),
        ("a\u{212A}", "b", .orderedAscending),
        ("zé", "ZÉA", .orderedAscending),
        ("Ünï", "unï", .orderedDescending),
    ])
    func rows(left: String, right: String, expected: ComparisonResult) {
        #expect(TextCollation.compare(left, right) == expected)
        let reversed: ComparisonResult = expected == .orderedAscending ? .orderedDescending
            : expected == .orderedDescending ? .orderedAscending : .orderedSame
        #expect(TextCollation.compare(right, left) == reversed)
    }

    @Test func theDuplicateRuleAndSOQLMatchUnicodeEmailsWithoutCase() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let first = try await sim.call("POST", "sobjects/Lead", json: .object([
                ("LastName", .string("Ünï")), ("Company", .string("Co")), ("Email", .string("ünï@example.com"))]))
            #expect(first.status == 201)
            let second = try await sim.call("POST", "sobjects/Lead", json: .object([
                ("LastName", .string("Ünï")), ("Company", .string("Co")), ("Email", .string("ÜNÏ@EXAMPLE.COM"))]))
            #expect(second.status == 400 && second.errorCode == "DUPLICATES_DETECTED")
            let soql = "SELECT Id FROM Lead WHERE Email IN ('ÜNÏ@example.com')"
            let found = try await sim.call("GET", "query?q=" + soql.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(found.json["totalSize"] == .int(1), "\(found.json)")
        }
        try await stopping(sim, testBody)
    }
}
