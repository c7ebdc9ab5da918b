import Foundation
import Testing
@testable import JSON

@Suite struct JSONValueTests {
    @Test(arguments: [
        ("plain", #""plain""#),
        ("say \"hi\"", #""say \"hi\"""#),
        ("back\\slash", #""back\\slash""#),
        ("line\nbreak\r\ttab", #""line\nbreak\r\ttab""#),
        ("bell\u{07}del\u{7F}", #""bell\u0007del\u007f""#),
        ("sep\u{2028}par\u{2029}", #""sep\u2028par\u2029""#),
        ("euro € and … dash —", "\"euro € and … dash —\""),
        ("emoji 🦊 and ü", "\"emoji 🦊 and ü\""),
        ("", #""""#),
    ])
    func stringsAreEscapedExactlyWhereJSONNeedsIt(text: String, json: String) throws {
        #expect(JSONValue.string(text).serialized() == json)
        #expect(try JSONValue.parse(json) == .string(text))
    }

    @Test func valuesRoundTrip() throws {
        let value: JSONValue = .object([
            ("a", .array([.int(1), .double(1.5), .bool(true), .bool(false), .null, .string("x\"y")])),
            ("b", .object([("nested", .string("ü\u{2028}"))])),
            ("i", .int(Int(Int32.max) * 4)),
        ])
        #expect(try JSONValue.parse(value.serialized()) == value)
        #expect(try JSONValue.parse(value.prettyPrinted()) == value)
    }
}
