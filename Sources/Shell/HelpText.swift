import SyncEngine
import SalesforceModel
import JSON
/// Help is data: it is printed from the command table.
enum HelpText {
    /// The list of commands, grouped, with their summaries.
    static func overview(_ table: CommandTable) -> String {
        var out = "sfsh — a shell for Salesforce integrations\n"
        var groups: [String] = []
        for spec in table.commands where !groups.contains(spec.group) { groups.append(spec.group) }
        let width = table.commands.map { usageHead($0).count }.max() ?? 0
        for group in groups {
            out += "\n\(group):\n"
            for spec in table.commands where spec.group == group {
                let head = usageHead(spec)
                out += "  " + head + String(repeating: " ", count: width - head.count + 2) + spec.summary + "\n"
            }
        }
        out += "\nType 'help COMMAND' for its options and examples. A line starting with SELECT runs a query.\n"
        return out
    }

    private static func usageHead(_ spec: CommandSpec) -> String {
        ([spec.name] + spec.aliases).joined(separator: "/")
    }

    /// One command: usage, summary, details, options, subcommands, examples.
    static func command(_ spec: CommandSpec, path: String) -> String {
        var out = "usage: \(spec.usage)\n\n\(spec.summary)\n"
        if !spec.aliases.isEmpty { out += "Also: \(spec.aliases.joined(separator: ", "))\n" }
        if !spec.details.isEmpty { out += "\n\(spec.details)\n" }
        if !spec.subcommands.isEmpty {
            out += "\nsubcommands:\n"
            let width = spec.subcommands.map(\.usage.count).max() ?? 0
            for sub in spec.subcommands {
                out += "  \(sub.usage)" + String(repeating: " ", count: width - sub.usage.count + 2) + sub.summary + "\n"
            }
        }
        let options = spec.allOptions
        if !options.isEmpty {
            out += "\noptions:\n"
            let heads = options.map { "--\($0.name)" + ($0.valueName.map { " \($0)" } ?? "") }
            let width = heads.map(\.count).max() ?? 0
            for (head, option) in zip(heads, options) {
                out += "  \(head)" + String(repeating: " ", count: width - head.count + 2) + option.help + "\n"
            }
        }
        let examples = spec.examples + spec.subcommands.flatMap(\.examples)
        if !examples.isEmpty {
            out += "\nexamples:\n" + examples.map { "  \($0)\n" }.joined()
        }
        return out
    }

    /// A command as JSON, for `help CMD --json`.
    static func json(_ spec: CommandSpec) -> JSONValue {
        .object([
            ("name", .string(spec.name)),
            ("aliases", .array(spec.aliases.map(JSONValue.string))),
            ("group", .string(spec.group)),
            ("usage", .string(spec.usage)),
            ("summary", .string(spec.summary)),
            ("details", .string(spec.details)),
            ("options", .array(spec.allOptions.map { option in
                .object([
                    ("name", .string("--" + option.name)),
                    ("value", option.valueName.map(JSONValue.string) ?? .null),
                    ("help", .string(option.help)),
                ])
            })),
            ("subcommands", .array(spec.subcommands.map(json))),
            ("examples", .array(spec.examples.map(JSONValue.string))),
        ])
    }
}
