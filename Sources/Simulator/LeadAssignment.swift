import Foundation
import GRDB

/// The org's Lead assignment rules, queryable as `AssignmentRule` and run as Salesforce runs them: by the REST
/// API's `Sforce-Auto-Assign` header (absent or `TRUE`: the active rule on created and updated Leads; `FALSE`: none;
/// a rule's Id: that rule on created Leads) and by a Bulk API 2.0 job's `assignmentRuleId` (that rule, active or
/// not; no rule without it).
public struct AssignmentRuleDef: Sendable {
    enum Entry: Sendable {
        /// Leads from Germany, Austria or Switzerland to the DACH owner, every other Lead to the default one.
        case byCountry(dach: Int, other: Int)
        /// Every Lead to one owner.
        case everyone(Int)
    }

    public let id: String
    public let name: String
    public let active: Bool
    let entry: Entry

    static let dach: Set<String> = ["germany", "austria", "switzerland", "deutschland", "österreich", "schweiz", "de", "at", "ch"]

    /// The index in the org's users of the owner this rule gives a Lead from `country`.
    func owner(country: String?) -> Int {
        switch entry {
        case let .byCountry(dach, other):
            Self.dach.contains((country ?? "").trimmingCharacters(in: .whitespaces).lowercased()) ? dach : other
        case let .everyone(owner): owner
        }
    }
}

/// Which rule a request runs, from its `Sforce-Auto-Assign` header (or a Bulk job's `assignmentRuleId`).
enum AutoAssign: Sendable, Equatable {
    case active
    case none
    case rule(String)

    /// TRUE and FALSE without case; anything else is taken as a rule's Id (one that names no rule runs nothing).
    init(header: String?) {
        let value = header?.trimmingCharacters(in: .whitespaces)
        switch value?.lowercased() {
        case nil, "true": self = .active
        case "false": self = .none
        default: self = .rule(value ?? "")
        }
    }

    @TaskLocal static var current: AutoAssign = .active
}

extension Org {
    /// Lukas Müller (users[5]) owns the DACH Leads, Priya Nair (users[2]) the rest; the old rule gave all to Sam O'Connor.
    public static let leadAssignmentRules = [
        AssignmentRuleDef(id: RecordID.make(prefix: "01Q", number: 1), name: "Standard Lead Assignment", active: true,
                          entry: .byCountry(dach: 5, other: 2)),
        AssignmentRuleDef(id: RecordID.make(prefix: "01Q", number: 2), name: "Old Round Robin", active: false,
                          entry: .everyone(3)),
    ]

    /// The Lead rule with this (15- or 18-character) Id.
    func assignmentRule(_ id: String, for object: ObjectDef) -> AssignmentRuleDef? {
        guard object.name == "Lead", let wanted = RecordID.normalize(id) else { return nil }
        return Self.leadAssignmentRules.first { $0.id == wanted }
    }

    /// The rule a write runs: the request's choice, on created Leads, or the active rule on updated ones.
    func assignmentRule(for choice: AutoAssign, object: ObjectDef, creating: Bool) -> AssignmentRuleDef? {
        guard object.name == "Lead" else { return nil }
        switch choice {
        case .none: return nil
        case .active: return Self.leadAssignmentRules.first(where: \.active)
        case let .rule(id): return creating ? assignmentRule(id, for: object) : nil
        }
    }

    /// Gives the record its owner by the rule (inside the write that created or changed it).
    func applyAssignmentRule(_ rule: AssignmentRuleDef?, to object: ObjectDef, id: String, in db: Database) throws {
        guard let rule else { return }
        let country = try String.fetchOne(db, sql: "SELECT Country FROM \"\(object.name)\" WHERE Id = ?", arguments: [id])
        let index = rule.owner(country: country)
        guard users.indices.contains(index) else { return }
        try db.execute(sql: "UPDATE \"\(object.name)\" SET OwnerId = ? WHERE Id = ?", arguments: [users[index].id, id])
    }
}
