import Foundation
import GRDB
import JSON
@testable import Simulator
import SupportBundle
import Testing

/// Issue 24 §2: an org started from a support bundle describes every object the bundle described as the bundle has
/// it, field by field, keeps its facts, and fills records to fit.
@Suite struct FromBundleTests {
    /// A bundle of the seeded org's describes, with Contact given fields of the customer's own: a required text, an
    /// encrypted string (a type sfsim has no behaviour for), a restricted picklist, an External ID, a formula, a lookup.
    static func bundle(records: [JSONValue] = []) throws -> (URL, [String: JSONValue]) {
        var configuration = OrgConfiguration()
        configuration.inMemory = true
        configuration.contacts = 5
        let original = try Org(configuration: configuration)
        var archive = BundleArchive()
        var describes: [String: JSONValue] = [:]
        for name in ["Account", "Contact", "Lead", "Opportunity", "Note", "User"] {
            var describe = try #require(original.describeJSON(name))
            if name == "Contact", case var .object(pairs) = describe, let index = pairs.firstIndex(where: { $0.0 == "fields" }),
               case var .array(fields) = pairs[index].1, let template = fields.first(where: { $0["name"] == .string("Title") }) {
                func field(_ changes: [(String, JSONValue)]) -> JSONValue {
                    guard case var .object(keys) = template else { return template }
                    for (key, value) in changes {
                        if let at = keys.firstIndex(where: { $0.0 == key }) { keys[at].1 = value } else { keys.append((key, value)) }
                    }
                    return .object(keys)
                }
                fields += [
                    field([("name", .string("Region_Code__c")), ("label", .string("Region Code")), ("custom", .bool(true)),
                           ("length", .int(12)), ("nillable", .bool(false))]),
                    field([("name", .string("Tax_Id__c")), ("label", .string("Tax Id")), ("type", .string("encryptedstring")),
                           ("custom", .bool(true)), ("length", .int(175))]),
                    field([("name", .string("Loyalty__c")), ("label", .string("Loyalty")), ("type", .string("picklist")),
                           ("custom", .bool(true)), ("restrictedPicklist", .bool(true)),
                           ("picklistValues", .array(["Bronze", "Silver", "Gold"].map { value in
                               .object([("active", .bool(true)), ("defaultValue", .bool(false)), ("label", .string(value)),
                                        ("validFor", .null), ("value", .string(value))])
                           }))]),
                    field([("name", .string("Customer_Key__c")), ("label", .string("Customer Key")), ("custom", .bool(true)),
                           ("externalId", .bool(true)), ("unique", .bool(true)), ("length", .int(40))]),
                    field([("name", .string("Region_Label__c")), ("label", .string("Region Label")), ("custom", .bool(true)),
                           ("calculated", .bool(true)), ("calculatedFormula", .string("\"R-\" & Region_Code__c")),
                           ("createable", .bool(false)), ("updateable", .bool(false))]),
                ]
                pairs[index].1 = .array(fields)
                describe = .object(pairs)
            }
            describes[name] = describe
            archive.add("describes/\(name).json", json: describe)
        }
        archive.add("org.json", json: .object([
            ("edition", .string("Unlimited Edition")),
            ("permissions", .object([("PermissionsApiEnabled", .bool(true)), ("PermissionsViewAllData", .bool(false))])),
            ("duplicate_rules", .array([])),
            ("limits", .object([("DailyApiRequests", .object([("Max", .int(250_000)), ("Remaining", .int(1))]))])),
        ]))
        if !records.isEmpty { archive.add("records/Contact.json", json: .array(records)) }
        archive.add(BundleArchive.manifestName, json: .object([("format", .string(BundleManifest.format)),
                                                               ("format_version", .int(BundleManifest.version))]))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sfsim-bundle-\(UUID().uuidString).zip")
        try archive.write(to: url, modified: Date())
        return (url, describes)
    }

    @Test func everyDescribedFieldIsDescribedAsTheBundleHasIt() throws {
        let sample = JSONValue.object([("Id", .string("003000000000ZZZAAA")), ("LastName", .string("h:0123456789abcdef")),
                                       ("Region_Code__c", .string("h:fedcba9876543210")), ("Loyalty__c", .string("Gold")),
                                       ("HasOptedOutOfEmail", .bool(true)), ("AccountId", .string("001000000000NOPEAA"))])
        let (url, describes) = try Self.bundle(records: [sample])
        defer { try? FileManager.default.removeItem(at: url) }
        let shape = try OrgShape.read(url)
        #expect(shape.edition == "Unlimited Edition" && shape.dailyLimit == 250_000 && shape.viewAllData == false)
        #expect(shape.leadDuplicateRule == false && shape.skipped.isEmpty)
        var configuration = OrgConfiguration()
        configuration.inMemory = true
        configuration.contacts = 30
        configuration.apply(shape)
        let org = try Org(configuration: configuration)
        for (name, described) in describes {
            let fields = try #require(org.describeJSON(name)?["fields"]?.arrayValue)
            let expected = try #require(described["fields"]?.arrayValue)
            #expect(fields.count == expected.count, "\(name)")
            for (field, bundled) in zip(fields, expected) {
                #expect(field == bundled, "\(name).\(field["name"]?.stringValue ?? "?")")
            }
        }
        #expect(org.configuration.edition == "Unlimited Edition" && org.dailyLimit == 250_000 && !org.configuration.leadDuplicateRule)
        #expect(org.users.first?.viewAllData == false)
        // Generated records fit the describes: the required field always, the picklist from its values; the sample as given.
        let rows = try org.store.db.read { db in
            try Row.fetchAll(db, sql: "SELECT Id, Region_Code__c, Loyalty__c, HasOptedOutOfEmail, AccountId FROM Contact")
        }
        #expect(rows.count == 31)
        #expect(rows.allSatisfy { ($0["Region_Code__c"] as String?) != nil })
        #expect(rows.compactMap { $0["Loyalty__c"] as String? }.allSatisfy { ["Bronze", "Silver", "Gold"].contains($0) })
        let given = try #require(rows.first { ($0["Id"] as String) == "003000000000ZZZAAA" })
        #expect((given["Region_Code__c"] as String?) == "h:fedcba9876543210" && (given["HasOptedOutOfEmail"] as Int?) == 1)
        #expect((given["AccountId"] as String?) == nil)  // its Account is not in the org
    }

    @Test func aBundleThatIsNotOneIsRefusedClearly() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-bundle-\(UUID().uuidString).zip")
        try Data("PK nonsense".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: BundleError.self) { try OrgShape.read(url) }
        // A describe whose field name is not an API name never reaches the org's tables.
        var archive = BundleArchive()
        archive.add(BundleArchive.manifestName, json: .object([("format", .string(BundleManifest.format)), ("format_version", .int(1))]))
        archive.add("describes/Contact.json", json: .object([("name", .string("Contact")), ("keyPrefix", .string("003")),
                                                             ("fields", .array([.object([("name", .string("Id")), ("type", .string("id"))]),
                                                                                .object([("name", .string("x\" TEXT); DROP TABLE Lead; --")),
                                                                                         ("type", .string("string"))])]))]))
        try archive.write(to: url, modified: Date())
        let shape = try OrgShape.read(url)
        #expect(shape.objects.isEmpty && shape.skipped.count == 1, "\(shape.skipped)")
    }
}
