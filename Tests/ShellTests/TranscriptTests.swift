import SfshDemo
import Simulator
import SyncEngine
import JSON
import Foundation
import Store
import Testing
import TestSupport
@testable import Shell

/// A shell on a fresh temporary home, with its output captured.
extension ShellSession {
    /// The demo org's sfsim server, for tests that drive it (its clock, faults, call log).
    var demoServer: SimServer? { (demoOrg as? SimDemoOrg)?.server }
}

struct Harness {
    let home: String
    let stdout = BufferSink()
    let stderr = BufferSink()
    let session: ShellSession

    init(environment: [String: String] = [:], width: Int? = nil) throws {
        home = NSTemporaryDirectory() + "sfsh-test-" + UUID().uuidString
        let store = try Store(home: SfshHome(path: home))
        let io = ShellIO(stdout: stdout, stderr: stderr, environment: environment, terminalWidth: { width })
        session = ShellSession(table: Commands.table, store: store, io: io)
        session.demoStarter = SimDemoOrg.starter
    }

    /// Runs `script` as a script would and returns everything it printed.
    func run(_ script: String, keepGoing: Bool = false) async -> (out: String, err: String, code: Int32) {
        session.keepGoing = keepGoing
        let result = await session.run(reader: TextLineReader(text: script))
        return (stdout.text, stderr.text, result.exitCode)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = home + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

@Suite struct TranscriptTests {
    /// The whole-output matcher the transcripts use: every line, in order; `{…}` is any text within a line.
    @Test(arguments: [
        ("a\nb\n", "a\nb\n", true), ("a\nb\n", "a\nb", false), ("a\n", "a\nb\n", false), ("", "", true),
        ("run 12 at 18:40Z\n", "run {…} at {…}Z\n", true), ("run 12 at 18:40\n", "run {…} at {…}Z\n", false),
        ("x\n", "{…}\n", true), ("\n", "{…}\n", true), ("ab\n", "a{…}b{…}\n", true), ("ab\n", "a{…}b{…}c\n", false),
        ("aXbXc\n", "a{…}c\n", true), ("abc\n", "abc{…}abc\n", false), ("a\nextra\n", "a\n", false),
    ])
    func transcriptMatching(actual: String, expected: String, matches: Bool) {
        #expect((transcriptMismatch(actual, expected) == nil) == matches)
    }

    @Test func echoAndComments() async throws {
        let (out, err, code) = try await Harness().run("""
            # a comment
            echo hello   world ; echo 'two  spaces'
            echo one \\
              two
            """)
        #expect(out == "hello world\ntwo  spaces\none two\n")
        #expect(err == "")
        #expect(code == 0)
    }

    @Test func stopsAtTheFirstError() async throws {
        let (out, err, code) = try await Harness().run("echo a\nnosuchcmd\necho b\n")
        #expect(out == "a\n")
        #expect(err == "sfsh: error: unknown command 'nosuchcmd'\n  type 'help' for the list of commands\n")
        #expect(code == 2)
    }

    @Test func keepGoingRunsOnAndStillFails() async throws {
        let (out, _, code) = try await Harness().run("echo a\nnosuchcmd\necho b\n", keepGoing: true)
        #expect(out == "a\nb\n")
        #expect(code == 2)
    }

    @Test func aFailureStopsTheRestOfItsLineUnlessKeepGoing() async throws {
        let (out, _, code) = try await Harness().run("echo a; set nope 1; echo b")
        #expect(out == "a\n")
        #expect(code == 2)
        let (goOn, _, goOnCode) = try await Harness().run("echo a; set nope 1; echo b", keepGoing: true)
        #expect(goOn == "a\nb\n")
        #expect(goOnCode == 2)
    }

    @Test func exitCodes() async throws {
        #expect(await (try Harness()).run("exit 4\necho never").code == 4)
        #expect(await (try Harness()).run("quit").code == 0)
        #expect(await (try Harness()).run("exit 300").code == 2)
        #expect(await (try Harness()).run("echo 'open").code == 2)
        #expect(await (try Harness()).run("source /no/such/file").code == 1)
    }

    @Test func settingsPersistAndValidate() async throws {
        let harness = try Harness()
        let (out, err, code) = await harness.run("""
            set format json
            set history_size 10
            unset history_size
            show settings --csv
            set format xml
            """)
        #expect(code == 2)
        #expect(out.contains("format,json,set (home),"))
        #expect(out.contains("history_size,1000,default,"))
        #expect(err.contains(#""message":"format must be one of table, json, csv, not 'xml'""#))
        let reopened = ShellSession(table: Commands.table, store: try Store(home: SfshHome(path: harness.home)),
                                        io: ShellIO(stdout: BufferSink(), stderr: BufferSink()))
        #expect(reopened.setting("format") == "json")
    }

    @Test func secretsAreRedactedAndNeedATerminalToPrompt() async throws {
        let harness = try Harness()
        let (out, err, code) = await harness.run("set client_secret hunter2\nshow settings\nset client_secret")
        #expect(out.contains("(redacted)"))
        #expect(!out.contains("hunter2") && !err.contains("hunter2"))
        #expect(err.contains("no terminal to ask for it"))
        #expect(code == 2)
        #expect(harness.session.isSecretLine("set client_secret hunter2"))
        #expect(harness.session.isSecretLine("echo x; set CLIENT_SECRET 'hunter2"))
        #expect(!harness.session.isSecretLine("set client_secret"))
    }

    @Test func jsonErrorsOnStderr() async throws {
        let (out, err, code) = try await Harness().run("history --bogus --json")
        #expect(out == "")
        let error = try JSONValue.parse(err)["error"]
        #expect(error?["code"] == .int(2))
        #expect(error?["message"] == .string("history: unknown option --bogus"))
        #expect(code == 2)
    }

    @Test func helpListsEveryCommandAndShowsOne() async throws {
        let (out, _, code) = try await Harness().run("help\nhelp show settings\nhelp hist")
        #expect(code == 0)
        for spec in Commands.table.commands { #expect(out.contains("  \(spec.name)")) }
        #expect(out.contains("usage: show settings"))
        // One command's help, whole.
        let (history, _, _) = try await Harness().run("help hist")
        expectTranscript(history, """
            usage: history [N] [--clear]

            show the last N lines typed at the prompt (default 20), or clear them

            History is saved after every command in the sfsh home. Lines that carry a secret are never saved.

            options:
              --clear  forget every saved line
              --json   print JSON (errors too, on stderr)
              --help   show this command's help
              --csv    print CSV

            examples:
              history
              history 100
              history --clear

            """)
    }

    @Test func helpForAnUnknownCommandSuggests() async throws {
        let (_, err, code) = try await Harness().run("help sett")
        #expect(code == 2)
        expectTranscript(err, """
            sfsh: error: no command 'sett'
              did you mean: set?
              type 'help' for the list of commands

            """)
        let (_, err2, code2) = try await Harness().run("help zzz")
        #expect(code2 == 2)
        expectTranscript(err2, """
            sfsh: error: no command 'zzz'
              type 'help' for the list of commands

            """)
    }

    @Test func sourceRunsFilesAndRefusesLoops() async throws {
        let harness = try Harness()
        let inner = try harness.write("inner.sfsh", "echo inner\n")
        _ = try harness.write("outer.sfsh", "echo outer\nsource \(inner)\necho after\n")
        let loop = try harness.write("loop.sfsh", "echo looping\nsource \(harness.home)/loop.sfsh\n")
        let (out, _, code) = await harness.run("source \(harness.home)/outer.sfsh")
        #expect(out == "outer\ninner\nafter\n")
        #expect(code == 0)
        let (_, err, loopCode) = await harness.run("source \(loop)")
        #expect(loopCode == 1)
        #expect(err.contains("source loop: loop.sfsh → loop.sfsh"))
    }

    @Test func errorsInSourcedFilesNameTheLine() async throws {
        let harness = try Harness()
        let script = try harness.write("bad.sfsh", "echo ok\n\nnosuch\necho never\n")
        let (out, err, code) = await harness.run("source \(script)\necho after")
        #expect(out == "ok\n")
        #expect(err.hasPrefix("sfsh: \(script):3: error: unknown command 'nosuch'"))
        #expect(code == 2)
    }

    @Test func exitInsideASourcedFileLeavesTheShell() async throws {
        let harness = try Harness()
        let script = try harness.write("exit.sfsh", "exit 3\n")
        let (out, _, code) = await harness.run("source \(script)\necho never")
        #expect(out == "" && code == 3)
    }

    @Test func historyShowsTheSavedLines() async throws {
        let harness = try Harness()
        harness.session.history.append("echo one", limit: 100)
        harness.session.history.append("multi\nline \\ entry", limit: 100)
        let (out, _, _) = await harness.run("history --json")
        let rows = try JSONValue.parse(out)
        #expect(rows == .array([
            .object([("n", .int(1)), ("line", .string("echo one"))]),
            .object([("n", .int(2)), ("line", .string("multi\nline \\ entry"))]),
        ]))
    }

    @Test func historyFileIsTrimmed() throws {
        let harness = try Harness()
        for index in 0..<50 { harness.session.history.append("echo \(index)", limit: 20) }
        let entries = harness.session.history.load()
        #expect(entries.count <= 22)
        #expect(entries.last == "echo 49")
    }

    @Test func malformedInputNeverCrashes() async throws {
        var bytes: [UInt8] = Array("echo ".utf8) + [0xFF, 0xC3, 0x28, 0x00, 0x07] + Array("\n".utf8)
        bytes += Array(("echo " + String(repeating: "é", count: 500_000) + "\n").utf8)
        bytes += Array("'\"\\\n;;;\n\u{1B}[A\n".utf8)
        let (out, _, _) = try await Harness().run(String(decoding: bytes, as: UTF8.self), keepGoing: true)
        #expect(out.contains(String(repeating: "é", count: 500_000)))
    }

    @Test func tablesFitTheWidth() async throws {
        let (out, _, _) = try await Harness(width: 40).run("show settings")
        for line in out.split(separator: "\n") { #expect(TerminalText.width(String(line)) <= 40) }
        #expect(out.contains("…"))
    }
}
