import Foundation
public import JSON
public import SalesforceModel

/// The levitate rules (SPEC §6.1): one Salesforce Contact becomes one
/// relationship-marketing contact, with a trace entry for every output.
public enum ContactMapping {
    /// The Contact field types each setting accepts (SPEC §6.1); `set` checks them against these.
    public static let nicknameTypes = ["string"]
    public static let keyDateTypes = ["date"]
    public static let tagTypes = ["picklist", "multipicklist", "boolean", "string"]
    /// The opt-out and deceased fields: a checkbox, or a date that means "yes" when present.
    public static let flagTypes = ["boolean", "date"]

    /// The `levitate.*` settings and the owner map.
    public struct Settings: Sendable, Equatable {
        public var nicknameField: String?
        public var keyDates: [String] = []
        public var tagFields: [String] = []
        public var optoutField: String?
        public var deceasedField: String?
        public var removeDeceased = false
        /// Salesforce user name or Id → local user.
        public var ownerMap: [String: String] = [:]

        public init(nicknameField: String? = nil, keyDates: [String] = [], tagFields: [String] = [],
                    optoutField: String? = nil, deceasedField: String? = nil, removeDeceased: Bool = false,
                    ownerMap: [String: String] = [:]) {
            self.nicknameField = nicknameField
            self.keyDates = keyDates
            self.tagFields = tagFields
            self.optoutField = optoutField
            self.deceasedField = deceasedField
            self.removeDeceased = removeDeceased
            self.ownerMap = ownerMap
        }
    }

    public struct Address: Sendable, Equatable {
        public var street: String?
        public var city: String?
        public var state: String?
        public var postalCode: String?
        public var country: String?
    }

    public struct Phone: Sendable, Equatable {
        public var label: String
        public var number: String
    }

    public struct KeyFact: Sendable, Equatable {
        public var label: String
        public var date: String
    }

    /// The mapped contact.
    public struct Contact: Sendable, Equatable {
        public var firstName: String?
        public var legalFirstName: String?
        public var lastName: String?
        public var address = Address()
        public var phones: [Phone] = []
        public var jobTitle: String?
        public var company: String?
        public var keyFacts: [KeyFact] = []
        public var tags: [String] = []
        public var unsubscribed = false
        public var owner: (salesforce: String?, local: String?) = (nil, nil)
        public var archived = false
        public var removed = false
        public var warnings: [String] = []
        public var trace: [TraceEntry] = []

        public static func == (a: Contact, b: Contact) -> Bool { a.json == b.json }

        public var json: JSONValue {
            func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
            return .object([
                ("first_name", text(firstName)),
                ("legal_first_name", text(legalFirstName)),
                ("last_name", text(lastName)),
                ("address", .object([("street", text(address.street)), ("city", text(address.city)),
                                     ("state", text(address.state)), ("postal_code", text(address.postalCode)),
                                     ("country", text(address.country))])),
                ("phones", .array(phones.map { .object([("label", .string($0.label)), ("number", .string($0.number))]) })),
                ("job_title", text(jobTitle)),
                ("company", text(company)),
                ("key_facts", .array(keyFacts.map { .object([("label", .string($0.label)), ("date", .string($0.date))]) })),
                ("tags", .array(tags.map(JSONValue.string))),
                ("unsubscribed", .bool(unsubscribed)),
                ("owner", .object([("salesforce", text(owner.salesforce)), ("local", text(owner.local))])),
                ("archived", .bool(archived)),
                ("removed", .bool(removed)),
                ("warnings", .array(warnings.map(JSONValue.string))),
                ("trace", .array(trace.map(\.json))),
            ])
        }
    }

    /// The longest a tag may be, in characters (Swift `Character`s).
    public static let tagLimit = 60

    /// Cuts a tag longer than 60 characters to its first 57 and `...`.
    public static func elide(_ tag: String) -> String {
        tag.count > tagLimit ? String(tag.prefix(tagLimit - 3)) + "..." : tag
    }

    /// The fields the rules read, for fetching a Contact (parents as paths).
    public static func fieldsNeeded(describe: SObjectDescribe, settings: Settings) -> [String] {
        var fields = ["Id", "FirstName", "LastName", "MailingStreet", "MailingCity", "MailingState", "MailingPostalCode",
                      "MailingCountry", "Title", "Birthdate", "OwnerId", "Account.Name", "Owner.Name"]
        fields += describe.fields.filter { $0.type == "phone" }.map(\.name)
        fields += [settings.nicknameField, settings.optoutField, settings.deceasedField].compactMap { $0 }
        fields += settings.keyDates + settings.tagFields
        var seen = Set<String>()
        return fields.filter { seen.insert($0.lowercased()).inserted && (describe.field($0) != nil || $0.contains(".")) }
    }

    /// A value of the record by field name (case-insensitive), null when absent.
    static func value(_ record: JSONValue, _ path: String) -> JSONValue {
        RecordFlattening.value(record, path: path)
    }

    /// Text of a value; empty and whitespace-only strings count as no value.
    static func text(_ value: JSONValue) -> String? {
        switch value {
        case let .string(s):
            let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        case .int, .double: return value.cellText
        default: return nil
        }
    }

    /// Whether a checkbox is true or a date field has a date.
    static func isSet(_ value: JSONValue) -> Bool {
        switch value {
        case let .bool(flag): return flag
        case .string: return text(value) != nil
        default: return false
        }
    }

    /// Looks up a configured field, which must exist with an allowed type.
    static func configured(_ name: String, setting: String, types: [String], in describe: SObjectDescribe)
        throws(RuleError) -> FieldDescribe
    {
        guard let field = describe.field(name) else {
            throw RuleError(setting: setting, field: name,
                            message: "\(setting): the Contact describe has no field \(name)")
        }
        guard types.contains(field.type) else {
            throw RuleError(setting: setting, field: field.name,
                            message: "\(setting): Contact.\(field.name) is a \(field.type) field; \(setting) takes \(types.joined(separator: ", ")) fields")
        }
        return field
    }

    static func formulaWarning(_ field: FieldDescribe, _ setting: String) -> String {
        "\(setting): \(field.name) is a formula field; Salesforce does not change SystemModstamp when only a formula result changes, so incremental syncs miss those changes"
    }

    /// Applies the rules to one Contact record (REST shape, with Account and Owner nested).
    public static func map(record: JSONValue, describe: SObjectDescribe, settings: Settings) throws(RuleError) -> Contact {
        var contact = Contact()
        func trace(_ output: String, _ source: String, _ rule: String, _ value: JSONValue) {
            contact.trace.append(TraceEntry(output: output, source: source, rule: rule, value: value))
        }

        // Names.
        let firstName = text(value(record, "FirstName"))
        contact.legalFirstName = firstName
        contact.firstName = firstName
        var nicknameUsed = false
        if let nicknameName = settings.nicknameField {
            let field = try configured(nicknameName, setting: "levitate.nickname_field", types: ["string"], in: describe)
            if field.calculated { contact.warnings.append(formulaWarning(field, "levitate.nickname_field")) }
            if let nickname = text(value(record, field.name)) {
                contact.firstName = nickname
                nicknameUsed = true
                trace("first_name", field.name, "the nickname field is set, so it replaces the first name", .string(nickname))
            }
        }
        if !nicknameUsed {
            trace("first_name", "FirstName", settings.nicknameField == nil ? "FirstName (no nickname field configured)"
                    : "FirstName (the nickname field is empty)", firstName.map(JSONValue.string) ?? .null)
        }
        trace("legal_first_name", "FirstName", "FirstName, kept as the legal first name", firstName.map(JSONValue.string) ?? .null)
        contact.lastName = text(value(record, "LastName"))
        trace("last_name", "LastName", "LastName", contact.lastName.map(JSONValue.string) ?? .null)

        // Address: the Mailing components, else the compound field.
        let compound = record.objectValue?.first { $0.0.lowercased() == "mailingaddress" }?.1 ?? .null
        func part(_ name: String, _ key: String) -> String? {
            text(value(record, "Mailing" + name)) ?? text(compound[key] ?? .null)
        }
        contact.address = Address(street: part("Street", "street"), city: part("City", "city"),
                                  state: part("State", "state"), postalCode: part("PostalCode", "postalCode"),
                                  country: part("Country", "country"))
        for (output, field, value) in [("address.street", "MailingStreet", contact.address.street),
                                       ("address.city", "MailingCity", contact.address.city),
                                       ("address.state", "MailingState", contact.address.state),
                                       ("address.postal_code", "MailingPostalCode", contact.address.postalCode),
                                       ("address.country", "MailingCountry", contact.address.country)] {
            trace(output, field, "mailing address", value.map(JSONValue.string) ?? .null)
        }

        // Phones: every non-empty phone field, labelled.
        for field in describe.fields where field.type == "phone" {
            guard let number = text(value(record, field.name)) else { continue }
            contact.phones.append(Phone(label: field.label, number: number))
            trace("phones", field.name, "a non-empty phone field, labelled \"\(field.label)\"", .string(number))
        }

        contact.jobTitle = text(value(record, "Title"))
        trace("job_title", "Title", "Title", contact.jobTitle.map(JSONValue.string) ?? .null)
        contact.company = text(value(record, "Account.Name"))
        trace("company", "Account.Name", value(record, "Account") == .null ? "the contact has no Account" : "the Account's name",
              contact.company.map(JSONValue.string) ?? .null)

        // Key facts: Birthday, then each configured date field with a value.
        if let birthday = text(value(record, "Birthdate")) {
            contact.keyFacts.append(KeyFact(label: "Birthday", date: birthday))
            trace("key_facts", "Birthdate", "Birthdate becomes the key fact \"Birthday\"", .string(birthday))
        }
        for name in settings.keyDates {
            let field = try configured(name, setting: "levitate.key_dates", types: keyDateTypes, in: describe)
            if field.calculated { contact.warnings.append(formulaWarning(field, "levitate.key_dates")) }
            guard let date = text(value(record, field.name)) else {
                trace("key_facts", field.name, "a key date field without a value: no key fact", .null)
                continue
            }
            contact.keyFacts.append(KeyFact(label: field.label, date: date))
            trace("key_facts", field.name, "a key date field becomes the key fact \"\(field.label)\"", .string(date))
        }

        // Tags: Salesforce first, then each tag field in order, duplicates removed.
        var tags = ["Salesforce"]
        trace("tags", "—", "every Salesforce contact is tagged Salesforce", .string("Salesforce"))
        func addTag(_ raw: String, source: String, rule: String) {
            let tag = elide(raw)
            let how = tag == raw ? rule : rule + "; longer than 60 characters, cut to 57 + ..."
            if tags.contains(tag) {
                trace("tags", source, how + " (already tagged)", .string(tag))
            } else {
                tags.append(tag)
                trace("tags", source, how, .string(tag))
            }
        }
        for name in settings.tagFields {
            let field = try configured(name, setting: "levitate.tag_fields",
                                       types: tagTypes, in: describe)
            if field.calculated { contact.warnings.append(formulaWarning(field, "levitate.tag_fields")) }
            let raw = value(record, field.name)
            switch field.type {
            case "picklist":
                guard let picked = text(raw) else { trace("tags", field.name, "an empty picklist: no tag", .null); continue }
                let label = field.picklistLabel(of: picked) ?? picked
                addTag("\(field.label): \(label)", source: field.name, rule: "picklist → \"Label: value label\"")
            case "multipicklist":
                let values = (raw.stringValue ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                if values.isEmpty { trace("tags", field.name, "an empty multi-select picklist: no tag", .null) }
                for item in values {
                    addTag("\(field.label): \(field.picklistLabel(of: item) ?? item)", source: field.name,
                           rule: "multi-select picklist → one tag per value")
                }
            case "boolean":
                if raw == .bool(true) {
                    addTag("\(field.label): Yes", source: field.name, rule: "checkbox true → \"Label: Yes\"")
                } else {
                    trace("tags", field.name, "checkbox false: no tag", raw)
                }
            default:
                guard let value = text(raw) else { trace("tags", field.name, "empty text: no tag", .null); continue }
                addTag("\(field.label): \(value)", source: field.name, rule: "text → \"Label: value\" (trimmed)")
            }
        }

        // Unsubscribe.
        if let name = settings.optoutField {
            let field = try configured(name, setting: "levitate.optout_field", types: flagTypes, in: describe)
            if field.calculated { contact.warnings.append(formulaWarning(field, "levitate.optout_field")) }
            let raw = value(record, field.name)
            if isSet(raw) {
                contact.unsubscribed = true
                if !tags.contains("Unsubscribe") { tags.append("Unsubscribe") }
                trace("tags", field.name, field.type == "boolean" ? "the opt-out checkbox is true → Unsubscribe"
                        : "the opt-out date is set → Unsubscribe", .string("Unsubscribe"))
            } else {
                trace("unsubscribed", field.name, "the opt-out field is not set", raw)
            }
        }
        contact.tags = tags

        // Owner.
        let ownerName = text(value(record, "Owner.Name"))
        let ownerID = text(value(record, "OwnerId"))
        contact.owner.salesforce = ownerName.map { "Salesforce: \($0)" }
        trace("owner.salesforce", "Owner.Name", "shown as \"Salesforce: <User Name>\"",
              contact.owner.salesforce.map(JSONValue.string) ?? .null)
        let mapped = ownerName.flatMap { settings.ownerMap[$0] } ?? ownerID.flatMap { id in
            settings.ownerMap[id] ?? settings.ownerMap.first { $0.key.count == 15 && id.hasPrefix($0.key) }?.value
        }
        contact.owner.local = mapped
        if let mapped {
            trace("owner.local", "Owner.Name", "the owner map assigns \(ownerName ?? ownerID ?? "?") to \(mapped)", .string(mapped))
        } else if let who = ownerName ?? ownerID {
            contact.warnings.append("owner \(who) is not in the owner map: no local owner (map owner \"\(who)\" USER)")
            trace("owner.local", "Owner.Name", "unmapped owner: reported, not guessed", .null)
        } else {
            trace("owner.local", "Owner.Name", "the contact has no owner", .null)
        }

        // Deceased.
        if let name = settings.deceasedField {
            let field = try configured(name, setting: "levitate.deceased_field", types: flagTypes, in: describe)
            if field.calculated { contact.warnings.append(formulaWarning(field, "levitate.deceased_field")) }
            let raw = value(record, field.name)
            if isSet(raw) {
                if settings.removeDeceased {
                    contact.removed = true
                    trace("removed", field.name, "deceased, and levitate.remove_deceased is on → removed", .bool(true))
                } else {
                    contact.archived = true
                    trace("archived", field.name, "deceased → archived", .bool(true))
                }
            } else {
                trace("archived", field.name, "the deceased field is not set", raw)
            }
        }
        return contact
    }
}
