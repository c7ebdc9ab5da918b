import Foundation
import JSON
import SalesforceModel
import Testing
@testable import SyncRules

let leadDescribe = SObjectDescribe(name: "Lead", label: "Lead", fields: [
    FieldDescribe(name: "Id", label: "Lead ID", type: "id"),
    FieldDescribe(name: "Email", label: "Email", type: "email", length: 80),
    FieldDescribe(name: "FirstName", label: "First Name", type: "string", length: 40),
    FieldDescribe(name: "LastName", label: "Last Name", type: "string", length: 80, nillable: false),
    FieldDescribe(name: "Company", label: "Company", type: "string", length: 255, nillable: false),
    FieldDescribe(name: "Lytics_Audiences__c", label: "Lytics Audiences", type: "textarea", length: 32768),
    FieldDescribe(name: "Short_Audiences__c", label: "Short", type: "string", length: 10),
    FieldDescribe(name: "Lytics_Content_Affinity__c", label: "Affinity", type: "textarea", length: 32768),
    FieldDescribe(name: "Lytics_Scores__c", label: "Scores", type: "textarea", length: 32768),
    FieldDescribe(name: "Newsletter__c", label: "Newsletter", type: "boolean"),
    FieldDescribe(name: "Value__c", label: "Value", type: "currency", precision: 8, scale: 2),
    FieldDescribe(name: "Ratio__c", label: "Ratio", type: "double", precision: 18, scale: 4),
    FieldDescribe(name: "Share__c", label: "Share", type: "percent", precision: 5, scale: 2),
    FieldDescribe(name: "Visits__c", label: "Visits", type: "int", digits: 3),
    FieldDescribe(name: "Bio__c", label: "Bio", type: "string", length: 5),
    FieldDescribe(name: "Notes__c", label: "Notes", type: "textarea", length: 1000),
    FieldDescribe(name: "Site__c", label: "Site", type: "url", length: 255),
    FieldDescribe(name: "Color__c", label: "Color", type: "picklist", length: 255),
    FieldDescribe(name: "Signup__c", label: "Signup", type: "date"),
    FieldDescribe(name: "Seen__c", label: "Seen", type: "datetime"),
    FieldDescribe(name: "Geo__c", label: "Geo", type: "location"),
    FieldDescribe(name: "Lytics_Id__c", label: "Lytics Id", type: "string", length: 255, externalId: true, unique: true),
])

func lyticsSettings(_ more: [(String, String)] = [], configure: (inout LeadPayload.Settings) -> Void = { _ in })
    -> LeadPayload.Settings
{
    var settings = LeadPayload.Settings()
    settings.audiences = ["vip", "active"]
    settings.moreFields = more.map { (attribute: $0.0, field: $0.1) }
    configure(&settings)
    return settings
}

func member(_ attributes: [String: ProfileValue], audiences: [String] = ["vip"]) -> Profile {
    var all: [String: ProfileValue] = ["email": .string("a@example.com"), "last_name": .string("Lee"),
                                       "company": .string("Acme")]
    for (key, value) in attributes { all[key] = value }
    return Profile(id: "p1", attributes: all, audiences: audiences)
}

@Suite struct LeadPayloadTests {
    func build(_ profile: Profile, _ settings: LeadPayload.Settings = lyticsSettings(), existing: String? = nil) throws
        -> LeadPayload.Result
    {
        try LeadPayload.build(profile: profile, describe: leadDescribe, settings: settings, existingLeadID: existing)
    }

    @Test func aNewMemberIsCreatedWithTheStandardFields() throws {
        let result = try build(member(["first_name": .string("Ann")], audiences: ["vip", "active", "other"]))
        #expect(result.action == .create && result.leadID == nil)
        #expect(result.value(of: "Email") == .string("a@example.com"))
        #expect(result.value(of: "FirstName") == .string("Ann"))
        #expect(result.value(of: "Lytics_Audiences__c") == .string("active, vip"))
    }

    @Test func anExistingLeadIsUpdatedNeverCreated() throws {
        let result = try build(member([:]), existing: "00Q5g0000000S4dAAE")
        #expect(result.action == .update && result.leadID == "00Q5g0000000S4dAAE")
        let noEmail = try build(Profile(id: "p", attributes: ["last_name": .string("X")], audiences: ["vip"]), existing: "00Q5g0000000S4dAAE")
        #expect(noEmail.action == .update)
        #expect(noEmail.value(of: "Company") == nil)  // no Unknown written over an existing Lead
    }

    /// `lytics.match_field`: a profile without a remembered Lead is upserted by its id; every payload carries the key.
    @Test(arguments: [
        // remembered Lead, profile, action, key in payload
        (nil as String?, member([:]), LeadPayload.Action.upsert, "p1" as String?),
        ("00Q5g0000000S4dAAE", member([:]), .update, "p1"),
        (nil, Profile(id: "p1", attributes: ["email": .string("a@example.com"), "last_name": .string("Lee")], audiences: ["vip"]), .skip, nil),
        (nil, Profile(id: "p1", attributes: ["last_name": .string("Lee"), "company": .string("Acme")], audiences: ["vip"]), .skip, nil),
    ])
    func aMatchFieldUpsertsByTheProfileID(existing: String?, profile: Profile, action: LeadPayload.Action, key: String?) throws {
        let settings = lyticsSettings { $0.matchField = "Lytics_Id__c" }
        let result = try build(profile, settings, existing: existing)
        #expect(result.action == action)
        #expect(result.value(of: "Lytics_Id__c") == key.map(JSONValue.string))
        if action == .upsert {
            #expect(result.payload.first?.0 == "Lytics_Id__c")
            #expect(result.trace.contains { $0.output == "Lytics_Id__c" && $0.rule.contains("upserts by") })
            #expect(result.json["action"] == .string("upsert"))
        }
    }

    @Test(arguments: ["Company", "Nope__c"])
    func aMatchFieldThatIsNoExternalIDIsAnError(field: String) {
        #expect(throws: RuleError.self) { try build(member([:]), lyticsSettings { $0.matchField = field }) }
    }

    struct SkipRow: CustomTestStringConvertible, Sendable {
        let name: String
        let profile: Profile
        let settings: LeadPayload.Settings
        let action: LeadPayload.Action
        let reason: String?
        let lastName: JSONValue?
        let company: JSONValue?
        var testDescription: String { name }
    }

    static let skipRows: [SkipRow] = [
        SkipRow(name: "a new Lead needs an email", profile: Profile(id: "p", attributes: ["last_name": .string("L"), "company": .string("C")], audiences: ["vip"]),
                settings: lyticsSettings(), action: .skip, reason: "missing email", lastName: nil, company: nil),
        SkipRow(name: "missing last name is skipped when unknown_last_name_ok is off",
                profile: Profile(id: "p", attributes: ["email": .string("e@x.com"), "company": .string("C")], audiences: ["vip"]),
                settings: lyticsSettings(), action: .skip, reason: "missing last name", lastName: nil, company: nil),
        SkipRow(name: "missing last name becomes Unknown when allowed",
                profile: Profile(id: "p", attributes: ["email": .string("e@x.com"), "company": .string("C")], audiences: ["vip"]),
                settings: lyticsSettings { $0.unknownLastNameOK = true }, action: .create, reason: nil,
                lastName: .string("Unknown"), company: .string("C")),
        SkipRow(name: "missing company is skipped when unknown_company_ok is off",
                profile: Profile(id: "p", attributes: ["email": .string("e@x.com"), "last_name": .string("L")], audiences: ["vip"]),
                settings: lyticsSettings(), action: .skip, reason: "missing company", lastName: nil, company: nil),
        SkipRow(name: "missing company becomes Unknown when allowed",
                profile: Profile(id: "p", attributes: ["email": .string("e@x.com"), "last_name": .string("L")], audiences: ["vip"]),
                settings: lyticsSettings { $0.unknownCompanyOK = true }, action: .create, reason: nil,
                lastName: .string("L"), company: .string("Unknown")),
        SkipRow(name: "an empty string counts as missing",
                profile: Profile(id: "p", attributes: ["email": .string("e@x.com"), "last_name": .string("  "), "company": .string("C")], audiences: ["vip"]),
                settings: lyticsSettings(), action: .skip, reason: "missing last name", lastName: nil, company: nil),
        SkipRow(name: "not in any selected audience", profile: member([:], audiences: ["other"]),
                settings: lyticsSettings(), action: .skip, reason: "not a member of any selected audience (vip, active)",
                lastName: nil, company: nil),
        SkipRow(name: "no audiences selected", profile: member([:]), settings: lyticsSettings { $0.audiences = [] },
                action: .skip, reason: "no audiences selected (set lytics.audiences)", lastName: nil, company: nil),
        SkipRow(name: "attribute names come from the settings",
                profile: Profile(id: "p", attributes: ["mail": .string("e@x.com"), "surname": .string("S"), "org": .string("O")], audiences: ["vip"]),
                settings: lyticsSettings { $0.emailAttribute = "mail"; $0.lastNameAttribute = "surname"; $0.companyAttribute = "org" },
                action: .create, reason: nil, lastName: .string("S"), company: .string("O")),
    ]

    @Test(arguments: skipRows)
    func createOrSkip(row: SkipRow) throws {
        let result = try build(row.profile, row.settings)
        #expect(result.action == row.action)
        #expect(result.reason == row.reason)
        if row.action == .skip { #expect(result.payload.isEmpty) }
        if let lastName = row.lastName { #expect(result.value(of: "LastName") == lastName) }
        if let company = row.company { #expect(result.value(of: "Company") == company) }
    }

    @Test func affinityTopThreeAndScoresSorted() throws {
        var profile = member([:])
        profile.contentAffinity = ["golf": 0.5, "wine": 0.9, "art": 0.5, "sailing": 0.1, "travel": 0.7]
        profile.scores = ["quantity": 12, "frequency": 0.25, "momentum": 3]
        let result = try build(profile, lyticsSettings {
            $0.affinityField = "Lytics_Content_Affinity__c"
            $0.scoresField = "Lytics_Scores__c"
        })
        #expect(result.value(of: "Lytics_Content_Affinity__c") == .string("wine, travel, art"))
        #expect(result.value(of: "Lytics_Scores__c") == .string("frequency: 0.25, momentum: 3, quantity: 12"))
    }

    @Test func textTargetsAreCutAtTheirLength() throws {
        let result = try build(member([:], audiences: ["vip", "active"]), lyticsSettings { $0.audiencesField = "Short_Audiences__c" })
        #expect(result.value(of: "Short_Audiences__c") == .string("active, vi"))
        let long = try build(member(["last_name": .string(String(repeating: "L", count: 100))]))
        #expect(long.value(of: "LastName")?.stringValue?.count == 80)
    }

    struct TypeRow: CustomTestStringConvertible, Sendable {
        let name: String
        let value: ProfileValue
        let field: String
        let expected: JSONValue?
        let skipReason: String?
        var testDescription: String { name }
    }

    static let typeRows: [TypeRow] = [
        TypeRow(name: "boolean from true", value: .boolean(true), field: "Newsletter__c", expected: .bool(true), skipReason: nil),
        TypeRow(name: "boolean from false", value: .boolean(false), field: "Newsletter__c", expected: .bool(false), skipReason: nil),
        TypeRow(name: "boolean refuses a string", value: .string("true"), field: "Newsletter__c", expected: nil,
                skipReason: "type mismatch: string into boolean"),
        TypeRow(name: "boolean refuses a number", value: .number(1), field: "Newsletter__c", expected: nil,
                skipReason: "type mismatch: number into boolean"),
        TypeRow(name: "currency rounds down to 2 decimals", value: .number(12.349), field: "Value__c", expected: .double(12.34), skipReason: nil),
        TypeRow(name: "decimal rounding is exact (1.15 stays 1.15)", value: .number(1.15), field: "Value__c", expected: .double(1.15), skipReason: nil),
        TypeRow(name: "negative numbers round toward −∞", value: .number(-2.341), field: "Value__c", expected: .double(-2.35), skipReason: nil),
        TypeRow(name: "double rounds down to 2 decimals even with scale 4", value: .number(0.12999), field: "Ratio__c", expected: .double(0.12), skipReason: nil),
        TypeRow(name: "percent rounds down", value: .number(99.999), field: "Share__c", expected: .double(99.99), skipReason: nil),
        TypeRow(name: "int rounds down to a whole number", value: .number(7.9), field: "Visits__c", expected: .int(7), skipReason: nil),
        TypeRow(name: "int rounds negative values toward −∞", value: .number(-7.1), field: "Visits__c", expected: .int(-8), skipReason: nil),
        TypeRow(name: "over the precision is skipped", value: .number(1_000_000.5), field: "Value__c", expected: nil,
                skipReason: "1000000.5 exceeds the field's precision (8,2)"),
        TypeRow(name: "just within the precision is kept", value: .number(999_999.999), field: "Value__c", expected: .double(999_999.99), skipReason: nil),
        TypeRow(name: "int over its digits is skipped", value: .number(1000), field: "Visits__c", expected: nil,
                skipReason: "1000 exceeds the field's precision (3 digits)"),
        TypeRow(name: "number refuses a string", value: .string("12"), field: "Value__c", expected: nil,
                skipReason: "type mismatch: string into currency"),
        TypeRow(name: "text into a string field, cut at its length", value: .string("abcdefgh"), field: "Bio__c", expected: .string("abcde"), skipReason: nil),
        TypeRow(name: "text into textarea", value: .string("line1\nline2"), field: "Notes__c", expected: .string("line1\nline2"), skipReason: nil),
        TypeRow(name: "text into url", value: .string("https://x.example"), field: "Site__c", expected: .string("https://x.example"), skipReason: nil),
        TypeRow(name: "text into picklist", value: .string("Red"), field: "Color__c", expected: .string("Red"), skipReason: nil),
        TypeRow(name: "text refuses a number", value: .number(5), field: "Bio__c", expected: nil, skipReason: "type mismatch: number into string"),
        TypeRow(name: "text refuses a boolean", value: .boolean(true), field: "Notes__c", expected: nil, skipReason: "type mismatch: boolean into textarea"),
        TypeRow(name: "date from a date", value: .date("2024-02-29"), field: "Signup__c", expected: .string("2024-02-29"), skipReason: nil),
        TypeRow(name: "date refuses a date-time", value: .dateTime("2024-02-29T10:00:00Z"), field: "Signup__c", expected: nil,
                skipReason: "type mismatch: datetime into date"),
        TypeRow(name: "date refuses a string", value: .string("2024-02-29"), field: "Signup__c", expected: nil,
                skipReason: "type mismatch: string into date"),
        TypeRow(name: "datetime from a date-time", value: .dateTime("2024-02-29T10:00:00Z"), field: "Seen__c",
                expected: .string("2024-02-29T10:00:00Z"), skipReason: nil),
        TypeRow(name: "datetime refuses a date", value: .date("2024-02-29"), field: "Seen__c", expected: nil,
                skipReason: "type mismatch: date into datetime"),
        TypeRow(name: "an unsupported target type is skipped", value: .string("x"), field: "Geo__c", expected: nil,
                skipReason: "unsupported field type location"),
    ]

    @Test(arguments: typeRows)
    func moreFieldsTypeRules(row: TypeRow) throws {
        let result = try build(member(["attr": row.value]), lyticsSettings([("attr", row.field)]))
        #expect(result.action == .create)
        #expect(result.value(of: row.field) == row.expected)
        if let reason = row.skipReason {
            #expect(result.skippedFields == [LeadPayload.SkippedField(field: row.field, reason: reason)])
        } else {
            #expect(result.skippedFields.isEmpty)
        }
    }

    @Test func aMissingAttributeIsASkippedField() throws {
        let result = try build(member([:]), lyticsSettings([("nope", "Bio__c")]))
        #expect(result.skippedFields == [LeadPayload.SkippedField(field: "Bio__c", reason: "the profile has no nope")])
    }

    @Test func aTargetFieldMissingFromTheDescribeIsAnError() {
        let error = #expect(throws: RuleError.self) { try build(member([:]), lyticsSettings([("a", "Nope__c")])) }
        #expect(error?.field == "Nope__c")
        let audiences = #expect(throws: RuleError.self) { try build(member([:]), lyticsSettings { $0.audiencesField = "Newsletter__c" }) }
        #expect(audiences?.setting == "lytics.audiences_field")
    }

    @Test func roundingDownIsTowardMinusInfinity() {
        #expect(LeadPayload.roundDown(2.999, places: 2) == Decimal(string: "2.99"))
        #expect(LeadPayload.roundDown(-0.001, places: 2) == Decimal(string: "-0.01"))
        #expect(LeadPayload.roundDown(5, places: 0) == 5)
    }
}

@Suite struct ProfileTests {
    @Test func parsesTheImportShape() throws {
        let profile = try Profile.parse(#"{"id": "u1", "attributes": {"email": "a@x.com", "age": 41, "vip": true, "born": {"$date": "1983-04-05"}, "seen": {"$datetime": "2024-01-02T03:04:05+02:00"}}, "audiences": ["vip", "vip", "new"], "content_affinity": {"golf": 0.5}, "scores": {"momentum": 3}}"#)
        #expect(profile.attributes["age"] == .number(41))
        #expect(profile.attributes["vip"] == .boolean(true))
        #expect(profile.attributes["born"] == .date("1983-04-05"))
        #expect(profile.attributes["seen"] == .dateTime("2024-01-02T01:04:05Z"))
        #expect(profile.audiences == ["vip", "new"])
        #expect(profile.scores == ["momentum": 3])
    }

    @Test(arguments: [
        ("not json", "not valid JSON"),
        ("[1]", "a profile must be a JSON object"),
        (#"{"attributes": {}}"#, "\"id\" is missing or not a non-empty string"),
        (#"{"id": "x", "attributes": {"b": {"$date": "2023-02-30"}}}"#, "attributes.b: {\"$date\":\"2023-02-30\"} is not a YYYY-MM-DD date"),
        (#"{"id": "x", "attributes": {"b": [1]}}"#, "attributes.b: [1] is not a string, number, boolean, {\"$date\": …} or {\"$datetime\": …}"),
        (#"{"id": "x", "audiences": "vip"}"#, "\"audiences\" must be an array of strings"),
        (#"{"id": "x", "scores": {"a": "high"}}"#, "\"scores\".a must be a number (found \"high\")"),
        (#"{"id": "x", "attributes": {"t": {"$datetime": "yesterday"}}}"#, "attributes.t: {\"$datetime\":\"yesterday\"} is not an ISO 8601 date-time"),
    ])
    func badLinesSayWhy(line: String, message: String) {
        let error = #expect(throws: Profile.FormatError.self) { try Profile.parse(line) }
        #expect(error?.message == message)
    }
}

/// Issue 18 §11: one person per email, whatever its case, in every script.
@Suite struct EmailKeyTests {
    @Test(arguments: [
        ("ünï@example.com", "ÜNÏ@EXAMPLE.COM", true),
        ("  Dup@Example.com\n", "dup@example.com", true),
        ("ΣΑΣ@x.gr", "σας@x.gr", true),
        ("a@example.com", "b@example.com", false),
        ("ü@example.com", "u@example.com", false),
    ])
    func sameLead(left: String, right: String, same: Bool) {
        #expect((EmailKey.key(left) == EmailKey.key(right)) == same)
    }

    @Test func blankIsNoKey() {
        #expect(EmailKey.key("  \n") == nil)
    }
}

/// `lytics.assignment_rule`: the setting, the header of each write, and the rule it names in an org.
@Suite struct LeadAssignmentRuleTests {
    static let rules = [LeadAssignment.Rule(id: "01Q5g000000000BAAQ", name: "Old", active: false),
                        LeadAssignment.Rule(id: "01Q5g000000000AAAQ", name: "Standard", active: true)]

    @Test(arguments: [
        ("active", LeadAssignment.Choice.active as LeadAssignment.Choice?, "TRUE"), ("NONE", .noRule, "FALSE"),
        ("01Q5g000000000B", .rule("01Q5g000000000B"), "01Q5g000000000B"),
        ("01Q5g000000000BAAQ", .rule("01Q5g000000000BAAQ"), "01Q5g000000000BAAQ"),
        ("00Q5g000000000BAAQ", nil, ""), ("01Q5g0000", nil, ""), ("yes", nil, ""), ("01Q5g000000000B-AQ", nil, ""),
    ])
    func theSettingAndTheHeaderOfACreate(setting: String, choice: LeadAssignment.Choice?, header: String) {
        #expect(LeadAssignment.Choice(setting: setting) == choice)
        if let choice { #expect(LeadAssignment.createHeader(choice) == ("Sforce-Auto-Assign", header)) }
        #expect(LeadAssignment.updateHeader == ("Sforce-Auto-Assign", "FALSE"))
    }

    @Test(arguments: [
        (LeadAssignment.Choice.active, rules as [LeadAssignment.Rule]?, "01Q5g000000000AAAQ" as String?),
        (.active, [rules[0]], nil), (.active, nil, nil), (.noRule, rules, nil),
        (.rule("01Q5g000000000B"), rules, "01Q5g000000000BAAQ"), (.rule("01Q5g000000000C"), rules, nil),
    ])
    func theRuleAChoiceRunsInAnOrg(choice: LeadAssignment.Choice, rules: [LeadAssignment.Rule]?, id: String?) {
        let resolution = LeadAssignment.resolve(choice, rules: rules)
        #expect(resolution.rule?.id == id)
        #expect(LeadAssignment.bulkRuleID(resolution) == id)
        #expect(resolution.json["setting"] == .string(choice.setting))
        #expect(!resolution.note.isEmpty)
    }
}
