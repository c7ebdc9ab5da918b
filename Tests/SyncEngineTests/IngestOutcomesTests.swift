import Foundation
import Testing
@testable import SyncEngine

/// How an ingest job's three result files are matched to the rows the export uploaded.
@Suite struct IngestOutcomesTests {
    static let successful = """
        "sf__Id","sf__Created","Email","LastName"
        "00Q000000000001AAA","true","A@X.test","A"
        "00Q000000000002AAA","false","b@x.test","B"

        """
    static let failed = """
        "sf__Id","sf__Error","Email","LastName"
        "","REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --","c@x.test","C"
        "","DUPLICATES_DETECTED:You're creating a duplicate record.: --","d@x.test","D"

        """
    static let unprocessed = "\"Email\",\"LastName\"\n\"e@x.test\",\"E\""

    @Test func insertsAreMatchedByEmailWithoutCase() throws {
        let outcomes = try IngestOutcomes(successful: Data(Self.successful.utf8), failed: Data(Self.failed.utf8),
                                          unprocessed: Data(Self.unprocessed.utf8), operation: "insert", matchField: nil).outcomes
        #expect(outcomes == [
            "a@x.test": .succeeded(id: "00Q000000000001AAA", created: true),
            "b@x.test": .succeeded(id: "00Q000000000002AAA", created: false),
            "c@x.test": .failed(code: "REQUIRED_FIELD_MISSING", message: "Required fields are missing: [Company]", fields: ["Company"]),
            "d@x.test": .failed(code: "DUPLICATES_DETECTED", message: "You're creating a duplicate record.", fields: []),
            "e@x.test": .unprocessed,
        ])
    }

    @Test(arguments: [
        // Updates by the uploaded Id, 18 or 15 characters alike; upserts by the match field.
        ("update", nil as String?, "\"sf__Id\",\"sf__Created\",\"Id\",\"LastName\"\n\"00Q000000000001AAA\",\"false\",\"00Q000000000001AAA\",\"A\"\n",
         "00Q000000000001", IngestOutcomes.Outcome.succeeded(id: "00Q000000000001AAA", created: false)),
        ("upsert", "Lytics_Id__c", "\"sf__Id\",\"sf__Created\",\"Lytics_Id__c\"\n\"00Q000000000009AAA\",\"true\",\"p00001\"\n",
         "p00001", .succeeded(id: "00Q000000000009AAA", created: true)),
    ])
    func updatesAndUpsertsAreMatchedByTheirKey(operation: String, field: String?, csv: String, key: String, outcome: IngestOutcomes.Outcome) throws {
        let outcomes = try IngestOutcomes(successful: Data(csv.utf8), failed: Data(), unprocessed: Data(),
                                          operation: operation, matchField: field).outcomes
        #expect(outcomes == [key: outcome])
    }

    @Test func resultsWithoutTheKeyColumnOrNotCSVAreRefused() {
        #expect(throws: IngestOutcomes.Malformed.self) {
            try IngestOutcomes(successful: Data("\"sf__Id\",\"sf__Created\"\n\"00Q1\",\"true\"\n".utf8), failed: Data(), unprocessed: Data(),
                               operation: "insert", matchField: nil)
        }
        #expect(throws: IngestOutcomes.Malformed.self) {
            try IngestOutcomes(successful: Data("\"sf__Id\",\"Email\"\n\"00Q1\"x,\"a@x.test\"\n".utf8), failed: Data(), unprocessed: Data(),
                               operation: "insert", matchField: nil)
        }
        // A file with its header only says nothing.
        #expect((try? IngestOutcomes(successful: Data("\"sf__Id\",\"sf__Created\"\n".utf8), failed: Data(), unprocessed: Data(),
                                     operation: "insert", matchField: nil))?.outcomes == [:])
    }
}
