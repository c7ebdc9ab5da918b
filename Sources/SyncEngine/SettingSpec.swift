import Foundation
public import SalesforceModel

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
    /// One of the choices, or a record Id (15 or 18 letters and digits) with the key prefix.
    case choiceOrID([String], keyPrefix: String)
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
    public func normalize(_ raw: String, describe: SObjectDescribe? = nil) throws(EngineError) -> String {
        let value = raw.trimmingBlanks
        switch kind {
        case let .choice(choices):
            guard let match = choices.first(where: { $0 == value.lowercased() }) else {
                throw EngineError.usage("\(key) must be one of \(choices.joined(separator: ", ")), not '\(EngineError.excerpt(value))'",
                             usage: "set \(key) \(choices.joined(separator: "|"))")
            }
            return match
        case .boolean:
            switch value.lowercased() {
            case "on", "true", "yes", "1": return "on"
            case "off", "false", "no", "0": return "off"
            default:
                throw EngineError.usage("\(key) must be on or off, not '\(EngineError.excerpt(value))'", usage: "set \(key) on|off")
            }
        case let .integer(range):
            guard let number = Int(value), range.contains(number) else {
                throw EngineError.usage("\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), "
                             + "not '\(EngineError.excerpt(value))'", usage: "set \(key) N")
            }
            return String(number)
        case .text:
            guard !value.isEmpty else { throw EngineError.usage("\(key) needs a value", usage: "set \(key) VALUE") }
            return value
        case .list:
            return SettingSpec.listItems(value).joined(separator: ",")
        case let .field(object, types):
            guard !value.isEmpty else { throw EngineError.usage("\(key) needs a field name", usage: "set \(key) FIELD") }
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
                    throw EngineError.usage("\(key): '\(EngineError.excerpt(item))' is not attribute=Field", usage: "set \(key) attr=Field,…")
                }
                pairs.append(parts[0] + "=" + (try checkField(parts[1], object: object, types: types, describe: describe)))
            }
            return pairs.joined(separator: ",")
        case let .choiceOrID(choices, keyPrefix):
            if let match = choices.first(where: { $0 == value.lowercased() }) { return match }
            guard (value.count == 15 || value.count == 18), value.hasPrefix(keyPrefix),
                  value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw EngineError.usage("\(key) must be \(choices.joined(separator: ", ")) or an Id starting \(keyPrefix), not '\(EngineError.excerpt(value))'",
                                        usage: "set \(key) \(choices.joined(separator: "|"))|ID")
            }
            return value
        case let .subset(items):
            let lowered = value.lowercased()
            if lowered == "all" || lowered == "none" { return lowered }
            let chosen = SettingSpec.listItems(lowered)
            guard !chosen.isEmpty else { throw EngineError.usage("\(key) needs all, none or a list", usage: "set \(key) all|none|a,b") }
            for item in chosen where !items.contains(item) {
                throw EngineError.usage("\(key): '\(EngineError.excerpt(item))' is not one of \(items.joined(separator: ", "))",
                             usage: "set \(key) all|none|\(items.joined(separator: ","))")
            }
            return chosen.joined(separator: ",")
        }
    }

    /// A field name checked against the describe: it exists and has an allowed type.
    func checkField(_ name: String, object: String, types: [String], describe: SObjectDescribe?) throws(EngineError) -> String {
        guard let describe else { return name }
        guard let field = describe.field(name) else {
            throw EngineError(.usage, "\(key): \(object) has no field '\(EngineError.excerpt(name))'",
                             hint: "'fields \(object)' lists the fields")
        }
        guard types.contains(field.type) else {
            throw EngineError(.usage, "\(key): \(object).\(field.name) is a \(field.type) field; \(key) takes \(types.joined(separator: ", ")) fields",
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
        case let .choice(choices), let .choiceOrID(choices, _): choices
        case .boolean: ["on", "off"]
        case let .subset(items): ["all", "none"] + items
        default: []
        }
    }
}

extension EngineError {
    /// A bad value, with the usage line that shows a good one.
    public static func usage(_ message: String, usage: String? = nil) -> EngineError {
        EngineError(.usage, message, hint: usage.map { "usage: \($0)" })
    }
}

extension String {
    public var trimmingBlanks: String {
        let blanks: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r"]
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, blanks.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, blanks.contains(last) { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
