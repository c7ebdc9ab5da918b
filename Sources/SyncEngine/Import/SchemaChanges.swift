import SalesforceModel
import Foundation
public import JSON
import Salesforce
import Store
import SyncRules

// What changed in an object's describe since the last run (added, removed, retyped fields).

extension ImportJob {
    // MARK: Describe changes

    /// What changed between the field types of the last run and these: nil when nothing did (or there was no last run).
    static func schemaChanges(from old: String?, to new: [(String, String)]) -> JSONValue? {
        guard let old, let previous = try? JSONValue.parse(Data(old.utf8)), case let .object(pairs) = previous else { return nil }
        let before = Dictionary(pairs.map { ($0.0, $0.1.stringValue ?? "") }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(new, uniquingKeysWith: { first, _ in first })
        let added = new.map(\.0).filter { before[$0] == nil }
        let removed = pairs.map(\.0).filter { after[$0] == nil }
        let changed = new.compactMap { name, type -> JSONValue? in
            guard let was = before[name], was != type else { return nil }
            return .object([("field", .string(name)), ("from", .string(was)), ("to", .string(type))])
        }
        guard !added.isEmpty || !removed.isEmpty || !changed.isEmpty else { return nil }
        return .object([("added", .array(added.map(JSONValue.string))), ("removed", .array(removed.map(JSONValue.string))),
                        ("changed", .array(changed))])
    }

    /// `added Foo__c; removed Bar__c; Baz__c string → picklist`.
    public static func describeChanges(_ changes: JSONValue) -> String {
        var parts: [String] = []
        let added = changes["added"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let removed = changes["removed"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !added.isEmpty {
            if let filled = changes["backfilled"]?["records"]?.intValue {
                parts.append("added \(added.joined(separator: ", ")) (back-filled for \(filled) record\(filled == 1 ? "" : "s") imported earlier)")
            } else {
                parts.append("added \(added.joined(separator: ", ")) (read whole by this pass)")
            }
        }
        if !removed.isEmpty { parts.append("removed \(removed.joined(separator: ", "))") }
        for change in changes["changed"]?.arrayValue ?? [] {
            parts.append("\(change["field"]?.stringValue ?? "?") \(change["from"]?.stringValue ?? "?") → \(change["to"]?.stringValue ?? "?")")
        }
        return parts.joined(separator: "; ")
    }
}
