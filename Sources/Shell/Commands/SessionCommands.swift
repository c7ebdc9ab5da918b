import SyncEngine
import SalesforceModel
import JSON
import Foundation
import Salesforce

/// `help`, `exit`, `source`, `set`, `unset`, `show`, `history`, `echo`.
enum SessionCommands {
    static let group = "session"

    static let all: [CommandSpec] = [help, exit, source, set, unset, show, history, echo]

    static let help = CommandSpec(
        "help", group: group, usage: "help [COMMAND [SUBCOMMAND]]",
        summary: "list the commands, or show one command's usage, options and examples",
        details: "A unique prefix is enough: 'help hist' shows 'history'.",
        examples: ["help", "help set", "help show settings"],
        arguments: [.command, .none],
        handler: { invocation, session in
            let words = invocation.positionals
            guard let first = words.first else {
                let overview = JSONValue.array(session.table.commands.map(HelpText.json))
                session.emit(overview, human: HelpText.overview(session.table), for: invocation)
                return .done
            }
            var spec: CommandSpec
            if let exact = session.table.lookup(first) {
                spec = exact
            } else {
                let matches = session.table.matching(prefix: first)
                guard matches.count == 1 else {
                    if matches.isEmpty {
                        var hint = "type 'help' for the list of commands"
                        let near = session.table.suggestions(for: first)
                        if !near.isEmpty { hint = "did you mean: \(near.joined(separator: ", "))?\n" + hint }
                        throw ShellError(.usage, "no command '\(Invocation.excerpt(first))'", hint: hint)
                    }
                    throw ShellError(.usage, "'\(Invocation.excerpt(first))' matches several commands: "
                                     + matches.map(\.name).joined(separator: ", "))
                }
                spec = matches[0]
            }
            var path = spec.name
            for word in words.dropFirst() {
                guard let sub = spec.subcommand(word) else {
                    throw ShellError.usage("\(path) has no subcommand '\(Invocation.excerpt(word))'", usage: spec.usage)
                }
                spec = sub
                path += " " + sub.name
            }
            session.emit(HelpText.json(spec), human: HelpText.command(spec, path: path), for: invocation)
            return .done
        })

    static let exit = CommandSpec(
        "exit", aliases: ["quit"], group: group, usage: "exit [CODE]",
        summary: "leave sfsh (Ctrl-D does too); a script stops here with CODE (default 0)",
        examples: ["exit", "exit 3"],
        handler: { invocation, _ in
            try invocation.expectArguments(0...1)
            guard let text = invocation.positionals.first else { return .exit(0) }
            guard let code = Int32(text), (0...255).contains(code) else {
                throw ShellError.usage("exit code must be a whole number from 0 to 255, not '\(Invocation.excerpt(text))'",
                                       usage: invocation.usage)
            }
            return .exit(code)
        })

    static let source = CommandSpec(
        "source", group: group, usage: "source FILE",
        summary: "run the commands in FILE, stopping at the first error unless --keep-going",
        details: "Scripts may source others, up to 16 deep; a script that sources itself is refused.",
        examples: ["source setup.sfsh"],
        arguments: [.file],
        handler: { invocation, session in
            try invocation.expectArguments(1...1)
            let result = try await session.runFile(invocation.positionals[0])
            switch result {
            case let .exited(code): return .exit(code)
            case let .stopped(status): throw ReportedFailure(status: status)
            case let .completed(failure):
                if let failure { throw ReportedFailure(status: failure) }
                return .done
            }
        })

    static let set = CommandSpec(
        "set", group: "settings", usage: "set KEY [VALUE]",
        summary: "change a setting (with no VALUE: show it, or ask for a secret with echo off)",
        details: "Settings persist in the sfsh home. 'show settings' lists them all; 'unset KEY' restores the default.",
        examples: ["set format json", "set history_size 5000", "set client_secret"],
        arguments: [.settingKey, .settingValue],
        handler: { invocation, session in
            guard let key = invocation.positionals.first else {
                session.emit(settingsTable(session), for: invocation)
                return .done
            }
            guard let spec = SettingsRegistry.spec(key) else {
                throw unknownSetting(key)
            }
            var raw = invocation.positionals.dropFirst().joined(separator: " ")
            if invocation.positionals.count == 1 {
                guard spec.secret else {
                    let value = session.setting(spec.key)
                    session.emit(.object([("key", .string(spec.key)), ("value", value.map(JSONValue.string) ?? .null)]),
                                 human: "\(spec.key) = \(value ?? "(not set)")", for: invocation)
                    return .done
                }
                guard let typed = await session.readSecret(prompt: "\(spec.key): ") else {
                    throw ShellError.usage("\(spec.key) needs a value; no terminal to ask for it",
                                           usage: "set \(spec.key) VALUE")
                }
                raw = typed
            }
            var describe: SObjectDescribe?
            if let object = spec.describedObject {
                describe = await session.describeIfAvailable(object)
                if describe == nil {
                    session.note("\(spec.key): not checked now (no describe of \(object): no org selected or it is unreachable); it is checked when used")
                }
            }
            let value = try session.normalized(spec, raw, describe: describe)
            try session.storeSetting(spec.key, value)
            return .done
        })

    static let unset = CommandSpec(
        "unset", group: "settings", usage: "unset KEY",
        summary: "restore a setting to its default",
        examples: ["unset format"],
        arguments: [.settingKey],
        handler: { invocation, session in
            try invocation.expectArguments(1...1)
            guard let spec = SettingsRegistry.spec(invocation.positionals[0]) else {
                throw unknownSetting(invocation.positionals[0])
            }
            try session.removeSetting(spec.key)
            return .done
        })

    static let show = CommandSpec(
        "show", group: "settings", usage: "show settings|mapping",
        summary: "show the settings, or the owner and Lead field mappings",
        examples: [],
        subcommands: [
            CommandSpec(
                "settings", group: "settings", usage: "show settings",
                summary: "every setting with its value, where it comes from, and what it does",
                examples: ["show settings", "show settings --json"],
                tabular: true,
                handler: { invocation, session in
                    try invocation.expectArguments(0...0)
                    session.emit(settingsTable(session), for: invocation)
                    return .done
                }),
            MappingCommands.showMapping,
        ])

    static func settingsTable(_ session: ShellSession) -> Table {
        Table(columns: ["key", "value", "source", "description"], rows: SettingsRegistry.all.map { spec in
            let place = spec.scope == .org ? (session.currentOrgAlias.map { "org \($0)" } ?? "default scope") : "home"
            let value = session.setting(spec.key)
            let shown: JSONValue = switch (value, spec.secret) {
            case (nil, _): .null
            case (.some, true): .string("(redacted)")
            case let (.some(value), false): .string(value)
            }
            return [.string(spec.key), shown, .string(session.isSettingSet(spec.key) ? "set (\(place))" : "default"),
                    .string(spec.help)]
        })
    }

    static func unknownSetting(_ key: String) -> ShellError {
        ShellError(.usage, "unknown setting '\(Invocation.excerpt(key))'",
                   hint: "settings: " + SettingsRegistry.keys.joined(separator: ", "))
    }

    static let history = CommandSpec(
        "history", group: group, usage: "history [N] [--clear]",
        summary: "show the last N lines typed at the prompt (default 20), or clear them",
        details: "History is saved after every command in the sfsh home. Lines that carry a secret are never saved.",
        examples: ["history", "history 100", "history --clear"],
        options: [.flag("clear", "forget every saved line")],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(0...1)
            if invocation.has("clear") {
                try? FileManager.default.removeItem(atPath: session.history.path)
                session.note("history cleared (lines already loaded stay in this session's editor)")
                return .done
            }
            let count = try invocation.positionals.first.map { text throws(ShellError) -> Int in
                guard let n = Int(text), n >= 0 else {
                    throw ShellError.usage("N must be a whole number, not '\(Invocation.excerpt(text))'",
                                           usage: invocation.usage)
                }
                return n
            } ?? 20
            let entries = session.history.load()
            let start = max(0, entries.count - count)
            let rows = entries[start...].enumerated().map { offset, line -> [JSONValue] in
                [.int(start + offset + 1), .string(line)]
            }
            session.emit(Table(columns: ["n", "line"], rows: rows), for: invocation)
            return .done
        })

    static let echo = CommandSpec(
        "echo", group: group, usage: "echo [WORD…]",
        summary: "print the words, separated by spaces (handy in scripts)",
        examples: ["echo starting import", "echo 'two  spaces kept'"],
        handler: { invocation, session in
            let text = invocation.positionals.joined(separator: " ")
            if session.format(for: invocation) == .json {
                session.io.stdout.write(JSONValue.string(text).serialized() + "\n")
            } else {
                session.say(text + "\n")
            }
            return .done
        })
}
