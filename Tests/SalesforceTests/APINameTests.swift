import Foundation
import Testing
@testable import SalesforceModel

/// Issue 18 §1: a describe's names must be Salesforce API names, wherever a describe is read.
@Suite struct APINameTests {
    @Test(arguments: [
        ("Name", true), ("LastName", true), ("Segment__c", true), ("My_Field__c", true), ("Account__r", true),
        ("SBQQ__Quote__c", true), ("ns__Geo__Latitude__s", true), ("Foo__ChangeEvent", true), ("X1", true),
        ("Field2_b__c", true),
        ("", false), ("_Name", false), ("1Name", false), ("Name_", false), ("Name__", false), ("a___b", false),
        ("a__b__c__d__e", false), ("Last Name", false), ("Account.Name", false), ("Na'me", false), ("Na\"me", false),
        ("Nämé", false), ("Name\u{0}", false), ("Name;DROP", false), ("a') AS a FROM main.local_record r; --", false),
        (String(repeating: "a", count: 255), true), (String(repeating: "a", count: 256), false),
    ])
    func grammar(name: String, valid: Bool) {
        #expect(APIName.isValid(name) == valid, "\(name)")
    }

    static func describe(field: String, key: String = "name") -> Data {
        var fieldBody: [String: Any] = ["name": "Email", "type": "email"]
        fieldBody[key] = key == "referenceTo" ? [field] : field
        let body: [String: Any] = ["name": "Contact", "fields": [["name": "Id", "type": "id"], fieldBody]]
        return try! JSONSerialization.data(withJSONObject: body)
    }

    @Test(arguments: ["name", "relationshipName", "compoundFieldName", "referenceTo"])
    func aDescribeWithAHostileNameIsRefusedNamingTheKey(key: String) {
        let hostile = "a') AS a FROM main.local_record r; UPDATE main.org SET instance_url = 'x'; SELECT ('"
        let error = #expect(throws: SObjectDescribe.FormatError.self) {
            try SObjectDescribe.parse(Self.describe(field: hostile, key: key))
        }
        #expect(error?.message.contains("fields[1].\(key)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("is not a Salesforce API name") == true)
        // The name is shown printable, never with its control characters.
        let withEscape = #expect(throws: SObjectDescribe.FormatError.self) {
            try SObjectDescribe.parse(Self.describe(field: "x\u{1B}]0;pwned\u{7}", key: key))
        }
        #expect(withEscape?.message.contains("\u{1B}") == false && withEscape?.message.contains("\\u{1b}") == true)
    }

    @Test func theObjectNameAndTheGlobalDescribeAreHeldToTheGrammarToo() throws {
        let object = try JSONSerialization.data(withJSONObject: ["name": "Contact'; --", "fields": [] as [Any]])
        #expect(throws: SObjectDescribe.FormatError.self) { try SObjectDescribe.parse(object) }
        let global = try JSONSerialization.data(withJSONObject: ["sobjects": [
            ["name": "Contact", "label": "Contact", "custom": false, "queryable": true],
            ["name": "Evil\"Object", "label": "x", "custom": true, "queryable": true],
        ]])
        let error = #expect(throws: SObjectDescribe.FormatError.self) { try GlobalDescribe.parse(global) }
        #expect(error?.message.contains("sobjects[1].name") == true, "\(String(describing: error))")
        let fine = try JSONSerialization.data(withJSONObject: ["sobjects": [
            ["name": "Contact", "label": "Contact", "custom": false, "queryable": true, "keyPrefix": "003"],
        ]])
        #expect(try GlobalDescribe.parse(fine).sobjects.map(\.name) == ["Contact"])
    }
}
