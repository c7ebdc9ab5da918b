import Testing
@testable import Simulator

@Suite struct SOQLParserTests {
    @Test func parsesTheSubset() throws {
        let query = try SOQLParser.parse("""
            SELECT Id, Account.Owner.Name FROM Contact
            WHERE (Email LIKE '%@example.com' OR NOT Segment__c IN ('GOLD', 'SILVER'))
              AND Interests__c INCLUDES ('Golf;Wine') AND Birthdate >= 1990-01-31 AND CreatedDate < 2024-01-01T10:00:00Z
              AND Deceased__c = false AND Nickname__c != null AND LastModifiedDate = LAST_N_DAYS:30
            ORDER BY LastName DESC NULLS LAST, FirstName LIMIT 10 OFFSET 5
            """)
        #expect(query.object.value == "Contact")
        #expect(query.select.count == 2)
        #expect(query.limit == 10 && query.offset == 5)
        #expect(query.orderBy.map(\.descending) == [true, false])
        #expect(query.orderBy.map(\.nullsLast) == [true, false])
    }

    @Test func countAndDateTimeLiterals() throws {
        #expect(try SOQLParser.parse("select count() from Lead").isCount)
        let query = try SOQLParser.parse("SELECT Id FROM Lead WHERE CreatedDate > 2005-10-08T01:02:03-05:00")
        guard case let .compare(_, _, literal) = query.condition else { Issue.record("no condition"); return }
        #expect(literal == .dateTime("2005-10-08T06:02:03.000+0000"))
    }

    @Test(arguments: [
        ("SELEKT Name FROM Account", "unexpected token: SELEKT"),
        ("SELECT Name Account", "unexpected token: Account"),
        ("SELECT FROM Account", "unexpected token: FROM"),
        ("SELECT Id FROM Lead WHERE", "unexpected token: <EOF>"),
        ("SELECT Id FROM Lead LIMIT x", "unexpected token: x"),
        ("SELECT Id FROM Lead WHERE Name = 'open", "line 1:34 no viable alternative at character '''"),
        ("SELECT Id FROM Lead WHERE Name ~ 'x'", "line 1:32 no viable alternative at character '~'"),
        ("SELECT Id, COUNT() FROM Lead", "unexpected token: FROM"),
    ])
    func malformedQueries(text: String, message: String) {
        let error = #expect(throws: SOQLError.self) { try SOQLParser.parse(text) }
        #expect(error?.code == "MALFORMED_QUERY")
        #expect(error?.message == message)
    }

    @Test func recordIDsGetTheirChecksum() {
        #expect(RecordID.withSuffix("001B000001LntWl") == "001B000001LntWlIAJ")
        #expect(RecordID.normalize("001B000001LntWlIAJ") == "001B000001LntWlIAJ")
        #expect(RecordID.normalize("001b000001lntwliaj") == nil)
        #expect(RecordID.normalize("not-an-id") == nil)
    }

    @Test func datesParseLikeSalesforce() {
        #expect(SimDates.parseDateTime("2011-07-07T00:37:00.000+0000").map(SimDates.format) == "2011-07-07T00:37:00.000+0000")
        #expect(SimDates.parseDateTime("2011-07-07T02:37:00+02:00").map(SimDates.format) == "2011-07-07T00:37:00.000+0000")
        #expect(SimDates.parseDateTime("2011-02-30T00:00:00Z") == nil)
        #expect(SimDates.parseDateTime("2011-07-07T00:37:00") == nil)
        #expect(SimDates.parseDate("2024-02-29") != nil && SimDates.parseDate("2023-02-29") == nil)
    }
}
