import JSON
import SalesforceModel
import Testing
@testable import SyncRules

/// A Contact describe with the fields the rows need.
let contactDescribe = SObjectDescribe(name: "Contact", label: "Contact", fields: [
    FieldDescribe(name: "Id", label: "Contact ID", type: "id"),
    FieldDescribe(name: "FirstName", label: "First Name", type: "string", length: 40),
    FieldDescribe(name: "LastName", label: "Last Name", type: "string", length: 80),
    FieldDescribe(name: "Phone", label: "Business Phone", type: "phone", length: 40),
    FieldDescribe(name: "MobilePhone", label: "Mobile Phone", type: "phone", length: 40),
    FieldDescribe(name: "Pager__c", label: "Pager", type: "phone", length: 40),
    FieldDescribe(name: "Title", label: "Title", type: "string", length: 128),
    FieldDescribe(name: "Birthdate", label: "Birthdate", type: "date"),
    FieldDescribe(name: "Anniversary__c", label: "Anniversary", type: "date"),
    FieldDescribe(name: "Review_Date__c", label: "Review Date", type: "date"),
    FieldDescribe(name: "Last_Meeting__c", label: "Last Meeting", type: "datetime"),
    FieldDescribe(name: "Nickname__c", label: "Nickname", type: "string", length: 40),
    FieldDescribe(name: "Segment__c", label: "Segment", type: "picklist",
                  picklistValues: [.init(value: "GOLD", label: "Gold"), .init(value: "SILVER", label: "Silver")]),
    FieldDescribe(name: "Interests__c", label: "Interests", type: "multipicklist",
                  picklistValues: [.init(value: "Golf", label: "Golf"), .init(value: "Wine", label: "Fine Wine")]),
    FieldDescribe(name: "VIP__c", label: "VIP", type: "boolean"),
    FieldDescribe(name: "Hobby__c", label: "Hobby", type: "string", length: 255),
    FieldDescribe(name: "Score__c", label: "Score", type: "double", precision: 5, scale: 0),
    FieldDescribe(name: "HasOptedOutOfEmail", label: "Email Opt Out", type: "boolean"),
    FieldDescribe(name: "Unsubscribed_On__c", label: "Unsubscribed On", type: "date"),
    FieldDescribe(name: "Deceased__c", label: "Deceased", type: "boolean"),
    FieldDescribe(name: "Deceased_Date__c", label: "Deceased Date", type: "date"),
    FieldDescribe(name: "Display_Name__c", label: "Display Name", type: "string", length: 1300, calculated: true,
                  calculatedFormula: "FirstName & LastName"),
])

func contact(_ pairs: [(String, JSONValue)]) -> JSONValue {
    .object([("attributes", .object([("type", .string("Contact"))])), ("Id", .string("0035g0000000S4dAAE"))] + pairs)
}

func map(_ pairs: [(String, JSONValue)], _ settings: ContactMapping.Settings = .init()) throws -> ContactMapping.Contact {
    try ContactMapping.map(record: contact(pairs), describe: contactDescribe, settings: settings)
}

@Suite struct ContactMappingTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let record: [(String, JSONValue)]
        let settings: ContactMapping.Settings
        let check: @Sendable (ContactMapping.Contact) -> Bool
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "first name from FirstName when no nickname field is configured",
            record: [("FirstName", .string("Elizabeth")), ("Nickname__c", .string("Liz"))], settings: .init(),
            check: { $0.firstName == "Elizabeth" && $0.legalFirstName == "Elizabeth" }),
        Row(name: "a non-empty nickname replaces the first name, legal first name kept",
            record: [("FirstName", .string("Elizabeth")), ("Nickname__c", .string(" Liz "))],
            settings: .init(nicknameField: "Nickname__c"),
            check: { $0.firstName == "Liz" && $0.legalFirstName == "Elizabeth" }),
        Row(name: "an empty nickname leaves the first name",
            record: [("FirstName", .string("Elizabeth")), ("Nickname__c", .string(""))],
            settings: .init(nicknameField: "Nickname__c"),
            check: { $0.firstName == "Elizabeth" }),
        Row(name: "last name from LastName, unicode kept",
            record: [("LastName", .string("Østergaard-王"))], settings: .init(),
            check: { $0.lastName == "Østergaard-王" }),
        Row(name: "address from the Mailing fields",
            record: [("MailingStreet", .string("1 Main St")), ("MailingCity", .string("Zürich")),
                     ("MailingState", .string("ZH")), ("MailingPostalCode", .string("8001")),
                     ("MailingCountry", .string("Switzerland"))], settings: .init(),
            check: { $0.address == .init(street: "1 Main St", city: "Zürich", state: "ZH", postalCode: "8001", country: "Switzerland") }),
        Row(name: "address from the compound MailingAddress when the parts are absent",
            record: [("MailingAddress", .object([("city", .string("Austin")), ("street", .string("2 Congress Ave"))]))],
            settings: .init(),
            check: { $0.address.city == "Austin" && $0.address.street == "2 Congress Ave" && $0.address.state == nil }),
        Row(name: "every non-empty phone field with its label, custom ones too",
            record: [("Phone", .string("(555) 010-0001")), ("MobilePhone", .string("")), ("Pager__c", .string("555-0199"))],
            settings: .init(),
            check: { $0.phones == [.init(label: "Business Phone", number: "(555) 010-0001"), .init(label: "Pager", number: "555-0199")] }),
        Row(name: "job title from Title", record: [("Title", .string("CFO"))], settings: .init(),
            check: { $0.jobTitle == "CFO" }),
        Row(name: "company from Account.Name",
            record: [("Account", .object([("attributes", .object([("type", .string("Account"))])), ("Name", .string("Acme"))]))],
            settings: .init(), check: { $0.company == "Acme" }),
        Row(name: "a missing Account gives no company", record: [("Account", .null)], settings: .init(),
            check: { $0.company == nil }),
        Row(name: "Birthdate is the key fact Birthday", record: [("Birthdate", .string("1980-02-29"))], settings: .init(),
            check: { $0.keyFacts == [.init(label: "Birthday", date: "1980-02-29")] }),
        Row(name: "configured date fields with a value become key facts by label",
            record: [("Birthdate", .string("1980-01-01")), ("Anniversary__c", .string("2005-06-01")), ("Review_Date__c", .null)],
            settings: .init(keyDates: ["Anniversary__c", "Review_Date__c"]),
            check: { $0.keyFacts == [.init(label: "Birthday", date: "1980-01-01"), .init(label: "Anniversary", date: "2005-06-01")] }),
        Row(name: "always tagged Salesforce first", record: [], settings: .init(), check: { $0.tags == ["Salesforce"] }),
        Row(name: "picklist → Label: value label",
            record: [("Segment__c", .string("GOLD"))], settings: .init(tagFields: ["Segment__c"]),
            check: { $0.tags == ["Salesforce", "Segment: Gold"] }),
        Row(name: "multipicklist → one tag per ;-separated value",
            record: [("Interests__c", .string("Golf;Wine"))], settings: .init(tagFields: ["Interests__c"]),
            check: { $0.tags == ["Salesforce", "Interests: Golf", "Interests: Fine Wine"] }),
        Row(name: "checkbox true → Label: Yes", record: [("VIP__c", .bool(true))], settings: .init(tagFields: ["VIP__c"]),
            check: { $0.tags == ["Salesforce", "VIP: Yes"] }),
        Row(name: "checkbox false → no tag", record: [("VIP__c", .bool(false))], settings: .init(tagFields: ["VIP__c"]),
            check: { $0.tags == ["Salesforce"] }),
        Row(name: "text → Label: value, trimmed", record: [("Hobby__c", .string("  Sailing  "))],
            settings: .init(tagFields: ["Hobby__c"]), check: { $0.tags == ["Salesforce", "Hobby: Sailing"] }),
        Row(name: "empty text → no tag", record: [("Hobby__c", .string("   "))], settings: .init(tagFields: ["Hobby__c"]),
            check: { $0.tags == ["Salesforce"] }),
        Row(name: "a tag over 60 characters is cut to 57 + ...",
            record: [("Hobby__c", .string(String(repeating: "x", count: 60)))], settings: .init(tagFields: ["Hobby__c"]),
            check: { $0.tags[1] == "Hobby: " + String(repeating: "x", count: 50) + "..." && $0.tags[1].count == 60 }),
        Row(name: "a tag of exactly 60 characters is kept",
            record: [("Hobby__c", .string(String(repeating: "y", count: 53)))], settings: .init(tagFields: ["Hobby__c"]),
            check: { $0.tags[1].count == 60 && !$0.tags[1].hasSuffix("...") }),
        Row(name: "tag length counts Characters (emoji and accents are one each)",
            record: [("Hobby__c", .string(String(repeating: "👩‍👩‍👧", count: 54)))], settings: .init(tagFields: ["Hobby__c"]),
            check: { $0.tags[1].count == 60 && $0.tags[1].hasSuffix("...") && $0.tags[1].hasPrefix("Hobby: 👩‍👩‍👧") }),
        Row(name: "duplicate tags are removed, field order kept",
            record: [("Hobby__c", .string("Golf")), ("Interests__c", .string("Golf;Golf"))],
            settings: .init(tagFields: ["Interests__c", "Hobby__c"]),
            check: { $0.tags == ["Salesforce", "Interests: Golf", "Hobby: Golf"] }),
        Row(name: "opt-out checkbox true → Unsubscribe",
            record: [("HasOptedOutOfEmail", .bool(true))], settings: .init(optoutField: "HasOptedOutOfEmail"),
            check: { $0.tags == ["Salesforce", "Unsubscribe"] && $0.unsubscribed }),
        Row(name: "opt-out date set → Unsubscribe",
            record: [("Unsubscribed_On__c", .string("2024-01-01"))], settings: .init(optoutField: "Unsubscribed_On__c"),
            check: { $0.tags.contains("Unsubscribe") }),
        Row(name: "opt-out false → no Unsubscribe",
            record: [("HasOptedOutOfEmail", .bool(false))], settings: .init(optoutField: "HasOptedOutOfEmail"),
            check: { !$0.tags.contains("Unsubscribe") && !$0.unsubscribed }),
        Row(name: "owner shown as Salesforce: <User Name>, mapped to a local user",
            record: [("Owner", .object([("Name", .string("Jordan Reyes"))]))],
            settings: .init(ownerMap: ["Jordan Reyes": "jordan"]),
            check: { $0.owner.salesforce == "Salesforce: Jordan Reyes" && $0.owner.local == "jordan" }),
        Row(name: "owner mapped by user Id",
            record: [("OwnerId", .string("0055g0000000S4dAAE")), ("Owner", .object([("Name", .string("Jordan Reyes"))]))],
            settings: .init(ownerMap: ["0055g0000000S4dAAE": "jordan"]), check: { $0.owner.local == "jordan" }),
        Row(name: "an unmapped owner is reported, not guessed",
            record: [("Owner", .object([("Name", .string("Priya Nair"))]))], settings: .init(ownerMap: ["Jordan Reyes": "jordan"]),
            check: { $0.owner.local == nil && $0.warnings.contains { $0.contains("Priya Nair is not in the owner map") } }),
        Row(name: "a missing Owner gives no owner", record: [("Owner", .null)], settings: .init(),
            check: { $0.owner.salesforce == nil && $0.owner.local == nil }),
        Row(name: "deceased checkbox → archived", record: [("Deceased__c", .bool(true))],
            settings: .init(deceasedField: "Deceased__c"), check: { $0.archived && !$0.removed }),
        Row(name: "deceased date → archived", record: [("Deceased_Date__c", .string("2023-05-01"))],
            settings: .init(deceasedField: "Deceased_Date__c"), check: { $0.archived }),
        Row(name: "deceased with remove_deceased on → removed", record: [("Deceased__c", .bool(true))],
            settings: .init(deceasedField: "Deceased__c", removeDeceased: true), check: { $0.removed && !$0.archived }),
        Row(name: "not deceased → neither", record: [("Deceased__c", .bool(false))],
            settings: .init(deceasedField: "Deceased__c"), check: { !$0.archived && !$0.removed }),
        Row(name: "a formula field mapped gets the SystemModstamp warning",
            record: [("Display_Name__c", .string("Liz Smith"))], settings: .init(tagFields: ["Display_Name__c"]),
            check: { $0.warnings.contains { $0.contains("formula field") && $0.contains("SystemModstamp") } }),
    ]

    @Test(arguments: rows)
    func rule(row: Row) throws {
        let mapped = try map(row.record, row.settings)
        #expect(row.check(mapped), "\(mapped.json.prettyPrinted())")
    }

    @Test func everyOutputHasATraceEntry() throws {
        let mapped = try map([("FirstName", .string("A")), ("LastName", .string("B")), ("Segment__c", .string("GOLD"))],
                             .init(tagFields: ["Segment__c"]))
        let outputs = Set(mapped.trace.map(\.output))
        for output in ["first_name", "legal_first_name", "last_name", "address.city", "job_title", "company", "tags",
                       "owner.salesforce", "owner.local"] {
            #expect(outputs.contains(output), "\(output)")
        }
        #expect(mapped.trace.contains { $0.source == "Segment__c" && $0.value == .string("Segment: Gold") })
    }

    @Test(arguments: [
        (ContactMapping.Settings(keyDates: ["Last_Meeting__c"]), "levitate.key_dates", "Last_Meeting__c"),
        (ContactMapping.Settings(keyDates: ["Nope__c"]), "levitate.key_dates", "Nope__c"),
        (ContactMapping.Settings(tagFields: ["Score__c"]), "levitate.tag_fields", "Score__c"),
        (ContactMapping.Settings(nicknameField: "Birthdate"), "levitate.nickname_field", "Birthdate"),
        (ContactMapping.Settings(deceasedField: "Hobby__c"), "levitate.deceased_field", "Hobby__c"),
        (ContactMapping.Settings(optoutField: "Missing__c"), "levitate.optout_field", "Missing__c"),
    ])
    func misconfiguredFieldsAreErrorsNamingTheField(settings: ContactMapping.Settings, setting: String, field: String) {
        let error = #expect(throws: RuleError.self) { try map([], settings) }
        #expect(error?.setting == setting && error?.field == field)
    }

    @Test func elision() {
        #expect(ContactMapping.elide(String(repeating: "a", count: 61)) == String(repeating: "a", count: 57) + "...")
        #expect(ContactMapping.elide("short") == "short")
    }
}
