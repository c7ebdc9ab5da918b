import SyncEngine
import Testing
@testable import Shell

@Suite struct CommandTableTests {
    let table = Commands.table

    @Test func everyCommandHasUsageSummaryAndAnExample() {
        for spec in table.commands {
            #expect(!spec.usage.isEmpty, "\(spec.name)")
            #expect(!spec.summary.isEmpty, "\(spec.name)")
            #expect(!(spec.examples + spec.subcommands.flatMap(\.examples)).isEmpty, "\(spec.name) has no example")
            #expect(spec.handler != nil || !spec.subcommands.isEmpty, "\(spec.name) does nothing")
        }
    }

    @Test func namesAndAliasesAreUnique() {
        #expect(Set(table.allNames).count == table.allNames.count)
    }

    @Test func lookupIsCaseInsensitiveAndKnowsAliases() {
        #expect(table.lookup("QUIT")?.name == "exit")
        #expect(table.lookup("nosuch") == nil)
        #expect(table.suggestions(for: "hsitory") == ["history"])
    }

    @Test func parsesOptionsFlagsAndPositionals() throws {
        let spec = try #require(table.lookup("history"))
        let invocation = try Invocation.parse(["5", "--json", "--clear"], spec: spec, path: "history")
        #expect(invocation.positionals == ["5"])
        #expect(invocation.has("json") && invocation.has("clear"))
        let ended = try Invocation.parse(["--", "--json"], spec: spec, path: "history")
        #expect(ended.positionals == ["--json"] && !ended.has("json"))
    }

    @Test func unknownOptionNamesTheUsage() throws {
        let spec = try #require(table.lookup("echo"))
        let error = #expect(throws: ShellError.self) { try Invocation.parse(["--nope"], spec: spec, path: "echo") }
        #expect(error?.status == .usage)
        #expect(error?.message.contains("--nope") == true)
        #expect(error?.hint == "usage: echo [WORD…]")
    }

    @Test func csvOnlyWhereTabular() throws {
        let echo = try #require(table.lookup("echo"))
        #expect(throws: ShellError.self) { try Invocation.parse(["--csv"], spec: echo, path: "echo") }
        let show = try #require(table.lookup("show"))
        let invocation = try Invocation.parse(["settings", "--csv"], spec: show, path: "show")
        #expect(invocation.path == "show settings" && invocation.has("csv"))
    }

    @Test func jsonAndCsvTogetherIsAUsageError() throws {
        let spec = try #require(table.lookup("history"))
        #expect(throws: ShellError.self) { try Invocation.parse(["--json", "--csv"], spec: spec, path: "history") }
    }
}

@Suite struct CompletionTests {
    struct Source: CompletionSource {
        func orgAliases() -> [String] { ["demo", "prod"] }
        func sObjectNames() -> [String] { ["Account", "Contact", "Lead"] }
        func fieldNames(of sObject: String) -> [String] { sObject == "Contact" ? ["Id", "FirstName", "Email"] : [] }
    }

    let completer = Completer(table: Commands.table, source: Source())

    @Test(arguments: [
        ("", CompletionKind.command, ""),
        ("his", .command, "his"),
        ("SELECT Id, Na", .describedFields, "Na"),
        ("select Id,Na", .describedFields, "Na"),
        ("echo a; hel", .command, "hel"),
        ("set ", .settingKey, ""),
        ("set form", .settingKey, "form"),
        ("help se", .command, "se"),
        ("source ./", .file, "./"),
        ("history --c", .choices(["--clear", "--json", "--help", "--csv"]), "--c"),
        ("show ", .choices(["settings", "mapping"]), ""),
        ("SELECT Id FROM ", .sObject, ""),
        ("unknowncmd x", .none, "x"),
    ])
    func analyzesWhatIsBeingCompleted(text: String, kind: CompletionKind, prefix: String) {
        let request = Completer.analyze(text, table: Commands.table)
        #expect(request.kind == kind)
        #expect(request.prefix == prefix)
    }

    @Test func completesAUniqueCommandWithASpace() {
        #expect(completer.complete("hist").insertion == "ory ")
    }

    @Test func completesTheCommonPrefixOfSeveral() {
        let result = completer.complete("s")
        #expect(result.candidates == ["schedule", "set", "show", "source", "sync"])
        #expect(result.insertion == "")
    }

    @Test func completesSettingValues() {
        #expect(completer.complete("set format j").insertion == "son ")
        #expect(completer.complete("set color ").candidates == ["always", "auto", "never"])
    }

    @Test func completesSObjectsCaseInsensitivelyAndFields() {
        let result = completer.complete("SELECT Id FROM cont")
        #expect(result.deleteCount == 4 && result.insertion == "Contact ")
        #expect(completer.complete("SELECT Id, Fi").candidates == [])
        #expect(completer.complete("SELECT Id FROM Contact WHERE Em").insertion == "ail ")
    }

    @Test func completesOptions() {
        #expect(completer.complete("history --cl").insertion == "ear ")
    }
}
