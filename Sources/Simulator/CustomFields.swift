import Foundation
import GRDB
public import JSON

// A custom field added while the org runs (`POST /_sfsim/fields`), as an admin adds one in Setup: the describe
// gains it (its ETag and Last-Modified change), and every existing record gets the default or a generated value
// without its SystemModstamp moving — the new field an incremental sync does not see for records that do not change.

extension Org {
    /// The types a field may be added with, and their length when none is given.
    static let addableTypes: [String: FieldType] = [
        "string": .string, "text": .string, "textarea": .textarea, "email": .email, "phone": .phone, "url": .url,
        "double": .double, "number": .double, "int": .int, "currency": .currency, "percent": .percent,
        "boolean": .boolean, "checkbox": .boolean, "date": .date, "datetime": .datetime,
    ]

    /// Adds `name` (a custom API name, `…__c`) to `object`; returns the field's describe.
    public func addCustomField(object objectName: String, name: String, type typeName: String, length: Int? = nil,
                               defaultValue: JSONValue? = nil) throws(APIError) -> JSONValue {
        guard let object = store.object(objectName) else {
            throw APIError(status: 400, code: "INVALID_TYPE", message: "sObject type '\(objectName)' is not supported.")
        }
        // Letters, digits and single underscores, starting with a letter, then `__c` (40 characters before it).
        let stem = name.hasSuffix("__c") ? String(name.dropLast(3)) : ""
        guard (1...40).contains(stem.count), let first = stem.first, first.isASCII && first.isLetter,
              stem.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
              !stem.hasSuffix("_"), !stem.contains("__") else {
            throw APIError(status: 400, code: "INVALID_FIELD", message: "\(name) is not a custom field's API name (Letters_Digits__c)")
        }
        guard object.field(name) == nil else {
            throw APIError(status: 400, code: "DUPLICATE_DEVELOPER_NAME", message: "\(object.name) already has a field \(name)")
        }
        guard let type = Self.addableTypes[typeName.lowercased()] else {
            throw APIError(status: 400, code: "INVALID_TYPE",
                           message: "type \(typeName) is not one of \(Self.addableTypes.keys.sorted().joined(separator: ", "))")
        }
        let label = name.dropLast(3).replacingOccurrences(of: "_", with: " ")
        var field: FieldDef
        switch type {
        case .boolean: field = .checkbox(name, label)
        case .double, .currency, .percent: field = .number(name, label, type, precision: 18, scale: 2)
        case .int: field = .number(name, label, .int, precision: 9, scale: 0)
        case .date: field = .date(name, label)
        case .datetime: field = .datetime(name, label)
        default:
            let size = length ?? (type == .textarea ? 32_768 : type == .phone ? 40 : 255)
            guard (1...131_072).contains(size) else {
                throw APIError(status: 400, code: "INVALID_FIELD", message: "length must be between 1 and 131072")
            }
            field = .text(name, label, size, type: type)
        }
        let base = created
        let fixed = try Self.storedDefault(defaultValue, for: field)
        func generated(_ position: Int) -> (any DatabaseValueConvertible)? {
            if let fixed { return fixed }
            switch field.type {
            case .boolean: return position % 2
            case .int: return position % 100
            case .double, .currency, .percent: return Double(position % 1000) / 4
            case .date: return SimDates.formatDate(base.addingTimeInterval(-Double(position % 365) * 86_400))
            case .datetime: return SimDates.format(base.addingTimeInterval(-Double(position % 1000) * 3_600))
            default: return String("\(label) \(position + 1)".prefix(field.length))
            }
        }
        do { try store.addField(field, to: object.name, value: generated) } catch {
            throw APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "\(error)")
        }
        let now = clock.now()
        lock.withLock { schemaChanges[object.name.lowercased()] = now }
        guard let added = store.object(object.name) else { return .null }
        return describe(added, version: Self.versions.last ?? "66.0")["fields"]?.arrayValue?.first { $0["name"] == .string(name) } ?? .null
    }

    /// A default as stored: text as is (cut to the length), a number, a boolean as 0 or 1.
    static func storedDefault(_ value: JSONValue?, for field: FieldDef) throws(APIError) -> (any DatabaseValueConvertible)? {
        guard let value, value != .null else { return nil }
        switch (field.type, value) {
        case let (.boolean, .bool(flag)): return flag ? 1 : 0
        case (.int, _) where value.intValue != nil: return value.intValue
        case (.double, _), (.currency, _), (.percent, _):
            if let number = value.doubleValue { return number }
        case let (.date, .string(text)) where text.count == 10: return text
        case let (.datetime, .string(text)):
            if let date = SimDates.parseDateTime(text) { return SimDates.format(date) }
        case let (type, .string(text)) where type.isText: return String(text.prefix(field.length))
        default: break
        }
        throw APIError(status: 400, code: "INVALID_FIELD", message: "default \(value.serialized()) does not fit a \(field.type.rawValue) field")
    }

    /// When an object's describe last changed (the org's start, or the last field added).
    func describeChanged(_ object: ObjectDef) -> Date {
        lock.withLock { schemaChanges[object.name.lowercased()] } ?? created
    }

    /// When any describe last changed (the global describe's Last-Modified).
    var anyDescribeChanged: Date {
        lock.withLock { schemaChanges.values.max() } ?? created
    }
}
