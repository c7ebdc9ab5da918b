import SyncEngine

/// What a word can be completed with.
public enum CompletionKind: Sendable, Equatable {
    case none
    /// Command names (for `help`).
    case command
    case settingKey
    /// Values of the setting named by the previous positional argument.
    case settingValue
    case file
    case orgAlias
    case sObject
    /// Fields of the sObject named by the positional argument at that index.
    case field(sObjectArgument: Int)
    /// Fields of the objects described so far, the last described first (a SELECT list before its FROM).
    case describedFields
    case choices([String])
}

/// One `--option` of a command.
public struct OptionSpec: Sendable {
    public let name: String
    /// The value's placeholder, or nil for a flag.
    public let valueName: String?
    public let help: String
    public let completion: CompletionKind
    /// The value may be left out (the next word is an option, or there is none): the option is then a flag.
    public var valueOptional = false

    public static func flag(_ name: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, valueName: nil, help: help, completion: .none)
    }

    public static func value(_ name: String, _ valueName: String, _ help: String,
                             completion: CompletionKind = .none) -> OptionSpec {
        OptionSpec(name: name, valueName: valueName, help: help, completion: completion)
    }

    /// `--name VALUE`, or `--name` alone (seen with `has`, no value).
    public static func optionalValue(_ name: String, _ valueName: String, _ help: String) -> OptionSpec {
        var option = OptionSpec(name: name, valueName: valueName, help: help, completion: .none)
        option.valueOptional = true
        return option
    }
}

/// What a command handler returns to the loop.
public enum CommandOutcome: Sendable, Equatable {
    case done
    /// Leave the shell (or the script) with this status.
    case exit(Int32)
}

public typealias CommandHandler = @Sendable (Invocation, ShellSession) async throws -> CommandOutcome

/// One entry of the command table: dispatch, help and completion all read it.
public struct CommandSpec: Sendable {
    public let name: String
    public let aliases: [String]
    public let group: String
    /// The usage line, e.g. `set KEY VALUE`.
    public let usage: String
    public let summary: String
    public let details: String
    public let examples: [String]
    public let options: [OptionSpec]
    /// Completion for each positional argument; the last one repeats.
    public let arguments: [CompletionKind]
    /// Whether the output is a table (so `--csv` applies).
    public let tabular: Bool
    public let subcommands: [CommandSpec]
    public let handler: CommandHandler?

    public init(
        _ name: String, aliases: [String] = [], group: String, usage: String, summary: String,
        details: String = "", examples: [String], options: [OptionSpec] = [],
        arguments: [CompletionKind] = [], tabular: Bool = false, subcommands: [CommandSpec] = [],
        handler: CommandHandler? = nil
    ) {
        self.name = name
        self.aliases = aliases
        self.group = group
        self.usage = usage
        self.summary = summary
        self.details = details
        self.examples = examples
        self.options = options
        self.arguments = arguments
        self.tabular = tabular
        self.subcommands = subcommands
        self.handler = handler
    }

    /// Options every command accepts.
    public static let commonOptions: [OptionSpec] = [
        .flag("json", "print JSON (errors too, on stderr)"),
        .flag("help", "show this command's help"),
    ]
    static let csvOption = OptionSpec.flag("csv", "print CSV")

    /// This command's options, then the common ones.
    public var allOptions: [OptionSpec] {
        options + Self.commonOptions + (tabular ? [Self.csvOption] : [])
    }

    public func names() -> [String] { [name] + aliases }

    public func subcommand(_ word: String) -> CommandSpec? {
        subcommands.first { $0.names().contains(word.lowercased()) }
    }
}

/// The commands of a shell, in help order.
public struct CommandTable: Sendable {
    public let commands: [CommandSpec]

    public init(_ commands: [CommandSpec]) { self.commands = commands }

    /// The command called exactly `word` or one of its aliases (case-insensitive).
    public func lookup(_ word: String) -> CommandSpec? {
        let lowered = word.lowercased()
        return commands.first { $0.names().contains(lowered) }
    }

    /// Commands whose name or alias starts with `prefix`.
    public func matching(prefix: String) -> [CommandSpec] {
        let lowered = prefix.lowercased()
        return commands.filter { $0.names().contains { $0.hasPrefix(lowered) } }
    }

    /// Every name and alias, sorted.
    public var allNames: [String] { commands.flatMap { $0.names() }.sorted() }

    /// The closest command names to a mistyped word, for "did you mean".
    public func suggestions(for word: String) -> [String] {
        let lowered = word.lowercased()
        let scored = allNames.map { ($0, Self.distance(lowered, $0)) }
        let best = scored.filter { $0.1 <= max(1, min(2, lowered.count / 3)) }.sorted { $0.1 < $1.1 }
        return best.prefix(3).map(\.0)
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.prefix(64)), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, cb) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// A parsed command line: the command (and subcommand) found, its options and
/// positional arguments.
public struct Invocation: Sendable {
    public let spec: CommandSpec
    /// `show settings` for a subcommand, else the command name.
    public let path: String
    public let positionals: [String]
    public let values: [String: [String]]
    public let flags: Set<String>

    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// The last value given for an option.
    public func value(_ option: String) -> String? { values[option]?.last }

    /// The full usage line, for errors.
    public var usage: String { spec.usage }

    /// Parses an option as a whole number in `range`, naming the option in the error.
    public func integer(_ option: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(ShellError) -> Int? {
        guard let text = value(option) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            let bound = range.upperBound == Int.max ? "a whole number ≥ \(range.lowerBound)"
                : "a whole number from \(range.lowerBound) to \(range.upperBound)"
            throw .usage("--\(option) must be \(bound), not '\(Self.excerpt(text))'", usage: usage)
        }
        return number
    }

    /// Fails unless the positional count is within `range`.
    public func expectArguments(_ range: ClosedRange<Int>) throws(ShellError) {
        if positionals.count < range.lowerBound {
            throw .usage("\(path): missing argument", usage: usage)
        }
        if positionals.count > range.upperBound {
            throw .usage("\(path): unexpected argument '\(Self.excerpt(positionals[range.upperBound]))'", usage: usage)
        }
    }

    /// A word cut to a readable length with control characters escaped, for messages.
    public static func excerpt(_ word: String, limit: Int = 60) -> String {
        EngineError.excerpt(word, limit: limit)
    }

    /// Parses the words after the command name against the command's spec.
    /// Subcommands are chosen by the first word when the command has them.
    public static func parse(_ words: [String], spec: CommandSpec, path: String) throws(ShellError) -> Invocation {
        var words = words
        if !spec.subcommands.isEmpty, let first = words.first, !first.hasPrefix("--") {
            guard let sub = spec.subcommand(first) else {
                let names = spec.subcommands.map(\.name).joined(separator: ", ")
                throw .usage("\(path): unknown subcommand '\(excerpt(first))' (one of: \(names))", usage: spec.usage)
            }
            words.removeFirst()
            return try parse(words, spec: sub, path: path + " " + sub.name)
        }
        let options = spec.allOptions
        var positionals: [String] = []
        var values: [String: [String]] = [:]
        var flags: Set<String> = []
        var index = 0
        var optionsEnded = false
        while index < words.count {
            let word = words[index]
            index += 1
            guard !optionsEnded, word.hasPrefix("--"), word.count > 2 else {
                if word == "--" && !optionsEnded { optionsEnded = true } else { positionals.append(word) }
                continue
            }
            var name = String(word.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let option = options.first(where: { $0.name == name }) else {
                throw .usage("\(path): unknown option --\(excerpt(name))", usage: spec.usage)
            }
            if option.valueName == nil {
                guard inline == nil else {
                    throw .usage("\(path): --\(name) takes no value", usage: spec.usage)
                }
                flags.insert(name)
            } else if let inline {
                values[name, default: []].append(inline)
            } else if option.valueOptional, index >= words.count || (words[index].hasPrefix("--") && words[index].count > 2) {
                flags.insert(name)
            } else {
                guard index < words.count else {
                    throw .usage("\(path): --\(name) needs a value (\(option.valueName!))", usage: spec.usage)
                }
                values[name, default: []].append(words[index])
                index += 1
            }
        }
        if flags.contains("json") && flags.contains("csv") {
            throw .usage("\(path): choose one of --json and --csv", usage: spec.usage)
        }
        return Invocation(spec: spec, path: path, positionals: positionals, values: values, flags: flags)
    }
}
