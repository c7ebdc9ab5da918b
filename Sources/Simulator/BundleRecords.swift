import Foundation
import GRDB
import JSON

// The records of an org replayed from a support bundle (`--from-bundle`): generated to fit the bundle's describes, and
// the bundle's sample records as given.

extension DataGenerator {
    /// The org's own definition of a standard object (a bundle's, when it described it).
    func stored(_ standard: ObjectDef) -> ObjectDef { org.store.object(standard.name) ?? standard }

    /// Fields the generator leaves alone, set from the record's place in the org.
    static let systemFields: Set<String> = ["Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                                            "SystemModstamp", "OwnerId", "MasterRecordId", "LastActivityDate", "LastViewedDate",
                                            "LastReferencedDate"]

    /// Gives the bundle's fields the generator did not fill a value of their type: required ones always, the others
    /// two times in three (a picklist's own values, a default where the describe has one). Only for a bundle's objects,
    /// so a seeded org without one draws exactly what it drew before.
    func fillBundled(_ object: ObjectDef, _ row: inout GeneratedRow, index: Int, owners: [String]) {
        for field in object.storedFields where field.described != nil && !Self.systemFields.contains(field.name) {
            guard row[field.name] == nil, field.createable || field.calculated else { continue }
            if field.nillable && !random.chance(0.67) { continue }
            row[field.name] = value(for: field, index: index, owners: owners)
        }
    }

    func value(for field: FieldDef, index: Int, owners: [String]) -> DatabaseValueConvertible? {
        if let text = field.defaultValue, field.type != .reference {
            return field.type == .boolean ? (text == "true" ? 1 : 0) : text
        }
        switch field.type {
        case .boolean: return random.chance(0.3) ? 1 : 0
        case .picklist, .combobox: return field.picklist.isEmpty ? nil : random.pick(field.picklist).value
        case .multipicklist:
            return field.picklist.isEmpty ? nil : Array(Set((0..<random.int(1...2)).map { _ in random.pick(field.picklist).value })).sorted().joined(separator: ";")
        case .int: return random.int(0...max(1, min(9_999, Int(pow(10, Double(max(1, min(field.digits, 4))))) - 1)))
        case .double, .currency, .percent:
            return Double(random.int(0...9_999)) / Double(field.scale > 0 ? 100 : 1)
        case .date: return date(yearsBack: -1...5)
        case .datetime: return SimDates.format(org.clock.now().addingTimeInterval(-Double(random.int(0...365 * 86_400))))
        case .email: return "sample.\(index).\(random.int(1...9_999))@example.com"
        case .phone: return phone()
        case .url: return "https://www.example.com/\(index)"
        case .reference: return field.referenceTo.contains("User") && !owners.isEmpty ? random.pick(owners) : nil
        case .id, .address: return nil
        case .string, .textarea:
            let text = "\(field.label) \(index + 1)"
            return String(text.prefix(max(1, field.length > 0 ? field.length : 255)))
        }
    }

    /// The bundle's sample records, as given: their fields the org's object has, their Id when it carries the
    /// object's key prefix (else a new one; a generated record with that Id gives way), references to records the org does not have left empty, the owner one
    /// of the org's users.
    func insertSamples(_ shape: OrgShape, db: Database, owners: [String]) throws {
        let now = SimDates.format(org.clock.now())
        // Parents before children, so a sample Contact's Account is found.
        let order = ["Account", "Contact", "Lead", "Opportunity"]
        for name in shape.records.keys.sorted(by: { (order.firstIndex(of: $0) ?? 9, $0) < (order.firstIndex(of: $1) ?? 9, $1) }) {
            guard let object = org.store.object(name) else { continue }
            for record in shape.records[name] ?? [] {
                var values: [String: DatabaseValueConvertible?] = [:]
                for field in object.storedFields where !Self.systemFields.contains(field.name) {
                    guard let value = record[field.name], value != .null else { continue }
                    switch value {
                    case let .bool(flag): values[field.name] = flag ? 1 : 0
                    case let .int(number): values[field.name] = number
                    case let .double(number): values[field.name] = number
                    case let .string(text):
                        if field.type == .reference {
                            let exists = try field.referenceTo.contains { target in
                                try org.store.object(target).map { parent in
                                    try Bool.fetchOne(db, sql: "SELECT 1 FROM \"\(parent.name)\" WHERE Id = ?", arguments: [text]) ?? false
                                } ?? false
                            }
                            values[field.name] = exists ? text : nil
                        } else {
                            values[field.name] = text
                        }
                    default: values[field.name] = value.serialized()
                    }
                }
                let given = record["Id"]?.stringValue
                values["Id"] = given.flatMap { $0.hasPrefix(object.keyPrefix) && OrgShape.isAPIName("x" + $0) ? $0 : nil }
                    ?? org.store.nextID(for: object)
                values["IsDeleted"] = 0
                // The sample's owner when the org has that user, else the admin.
                let owner = record["OwnerId"]?.stringValue.flatMap { id in org.users.contains { $0.id == id } ? id : nil }
                values["OwnerId"] = owner ?? owners.first
                for key in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] { values[key] = now }
                for key in ["CreatedById", "LastModifiedById"] { values[key] = owners.first }
                // A generated record that happens to have the sample's Id gives way to it.
                try db.execute(sql: "DELETE FROM \"\(object.name)\" WHERE Id = ?", arguments: [values["Id"] ?? nil])
                try org.store.insertStandard(object, values, in: db)  // the system fields the object has
            }
        }
    }
}
