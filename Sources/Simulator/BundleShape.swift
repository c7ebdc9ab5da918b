public import Foundation
public import JSON
public import SupportBundle

/// An org's shape read from a support bundle (issue 24, `sfsim --from-bundle`): its objects and fields as the bundle's
/// describes give them (each field's describe kept as it came, so the org describes it the same, key by key), its
/// edition, its daily API limit, the connected user's permissions, its active duplicate rules, and the sample records
/// the bundle carries (used as given). Names that are not API names are refused: they would reach SQL.
public struct OrgShape: Sendable {
    public var objects: [ObjectDef] = []
    public var edition: String?
    public var dailyLimit: Int?
    public var apiEnabled: Bool?
    public var viewAllData: Bool?
    /// Whether the bundle saw an active Lead duplicate rule (nil: it could not tell).
    public var leadDuplicateRule: Bool?
    /// Sample records by object, as the bundle carries them (text hashed).
    public var records: [String: [JSONValue]] = [:]
    /// What could not be used, and why.
    public var skipped: [String] = []

    public init() {}

    /// The shape of the bundle at `url`.
    public static func read(_ url: URL) throws(BundleError) -> OrgShape {
        let archive = try BundleArchive.read(url)
        _ = try BundleManifest.read(archive)
        var shape = OrgShape()
        if let org = try archive.json("org.json") {
            shape.edition = org["edition"]?.stringValue
            shape.dailyLimit = org["limits"]?["DailyApiRequests"]?["Max"]?.intValue
            shape.apiEnabled = org["permissions"]?["PermissionsApiEnabled"]?.boolValue
            shape.viewAllData = org["permissions"]?["PermissionsViewAllData"]?.boolValue
            shape.leadDuplicateRule = org["duplicate_rules"]?.arrayValue.map { rules in
                rules.contains { $0["SobjectType"] == .string("Lead") }
            }
        }
        for file in archive.files where file.name.hasPrefix("describes/") && file.name.hasSuffix(".json") {
            do {
                guard let describe = try archive.json(file.name) else { continue }
                shape.objects.append(try object(from: describe))
            } catch { shape.skipped.append("\(file.name): \(error.message)") }
        }
        for file in archive.files where file.name.hasPrefix("records/") && file.name.hasSuffix(".json") {
            let name = String(file.name.dropFirst("records/".count).dropLast(".json".count))
            guard isAPIName(name), let records = try archive.json(file.name)?.arrayValue else { continue }
            shape.records[name] = records
        }
        return shape
    }

    /// Whether `name` is an API name (letters, digits, underscores, starting with a letter; at most 80): the only
    /// names a bundle's describes may bring into the org's tables.
    static func isAPIName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.count <= 80, ("A"..."Z").contains(first) || ("a"..."z").contains(first) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// An object from its describe: the object's facts, and its fields with their describes kept.
    static func object(from describe: JSONValue) throws(BundleError) -> ObjectDef {
        guard let name = describe["name"]?.stringValue, isAPIName(name) else {
            throw BundleError("the describe names no object, or not by an API name")
        }
        let prefix = describe["keyPrefix"]?.stringValue ?? ""
        guard prefix.count == 3, prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw BundleError("\(name) has no three-character key prefix")
        }
        var fields: [FieldDef] = []
        for entry in describe["fields"]?.arrayValue ?? [] {
            guard let fieldName = entry["name"]?.stringValue, isAPIName(fieldName) else {
                throw BundleError("a field of \(name) is not named by an API name")
            }
            fields.append(field(fieldName, from: entry))
        }
        guard fields.contains(where: { $0.name == "Id" }) else { throw BundleError("\(name) shows no Id field") }
        var object = ObjectDef(name: name, label: describe["label"]?.stringValue ?? name,
                               labelPlural: describe["labelPlural"]?.stringValue ?? name, keyPrefix: prefix, fields: fields)
        func flag(_ key: String) -> Bool? { describe[key]?.boolValue }
        object.createable = flag("createable") ?? true
        object.updateable = flag("updateable") ?? true
        object.deletable = flag("deletable") ?? true
        object.queryable = flag("queryable") ?? true
        object.replicateable = flag("replicateable") ?? true
        object.retrieveable = flag("retrieveable") ?? true
        object.deepCloneable = flag("deepCloneable") ?? false
        object.undeletable = flag("undeletable")
        object.described = describe
        return object
    }

    /// How sfsim stores a describe type it has no behaviour of its own for.
    static func storedType(_ type: String) -> FieldType {
        if let known = FieldType(rawValue: type) { return known }
        switch type {
        case "long": return .int
        case "location": return .address
        default: return .string  // encryptedstring, time, base64, anyType, json, complexvalue, …
        }
    }

    static func field(_ name: String, from entry: JSONValue) -> FieldDef {
        var field = FieldDef(name, entry["label"]?.stringValue ?? name, storedType(entry["type"]?.stringValue ?? "string"))
        func int(_ key: String) -> Int { entry[key]?.intValue ?? 0 }
        func flag(_ key: String, _ otherwise: Bool) -> Bool { entry[key]?.boolValue ?? otherwise }
        field.length = int("length")
        field.precision = int("precision")
        field.scale = int("scale")
        field.digits = int("digits")
        field.nillable = flag("nillable", true)
        field.createable = flag("createable", true)
        field.updateable = flag("updateable", true)
        field.defaultedOnCreate = flag("defaultedOnCreate", false)
        switch entry["defaultValue"] {
        case let .string(text)?: field.defaultValue = text
        case let .bool(value)?: field.defaultValue = value ? "true" : "false"
        default: break
        }
        if flag("calculated", false) { field.calculatedFormula = entry["calculatedFormula"]?.stringValue ?? "" }
        field.picklist = (entry["picklistValues"]?.arrayValue ?? []).compactMap { value in
            value["value"]?.stringValue.map { PicklistEntry($0, label: value["label"]?.stringValue, isDefault: value["defaultValue"]?.boolValue ?? false) }
        }
        field.referenceTo = (entry["referenceTo"]?.arrayValue ?? []).compactMap(\.stringValue).filter(isAPIName)
        field.relationshipName = entry["relationshipName"]?.stringValue.flatMap { isAPIName($0) ? $0 : nil }
        field.compoundFieldName = entry["compoundFieldName"]?.stringValue.flatMap { isAPIName($0) ? $0 : nil }
        field.extraTypeInfo = entry["extraTypeInfo"]?.stringValue
        field.nameField = flag("nameField", false)
        field.unique = flag("unique", false)
        field.externalId = flag("externalId", false)
        field.restrictedPicklist = flag("restrictedPicklist", false)
        field.permissionable = entry["permissionable"]?.boolValue
        field.described = entry
        return field
    }
}

extension StandardObjects {
    /// sfsim's objects with a bundle's in their place (and the bundle's others added): a described object keeps its
    /// standard behaviour (what the generator and the control endpoints do with it) but has exactly the bundle's
    /// fields.
    static func merged(with shape: OrgShape?) -> [ObjectDef] {
        guard let shape else { return all }
        var objects = all.map { standard in shape.objects.first { $0.name == standard.name } ?? standard }
        objects += shape.objects.filter { bundled in !all.contains { $0.name == bundled.name } }
        return objects
    }
}
