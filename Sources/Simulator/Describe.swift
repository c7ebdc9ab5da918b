import Foundation
public import JSON

/// Describe bodies in the real shapes (every key a real describe carries).
extension Org {
    /// The describe body of an object, as `GET /sobjects/X/describe` answers it.
    public func describeJSON(_ object: String, version: String = "59.0") -> JSONValue? {
        store.object(object).map { describe($0, version: version) }
    }

    func urls(_ object: ObjectDef, version: String, full: Bool = false) -> JSONValue {
        let base = "/services/data/v\(version)/sobjects/\(object.name)"
        var pairs: [(String, JSONValue)] = [
            ("rowTemplate", .string("\(base)/{ID}")),
            ("defaultValues", .string("\(base)/defaultValues?recordTypeId&fields")),
            ("describe", .string("\(base)/describe")),
            ("sobject", .string(base)),
        ]
        if object.createable {
            pairs += [
                ("compactLayouts", .string("\(base)/describe/compactLayouts")),
                ("approvalLayouts", .string("\(base)/describe/approvalLayouts")),
                ("listviews", .string("\(base)/listviews")),
                ("quickActions", .string("\(base)/quickActions")),
                ("layouts", .string("\(base)/describe/layouts")),
            ]
            if full {
                let ui = baseURL.replacingOccurrences(of: "http://", with: "https://")
                pairs += [
                    ("uiDetailTemplate", .string("\(ui)/{ID}")),
                    ("uiEditTemplate", .string("\(ui)/{ID}/e")),
                    ("uiNewRecord", .string("\(ui)/\(object.keyPrefix)/e")),
                ]
            }
        }
        return .object(pairs)
    }

    func describeSummary(_ object: ObjectDef, version: String) -> JSONValue {
        .object([
            ("activateable", .bool(false)),
            ("associateEntityType", .null),
            ("associateParentEntity", .null),
            ("createable", .bool(object.createable)),
            ("custom", .bool(object.custom)),
            ("customSetting", .bool(false)),
            ("deepCloneable", .bool(object.deepCloneable)),
            ("deletable", .bool(object.deletable)),
            ("deprecatedAndHidden", .bool(false)),
            ("feedEnabled", .bool(object.createable)),
            ("hasSubtypes", .bool(false)),
            ("isInterface", .bool(false)),
            ("isSubtype", .bool(false)),
            ("keyPrefix", .string(object.keyPrefix)),
            ("label", .string(object.label)),
            ("labelPlural", .string(object.labelPlural)),
            ("layoutable", .bool(object.createable)),
            ("mergeable", .bool(["Account", "Contact", "Lead"].contains(object.name))),
            ("mruEnabled", .bool(object.createable)),
            ("name", .string(object.name)),
            ("queryable", .bool(object.queryable)),
            ("replicateable", .bool(object.replicateable)),
            ("retrieveable", .bool(object.retrieveable)),
            ("searchable", .bool(object.createable)),
            ("triggerable", .bool(object.createable)),
            ("undeletable", .bool(object.undeletable ?? object.deletable)),
            ("updateable", .bool(object.updateable)),
            ("urls", urls(object, version: version)),
        ])
    }

    /// Every object, listed by name as a real org lists them (describe_global.json).
    func globalDescribe(version: String) -> JSONValue {
        .object([
            ("encoding", .string("UTF-8")),
            ("maxBatchSize", .int(200)),
            ("sobjects", .array(store.objects.values.sorted { $0.name < $1.name }.map { describeSummary($0, version: version) })),
        ])
    }

    func describe(_ object: ObjectDef, version: String) -> JSONValue {
        // A bundle's object is described as the bundle has it, with the fields it has now (one may have been added).
        if case var .object(pairs)? = object.described {
            let fields = JSONValue.array(object.fields.map { $0.described ?? fieldJSON($0) })
            if let index = pairs.firstIndex(where: { $0.0 == "fields" }) { pairs[index].1 = fields } else { pairs.append(("fields", fields)) }
            return .object(pairs)
        }
        guard case var .object(pairs) = describeSummary(object, version: version) else { return .null }
        pairs.removeAll { ["urls"].contains($0.0) }
        pairs += [
            ("actionOverrides", .array([])),
            ("childRelationships", .array(childRelationships(of: object))),
            ("compactLayoutable", .bool(object.createable)),
            ("defaultImplementation", .null),
            ("extendedBy", .null),
            ("extendsInterfaces", .null),
            // A record's Id is labelled after its object ("Contact ID"), as real describes label it.
            ("fields", .array(object.fields.map { field in
                fieldJSON(field.name == "Id" ? field.with { $0.label = "\(object.label) ID" } : field)
            })),
            ("implementedBy", .null),
            ("implementsInterfaces", .null),
            ("listviewable", .null),
            ("lookupLayoutable", .null),
            ("namedLayoutInfos", .array([])),
            ("networkScopeFieldName", .null),
            ("recordTypeInfos", .array(object.createable ? [.object([
                ("active", .bool(true)), ("available", .bool(true)), ("defaultRecordTypeMapping", .bool(true)),
                ("developerName", .string("Master")), ("master", .bool(true)), ("name", .string("Master")),
                ("recordTypeId", .string("012000000000000AAA")),
                ("urls", .object([("layout", .string("/services/data/v\(version)/sobjects/\(object.name)/describe/layouts/012000000000000AAA"))])),
            ])] : [])),
            ("searchLayoutable", .bool(object.createable)),
            ("sobjectDescribeOption", .string("FULL")),
            ("supportedScopes", .array([.object([("label", .string("All \(object.labelPlural.lowercased())")),
                                                 ("name", .string("everything"))])])),
            ("urls", urls(object, version: version, full: true)),
        ]
        return .object(pairs.sorted { $0.0 < $1.0 })
    }

    func childRelationships(of object: ObjectDef) -> [JSONValue] {
        StandardObjects.childRelationships(of: object).map { child, field, name in
                JSONValue.object([
                    ("cascadeDelete", .bool(child.name == "Note")),
                    ("childSObject", .string(child.name)),
                    ("deprecatedAndHidden", .bool(false)),
                    ("field", .string(field.name)),
                    ("junctionIdListNames", .array([])),
                    ("junctionReferenceTo", .array([])),
                    ("relationshipName", name.map(JSONValue.string) ?? .null),
                    ("restrictedDelete", .bool(false)),
                ])
        }
    }

    func fieldJSON(_ field: FieldDef) -> JSONValue {
        if let described = field.described { return described }
        let isText = [FieldType.string, .textarea, .picklist, .multipicklist, .combobox, .phone, .email, .url]
            .contains(field.type)
        let byteLength = field.type == .id || field.type == .reference ? 18 : (isText ? field.length * 3 : 0)
        let filterable = !(field.type == .textarea && field.length > 255)
        // A compound address filters (by distance) but neither sorts nor groups.
        let orderable = filterable && field.type != .address
        return .object([
            ("aggregatable", .bool(orderable && field.type != .boolean)),
            ("aiPredictionField", .bool(false)),
            ("autoNumber", .bool(false)),
            ("byteLength", .int(byteLength)),
            ("calculated", .bool(field.calculated)),
            ("calculatedFormula", field.calculatedFormula.map(JSONValue.string) ?? .null),
            ("cascadeDelete", .bool(false)),
            ("caseSensitive", .bool(false)),
            ("compoundFieldName", field.compoundFieldName.map(JSONValue.string) ?? .null),
            ("controllerName", .null),
            ("createable", .bool(field.createable)),
            ("custom", .bool(field.custom)),
            ("defaultValue", defaultValueJSON(field)),
            ("defaultValueFormula", .null),
            ("defaultedOnCreate", .bool(field.defaultedOnCreate)),
            ("dependentPicklist", .bool(false)),
            ("deprecatedAndHidden", .bool(false)),
            ("digits", .int(field.digits)),
            ("displayLocationInDecimal", .bool(false)),
            ("encrypted", .bool(false)),
            ("externalId", .bool(field.externalId)),
            ("extraTypeInfo", field.extraTypeInfo.map(JSONValue.string)
                ?? (field.compoundFieldName == "Name" || (field.nameField && field.name == "Name" && field.label == "Full Name")
                    ? .string("personname") : .null)),
            ("filterable", .bool(filterable)),
            ("filteredLookupInfo", .null),
            ("formulaTreatNullNumberAsZero", .bool(false)),
            ("groupable", .bool(orderable && ![.double, .currency, .percent, .datetime].contains(field.type))),
            ("highScaleNumber", .bool(false)),
            ("htmlFormatted", .bool(false)),
            ("idLookup", .bool(field.type == .id || field.name == "Email" || field.name == "Username")),
            ("inlineHelpText", .null),
            ("label", .string(field.label)),
            ("length", .int(isText || field.type == .id || field.type == .reference ? field.length : 0)),
            ("mask", .null),
            ("maskType", .null),
            ("name", .string(field.name)),
            ("nameField", .bool(field.nameField)),
            ("namePointing", .bool(field.referenceTo.count > 1)),
            ("nillable", .bool(field.nillable)),
            ("permissionable", .bool(field.permissionable
                ?? (field.custom || (field.nillable && field.createable && field.compoundFieldName != "Name")))),
            ("picklistValues", .array(field.picklist.map { entry in
                .object([("active", .bool(true)), ("defaultValue", .bool(entry.isDefault)),
                         ("label", .string(entry.label)), ("validFor", .null), ("value", .string(entry.value))])
            })),
            ("polymorphicForeignKey", .bool(field.referenceTo.count > 1)),
            ("precision", .int(field.precision)),
            ("queryByDistance", .bool(field.type == .address)),
            ("referenceTargetField", .null),
            ("referenceTo", .array(field.referenceTo.map(JSONValue.string))),
            ("relationshipName", field.relationshipName.map(JSONValue.string) ?? .null),
            ("relationshipOrder", .null),
            ("restrictedDelete", .bool(false)),
            ("restrictedPicklist", .bool(field.restrictedPicklist)),
            ("scale", .int(field.scale)),
            // Lookups a search can be narrowed by: not the owner, the audit users or the merge master.
            ("searchPrefilterable", .bool(field.type == .reference && field.nillable && field.name != "MasterRecordId")),
            ("soapType", .string(field.type.soapType)),
            ("sortable", .bool(orderable)),
            ("type", .string(field.type.rawValue)),
            ("unique", .bool(field.unique)),
            ("updateable", .bool(field.updateable)),
            ("writeRequiresMasterRead", .bool(false)),
        ])
    }

    func defaultValueJSON(_ field: FieldDef) -> JSONValue {
        guard let value = field.defaultValue else { return .null }
        return field.type == .boolean ? .bool(value == "true") : .string(value)
    }
}
