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

    /// Doubles as Java's Double.toString (and so Salesforce) writes them; every row reads back to its value.
    @Test(arguments: [
        (53.0, "53.0"), (0.0, "0.0"), (-0.0, "-0.0"), (1.5, "1.5"), (500_000.0, "500000.0"), (9_999_999.0, "9999999.0"),
        (10_000_000.0, "1.0E7"), (15_000_000.0, "1.5E7"), (-250_000_000.0, "-2.5E8"), (123_456_789.5, "1.234567895E8"),
        (0.001, "0.001"), (0.0125, "0.0125"), (0.00025, "2.5E-4"), (1e-10, "1.0E-10"), (1.7976931348623157e308, "1.7976931348623157E308"),
        (12.25, "12.25"), (100.5, "100.5"), (-3.0, "-3.0"), (1e16, "1.0E16"),
    ])
    func doublesAreWrittenAsJavaWritesThem(value: Double, java: String) throws {
        #expect(JSONValue.javaFormat(value) == java)
        #expect(JSONValue.double(value).serialized(javaDoubles: true) == java)
        #expect(try JSONValue.parse(java).doubleValue == value)
        // Without the option a whole double is written as a whole number, as before.
        if value == value.rounded(), abs(value) < 1e15 { #expect(JSONValue.double(value).serialized() == String(Int64(value))) }
    }
}

/// Issue 25: both JSON string writers (the string one, and the byte one the import uses and the string one hands its
/// escapes to) write every string as the rule says, scalar by scalar: `"`, `\`, `\n`, `\r`, `\t` by name, whatever
/// `TextSafety` escapes as `\uXXXX`, the rest as it is.
@Suite struct ByteStringWriterTests {
    static func reference(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where TextSafety.mustEscape(scalar): out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static let samples = ["", "plain", "quote \" and \\ backslash", "line\nfeed\r\ttab", "\u{01}\u{1F}\u{7F}", "Zoë Müller 王",
                          "\u{80}\u{9F}\u{A0}", "bidi \u{202E}x\u{202C} \u{2066}y\u{2069}", "zero\u{200B}width\u{2060}", "\u{FEFF}bom",
                          "arabic \u{061C} mark", "ls\u{2028}ps\u{2029}", "emoji 🎉 and ∑ and \u{2030}", "\u{00C2}\u{00D8}\u{00E2}\u{00EF}"]

    @Test(arguments: samples) func sameAsTheRule(text: String) {
        var written = ""
        JSONValue.writeString(text, to: &written)
        var bytes: [UInt8] = []
        JSONValue.writeString(utf8: Array(text.utf8), to: &bytes)
        #expect(written == Self.reference(text))
        #expect(String(decoding: bytes, as: UTF8.self) == Self.reference(text))
    }

    @Test func randomStringsToo() {
        var generator = SystemRandomNumberGenerator()
        let pool: [Unicode.Scalar] = (0..<0x100).compactMap(Unicode.Scalar.init) + [0x061C, 0x200B, 0x200F, 0x2028, 0x202E, 0x2060, 0x2069,
                                                                                 0xFEFF, 0x4E2D, 0x1F389].compactMap(Unicode.Scalar.init)
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...12, using: &generator) { text.unicodeScalars.append(pool.randomElement(using: &generator)!) }
            var written = ""
            JSONValue.writeString(text, to: &written)
            var bytes: [UInt8] = []
            JSONValue.writeString(utf8: Array(text.utf8), to: &bytes)
            #expect(written == Self.reference(text), "\(Array(text.unicodeScalars))")
            #expect(String(decoding: bytes, as: UTF8.self) == Self.reference(text), "\(Array(text.unicodeScalars))")
        }
    }
}
