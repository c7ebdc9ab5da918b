import JSON
import SyncRules
import Testing

/// Issue 24: what a support bundle's text keeps, hashes and removes.
@Suite struct RedactionTests {
    static func hash(_ value: String) -> String { "h:\(value.count)" }

    static let rows: [(String, String)] = [
        ("plain words stay", "plain words stay"),
        ("write to ana@example.com now", "write to h:15 now"),
        ("<ana@example.com>,", "<h:15>,"),
        ("token 00D5g000004ABCD!AQ4AQFakeSessionTokenValue123456", "token [redacted]"),
        ("Authorization: Bearer abc.def", "Authorization: Bearer [redacted]"),
        ("jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", "jwt [redacted]"),
        ("url force://PlatformCLI::5Aep861abc@example.my.salesforce.com", "url [redacted]"),
        ("refresh 5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJrfNLOxxfcKKnrHPuo9nJ39Pyd1HddX8fnH2", "refresh [redacted]"),
        ("field Very_Long_Custom_Field_Name_For_Testing__c stays", "field Very_Long_Custom_Field_Name_For_Testing__c stays"),
        ("/services/data/v59.0/sobjects/Contact/describe", "/services/data/v59.0/sobjects/Contact/describe"),
        ("id 0035g00000ABCDEFGH stays", "id 0035g00000ABCDEFGH stays"),
        ("not@an email", "not@an email"),
        ("Company: data value too large: Acme Planted Holdings (max length=255)", "Company: data value too large: [value removed] (max length=255)"),
        ("Clean Status: bad value for restricted picklist field: Bogus", "Clean Status: bad value for restricted picklist field: [value removed]"),
        ("Email: invalid email address: a b c\nnext line", "Email: invalid email address: [value removed]\nnext line"),
        ("duplicate value found: Key__c duplicates value on record with id: 003A", "duplicate value found: [value removed]"),
    ]

    @Test(arguments: rows) func scrubbing(row: (String, String)) {
        #expect(Redaction.scrub(row.0, hash: Self.hash) == row.1)
    }

    static let keys: [(String, Bool)] = [
        ("client_secret", true), ("lytics.api_token", true), ("password", true), ("levitate.key_dates", false),
        ("lytics.match_field", false), ("client_id", false), ("x.private_key_path", true),
    ]

    @Test(arguments: keys) func secretSettings(row: (String, Bool)) {
        #expect(Redaction.isSecretKey(row.0) == row.1)
    }

    @Test func aSampleRecordKeepsItsShapeAndHashesItsText() {
        let record = JSONValue.object([
            ("attributes", .object([("type", .string("Contact"))])), ("Id", .string("003A")), ("LastName", .string("Zeb")),
            ("Email", .string("z@example.com")), ("HasOptedOutOfEmail", .bool(true)), ("NumberOfEmployees", .int(5)),
            ("LeadSource", .string("Web")), ("Description", .null), ("Unknown__c", .string("x")), ("Score__c", .double(1.5)),
        ])
        let types = ["Id": "id", "LastName": "string", "Email": "email", "HasOptedOutOfEmail": "boolean", "NumberOfEmployees": "int",
                     "LeadSource": "picklist", "Description": "textarea", "Score__c": "double"]
        #expect(Redaction.record(record, types: types, hash: Self.hash) == .object([
            ("Id", .string("003A")), ("LastName", .string("h:3")), ("Email", .string("h:13")), ("HasOptedOutOfEmail", .bool(true)),
            ("NumberOfEmployees", .int(5)), ("LeadSource", .string("Web")), ("Description", .null), ("Unknown__c", .string("h:1")),
            ("Score__c", .double(1.5)),
        ]))
    }
}
