import SyncEngine
import Foundation
import JSON
import Simulator
import SyncRules
import Testing
@testable import Shell

/// Seeded fuzzing of what users type: no crash, and every rejection a message a person can read.
@Suite struct ShellFuzzTests {
    static let lines = 30_000
    static let profiles = 15_000

    static func isClear(_ message: String) -> Bool {
        !message.isEmpty && !message.contains("Optional(") && !message.contains("Swift.") && !message.contains("Error(")
    }

    @Test func commandLinesLexParseAndCompleteWithoutCrashing() throws {
        var mutator = Mutator(seed: 9)
        let names = Commands.table.commands.flatMap { [$0.name] + $0.subcommands.map(\.name) }
        let vocabulary = names + ["--json", "--csv", "--help", "--all", "--limit", "5", "-1", "99999999999999999999", "'", "\"",
                                  "\\", ";", "#", "x'y", "\"a b\"", "--token", "--password", "client_secret", "SELECT",
                                  "FROM", "Contact", "WHERE", "ü", "🦊", "\u{1B}[2J", "\u{0}", String(repeating: "w", count: 300)]
        let completer = Completer(table: Commands.table, source: EmptyCompletionSource())
        var parsed = 0
        var rejected = 0
        for index in 0..<Self.lines {
            var line = mutator.sentence(vocabulary, count: 0...8)
            if index % 3 == 0 { line = String(decoding: mutator.mutate(Array(line.utf8)), as: UTF8.self) }
            _ = completer.complete(line)
            _ = SecretWords.values(inLine: line)
            _ = Lexer.continues(line)
            let commands: [[String]]
            do { commands = try Lexer.split(line) } catch {
                #expect(Self.isClear(error.message), "\(line.debugDescription): \(error.message)")
                rejected += 1
                continue
            }
            for words in commands {
                guard let name = words.first, let spec = Commands.table.lookup(name) else { continue }
                do {
                    _ = try Invocation.parse(Array(words.dropFirst()), spec: spec, path: spec.name)
                    parsed += 1
                } catch {
                    #expect(Self.isClear(error.message), "\(words): \(error.message)")
                    rejected += 1
                }
            }
        }
        #expect(parsed > 1000 && rejected > 1000)
    }

    @Test func profileLinesParseOrSayWhy() throws {
        var mutator = Mutator(seed: 10)
        let seeds = [
            #"{"id":"p1","attributes":{"email":"a@b.co","first_name":"Ann","age":42,"vip":true,"born":{"$date":"1990-01-31"},"seen":{"$datetime":"2024-05-01T10:00:00Z"}},"audiences":["vip","all"],"content_affinity":{"golf":0.9,"wine":0.2},"scores":{"churn":12.5}}"#,
            #"{"id":"p2","attributes":{},"audiences":[]}"#,
        ]
        var accepted = 0
        for index in 0..<Self.profiles {
            let line = String(decoding: mutator.mutate(Array(seeds[index % 2].utf8), maxEdits: 3), as: UTF8.self)
            do {
                _ = try Profile.parse(line)
                accepted += 1
            } catch {
                #expect(Self.isClear(error.message), "\(line): \(error.message)")
            }
        }
        #expect(accepted > 100)
    }
}
