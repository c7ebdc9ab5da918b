public import Foundation
public import JSON
public import SalesforceModel

/// The lytics rules (SPEC §6.2): one profile becomes a Lead to create, an
/// existing Lead to update, or a skip with the reason, plus a trace.
public enum LeadPayload {
    /// The `lytics.*` settings.
    public struct Settings: Sendable, Equatable {
        public var audiences: [String] = []
        public var audiencesField = "Lytics_Audiences__c"
        public var affinityField: String?
        public var scoresField: String?
        public var unknownCompanyOK = false
        public var unknownLastNameOK = false
        public var emailAttribute = "email"
        public var firstNameAttribute = "first_name"
        public var lastNameAttribute = "last_name"
        public var companyAttribute = "company"
        /// Profile attribute → Lead field, in order.
        public var moreFields: [(attribute: String, field: String)] = []
        /// The Lead External ID field that holds the profile id (`lytics.match_field`): with it, a profile without
        /// a remembered Lead is upserted by that key instead of matched by email.
        public var matchField: String?
        /// Which assignment rule runs on created Leads (`lytics.assignment_rule`).
        public var assignmentRule: LeadAssignment.Choice = .active

        public init() {}

        public static func == (a: Settings, b: Settings) -> Bool {
            a.audiences == b.audiences && a.audiencesField == b.audiencesField && a.affinityField == b.affinityField
                && a.scoresField == b.scoresField && a.unknownCompanyOK == b.unknownCompanyOK
                && a.unknownLastNameOK == b.unknownLastNameOK && a.emailAttribute == b.emailAttribute
                && a.firstNameAttribute == b.firstNameAttribute && a.lastNameAttribute == b.lastNameAttribute
                && a.companyAttribute == b.companyAttribute && a.assignmentRule == b.assignmentRule
                && a.matchField == b.matchField
                && a.moreFields.map { "\($0.attribute)=\($0.field)" } == b.moreFields.map { "\($0.attribute)=\($0.field)" }
        }
    }

    /// `upsert`: by `lytics.match_field`, created or, when a Lead already holds the profile id, updated.
    public enum Action: String, Sendable { case create, update, upsert, skip }

    public struct SkippedField: Sendable, Equatable {
        public var field: String
        public var reason: String
    }

    public struct Result: Sendable {
        public var action: Action
        public var leadID: String?
        public var reason: String?
        /// Lead field → value, in the order the rules produced them.
        public var payload: [(String, JSONValue)] = []
        public var skippedFields: [SkippedField] = []
        public var warnings: [String] = []
        public var trace: [TraceEntry] = []

        public var json: JSONValue {
            .object([
                ("action", .string(action.rawValue)),
                ("lead_id", leadID.map(JSONValue.string) ?? .null),
                ("reason", reason.map(JSONValue.string) ?? .null),
                ("payload", .object(payload)),
                ("skipped_fields", .array(skippedFields.map { .object([("field", .string($0.field)), ("reason", .string($0.reason))]) })),
                ("warnings", .array(warnings.map(JSONValue.string))),
                ("trace", .array(trace.map(\.json))),
            ])
        }

        public func value(of field: String) -> JSONValue? { payload.first { $0.0 == field }?.1 }
    }

    /// The Lead field types that take text (`audiences_field`, `affinity_field`, `scores_field`).
    public static let textTypes = ["string", "textarea", "email", "phone", "url", "picklist"]
    /// The Lead field types `more_fields` may target, in the order they are listed to users.
    public static let targetTypes = ["boolean", "double", "currency", "percent", "int"] + textTypes + ["date", "datetime"]
    public static let supportedTypes = Set(targetTypes)

    static func textField(_ name: String, setting: String, in describe: SObjectDescribe) throws(RuleError) -> FieldDescribe {
        guard let field = describe.field(name) else {
            throw RuleError(setting: setting, field: name, message: "\(setting): the Lead describe has no field \(name)")
        }
        guard textTypes.contains(field.type) else {
            throw RuleError(setting: setting, field: field.name,
                            message: "\(setting): Lead.\(field.name) is a \(field.type) field, not a text field")
        }
        return field
    }

    /// Text cut at the field's length (in characters).
    static func cut(_ text: String, _ field: FieldDescribe) -> (String, Bool) {
        guard field.length > 0, text.count > field.length else { return (text, false) }
        return (String(text.prefix(field.length)), true)
    }

    /// A number in the shortest form that reads back the same (1, 2.5, 0.25).
    static func numberText(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }

    /// Rounds down (toward −∞) to `places` decimals, exactly (decimal arithmetic, not binary).
    public static func roundDown(_ value: Double, places: Int) -> Decimal {
        var input = Decimal(string: "\(value)") ?? Decimal(value)
        var output = Decimal()
        NSDecimalRound(&output, &input, places, .down)
        return output
    }

    /// Digits before the decimal point.
    static func integerDigits(_ value: Decimal) -> Int {
        var magnitude = value < 0 ? -value : value
        var whole = Decimal()
        NSDecimalRound(&whole, &magnitude, 0, .down)
        let text = NSDecimalNumber(decimal: whole).stringValue
        return text == "0" ? 0 : text.count
    }

    /// Applies the rules. `existingLeadID` is the Lead remembered from an
    /// earlier export, else the one found by email.
    public static func build(profile: Profile, describe: SObjectDescribe, settings: Settings,
                             existingLeadID: String?) throws(RuleError) -> Result {
        var result = Result(action: .create)
        func trace(_ output: String, _ source: String, _ rule: String, _ value: JSONValue) {
            result.trace.append(TraceEntry(output: output, source: source, rule: rule, value: value))
        }
        func set(_ field: FieldDescribe, _ value: JSONValue) {
            result.payload.removeAll { $0.0 == field.name }
            result.payload.append((field.name, value))
        }
        func skip(_ reason: String) -> Result {
            result.action = .skip
            result.reason = reason
            result.payload = []
            return result
        }
        func string(_ attribute: String) -> String? {
            if case let .string(text)? = profile.attributes[attribute] {
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                return trimmed.isEmpty ? nil : trimmed
            }
            return nil
        }

        // Membership in the selected audiences.
        let selected = Set(settings.audiences)
        let memberships = profile.audiences.filter(selected.contains).sorted()
        guard !settings.audiences.isEmpty else {
            trace("action", "lytics.audiences", "no audiences are selected", .null)
            return skip("no audiences selected (set lytics.audiences)")
        }
        guard !memberships.isEmpty else {
            trace("action", "audiences", "the profile is in none of the selected audiences", .array(profile.audiences.map(JSONValue.string)))
            return skip("not a member of any selected audience (\(settings.audiences.joined(separator: ", ")))")
        }

        // Create or update.
        let email = string(settings.emailAttribute)
        if let existingLeadID {
            result.action = .update
            result.leadID = existingLeadID
            trace("action", "Lead.Id", "an existing Lead (remembered from an earlier export, else matched by email) is updated, never duplicated",
                  .string(existingLeadID))
        } else {
            guard email != nil else {
                trace("action", settings.emailAttribute, "a new Lead needs an email", .null)
                return skip("missing email")
            }
            if let matchField = settings.matchField {
                result.action = .upsert
                trace("action", "id", "no remembered Lead: upsert by \(matchField) (lytics.match_field), which creates the Lead "
                      + "or updates the one that already holds the profile id, never a second", .string("upsert"))
            } else {
                trace("action", settings.emailAttribute, "no existing Lead: create one", .string("create"))
            }
        }

        // The upsert key: the profile id, on updates too, so later runs match by it.
        if let matchField = settings.matchField {
            guard let field = describe.field(matchField), field.externalId else {
                throw RuleError(setting: "lytics.match_field", field: matchField,
                                message: "lytics.match_field: Lead.\(matchField) is not an External ID field of this org")
            }
            set(field, .string(profile.id))
            trace(field.name, "id", "the profile id: the key the export upserts by (lytics.match_field)", .string(profile.id))
        }

        // Standard fields.
        let creating = result.action == .create || result.action == .upsert
        let standard: [(attribute: String, field: String, unknownOK: Bool?, missing: String)] = [
            (settings.emailAttribute, "Email", nil, "missing email"),
            (settings.firstNameAttribute, "FirstName", nil, ""),
            (settings.lastNameAttribute, "LastName", settings.unknownLastNameOK, "missing last name"),
            (settings.companyAttribute, "Company", settings.unknownCompanyOK, "missing company"),
        ]
        for (attribute, name, unknownOK, missing) in standard {
            guard let field = describe.field(name) else { continue }
            if let value = string(attribute) {
                let (text, wasCut) = cut(value, field)
                set(field, .string(text))
                trace(field.name, attribute, wasCut ? "text cut at \(field.length) characters" : "from the profile", .string(text))
            } else if let unknownOK, creating {
                guard unknownOK else {
                    trace(field.name, attribute, "a new Lead needs \(field.name) and unknown_\(name == "Company" ? "company" : "last_name")_ok is off", .null)
                    return skip(missing)
                }
                set(field, .string("Unknown"))
                trace(field.name, attribute, "missing, so Unknown (lytics.unknown_\(name == "Company" ? "company" : "last_name")_ok is on)", .string("Unknown"))
            }
        }

        // Audiences, affinity, scores.
        let audiencesField = try textField(settings.audiencesField, setting: "lytics.audiences_field", in: describe)
        let joined = memberships.joined(separator: ", ")
        let (audiencesText, audiencesCut) = cut(joined, audiencesField)
        set(audiencesField, .string(audiencesText))
        trace(audiencesField.name, "audiences", "the selected audiences the profile is in, sorted, joined with \", \""
              + (audiencesCut ? "; cut at \(audiencesField.length) characters" : ""), .string(audiencesText))
        if let name = settings.affinityField {
            let field = try textField(name, setting: "lytics.affinity_field", in: describe)
            let top = profile.contentAffinity.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(3).map(\.key)
            if top.isEmpty {
                result.skippedFields.append(SkippedField(field: field.name, reason: "the profile has no content affinities"))
            } else {
                let (text, wasCut) = cut(top.joined(separator: ", "), field)
                set(field, .string(text))
                trace(field.name, "content_affinity", "the top 3 topics by affinity, highest first" + (wasCut ? "; cut" : ""),
                      .string(text))
            }
        }
        if let name = settings.scoresField {
            let field = try textField(name, setting: "lytics.scores_field", in: describe)
            if profile.scores.isEmpty {
                result.skippedFields.append(SkippedField(field: field.name, reason: "the profile has no scores"))
            } else {
                let text = profile.scores.keys.sorted().map { "\($0): \(numberText(profile.scores[$0]!))" }
                    .joined(separator: ", ")
                let (value, wasCut) = cut(text, field)
                set(field, .string(value))
                trace(field.name, "scores", "name: value pairs sorted by name" + (wasCut ? "; cut" : ""), .string(value))
            }
        }

        // More fields, by the target's type.
        for (attribute, name) in settings.moreFields {
            guard let field = describe.field(name) else {
                throw RuleError(setting: "lytics.more_fields", field: name,
                                message: "lytics.more_fields: the Lead describe has no field \(name)")
            }
            guard let value = profile.attributes[attribute] else {
                result.skippedFields.append(SkippedField(field: field.name, reason: "the profile has no \(attribute)"))
                continue
            }
            switch (field.type, value) {
            case let ("boolean", .boolean(flag)):
                set(field, .bool(flag))
                trace(field.name, attribute, "boolean from a boolean", .bool(flag))
            case let ("double", .number(number)), let ("currency", .number(number)), let ("percent", .number(number)),
                 let ("int", .number(number)):
                let isInt = field.type == "int"
                let rounded = roundDown(number, places: isInt ? 0 : 2)
                let allowed = isInt ? (field.digits > 0 ? field.digits : 9) : field.precision - field.scale
                if integerDigits(rounded) > allowed && (isInt || field.precision > 0) {
                    result.skippedFields.append(SkippedField(field: field.name,
                        reason: "\(NSDecimalNumber(decimal: rounded).stringValue) exceeds the field's precision (\(isInt ? "\(allowed) digits" : "\(field.precision),\(field.scale)"))"))
                    continue
                }
                // Through the decimal text, so 10.12 stays 10.12 (not 10.120000000000001).
                let text = NSDecimalNumber(decimal: rounded).stringValue
                let json: JSONValue = isInt ? .int(Int(text) ?? NSDecimalNumber(decimal: rounded).intValue)
                    : .double(Double(text) ?? NSDecimalNumber(decimal: rounded).doubleValue)
                set(field, json)
                trace(field.name, attribute, isInt ? "number rounded down to a whole number" : "number rounded down to 2 decimals", json)
            case let (type, .string(text)) where textTypes.contains(type):
                let (value, wasCut) = cut(text, field)
                set(field, .string(value))
                trace(field.name, attribute, wasCut ? "text cut at \(field.length) characters" : "text", .string(value))
            case let ("date", .date(date)):
                set(field, .string(date))
                trace(field.name, attribute, "a date (YYYY-MM-DD)", .string(date))
            case let ("datetime", .dateTime(dateTime)):
                set(field, .string(dateTime))
                trace(field.name, attribute, "a date-time (ISO 8601 UTC)", .string(dateTime))
            default:
                if !supportedTypes.contains(field.type) {
                    result.skippedFields.append(SkippedField(field: field.name, reason: "unsupported field type \(field.type)"))
                } else {
                    result.skippedFields.append(SkippedField(field: field.name,
                                                             reason: "type mismatch: \(value.typeName) into \(field.type)"))
                }
            }
        }
        return result
    }
}
