public import Foundation
import SyncRules
public import SalesforceModel
import Store

/// The SOQL of the import (SPEC §6.3): every readable field, ordered by
/// `(SystemModstamp, Id)` so a cursor of the last stored record resumes
/// exactly, with an inclusive lower bound for incremental runs.
public enum ImportQuery {
    /// Describe types that are read through their component fields instead.
    static let compoundTypes: Set<String> = ["address", "location"]

    /// The fields the import selects: every field the describe shows (it lists
    /// only what the user can read), compound ones through their components.
    /// base64 fields (attachments' bodies) are left out: REST answers them as URLs.
    public static func fields(of describe: SObjectDescribe) -> [String] {
        describe.fields.filter { !compoundTypes.contains($0.type) && $0.type != "base64" }.map(\.name)
    }

    /// A `(SystemModstamp, Id)` position in the ordered result.
    public struct Cursor: Sendable, Equatable {
        public var stamp: String
        public var id: String

        public init(stamp: String, id: String) {
            self.stamp = stamp
            self.id = id
        }
    }

    /// The object of the import called `name`, in any case (nil for others).
    public static func object(named name: String) -> String? {
        ImportJob.defaultObjects.first { $0.lowercased() == name.lowercased() }
    }

    /// The records of one pass, after `cursor` when resuming.
    public static func records(_ object: String, fields: [String], lower: Date?, after cursor: Cursor?) -> String {
        var conditions: [String] = []
        if let lower { conditions.append("SystemModstamp >= \(literal(lower))") }
        if let cursor { conditions.append(after(cursor)) }
        return "SELECT \(fields.joined(separator: ", ")) FROM \(object)"
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY SystemModstamp, Id"
    }

    /// The records deleted since `lower` (through `queryAll`), after `cursor`.
    public static func deletes(_ object: String, lower: Date, after cursor: Cursor?) -> String {
        var conditions = ["IsDeleted = true", "SystemModstamp >= \(literal(lower))"]
        if let cursor { conditions.append(after(cursor)) }
        return "SELECT Id, SystemModstamp FROM \(object) WHERE " + conditions.joined(separator: " AND ")
            + " ORDER BY SystemModstamp, Id"
    }

    /// `Id` and some fields of the records below a pass's lower bound (a back-fill of fields added to the describe, a
    /// formula refresh): the pass reads the others whole.
    static func fieldsBelow(_ object: String, fields: [String], lower: Date) -> PassQuery {
        PassQuery(object: object, fields: fields, conditions: ["SystemModstamp < \(literal(lower))"])
    }

    /// How many records a pass would read (for `--dry-run`).
    public static func count(_ object: String, lower: Date?) -> String {
        "SELECT COUNT() FROM \(object)" + (lower.map { " WHERE SystemModstamp >= \(literal($0))" } ?? "")
    }

    static func after(_ cursor: Cursor) -> String {
        let stamp = literal(cursor.stamp)
        return "(SystemModstamp > \(stamp) OR (SystemModstamp = \(stamp) AND Id > \(SOQLText.literal(cursor.id))))"
    }

    /// A SOQL date-time literal of a date, whole seconds rounded down (so an inclusive bound stays inclusive).
    public static func literal(_ date: Date) -> String { DateTimeText.format(date) }

    /// A SOQL date-time literal of a value as Salesforce sent it (`2024-05-01T10:00:00.000+0000`):
    /// `2024-05-01T10:00:00Z`, keeping milliseconds only when they are not zero.
    public static func literal(_ stamp: String) -> String {
        var text = stamp
        if text.hasSuffix("+0000") { text = String(text.dropLast(5)) + "Z" }
        if text.hasSuffix(".000Z") { text = String(text.dropLast(5)) + "Z" }
        return text
    }

    /// The parent key a combined view joins on: the account of a contact or an
    /// opportunity, and of a lead once it is converted.
    public static func accountField(of object: String) -> String? {
        switch object {
        case "Contact", "Opportunity": "AccountId"
        case "Lead": "ConvertedAccountId"
        case "Account": nil
        default: "AccountId"
        }
    }
}

extension ImportObjectState {
    /// Where the pass in progress stands: the last committed (SystemModstamp, Id), if any.
    var cursor: ImportQuery.Cursor? { cursorID.map { ImportQuery.Cursor(stamp: cursorStamp ?? "", id: $0) } }
}
