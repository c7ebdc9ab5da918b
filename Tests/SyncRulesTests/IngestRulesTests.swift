import Foundation
import JSON
import SyncRules
import Testing

/// The CSV of an ingest upload, the errors of its results, and when the export writes through Bulk API 2.0.
@Suite struct IngestRulesTests {
    @Test(arguments: [
        // Columns in the order first seen, Id first; null empties a field (#N/A); a missing field stays empty.
        ([JSONValue.object([("LastName", .string("Ng")), ("Email", .string("a@x.test"))]),
          .object([("Id", .string("00Q1")), ("Email", .string("b@x.test")), ("Phone", .null)])],
         "\"Id\",\"LastName\",\"Email\",\"Phone\"\n,\"Ng\",\"a@x.test\",\n\"00Q1\",,\"b@x.test\",#N/A\n"),
        // Quotes doubled; commas and line breaks kept inside quotes; numbers and booleans as their literals.
        ([.object([("Description", .string("say \"hi\",\nthen go")), ("NumberOfEmployees", .int(12)), ("HasOptedOutOfEmail", .bool(true))])],
         "\"Description\",\"NumberOfEmployees\",\"HasOptedOutOfEmail\"\n\"say \"\"hi\"\",\nthen go\",\"12\",true\n"),
        // Field names match without case: one column.
        ([.object([("email", .string("a@x.test"))]), .object([("Email", .string("b@x.test"))])],
         "\"email\"\n\"a@x.test\"\n\"b@x.test\"\n"),
        // An empty text empties the field, as it does through REST; a field not set is left alone.
        ([.object([("Title", .string(""))]), .object([("Phone", .string("1"))])], "\"Title\",\"Phone\"\n#N/A,\n,\"1\"\n"),
    ])
    func uploadsAreCSVAsBulkReadsIt(records: [JSONValue], csv: String) {
        #expect(String(decoding: IngestCSV.encode(records), as: UTF8.self) == csv)
    }

    @Test(arguments: [
        ("REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
         "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]", ["LastName"]),
        ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Clean Status: bad value for restricted picklist field: Bogus:CleanStatus --",
         "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Clean Status: bad value for restricted picklist field: Bogus", ["CleanStatus"]),
        ("DUPLICATES_DETECTED:You're creating a duplicate record. We recommend you use an existing record instead.: --",
         "DUPLICATES_DETECTED", "You're creating a duplicate record. We recommend you use an existing record instead.", []),
        ("ENTITY_IS_DELETED:entity is deleted:--", "ENTITY_IS_DELETED", "entity is deleted", []),
        ("FIELD_CUSTOM_VALIDATION_EXCEPTION:Bad:A, B --", "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Bad", ["A", "B"]),
        ("UNKNOWN", "UNKNOWN", "", []),
        ("", "UNKNOWN_EXCEPTION", "no error was given", []),
    ])
    func failedRowsKeepSalesforcesCodeMessageAndFields(text: String, code: String, message: String, fields: [String]) {
        let parsed = IngestCSV.parseError(text)
        #expect(parsed.code == code && parsed.message == message && parsed.fields == fields, "\(parsed)")
    }

    /// `count` chunks of 5,000 profiles each, all new (every email looked up, every profile created).
    static func newProfiles(_ count: Int, perChunk: Int = 5_000) -> [ExportCalls.Chunk] {
        (0..<count).map { chunk in
            ExportCalls.Chunk(lookups: (0..<perChunk).map { "someone.with.a.longer.name\(chunk * perChunk + $0)@example-company.com" },
                              creates: perChunk, updates: 0)
        }
    }

    @Test(arguments: [
        // 300 creates: one composite call of collections beats a job (10 calls).
        ([ExportCalls.Chunk(lookups: [], creates: 300, updates: 0)], true, nil as Int?, ExportCalls.Method.rest),
        // 3,000 creates without composite: 15 collections against one job.
        ([ExportCalls.Chunk(lookups: [], creates: 3_000, updates: 0)], false, nil, .bulk),
        // 5,000 remembered Leads updated: 5 composite calls against one job (10).
        ([ExportCalls.Chunk(lookups: [], creates: 0, updates: 5_000)], true, nil, .rest),
        // 20,000 updates: 20 calls against 10.
        ([ExportCalls.Chunk(lookups: [], creates: 0, updates: 20_000)], true, nil, .bulk),
        // 100,000 new profiles, the org's 50,000 Leads read by one Bulk query.
        (newProfiles(20), true, 50_000, .bulk),
    ])
    func bulkWhenItsJobsCostFewerCalls(chunks: [ExportCalls.Chunk], composite: Bool, leads: Int?, method: ExportCalls.Method) {
        #expect(ExportCalls.method(chunks, composite: composite, leads: leads, forced: nil) == method)
        #expect(ExportCalls.method(chunks, composite: composite, leads: leads, forced: .rest) == .rest)
        #expect(ExportCalls.method(chunks, composite: composite, leads: leads, forced: .bulk) == .bulk)
        let planned = ExportCalls.planned(chunks, composite: composite, method: method, leads: leads).count
        #expect(planned == min(ExportCalls.count(chunks, composite: composite), ExportCalls.bulkCount(chunks, composite: composite, leads: leads)))
    }

    /// Below these audiences collections always win, so a run does not count its writes to choose.
    @Test(arguments: [(8_999, true, false), (9_001, true, true), (1_799, false, false), (1_801, false, true)])
    func bulkCanPayOnlyForLargeAudiences(profiles: Int, composite: Bool, may: Bool) {
        #expect(ExportCalls.bulkMayPay(profiles: profiles, composite: composite) == may)
        if !may {
            // However the audience splits into creates and updates, collections cost no more than a job.
            for creates in stride(from: 0, through: profiles, by: max(profiles / 7, 1)) {
                let chunks = [ExportCalls.Chunk(lookups: [], creates: creates, updates: profiles - creates)]
                #expect(ExportCalls.method(chunks, composite: composite, leads: nil, forced: nil) == .rest)
            }
        }
    }

    @Test func aHundredThousandNewLeadsTakeAtMostTwentyCalls() {
        // The target, lookups included: the count, a Bulk query of the org's Leads (a result chunk of
        // up to 100,000), and one ingest job; the run adds its describe and the assignment rule's read.
        let chunks = Self.newProfiles(20)
        for leads in [0, 1_000, 99_999] {
            let calls = ExportCalls.bulkCount(chunks, composite: true, leads: leads)
            #expect(calls + 2 <= 20, "\(leads) Leads: \(calls)")
        }
        // The IN queries alone would take 10 composite calls; counting pays.
        #expect(ExportCalls.bulkLookupMayPay(inCalls: ExportCalls.lookupCalls(chunks, composite: true)))
        #expect(ExportCalls.bulkLookupPays(leads: 99_999, inCalls: ExportCalls.lookupCalls(chunks, composite: true)))
        // Two jobs once a job's 100,000 rows are full; updates get their own.
        #expect(ExportCalls.bulkWriteCalls(creates: 100_001, updates: 1) == 3 * ExportCalls.ingestJobCalls)
    }
}
