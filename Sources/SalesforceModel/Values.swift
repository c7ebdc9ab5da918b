public import Foundation
public import JSON

/// A field as `describe` reports it.
public struct FieldDescribe: Sendable, Equatable, Codable {
    public struct PicklistValue: Sendable, Equatable, Codable {
        public var value: String
        public var label: String?
        public var active: Bool
        public var defaultValue: Bool
    }

    public var name: String
    public var label: String
    public var type: String
    public var length: Int
    public var precision: Int
    public var scale: Int
    public var digits: Int
    public var nillable: Bool
    public var createable: Bool
    public var updateable: Bool
    public var defaultedOnCreate: Bool
    public var calculated: Bool
    public var calculatedFormula: String?
    public var custom: Bool
    public var picklistValues: [PicklistValue]
    public var referenceTo: [String]
    public var relationshipName: String?
    public var compoundFieldName: String?
    /// An External ID: records can be read and upserted by it.
    public var externalId: Bool
    /// No two records may hold one value.
    public var unique: Bool

    /// Salesforce requires a value when creating: createable, not nillable, not defaulted.
    public var requiredOnCreate: Bool { createable && !nillable && !defaultedOnCreate }

    /// `string(80)`, `double(18,2)`, `int(8)`, `reference(Account)`, or the bare type.
    public var typeDescription: String {
        switch type {
        case "string", "textarea", "phone", "email", "url", "picklist", "multipicklist", "combobox", "encryptedstring":
            return length > 0 ? "\(type)(\(length))" : type
        case "double", "currency", "percent":
            return "\(type)(\(precision),\(scale))"
        case "int":
            return digits > 0 ? "int(\(digits))" : "int"
        case "reference":
            return referenceTo.isEmpty ? type : "reference(\(referenceTo.joined(separator: "|")))"
        default:
            return type
        }
    }

    /// The label of a picklist value, if the field has one.
    public func picklistLabel(of value: String) -> String? {
        picklistValues.first { $0.value == value }?.label
    }

    enum CodingKeys: String, CodingKey {
        case name, label, type, length, precision, scale, digits, nillable, createable, updateable, defaultedOnCreate
        case calculated, calculatedFormula, custom, picklistValues, referenceTo, relationshipName, compoundFieldName
        case externalId, unique
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        label = try c.decodeIfPresent(String.self, forKey: .label) ?? name
        type = try c.decode(String.self, forKey: .type)
        length = try c.decodeIfPresent(Int.self, forKey: .length) ?? 0
        precision = try c.decodeIfPresent(Int.self, forKey: .precision) ?? 0
        scale = try c.decodeIfPresent(Int.self, forKey: .scale) ?? 0
        digits = try c.decodeIfPresent(Int.self, forKey: .digits) ?? 0
        nillable = try c.decodeIfPresent(Bool.self, forKey: .nillable) ?? true
        createable = try c.decodeIfPresent(Bool.self, forKey: .createable) ?? false
        updateable = try c.decodeIfPresent(Bool.self, forKey: .updateable) ?? false
        defaultedOnCreate = try c.decodeIfPresent(Bool.self, forKey: .defaultedOnCreate) ?? false
        calculated = try c.decodeIfPresent(Bool.self, forKey: .calculated) ?? false
        calculatedFormula = try c.decodeIfPresent(String.self, forKey: .calculatedFormula)
        custom = try c.decodeIfPresent(Bool.self, forKey: .custom) ?? name.hasSuffix("__c")
        picklistValues = try c.decodeIfPresent([PicklistValue].self, forKey: .picklistValues) ?? []
        referenceTo = try c.decodeIfPresent([String].self, forKey: .referenceTo) ?? []
        relationshipName = try c.decodeIfPresent(String.self, forKey: .relationshipName)
        compoundFieldName = try c.decodeIfPresent(String.self, forKey: .compoundFieldName)
        externalId = try c.decodeIfPresent(Bool.self, forKey: .externalId) ?? false
        unique = try c.decodeIfPresent(Bool.self, forKey: .unique) ?? false
        try APIName.require(name, key: CodingKeys.name, in: c, role: "field name")
        try relationshipName.map { try APIName.require($0, key: CodingKeys.relationshipName, in: c, role: "relationship name") }
        try compoundFieldName.map { try APIName.require($0, key: CodingKeys.compoundFieldName, in: c, role: "compound field name") }
        for object in referenceTo { try APIName.require(object, key: CodingKeys.referenceTo, in: c, role: "referenced object") }
    }

    public init(name: String, label: String, type: String, length: Int = 0, precision: Int = 0, scale: Int = 0,
                digits: Int = 0, nillable: Bool = true, createable: Bool = true, updateable: Bool = true,
                defaultedOnCreate: Bool = false, calculated: Bool = false, calculatedFormula: String? = nil,
                custom: Bool? = nil, picklistValues: [PicklistValue] = [], referenceTo: [String] = [],
                relationshipName: String? = nil, compoundFieldName: String? = nil, externalId: Bool = false, unique: Bool = false) {
        self.name = name
        self.label = label
        self.type = type
        self.length = length
        self.precision = precision
        self.scale = scale
        self.digits = digits
        self.nillable = nillable
        self.createable = createable
        self.updateable = updateable
        self.defaultedOnCreate = defaultedOnCreate
        self.calculated = calculated
        self.calculatedFormula = calculatedFormula
        self.custom = custom ?? name.hasSuffix("__c")
        self.picklistValues = picklistValues
        self.referenceTo = referenceTo
        self.relationshipName = relationshipName
        self.compoundFieldName = compoundFieldName
        self.externalId = externalId
        self.unique = unique
    }
}

extension FieldDescribe.PicklistValue {
    public init(value: String, label: String? = nil) {
        self.value = value
        self.label = label
        self.active = true
        self.defaultValue = false
    }
}

/// An sObject's `describe`.
public struct SObjectDescribe: Sendable, Equatable, Codable {
    public var name: String
    public var label: String
    public var labelPlural: String?
    public var keyPrefix: String?
    public var custom: Bool
    public var queryable: Bool
    public var createable: Bool
    public var updateable: Bool
    public var fields: [FieldDescribe]

    /// The field called `name`, case-insensitively.
    public func field(_ name: String) -> FieldDescribe? {
        let lowered = name.lowercased()
        return fields.first { $0.name.lowercased() == lowered }
    }

    public init(name: String, label: String, fields: [FieldDescribe], custom: Bool = false) {
        self.name = name
        self.label = label
        self.labelPlural = nil
        self.keyPrefix = nil
        self.custom = custom
        self.queryable = true
        self.createable = true
        self.updateable = true
        self.fields = fields
    }

    enum CodingKeys: String, CodingKey {
        case name, label, labelPlural, keyPrefix, custom, queryable, createable, updateable, fields
    }

    /// Only `name` and `fields` are needed; keys the rules do not use default when missing.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        try APIName.require(name, key: CodingKeys.name, in: c, role: "object name")
        fields = try c.decode([FieldDescribe].self, forKey: .fields)
        label = try c.decodeIfPresent(String.self, forKey: .label) ?? name
        labelPlural = try c.decodeIfPresent(String.self, forKey: .labelPlural)
        keyPrefix = try c.decodeIfPresent(String.self, forKey: .keyPrefix)
        custom = try c.decodeIfPresent(Bool.self, forKey: .custom) ?? name.hasSuffix("__c")
        queryable = try c.decodeIfPresent(Bool.self, forKey: .queryable) ?? true
        createable = try c.decodeIfPresent(Bool.self, forKey: .createable) ?? true
        updateable = try c.decodeIfPresent(Bool.self, forKey: .updateable) ?? true
    }

    /// Why a body is not a describe, naming the key at fault.
    public struct FormatError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Parses a describe body (the JSON Salesforce sends). Errors name the missing or mistyped key.
    public static func parse(_ data: Data) throws(FormatError) -> SObjectDescribe {
        try decode(SObjectDescribe.self, from: data)
    }

    /// Decodes a describe-shaped body, naming the key at fault when it cannot.
    static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws(FormatError) -> Value {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw FormatError(message: "it has no '\(path(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(type, context) {
            if context.codingPath.isEmpty { throw FormatError(message: "it is not a JSON object") }
            throw FormatError(message: "'\(path(context.codingPath))' is not \(describe(type))")
        } catch let DecodingError.valueNotFound(type, context) {
            throw FormatError(message: "'\(path(context.codingPath))' is null, not \(describe(type))")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw FormatError(message: "'\(path(context.codingPath))': \(context.debugDescription)")
        } catch {
            throw FormatError(message: "it is not a JSON object")
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type: "a whole number"
        default: "a list or an object of the right shape"
        }
    }
}

/// One entry of the global describe.
public struct SObjectSummary: Sendable, Equatable, Codable {
    public var name: String
    public var label: String
    public var custom: Bool
    public var queryable: Bool
    public var keyPrefix: String?

    enum CodingKeys: String, CodingKey {
        case name, label, custom, queryable, keyPrefix
    }

    public init(name: String, label: String, custom: Bool, queryable: Bool, keyPrefix: String?) {
        self.name = name
        self.label = label
        self.custom = custom
        self.queryable = queryable
        self.keyPrefix = keyPrefix
    }

    /// An object whose name is not an API name is refused, as in a describe.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        try APIName.require(name, key: CodingKeys.name, in: c, role: "object name")
        label = try c.decode(String.self, forKey: .label)
        custom = try c.decode(Bool.self, forKey: .custom)
        queryable = try c.decode(Bool.self, forKey: .queryable)
        keyPrefix = try c.decodeIfPresent(String.self, forKey: .keyPrefix)
    }
}

public struct GlobalDescribe: Sendable, Equatable, Codable {
    public var sobjects: [SObjectSummary]

    public init(sobjects: [SObjectSummary]) {
        self.sobjects = sobjects
    }

    /// Parses a global describe body; errors name the key at fault (an object name off the grammar included).
    public static func parse(_ data: Data) throws(SObjectDescribe.FormatError) -> GlobalDescribe {
        try SObjectDescribe.decode(GlobalDescribe.self, from: data)
    }
}

/// One page of a query answer.
public struct QueryPage: Sendable {
    public var totalSize: Int
    public var done: Bool
    public var nextRecordsUrl: String?
    public var records: [JSONValue]

    public static func parse(_ value: JSONValue) throws(SalesforceError) -> QueryPage {
        guard let total = value["totalSize"]?.intValue, let done = value["done"]?.boolValue,
              let records = value["records"]?.arrayValue else {
            throw SalesforceError(kind: .protocolViolation, message: "the query answer has no totalSize/done/records")
        }
        return QueryPage(totalSize: total, done: done, nextRecordsUrl: value["nextRecordsUrl"]?.stringValue,
                         records: records)
    }
}

/// `Sforce-Limit-Info: api-usage=N/M`.
public struct APIUsage: Sendable, Equatable {
    public var used: Int
    public var max: Int

    public init(used: Int, max: Int) {
        self.used = used
        self.max = max
    }

    public static func parse(_ header: String?) -> APIUsage? {
        guard let header, let range = header.range(of: "api-usage=") else { return nil }
        let rest = header[range.upperBound...].prefix { $0.isNumber || $0 == "/" }
        let parts = rest.split(separator: "/")
        guard parts.count == 2, let used = Int(parts[0]), let max = Int(parts[1]) else { return nil }
        return APIUsage(used: used, max: max)
    }
}

/// `GET /limits`: each limit's Max and Remaining (per-app sub-entries ignored).
public struct OrgLimits: Sendable, Equatable {
    public struct Limit: Sendable, Equatable {
        public var name: String
        public var max: Int
        public var remaining: Int
        public var used: Int { max - remaining }
    }

    public var limits: [Limit]

    public subscript(name: String) -> Limit? { limits.first { $0.name == name } }

    public static func parse(_ value: JSONValue) throws(SalesforceError) -> OrgLimits {
        guard let pairs = value.objectValue else {
            throw SalesforceError(kind: .protocolViolation, message: "the limits answer is not an object")
        }
        return OrgLimits(limits: pairs.compactMap { name, entry in
            guard let max = entry["Max"]?.intValue, let remaining = entry["Remaining"]?.intValue else { return nil }
            return Limit(name: name, max: max, remaining: remaining)
        }.sorted { $0.name < $1.name })
    }
}

/// Record values flattened for tables: `Account.Name` for parent fields,
/// `MailingAddress` as one line, `attributes` left out.
public enum RecordFlattening {
    /// The (column, value) pairs of a record, parents flattened with dots.
    public static func flatten(_ record: JSONValue, prefix: String = "") -> [(String, JSONValue)] {
        guard let pairs = record.objectValue else { return [] }
        var out: [(String, JSONValue)] = []
        for (key, value) in pairs where key != "attributes" {
            if case .object = value, value["attributes"] != nil {
                out += flatten(value, prefix: prefix + key + ".")
            } else if case .object = value, isAddress(value) {
                out.append((prefix + key, .string(addressLine(value))))
            } else {
                out.append((prefix + key, value))
            }
        }
        return out
    }

    static func isAddress(_ value: JSONValue) -> Bool {
        value["city"] != nil || value["street"] != nil || value["postalCode"] != nil
    }

    /// `street, city, state postalCode, country` without empty parts.
    public static func addressLine(_ value: JSONValue) -> String {
        let street = value["street"]?.stringValue?.replacingOccurrences(of: "\n", with: ", ")
        let city = value["city"]?.stringValue
        let statePostal = [value["state"]?.stringValue, value["postalCode"]?.stringValue]
            .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        let country = value["country"]?.stringValue
        return [street, city, statePostal, country].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
    }

    /// The value at a dotted path (`Account.Owner.Name`), null when a parent is missing.
    public static func value(_ record: JSONValue, path: String) -> JSONValue {
        var current = record
        for part in path.split(separator: ".") {
            guard let pairs = current.objectValue,
                  let next = pairs.first(where: { $0.0.lowercased() == part.lowercased() })?.1 else { return .null }
            current = next
        }
        if case .object = current, isAddress(current) { return .string(addressLine(current)) }
        return current
    }
}
