import Foundation
public import JSON

/// Field types as they appear on the wire (describe `type`).
public enum FieldType: String, Sendable, CaseIterable {
    case id, reference, string, textarea, picklist, multipicklist, combobox, phone, email, url
    case boolean, int, double, currency, percent, date, datetime, address

    var soapType: String {
        switch self {
        case .id, .reference: "tns:ID"
        case .boolean: "xsd:boolean"
        case .int: "xsd:int"
        case .double, .currency, .percent: "xsd:double"
        case .date: "xsd:date"
        case .datetime: "xsd:dateTime"
        case .address: "urn:address"
        default: "xsd:string"
        }
    }

    /// Whether values are text in records and SQL.
    var isText: Bool {
        switch self {
        case .boolean, .int, .double, .currency, .percent, .address: false
        default: true
        }
    }

    var isNumber: Bool { self == .int || self == .double || self == .currency || self == .percent }
}

/// One picklist entry: the stored value and its label.
public struct PicklistEntry: Sendable, Equatable {
    public let value: String
    public let label: String
    public let isDefault: Bool

    public init(_ value: String, label: String? = nil, isDefault: Bool = false) {
        self.value = value
        self.label = label ?? value
        self.isDefault = isDefault
    }
}

/// One field of an sObject, with what its describe says.
public struct FieldDef: Sendable {
    public var name: String
    public var label: String
    public var type: FieldType
    public var length = 0
    public var precision = 0
    public var scale = 0
    public var digits = 0
    public var nillable = true
    public var createable = true
    public var updateable = true
    public var defaultedOnCreate = false
    public var defaultValue: String?
    public var calculatedFormula: String?
    public var picklist: [PicklistEntry] = []
    public var referenceTo: [String] = []
    public var relationshipName: String?
    public var compoundFieldName: String?
    public var extraTypeInfo: String?
    public var nameField = false
    public var unique = false
    public var externalId = false
    /// A picklist that refuses values it does not list (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST).
    public var restrictedPicklist = false
    /// Described as `permissionable`: field-level security can be set on it.
    public var permissionable: Bool?
    /// How the referenced object's describe lists this field among its child relationships.
    public var childListing = ChildListing.named
    /// The field's describe as a support bundle carried it (`--from-bundle`): described exactly so.
    public var described: JSONValue?

    public enum ChildListing: Sendable { case named, unnamed, hidden }

    public var custom: Bool { name.hasSuffix("__c") }
    public var calculated: Bool { calculatedFormula != nil }
    /// Whether the field is stored (compound fields are assembled from parts).
    var isStored: Bool { type != .address }

    init(_ name: String, _ label: String, _ type: FieldType) {
        self.name = name
        self.label = label
        self.type = type
    }
}

/// An sObject: its describe facts and fields.
public struct ObjectDef: Sendable {
    public let name: String
    public let label: String
    public let labelPlural: String
    public let keyPrefix: String
    public var fields: [FieldDef]
    public var createable = true
    public var updateable = true
    public var deletable = true
    public var queryable = true
    public var replicateable = true
    /// Object-level describe flags as recorded from a real org's global describe.
    public var retrieveable = true
    public var deepCloneable = false
    /// nil: as `deletable`.
    public var undeletable: Bool?
    /// The object's describe as a support bundle carried it (`--from-bundle`): its own keys described so.
    public var described: JSONValue?

    public var custom: Bool { name.hasSuffix("__c") }

    /// The object with some describe facts changed.
    func with(_ change: (inout ObjectDef) -> Void) -> ObjectDef {
        var copy = self
        change(&copy)
        return copy
    }

    /// The field named `name`, case-insensitively.
    public func field(_ name: String) -> FieldDef? {
        let lowered = name.lowercased()
        return fields.first { $0.name.lowercased() == lowered }
    }

    /// The field whose relationship is called `name`, case-insensitively.
    public func relationship(_ name: String) -> FieldDef? {
        let lowered = name.lowercased()
        return fields.first { $0.type == .reference && $0.relationshipName?.lowercased() == lowered }
    }

    var storedFields: [FieldDef] { fields.filter(\.isStored) }
}

// MARK: - Building fields

extension FieldDef {
    static func id() -> FieldDef {
        var field = FieldDef("Id", "Record ID", .id)
        field.length = 18
        field.nillable = false
        field.createable = false
        field.updateable = false
        field.defaultedOnCreate = true
        return field
    }

    static func text(_ name: String, _ label: String, _ length: Int, type: FieldType = .string) -> FieldDef {
        var field = FieldDef(name, label, type)
        field.length = length
        if type == .textarea { field.extraTypeInfo = "plaintextarea" }
        return field
    }

    static func phone(_ name: String, _ label: String) -> FieldDef { text(name, label, 40, type: .phone) }

    static func checkbox(_ name: String, _ label: String) -> FieldDef {
        var field = FieldDef(name, label, .boolean)
        field.nillable = false
        field.defaultedOnCreate = true
        field.defaultValue = "false"
        return field
    }

    static func number(_ name: String, _ label: String, _ type: FieldType, precision: Int, scale: Int) -> FieldDef {
        var field = FieldDef(name, label, type)
        if type == .int { field.digits = precision } else {
            field.precision = precision
            field.scale = scale
        }
        return field
    }

    static func date(_ name: String, _ label: String) -> FieldDef { FieldDef(name, label, .date) }
    static func datetime(_ name: String, _ label: String) -> FieldDef { FieldDef(name, label, .datetime) }

    static func picklist(_ name: String, _ label: String, _ values: [PicklistEntry], multi: Bool = false) -> FieldDef {
        var field = FieldDef(name, label, multi ? .multipicklist : .picklist)
        field.picklist = values
        field.length = multi ? 4099 : 255
        if let entry = values.first(where: \.isDefault) {
            field.defaultValue = entry.value
            field.defaultedOnCreate = true
        }
        return field
    }

    static func reference(_ name: String, _ label: String, to targets: [String], relationship: String?) -> FieldDef {
        var field = FieldDef(name, label, .reference)
        field.length = 18
        field.referenceTo = targets
        field.relationshipName = relationship
        return field
    }

    static func audit(_ name: String, _ label: String, _ type: FieldType, relationship: String? = nil) -> FieldDef {
        var field = type == .reference
            ? reference(name, label, to: ["User"], relationship: relationship) : FieldDef(name, label, type)
        field.childListing = .unnamed
        field.nillable = false
        field.createable = false
        field.updateable = false
        field.defaultedOnCreate = true
        return field
    }

    /// The field with some describe facts changed.
    func with(_ change: (inout FieldDef) -> Void) -> FieldDef {
        var copy = self
        change(&copy)
        return copy
    }

    /// The record this one was merged into (read-only; no child relationship lists it).
    static func masterRecord(of object: String) -> FieldDef {
        reference("MasterRecordId", "Master Record ID", to: [object], relationship: "MasterRecord").readOnly()
            .with { $0.childListing = .hidden }
    }

    static func photoURL() -> FieldDef {
        text("PhotoUrl", "Photo URL", 255, type: .url).readOnly().with { $0.extraTypeInfo = "imageurl" }
    }

    func required() -> FieldDef {
        var copy = self
        copy.nillable = false
        return copy
    }

    func readOnly() -> FieldDef {
        var copy = self
        copy.createable = false
        copy.updateable = false
        return copy
    }

    func part(of compound: String) -> FieldDef {
        var copy = self
        copy.compoundFieldName = compound
        return copy
    }

    func formula(_ text: String) -> FieldDef {
        var copy = self.readOnly()
        copy.calculatedFormula = text
        return copy
    }

    func named() -> FieldDef {
        var copy = self
        copy.nameField = true
        return copy
    }

    /// An External ID field (upsert and lookup by it); `unique` as Salesforce's "Unique" attribute (case-insensitive).
    func externalID(unique: Bool) -> FieldDef {
        var copy = self
        copy.externalId = true
        copy.unique = unique
        return copy
    }

    func notCreateableAfter() -> FieldDef {
        var copy = self
        copy.updateable = false
        return copy
    }

    /// A compound address field and its stored parts.
    static func address(_ prefix: String, labelPrefix: String, compound: String) -> [FieldDef] {
        let name = compound
        var address = FieldDef(name, "\(labelPrefix) Address".trimmingCharacters(in: .whitespaces), .address)
        address.createable = false
        address.updateable = false
        address.permissionable = true
        var latitude = number("\(prefix)Latitude", "\(labelPrefix) Latitude".trimmingCharacters(in: .whitespaces),
                              .double, precision: 18, scale: 15)
        latitude.compoundFieldName = name
        var longitude = number("\(prefix)Longitude", "\(labelPrefix) Longitude".trimmingCharacters(in: .whitespaces),
                               .double, precision: 18, scale: 15)
        longitude.compoundFieldName = name
        func label(_ part: String) -> String { "\(labelPrefix) \(part)".trimmingCharacters(in: .whitespaces) }
        return [
            text("\(prefix)Street", label("Street"), 255, type: .textarea).part(of: name),
            text("\(prefix)City", label("City"), 40).part(of: name),
            text("\(prefix)State", label("State/Province"), 80).part(of: name),
            text("\(prefix)PostalCode", label("Zip/Postal Code"), 20).part(of: name),
            text("\(prefix)Country", label("Country"), 80).part(of: name),
            latitude, longitude,
            picklist("\(prefix)GeocodeAccuracy", label("Geocode Accuracy"),
                     ["Address", "NearAddress", "Block", "Street", "ExtendedZip", "Zip", "Neighborhood", "City",
                      "County", "State", "Unknown"].map { PicklistEntry($0) }).part(of: name).with {
                $0.length = 40
                $0.restrictedPicklist = true
            },
            address,
        ]
    }
}
