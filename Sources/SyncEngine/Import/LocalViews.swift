import Foundation
public import JSON
import SalesforceModel
public import Store

/// The local records as SQL and as combined documents (SPEC §6.3): one view
/// per object with a column per field (from the last describe, so fields added
/// later simply appear), and the combined views: leads and contacts with their
/// account's fields, opportunities with their account and the account's contacts.
public enum LocalViews {
    /// The views of `org`'s records: one per object with a column per field of its last describe (only
    /// API names: a name off the grammar, from an older or hostile describe, is left out), and the combined views.
    public static func views(org: String, store: Store) throws(EngineError) -> LocalViewSet {
        let states: [ImportObjectState]
        do { states = try store.importStates(org: org) } catch { throw EngineError(error) }
        let fieldsByObject = describedFields(states).mapValues { $0.map(\.name).filter(APIName.isValid) }
        let objects = ImportJob.defaultObjects.map { object in
            LocalViewSet.ObjectView(name: object, object: object, fields: fieldsByObject[object] ?? ["Id", "SystemModstamp"])
        }
        let accountFields = fieldsByObject["Account"] ?? ["Id"]
        let accountColumns = accountFields.map { "a.\(identifier($0)) AS \(identifier("Account." + $0))" }.joined(separator: ", ")
        var combined: [LocalViewSet.CombinedView] = []
        for (view, object, key) in [("lead_combined", "Lead", "ConvertedAccountId"), ("contact_combined", "Contact", "AccountId"),
                                    ("opportunity_combined", "Opportunity", "AccountId")] {
            var select = "SELECT o.*, \(accountColumns)"
            if object == "Opportunity" {
                select += """
                    , (SELECT json_group_array(json_object('Id', c.Id, 'Name', c.Name, 'Email', c.Email))
                       FROM \(identifier("Contact")) c WHERE c.AccountId = o.AccountId) AS "Account.Contacts"
                    """
            }
            combined.append(LocalViewSet.CombinedView(name: view, select: """
                \(select) FROM \(identifier(object)) o LEFT JOIN \(identifier("Account")) a ON a.Id = o.\(identifier(key))
                """))
        }
        return LocalViewSet(org: org, objects: objects, combined: combined)
    }

    /// The names `local` offers, for help and errors.
    public static let viewNames = ImportJob.defaultObjects + ["lead_combined", "contact_combined", "opportunity_combined"]

    /// One local record in its combined view: its fields, its account's (as
    /// `Account`), and for an opportunity the account's contacts; an account
    /// lists its contacts and opportunities.
    public static func combined(org: String, id: String, object: String?, store: Store) throws(EngineError) -> JSONValue? {
        do {
            let found = try object.map { try store.localRecord(org: org, object: $0, id: id) } ?? store.localRecord(org: org, id: id)
            // Null fields are not stored: each object's fields (its last describe's, those the import reads) come back as
            // null where absent.
            let fieldsOf = describedFields(try store.importStates(org: org)).mapValues { fields in
                fields.filter { !ImportQuery.compoundTypes.contains($0.type) && $0.type != "base64" }.map(\.name)
            }
            func parse(_ record: LocalRecord) -> JSONValue { withNulls(Self.parse(record.body), fields: fieldsOf[record.object] ?? []) }
            guard let record = found, case var .object(fields) = parse(record) else { return nil }
            // sfsh's own state stays apart from the record's fields (a record read through queryAll has its own
            // IsDeleted): a JSON object never repeats a key.
            fields.append(("sfsh", .object([("deleted", .bool(record.isDeleted))])))
            func brief(_ record: LocalRecord) -> JSONValue {
                let body = parse(record)
                return .object(["Id", "Name", "Email", "StageName", "Amount"].compactMap { key in body[key].map { (key, $0) } })
            }
            switch record.object {
            case "Account":
                fields.append(("Contacts", .array(try store.localRecords(org: org, object: "Contact", accountID: record.id).map(brief))))
                fields.append(("Opportunities",
                               .array(try store.localRecords(org: org, object: "Opportunity", accountID: record.id).map(brief))))
            default:
                if let accountID = record.accountID,
                   let account = try store.localRecord(org: org, object: "Account", id: accountID), !account.isDeleted,
                   case var .object(accountFields) = parse(account) {
                    if record.object == "Opportunity" {
                        accountFields.append(("Contacts", .array(try store.localRecords(org: org, object: "Contact", accountID: accountID).map(brief))))
                    }
                    fields.append(("Account", .object(accountFields)))
                } else {
                    fields.append(("Account", .null))
                }
            }
            // The related records replace a field of the same name, never repeat it.
            var seen = Set<String>()
            return .object(fields.reversed().filter { seen.insert($0.0).inserted }.reversed())
        } catch let error as StoreError {
            throw EngineError(error)
        } catch {
            throw EngineError(.failure, "\(error)")
        }
    }

    /// Each object's fields by its last describe, as the import state keeps them: name and type, by name.
    static func describedFields(_ states: [ImportObjectState]) -> [String: [(name: String, type: String)]] {
        var fields: [String: [(name: String, type: String)]] = [:]
        for state in states {
            guard let text = state.fieldTypes, case let .object(pairs)? = try? JSONValue.parse(Data(text.utf8)) else { continue }
            fields[state.object] = pairs.map { ($0.0, $0.1.stringValue ?? "") }
        }
        return fields
    }

    static func parse(_ body: String) -> JSONValue { (try? JSONValue.parse(Data(body.utf8))) ?? .object([]) }

    /// A stored record with its absent `fields` as nulls, keys sorted (as the parser gives them).
    static func withNulls(_ record: JSONValue, fields: [String]) -> JSONValue {
        guard case var .object(pairs) = record else { return record }
        let present = Set(pairs.map(\.0))
        pairs += fields.filter { !present.contains($0) }.map { ($0, JSONValue.null) }
        return .object(pairs.sorted { $0.0 < $1.0 })
    }

    static func identifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
