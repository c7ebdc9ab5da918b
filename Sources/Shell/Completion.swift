import SyncEngine
import SalesforceModel
import Foundation

/// Names that completion offers but that live outside the command table:
/// org aliases, sObjects and fields (from the describe cache — no API calls).
public protocol CompletionSource: Sendable {
    func orgAliases() -> [String]
    func sObjectNames() -> [String]
    func fieldNames(of sObject: String) -> [String]
    /// Fields of every described object, the most recently described first.
    func describedFieldNames() -> [String]
}

extension CompletionSource {
    public func describedFieldNames() -> [String] { [] }
}

/// A source with nothing in it, until an org is connected.
public struct EmptyCompletionSource: CompletionSource {
    public init() {}
    public func orgAliases() -> [String] { [] }
    public func sObjectNames() -> [String] { [] }
    public func fieldNames(of sObject: String) -> [String] { [] }
}

/// What the word under the cursor is, decided from the text before it alone.
public struct CompletionRequest: Sendable, Equatable {
    public var kind: CompletionKind
    /// The part of the word already typed.
    public var prefix: String
    /// For `.settingValue` and `.field`: the positional arguments before the word.
    public var positionals: [String] = []
    /// For option completion: the command's options; for subcommands, their names.
    public var words: [String] = []
}

/// TAB completion: a pure analysis of the text before the cursor, then
/// candidates from the command table, the settings and a `CompletionSource`.
public final class Completer: Sendable {
    public let table: CommandTable
    public let source: any CompletionSource

    public init(table: CommandTable, source: any CompletionSource) {
        self.table = table
        self.source = source
    }

    /// What to do at the cursor: characters to delete before it, text to insert,
    /// and the candidates that matched.
    public struct Result: Equatable, Sendable {
        public var deleteCount: Int
        public var insertion: String
        public var candidates: [String]
    }

    public func complete(_ before: String) -> Result {
        let request = Self.analyze(before, table: table)
        let names = candidates(for: request)
        let prefix = request.prefix
        let matches = names.filter { $0.hasPrefix(prefix) }
        let pool = matches.isEmpty ? names.filter { $0.lowercased().hasPrefix(prefix.lowercased()) } : matches
        let unique = Set(pool).sorted()
        guard !unique.isEmpty else { return Result(deleteCount: 0, insertion: "", candidates: []) }
        let common = Self.commonPrefix(unique)
        let needsRewrite = !common.hasPrefix(prefix)
        var insertion = needsRewrite ? common : String(common.dropFirst(prefix.count))
        if unique.count == 1, !unique[0].hasSuffix("/") { insertion += " " }
        return Result(deleteCount: needsRewrite ? prefix.count : 0, insertion: insertion, candidates: unique)
    }

    func candidates(for request: CompletionRequest) -> [String] {
        switch request.kind {
        case .none: return []
        case .command: return table.allNames
        case .settingKey: return SettingsRegistry.keys
        case .settingValue:
            return request.positionals.first.flatMap(SettingsRegistry.spec)?.valueCandidates ?? []
        case let .choices(choices): return choices
        case .file: return Self.files(matching: request.prefix)
        case .orgAlias: return source.orgAliases()
        case .sObject: return source.sObjectNames()
        case let .field(index):
            guard index < request.positionals.count else { return [] }
            return source.fieldNames(of: request.positionals[index])
        case .describedFields:
            var seen = Set<String>()
            return source.describedFieldNames().filter { seen.insert($0).inserted }
        }
    }

    /// Decides what is being completed. Only the last `;`-separated command counts.
    public static func analyze(_ before: String, table: CommandTable) -> CompletionRequest {
        let (words, current) = lenientWords(before)
        guard let first = words.first else { return CompletionRequest(kind: .command, prefix: current) }
        if first.lowercased() == "select" || (first.lowercased() == "query" && words.count > 1) {
            return soqlRequest(words: first.lowercased() == "query" ? Array(words.dropFirst()) : words,
                               current: current)
        }
        guard var spec = table.lookup(first) else { return CompletionRequest(kind: .none, prefix: current) }
        var rest = Array(words.dropFirst())
        while !spec.subcommands.isEmpty {
            guard let word = rest.first else {
                return CompletionRequest(kind: .choices(spec.subcommands.flatMap { $0.names() }), prefix: current)
            }
            guard let sub = spec.subcommand(word) else { return CompletionRequest(kind: .none, prefix: current) }
            spec = sub
            rest.removeFirst()
        }
        if current.hasPrefix("-") {
            return CompletionRequest(kind: .choices(spec.allOptions.map { "--" + $0.name }), prefix: current)
        }
        var positionals: [String] = []
        var index = 0
        while index < rest.count {
            let word = rest[index]
            if word.hasPrefix("--"), let option = spec.allOptions.first(where: { "--" + $0.name == word }) {
                if option.valueName != nil {
                    if index == rest.count - 1 {
                        return CompletionRequest(kind: option.completion, prefix: current, positionals: positionals)
                    }
                    index += 1
                }
            } else {
                positionals.append(word)
            }
            index += 1
        }
        guard !spec.arguments.isEmpty else { return CompletionRequest(kind: .none, prefix: current) }
        let kind = spec.arguments[min(positionals.count, spec.arguments.count - 1)]
        return CompletionRequest(kind: kind, prefix: current, positionals: positionals)
    }

    /// SOQL: sObjects after FROM, fields of the FROM object elsewhere.
    static func soqlRequest(words: [String], current: String) -> CompletionRequest {
        let lowered = words.map { $0.lowercased() }
        // In `Id,Na` the field being typed is what follows the last comma.
        let current = current.split(separator: ",", omittingEmptySubsequences: false).last.map(String.init) ?? current
        if lowered.last == "from" { return CompletionRequest(kind: .sObject, prefix: current) }
        if let from = lowered.firstIndex(of: "from"), from + 1 < words.count {
            let object = words[from + 1]
            return CompletionRequest(kind: .field(sObjectArgument: 0), prefix: current.trimmingCharacters(in: [","]),
                                     positionals: [object])
        }
        if !lowered.contains("from") {
            // The SELECT list comes before FROM names the object: offer what was described.
            return CompletionRequest(kind: .describedFields, prefix: current.trimmingCharacters(in: [","]))
        }
        return CompletionRequest(kind: .none, prefix: current)
    }

    /// Words of the last command before the cursor and the word being typed,
    /// tolerating an open quote (the word inside it is being typed).
    static func lenientWords(_ text: String) -> (words: [String], current: String) {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
                continue
            }
            switch character {
            case "\\": escaped = true; inWord = true
            case "'", "\"": quote = character; inWord = true
            case ";": words = []; current = ""; inWord = false
            case " ", "\t":
                if inWord { words.append(current) }
                current = ""
                inWord = false
            default:
                current.append(character)
                inWord = true
            }
        }
        return (words, current)
    }

    static func commonPrefix(_ names: [String]) -> String {
        guard var prefix = names.first else { return "" }
        for name in names.dropFirst() {
            while !name.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix
    }

    static func files(matching prefix: String) -> [String] {
        let directory: String
        let shown: String
        if let slash = prefix.lastIndex(of: "/") {
            shown = String(prefix[...slash])
            directory = shown.hasPrefix("~") ? NSHomeDirectory() + shown.dropFirst() : shown
        } else {
            shown = ""
            directory = "."
        }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return entries.filter { !$0.hasPrefix(".") || prefix.hasSuffix(".") || prefix.hasSuffix("/.") }
            .map { name in
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory)
                return shown + name + (isDirectory.boolValue ? "/" : "")
            }
    }

    /// Candidates laid out in columns for a terminal of `width`.
    public static func columns(_ names: [String], width: Int) -> String {
        let cell = (names.map(TerminalText.width).max() ?? 0) + 2
        let perLine = max(1, width / max(1, cell))
        var out = ""
        for (index, name) in names.enumerated() {
            let last = index % perLine == perLine - 1 || index == names.count - 1
            out += last ? name + "\n" : name + String(repeating: " ", count: cell - TerminalText.width(name))
        }
        return out
    }
}
