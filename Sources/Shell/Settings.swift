import Salesforce

/// The type of a setting's value, which decides how it is checked and completed.
public enum SettingKind: Sendable, Equatable {
    case choice([String])
    case boolean
    case integer(ClosedRange<Int>)
    case text
    /// Comma-separated values.
    case list
    /// One field of `object` of one of `types`.
    case field(object: String, types: [String])
    /// Comma-separated fields of `object` of the given types.
    case fields(object: String, types: [String])
    /// Comma-separated `attribute=Field` pairs, fields of `object` of the given types.
    case pairs(object: String, types: [String])
    /// `all`, `none`, or comma-separated items from `items`.
    case subset([String])
}

/// Where a setting lives: one for the home, or one per org (the default scope
/// when no org is selected).
public enum SettingScope: Sendable, Equatable {
    case home
    case org
}

/// One key of `set`/`unset`/`show settings`.
public struct SettingSpec: Sendable {
    public let key: String
    public let kind: SettingKind
    public let defaultValue: String?
    public let help: String
    /// Secret values are never printed and may be typed at a no-echo prompt.
    public let secret: Bool
    public let scope: SettingScope

    public init(_ key: String, _ kind: SettingKind, default defaultValue: String? = nil, secret: Bool = false,
                scope: SettingScope = .home, help: String) {
        self.key = key
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
        self.secret = secret
        self.scope = scope
    }

    /// The sObject whose describe validates this setting, if any.
    public var describedObject: String? {
        switch kind {
        case let .field(object, _), let .fields(object, _), let .pairs(object, _): object
        default: nil
        }
    }

    /// Checks and normalises a value typed by the user. Field settings are
    /// checked against `describe` when there is one (field names get their
    /// canonical spelling); without one they are taken as typed.
    public func normalize(_ raw: String, describe: SObjectDescribe? = nil) throws(ShellError) -> String {
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
            return SettingSpec.listItems(value).joined(separator: ",")
        case let .field(object, types):
            guard !value.isEmpty else { throw .usage("\(key) needs a field name", usage: "set \(key) FIELD") }
            return try checkField(value, object: object, types: types, describe: describe)
        case let .fields(object, types):
            var fields: [String] = []
            for item in SettingSpec.listItems(value) {
                fields.append(try checkField(item, object: object, types: types, describe: describe))
            }
            return fields.joined(separator: ",")
        case let .pairs(object, types):
            var pairs: [String] = []
            for item in SettingSpec.listItems(value) {
                let parts = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingBlanks }
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw .usage("\(key): '\(Invocation.excerpt(item))' is not attribute=Field", usage: "set \(key) attr=Field,…")
                }
                pairs.append(parts[0] + "=" + (try checkField(parts[1], object: object, types: types, describe: describe)))
            }
            return pairs.joined(separator: ",")
        case let .subset(items):
            let lowered = value.lowercased()
            if lowered == "all" || lowered == "none" { return lowered }
            let chosen = SettingSpec.listItems(lowered)
            guard !chosen.isEmpty else { throw .usage("\(key) needs all, none or a list", usage: "set \(key) all|none|a,b") }
            for item in chosen where !items.contains(item) {
                throw .usage("\(key): '\(Invocation.excerpt(item))' is not one of \(items.joined(separator: ", "))",
                             usage: "set \(key) all|none|\(items.joined(separator: ","))")
            }
            return chosen.joined(separator: ",")
        }
    }

    /// A field name checked against the describe: it exists and has an allowed type.
    func checkField(_ name: String, object: String, types: [String], describe: SObjectDescribe?) throws(ShellError) -> String {
        guard let describe else { return name }
        guard let field = describe.field(name) else {
            throw ShellError(.usage, "\(key): \(object) has no field '\(Invocation.excerpt(name))'",
                             hint: "'fields \(object)' lists the fields")
        }
        guard types.contains(field.type) else {
            throw ShellError(.usage, "\(key): \(object).\(field.name) is a \(field.type) field; \(key) takes \(types.joined(separator: ", ")) fields",
                             hint: "'fields \(object) --type \(types[0])' lists the fields that fit")
        }
        return field.name
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
        case let .subset(items): ["all", "none"] + items
        default: []
        }
    }
}

/// The settings sfsh knows.
public enum SettingsRegistry {
    static let textTypes = ["string", "textarea", "email", "phone", "url", "picklist"]
    /// Lead field types `more_fields` can write (SPEC §6.2); others are refused at `set` time.
    public static let leadTargetTypes = ["boolean", "double", "currency", "percent", "int", "string", "textarea",
                                         "email", "phone", "url", "picklist", "date", "datetime"]

    public static let all: [SettingSpec] = [
        SettingSpec("format", .choice(["table", "json", "csv"]), default: "table",
                    help: "default output format of data commands"),
        SettingSpec("color", .choice(["auto", "always", "never"]), default: "auto",
                    help: "colour on a terminal (NO_COLOR in the environment always turns it off)"),
        SettingSpec("history_size", .integer(0...100_000), default: "1000",
                    help: "how many lines the history file keeps"),
        SettingSpec("client_id", .text,
                    help: "connected app consumer key used by login"),
        SettingSpec("client_secret", .text, secret: true,
                    help: "connected app consumer secret (type 'set client_secret' to enter it unechoed)"),

        SettingSpec("levitate.nickname_field", .field(object: "Contact", types: ["string"]), scope: .org,
                    help: "Contact text field whose value, when present, replaces the first name"),
        SettingSpec("levitate.key_dates", .fields(object: "Contact", types: ["date"]), scope: .org,
                    help: "Contact date fields shown as key facts (besides Birthdate)"),
        SettingSpec("levitate.tag_fields", .fields(object: "Contact", types: ["picklist", "multipicklist", "boolean", "string"]),
                    scope: .org, help: "Contact fields turned into tags (picklist, multipicklist, checkbox, text)"),
        SettingSpec("levitate.optout_field", .field(object: "Contact", types: ["boolean", "date"]), scope: .org,
                    help: "Contact checkbox or date that means unsubscribed (e.g. HasOptedOutOfEmail)"),
        SettingSpec("levitate.deceased_field", .field(object: "Contact", types: ["boolean", "date"]), scope: .org,
                    help: "Contact checkbox or date that means deceased (the contact is archived)"),
        SettingSpec("levitate.remove_deceased", .boolean, default: "off", scope: .org,
                    help: "remove deceased contacts instead of archiving them"),
        SettingSpec("levitate.writeback", .subset(["note", "email", "call", "card", "text"]), default: "all", scope: .org,
                    help: "activity kinds written back to Salesforce as Notes: all, none, or a list"),

        SettingSpec("lytics.audiences", .list, scope: .org,
                    help: "audiences whose members are exported as Leads (overlap counted once)"),
        SettingSpec("lytics.audiences_field", .field(object: "Lead", types: textTypes), default: "Lytics_Audiences__c",
                    scope: .org, help: "Lead text field that receives the member's audiences"),
        SettingSpec("lytics.affinity_field", .field(object: "Lead", types: textTypes), scope: .org,
                    help: "Lead text field for the top 3 content affinities (optional)"),
        SettingSpec("lytics.scores_field", .field(object: "Lead", types: textTypes), scope: .org,
                    help: "Lead text field for the scores (optional)"),
        SettingSpec("lytics.unknown_company_ok", .boolean, default: "off", scope: .org,
                    help: "create Leads without a company as 'Unknown'"),
        SettingSpec("lytics.unknown_last_name_ok", .boolean, default: "off", scope: .org,
                    help: "create Leads without a last name as 'Unknown'"),
        SettingSpec("lytics.email_field", .text, default: "email", scope: .org,
                    help: "profile attribute that feeds Lead.Email"),
        SettingSpec("lytics.first_name_field", .text, default: "first_name", scope: .org,
                    help: "profile attribute that feeds Lead.FirstName"),
        SettingSpec("lytics.last_name_field", .text, default: "last_name", scope: .org,
                    help: "profile attribute that feeds Lead.LastName"),
        SettingSpec("lytics.company_field", .text, default: "company", scope: .org,
                    help: "profile attribute that feeds Lead.Company"),
        SettingSpec("lytics.more_fields", .pairs(object: "Lead", types: leadTargetTypes), scope: .org,
                    help: "more attribute=LeadField pairs (see 'map lead')"),
        SettingSpec("lytics.max_daily_calls", .integer(1...100_000_000), scope: .org,
                    help: "the export's (and the import's) maximum daily API calls"),
        SettingSpec("lytics.keep_updated", .boolean, default: "off", scope: .org,
                    help: "run the export again 24 h after each run finishes"),
    ]

    public static func spec(_ key: String) -> SettingSpec? {
        all.first { $0.key == key.lowercased() }
    }

    public static var keys: [String] { all.map(\.key) }
}
