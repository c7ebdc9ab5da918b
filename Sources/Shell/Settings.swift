/// The type of a setting's value, which decides how it is checked and completed.
public enum SettingKind: Sendable, Equatable {
    case choice([String])
    case boolean
    case integer(ClosedRange<Int>)
    case text
    /// Comma-separated values.
    case list
}

/// One key of `set`/`unset`/`show settings`.
public struct SettingSpec: Sendable {
    public let key: String
    public let kind: SettingKind
    public let defaultValue: String?
    public let help: String
    /// Secret values are never printed and may be typed at a no-echo prompt.
    public let secret: Bool

    public init(_ key: String, _ kind: SettingKind, default defaultValue: String? = nil, secret: Bool = false,
                help: String) {
        self.key = key
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
        self.secret = secret
    }

    /// Checks and normalises a value typed by the user.
    public func normalize(_ raw: String) throws(ShellError) -> String {
        let value = raw.trimmingBlanks
        switch kind {
        case let .choice(choices):
            guard let match = choices.first(where: { $0 == value.lowercased() }) else {
                throw .usage("\(key) must be one of \(choices.joined(separator: ", ")), not '\(Invocation.excerpt(value))'",
                             usage: "set \(key) \(choices.joined(separator: "|"))")
            }
            return match
        case .boolean:
            switch value.lowercased() {
            case "on", "true", "yes", "1": return "on"
            case "off", "false", "no", "0": return "off"
            default:
                throw .usage("\(key) must be on or off, not '\(Invocation.excerpt(value))'", usage: "set \(key) on|off")
            }
        case let .integer(range):
            guard let number = Int(value), range.contains(number) else {
                throw .usage("\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), "
                             + "not '\(Invocation.excerpt(value))'", usage: "set \(key) N")
            }
            return String(number)
        case .text:
            guard !value.isEmpty else { throw .usage("\(key) needs a value", usage: "set \(key) VALUE") }
            return value
        case .list:
            let items = SettingSpec.listItems(value)
            return items.joined(separator: ",")
        }
    }

    /// The items of a comma-separated list value, trimmed, empty ones dropped.
    public static func listItems(_ value: String) -> [String] {
        value.split(separator: ",").map { String($0).trimmingBlanks }.filter { !$0.isEmpty }
    }

    /// What completion offers for the value.
    public var valueCandidates: [String] {
        switch kind {
        case let .choice(choices): choices
        case .boolean: ["on", "off"]
        default: []
        }
    }
}

/// The settings sfsh knows. Later areas add their keys here.
public enum SettingsRegistry {
    public static let all: [SettingSpec] = [
        SettingSpec("format", .choice(OutputFormat.allCases.map(\.rawValue)), default: "table",
                    help: "default output format of data commands"),
        SettingSpec("color", .choice(["auto", "always", "never"]), default: "auto",
                    help: "colour on a terminal (NO_COLOR in the environment always turns it off)"),
        SettingSpec("history_size", .integer(0...100_000), default: "1000",
                    help: "how many lines the history file keeps"),
        SettingSpec("client_id", .text,
                    help: "connected app consumer key used by login"),
        SettingSpec("client_secret", .text, secret: true,
                    help: "connected app consumer secret (type 'set client_secret' to enter it unechoed)"),
    ]

    public static func spec(_ key: String) -> SettingSpec? {
        all.first { $0.key == key.lowercased() }
    }

    public static var keys: [String] { all.map(\.key) }
}
