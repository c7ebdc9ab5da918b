import SyncEngine
import JSON
import Testing
@testable import Shell

@Suite struct OutputTests {
    let table = Table(columns: ["Id", "Name", "Account.Name"], rows: [
        [.string("003A"), .string("Zoë O'Brien"), .string("Acme, Inc.")],
        [.string("003B"), .null, .string("say \"hi\"\nbye")],
    ])

    @Test func tableIsAlignedWithNullsEmptyAndControlsEscaped() {
        #expect(table.rendered(width: nil) == """
            Id    Name         Account.Name
            ----  -----------  -------------
            003A  Zoë O'Brien  Acme, Inc.
            003B               say "hi"\\nbye

            """)
    }

    @Test func tableFitsTheWidthAndMarksCuts() {
        let wide = Table(columns: ["a", "b"], rows: [[.string(String(repeating: "x", count: 50)), .string("short")]])
        let text = wide.rendered(width: 30)
        for line in text.split(separator: "\n") {
            #expect(TerminalText.width(String(line)) <= 30)
        }
        #expect(text.contains("…"))
        #expect(text.contains("short"))
    }

    @Test func wideCharactersCountTwoColumns() {
        #expect(TerminalText.width("東京") == 4)
        #expect(TerminalText.width("e\u{301}") == 1)
        #expect(TerminalText.truncate("東京タワー", to: 5) == "東京…")
    }

    @Test func csvQuotesWhatNeedsQuoting() {
        #expect(table.csv() == """
            Id,Name,Account.Name
            003A,Zoë O'Brien,"Acme, Inc."
            003B,,"say ""hi""
            bye"

            """)
    }

    @Test func jsonKeepsColumnOrderAndTypes() {
        let typed = Table(columns: ["n", "ok", "x"], rows: [[.int(1), .bool(true), .double(2.5)]])
        #expect(typed.json.serialized() == #"[{"n":1,"ok":true,"x":2.5}]"#)
        #expect(JSONValue.string("a\"\n\u{01}").serialized() == #""a\"\n\u0001""#)
    }

    @Test func jsonParsesAndPrintsBack() throws {
        let value = try JSONValue.parse(#"{"b": [1, 2.5, true, null, "x"], "a": {"c": false}}"#)
        #expect(value.serialized() == #"{"a":{"c":false},"b":[1,2.5,true,null,"x"]}"#)
    }

    @Test func errorsAsJSON() {
        let error = ShellError(.usage, "bad", hint: "usage: x")
        #expect(error.json.serialized()
                == #"{"error":{"code":2,"kind":"usage","message":"bad","hint":"usage: x","salesforce":null}}"#)
    }

    @Test func exitCodesAreTheSpecs() {
        #expect(ExitStatus.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5])
    }
}
