import SalesforceModel
import CSV
import Foundation
import JSON
import Salesforce
@testable import Store
import Testing
@testable import SyncEngine

/// Bulk API 2.0 CSV rows as the store keeps REST records (table-driven).
@Suite struct BulkRecordTests {
    static let types = ["Id": "id", "SystemModstamp": "datetime", "AccountId": "reference", "DoNotCall": "boolean",
                        "NumberOfEmployees": "int", "AnnualRevenue": "currency", "Birthdate": "date", "Description": "textarea"]

    static func records(_ csv: String, object: String = "Contact") throws -> [LocalRecord] {
        var reader = try BulkRecordReader(csv: Data(csv.utf8), object: object, types: types)
        var records: [LocalRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    @Test(arguments: [
        // (cell, describe type, JSON the store keeps)
        ("", "string", "null"),
        ("", "boolean", "null"),
        ("true", "boolean", "true"),
        ("false", "boolean", "false"),
        ("yes", "boolean", "\"yes\""),                 // not a boolean: kept as text, never guessed
        ("42", "int", "42"),
        ("-1500.25", "currency", "-1500.25"),
        ("1.5E3", "double", "1.5E3"),
        ("007", "int", "\"007\""),                      // not a JSON number
        ("12.", "double", "\"12.\""),
        ("42", "string", "\"42\""),                     // text stays text
        ("2024-05-01T10:00:00.000Z", "datetime", "\"2024-05-01T10:00:00.000+0000\""),
        ("2024-05-01T10:00:00Z", "datetime", "\"2024-05-01T10:00:00.000+0000\""),
        ("2024-05-01T10:00:00.000+0000", "datetime", "\"2024-05-01T10:00:00.000+0000\""),
        ("2024-05-01", "date", "\"2024-05-01\""),
        ("say \"hi\"\nbye", "textarea", "\"say \\\"hi\\\"\\nbye\""),
    ])
    func cells(cell: String, type: String, json: String) {
        var out = ""
        BulkRecordReader.write(cell, kind: BulkRecordReader.kind(of: type), to: &out)
        #expect(out == json)
    }

    @Test func rowsBecomeRESTShapedRecordsInTheSelectOrder() throws {
        let csv = [
            #""Id","SystemModstamp","AccountId","DoNotCall","NumberOfEmployees","Description""#,
            #""003A","2024-05-01T10:00:00.000Z","001A","true","12","line one"#,
            #"line ""two""""#,
            #""003B","2024-05-02T10:00:00.000+0000","","false","","""#,
            "",
        ].joined(separator: "\n")
        let rows = try Self.records(csv)
        #expect(rows.count == 2)
        #expect(rows[0].id == "003A")
        #expect(rows[0].systemModstamp == "2024-05-01T10:00:00.000+0000")
        #expect(rows[0].accountID == "001A")
        #expect(rows[0].body == #"{"Id":"003A","SystemModstamp":"2024-05-01T10:00:00.000+0000","AccountId":"001A","DoNotCall":true,"NumberOfEmployees":12,"Description":"line one\nline \"two\""}"#)
        #expect(rows[1].accountID == nil)
        let second = try JSONValue.parse(Data(rows[1].body.utf8))
        // Empty cells are nulls, left out (as the REST path leaves out null members).
        #expect(second["AccountId"] == nil && second["NumberOfEmployees"] == nil && second["DoNotCall"] == .bool(false))
        // The account key of a lead is its converted account.
        let lead = try Self.records("\"Id\",\"SystemModstamp\",\"ConvertedAccountId\"\n\"00QA\",\"2024-05-01T10:00:00.000Z\",\"001B\"\n",
                                    object: "Lead")
        #expect(lead.first?.accountID == "001B")
        // Text that needs escaping (non-ASCII, a control, a bidi override, a tab) is written as the one JSON rule
        // writes it; a date-time without milliseconds gets them; a number that is not JSON is text.
        let tricky = try Self.records("\"Id\",\"SystemModstamp\",\"Description\",\"NumberOfEmployees\"\n"
                                      + "\"003C\",\"2024-05-01T10:00:00Z\",\"Zoë \u{202E}\u{01}\tend\",\"012\"\n")
        var expected = "{\"Id\":\"003C\",\"SystemModstamp\":\"2024-05-01T10:00:00.000+0000\",\"Description\":"
        JSONValue.writeString("Zoë \u{202E}\u{01}\tend", to: &expected)
        expected += ",\"NumberOfEmployees\":\"012\"}"
        #expect(tricky.first?.body == expected)
    }

    @Test(arguments: [
        ("", "no header row"),
        ("\"Id,\"SystemModstamp\"\n", "no readable header row"),
        ("\"Name\"\n\"x\"\n", "no Id or SystemModstamp column"),
        ("\"Id\",\"SystemModstamp\"\n\"003A\"\n", "has 1 values for 2 columns"),
        ("\"Id\",\"SystemModstamp\"\n\"\",\"2024-05-01T10:00:00.000Z\"\n", "has no Id or SystemModstamp"),
    ])
    func brokenResultsAreRefusedSayingWhy(csv: String, message: String) {
        let error = #expect(throws: BulkRecordReader.Malformed.self) { _ = try Self.records(csv) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
    }

    @Test(arguments: [
        // (status, answer, falls back to REST)
        (400, #"[{"errorCode":"API_ERROR","message":"Selecting compound data not supported in Bulk Query"}]"#, true),
        (400, #"[{"errorCode":"API_ERROR","message":"Aggregate queries are not supported by the Bulk API (COUNT())"}]"#, true),
        (400, #"[{"errorCode":"INVALIDENTITY","message":"Entity 'Foo' is not supported by the Bulk API."}]"#, true),
        (400, #"[{"errorCode":"LIMIT_EXCEEDED","message":"Max number of bulk query jobs per 24 hours exceeded"}]"#, true),
        (404, #"[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]"#, true),
        (403, #"[{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"TotalRequests Limit exceeded."}]"#, false),
        (400, #"[{"errorCode":"MALFORMED_QUERY","message":"unexpected token: FORM"}]"#, false),
        (401, #"[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]"#, false),
        (500, #"[{"errorCode":"UNKNOWN_EXCEPTION","message":"not supported"}]"#, false),
    ])
    func whichBulkErrorsFallBackToREST(status: Int, answer: String, fallsBack: Bool) {
        #expect(ImportJob.bulkUnsupported(SalesforceError.from(status: status, body: Data(answer.utf8))) == fallsBack)
    }

    @Test(arguments: [
        // (CSV, the rows)
        ("a,b\n", [["a", "b"]]),
        ("a,b", [["a", "b"]]),
        ("a,b\r\nc,d\r\n", [["a", "b"], ["c", "d"]]),
        ("\"a,1\",\"b\"\"2\"\"\"\n", [["a,1", "b\"2\""]]),
        ("\"line\nbreak\",\"\"\n", [["line\nbreak", ""]]),
        ("a,\n", [["a", ""]]),
        ("a,", [["a", ""]]),
        (",\n", [["", ""]]),
        ("\"é ✓ 𝄞\"\n", [["é ✓ 𝄞"]]),
    ])
    func csvRows(csv: String, rows: [[String]]) throws {
        var reader = CSVRows(Data(csv.utf8))
        var read: [[String]] = []
        while let row = try reader.next() { read.append(row) }
        #expect(read == rows)
    }

    @Test(arguments: [
        ("\"open\n", "not closed"),
        ("\"a\"b,c\n", "followed by text"),
    ])
    func malformedCSV(csv: String, message: String) {
        var reader = CSVRows(Data(csv.utf8))
        let error = #expect(throws: CSVRows.Malformed.self) { while try reader.next() != nil {} }
        #expect(error?.description.contains(message) == true)
        var invalid = CSVRows(Data([0x22, 0xFF, 0xFE, 0x22, 0x0A]))
        #expect(throws: CSVRows.Malformed.self) { _ = try invalid.next() }
    }

    /// The reader agrees with yaslab/CSV.swift on random Bulk-style CSV (every field quoted, quotes,
    /// commas, line breaks and non-ASCII text inside), and on the same rows unquoted where that is possible.
    @Test func csvRowsAgreeWithCSVSwiftOnRandomInput() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [String] = ["a", "Z", "0", " ", ",", "\"", "\n", "\r\n", "é", "✓", "𝄞", "-", "."]
        for _ in 0..<300 {
            let columns = Int.random(in: 1...6, using: &generator)
            let table = (0..<Int.random(in: 1...8, using: &generator)).map { _ in
                (0..<columns).map { _ in
                    (0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }.joined()
                }
            }
            let quoted = table.map { row in
                row.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",")
            }.joined(separator: "\n") + "\n"
            var ours = CSVRows(Data(quoted.utf8))
            var read: [[String]] = []
            while let row = try ours.next() { read.append(row) }
            #expect(read == table, "\(quoted.debugDescription)")
            let oracle = try CSVReader(string: quoted, hasHeaderRow: false)
            var theirs: [[String]] = []
            while let row = oracle.next() { theirs.append(row) }
            #expect(read == theirs, "\(quoted.debugDescription)")
        }
    }
}
