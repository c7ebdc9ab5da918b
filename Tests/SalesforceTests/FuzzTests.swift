import SalesforceModel
import Foundation
import JSON
import Simulator
import Testing
@testable import Salesforce

/// Seeded fuzzing of what servers send: mangled JSON, describes, query pages,
/// limits, error bodies and Sforce-Limit-Info headers are read or refused, never a crash.
@Suite struct ServerBodyFuzzTests {
    static let perKind = 5_000

    /// Real shapes to mangle: the recorded fixtures when ../shared is beside the repo, and small built-in ones.
    static func seeds(_ fixture: String, _ builtIn: String) -> [[UInt8]] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/fixtures/salesforce/\(fixture)").standardized.path
        var seeds = [Array(builtIn.utf8)]
        if let data = FileManager.default.contents(atPath: path), data.count < 2_000_000 { seeds.append(Array(data)) }
        return seeds
    }

    static let describe = #"{"name":"Contact","label":"Contact","custom":false,"queryable":true,"createable":true,"updateable":true,"fields":[{"name":"Id","type":"id","label":"Contact ID","length":18,"nillable":false},{"name":"Segment__c","type":"picklist","label":"Segment","picklistValues":[{"value":"GOLD","label":"Gold","active":true,"defaultValue":false}]}]}"#
    static let page = #"{"totalSize":2,"done":false,"nextRecordsUrl":"/services/data/v59.0/query/01gX-2000","records":[{"attributes":{"type":"Contact","url":"/x"},"Id":"003A","Account":{"attributes":{"type":"Account"},"Name":"Acme"}},{"Id":"003B","Account":null}]}"#
    static let limits = #"{"DailyApiRequests":{"Max":15000,"Remaining":14998},"DataStorageMB":{"Max":5,"Remaining":4}}"#
    static let error = #"[{"message":"unexpected token: FROM","errorCode":"MALFORMED_QUERY","fields":["Name"]}]"#

    func run(_ name: String, seeds: [[UInt8]], seed: UInt64, _ body: (Data) throws -> Void) rethrows {
        var mutator = Mutator(seed: seed)
        for index in 0..<Self.perKind {
            let original = seeds[index % seeds.count]
            // Big fixtures get more edits, so the mangling reaches past their first bytes.
            try body(Data(mutator.mutate(original, maxEdits: original.count > 10_000 ? 12 : 4)))
        }
    }

    /// A fuzz run that can fail other than by crashing: both branches must be taken often enough.
    func floors(_ name: String, parsed: Int, refused: Int, atLeast floor: Int = 50) {
        #expect(parsed >= floor, "\(name): only \(parsed) of \(Self.perKind) inputs parsed")
        #expect(refused >= floor, "\(name): only \(refused) of \(Self.perKind) inputs were refused")
    }

    @Test func describesParseOrNameTheKeyAtFault() {
        var parsed = 0, refused = 0
        run("describe", seeds: Self.seeds("describe_Contact.json", Self.describe), seed: 21) { data in
            do throws(SObjectDescribe.FormatError) {
                _ = try SObjectDescribe.parse(data)
                parsed += 1
            } catch {
                refused += 1
                #expect(!error.message.isEmpty && !error.message.contains("Optional("))
            }
        }
        floors("describe", parsed: parsed, refused: refused)
    }

    @Test func queryPagesParseOrAreProtocolErrors() {
        var parsed = 0, refused = 0
        run("page", seeds: Self.seeds("query_responses.json", Self.page), seed: 22) { data in
            guard let value = try? JSONValue.parse(data) else { return }
            do throws(SalesforceError) {
                _ = try QueryPage.parse(value)
                parsed += 1
            } catch {
                refused += 1
                #expect(error.kind == .protocolViolation, "\(error)")
                #expect(!error.message.isEmpty)
            }
            _ = RecordFlattening.flatten(value)
        }
        floors("page", parsed: parsed, refused: refused)
    }

    /// The raw reader the import uses agrees with the full parser on every page it accepts.
    @Test func rawPagesAgreeWithTheFullParser() throws {
        func strip(_ record: JSONValue) -> JSONValue {
            guard case let .object(pairs) = record else { return record }
            return .object(pairs.filter { $0.0 != "attributes" && $0.1 != .null })  // null members are left out too
        }
        var accepted = 0
        func check(_ data: Data) throws {
            guard let raw = try? RawQueryPage.parse(data) else { return }
            accepted += 1
            let full = try QueryPage.parse(try JSONValue.parse(data))
            #expect(raw.totalSize == full.totalSize && raw.done == full.done)
            #expect(raw.nextRecordsUrl == (full.done ? nil : full.nextRecordsUrl))
            #expect(raw.records.map(\.value) == full.records.map(strip))
            for (rawRecord, record) in zip(raw.records, full.records) {
                #expect(rawRecord.string("Id") == record["Id"]?.stringValue)
            }
        }
        try check(Data(Self.page.utf8))
        #expect(try RawQueryPage.parse(Data(Self.page.utf8)).records.first?.string("Id") == "003A")
        var mutator = Mutator(seed: 26)
        let seeds = [Array(Self.page.utf8),
                     Array(#"{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Lead"},"Id":"00QA","Name":"a "q" \ b","N":-1.5e2,"B":false,"X":null,"L":[1,{"k":[]}]}]}"#.utf8)]
        for index in 0..<Self.perKind {
            try check(Data(mutator.mutate(seeds[index % seeds.count], maxEdits: 3)))
        }
        #expect(accepted > 200, "only \(accepted) mangled pages were still pages")
        for hostile in [String(repeating: "[", count: 100_000), "{\"records\":" + String(repeating: "{\"a\":", count: 50_000),
                        #"{"totalSize":1,"done":maybe,"records":[]}"#, "", "{}"] {
            #expect(throws: SalesforceError.self) { try RawQueryPage.parse(Data(hostile.utf8)) }
        }
    }

    @Test func limitsAndUsageHeaders() {
        var parsed = 0, refused = 0
        run("limits", seeds: Self.seeds("limits.json", Self.limits), seed: 23) { data in
            if let value = try? JSONValue.parse(data) {
                do throws(SalesforceError) {
                    _ = try OrgLimits.parse(value)
                    parsed += 1
                } catch {
                    refused += 1
                    #expect(!error.message.isEmpty)
                }
            }
            _ = APIUsage.parse(String(decoding: data.prefix(64), as: UTF8.self))
        }
        // A mangled limits body is nearly always an object still, or no JSON at all: of these 5,000 seeded inputs
        // only a couple parse to JSON that is not an object (refused). Both branches must still be taken.
        floors("limits", parsed: parsed, refused: refused, atLeast: 1)
        #expect(parsed >= 50)
        #expect(throws: SalesforceError.self) { try OrgLimits.parse(.array([])) }
        #expect(APIUsage.parse("api-usage=12/15000") == APIUsage(used: 12, max: 15000))
    }

    @Test func errorBodiesAlwaysGiveAMessage() {
        var coded = 0, uncoded = 0
        run("errors", seeds: Self.seeds("errors.json", Self.error), seed: 24) { data in
            for status in [400, 401, 403, 404, 500, 503] {
                let error = SalesforceError.from(status: status, body: data)
                #expect(!error.message.isEmpty)
                if error.code == nil { uncoded += 1 } else { coded += 1 }
            }
        }
        // Both what Salesforce's error list names and the fallback for an unreadable body are exercised.
        floors("errors", parsed: coded, refused: uncoded)
    }

    @Test func rawJSONNeverCrashesTheParser() throws {
        var mutator = Mutator(seed: 25)
        let seeds = [Self.describe, Self.page, Self.limits, Self.error, #"{"a":[1,2.5e3,-0,true,null,"\u00e9\ud83e\udd8a"]}"#]
        for index in 0..<Self.perKind {
            let data = Data(mutator.mutate(Array(seeds[index % seeds.count].utf8), maxEdits: 6))
            if let value = try? JSONValue.parse(data) {
                // What parses serializes and parses back to itself.
                #expect(try JSONValue.parse(value.serialized()) == value)
            }
        }
    }
}
