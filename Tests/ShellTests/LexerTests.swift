import SyncEngine
import Testing
@testable import Shell

@Suite struct LexerTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let line: String
        let commands: [[String]]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "plain words", line: "set format json", commands: [["set", "format", "json"]]),
        Row(name: "extra blanks and tabs", line: "  echo \t a   b  ", commands: [["echo", "a", "b"]]),
        Row(name: "single quotes keep everything", line: #"echo 'a "b" \n #c; d'"#, commands: [["echo", #"a "b" \n #c; d"#]]),
        Row(name: "double quotes with escapes", line: #"echo "say \"hi\" \\ \$x \n""#, commands: [["echo", #"say "hi" \ $x \n"#]]),
        Row(name: "backslash escapes a blank", line: #"echo a\ b"#, commands: [["echo", "a b"]]),
        Row(name: "adjacent quoted parts join", line: #"echo a'b c'"d""#, commands: [["echo", "ab cd"]]),
        Row(name: "empty quotes are a word", line: "echo '' x", commands: [["echo", "", "x"]]),
        Row(name: "comment at line start", line: "# nothing here", commands: []),
        Row(name: "comment after words", line: "echo a # b c", commands: [["echo", "a"]]),
        Row(name: "hash inside a word is literal", line: "echo a#b", commands: [["echo", "a#b"]]),
        Row(name: "semicolons separate", line: "echo a; echo b;echo c", commands: [["echo", "a"], ["echo", "b"], ["echo", "c"]]),
        Row(name: "empty commands dropped", line: ";; echo a ;;", commands: [["echo", "a"]]),
        Row(name: "quoted semicolon is literal", line: "echo 'a;b'", commands: [["echo", "a;b"]]),
        Row(name: "SELECT is a query, quotes kept", line: "SELECT Id FROM Contact WHERE Name = 'O''Brien; x'",
            commands: [["query", "SELECT Id FROM Contact WHERE Name = 'O''Brien; x'"]]),
        Row(name: "select in any case", line: "select Id from Lead", commands: [["query", "select Id from Lead"]]),
        Row(name: "SELECT then another command", line: "SELECT Id FROM Lead; echo done",
            commands: [["query", "SELECT Id FROM Lead"], ["echo", "done"]]),
        Row(name: "SELECT trailing options peeled", line: "SELECT Id FROM Lead  --all --limit 5",
            commands: [["query", "SELECT Id FROM Lead", "--all", "--limit", "5"]]),
        Row(name: "query SELECT keeps quotes", line: "query SELECT Id FROM Lead WHERE Email = 'a@b.c' --json",
            commands: [["query", "SELECT Id FROM Lead WHERE Email = 'a@b.c'", "--json"]]),
        Row(name: "SELECT string with escaped quote", line: #"SELECT Id FROM Lead WHERE Name = 'a\';b'"#,
            commands: [["query", #"SELECT Id FROM Lead WHERE Name = 'a\';b'"#]]),
        Row(name: "selected is not SELECT", line: "selected x", commands: [["selected", "x"]]),
        Row(name: "control bytes are kept", line: "echo \u{01}\u{7F}", commands: [["echo", "\u{01}\u{7F}"]]),
        Row(name: "unicode words", line: "echo Zoë 東京 🎉", commands: [["echo", "Zoë", "東京", "🎉"]]),
    ]

    @Test(arguments: rows)
    func splits(row: Row) throws {
        #expect(try Lexer.split(row.line) == row.commands)
    }

    @Test(arguments: ["echo 'open", #"echo "open"#, #"echo "a\""#, "SELECT Id FROM Lead WHERE Name = 'open; echo x"])
    func unterminatedQuotesAreErrors(line: String) {
        #expect(throws: Lexer.Error.self) { try Lexer.split(line) }
    }

    @Test func lenientSplitClosesOpenQuotes() {
        #expect(Lexer.splitLenient("set client_secret 'abc") == [["set", "client_secret", "abc"]])
    }

    @Test(arguments: [
        ("echo a \\", true), ("echo a \\\\", false), ("echo a", false), ("\\", true), ("a\\\\\\", true),
    ])
    func continuation(line: String, continues: Bool) {
        #expect(Lexer.continues(line) == continues)
    }

    @Test func hugeAndHostileLinesDoNotCrash() throws {
        let huge = "echo " + String(repeating: "x", count: 1_000_000)
        #expect(try Lexer.split(huge).first?.last?.count == 1_000_000)
        let hostile = String(decoding: [0x65, 0x63, 0x68, 0x6F, 0x20, 0xFF, 0xFE, 0x00, 0x1B, 0x5B, 0x41], as: UTF8.self)
        #expect(try Lexer.split(hostile).first?.first == "echo")
        _ = Lexer.splitLenient(String(repeating: "'\"\\;#", count: 10_000))
    }
}
