import Foundation
import GRDB

/// The org's Lead assignment rule, as Bulk API 2.0 names it by `assignmentRuleId`: Leads from Germany, Austria
/// or Switzerland go to the DACH owner (the org's second user), every other Lead to the third.
struct AssignmentRuleDef: Sendable {
    let id: String
    let name: String
    let object: String
    let active: Bool

    static let dach: Set<String> = ["germany", "austria", "switzerland", "de", "at", "ch"]
}

extension Org {
    static let assignmentRules = [
        AssignmentRuleDef(id: "01Q5g000000ABCDEAA", name: "Standard Lead Assignment", object: "Lead", active: true),
        AssignmentRuleDef(id: "01Q5g000000ABCEEAA", name: "Old Round Robin", object: "Lead", active: false),
    ]

    func assignmentRule(_ id: String, for object: ObjectDef) -> AssignmentRuleDef? {
        Self.assignmentRules.first { $0.object == object.name && RecordID.normalize(id) == RecordID.normalize($0.id) }
    }

    /// Runs the rule on a record just created: its owner as the rule's entries say.
    func applyAssignmentRule(_ ruleID: String?, to object: ObjectDef, id: String) {
        guard let ruleID, let rule = assignmentRule(ruleID, for: object), users.count >= 3 else { return }
        _ = rule
        try? store.db.write { db in
            let country = try String.fetchOne(db, sql: "SELECT Country FROM \"\(object.name)\" WHERE Id = ?", arguments: [id])
            let owner = AssignmentRuleDef.dach.contains((country ?? "").lowercased()) ? users[1].id : users[2].id
            try db.execute(sql: "UPDATE \"\(object.name)\" SET OwnerId = ? WHERE Id = ?", arguments: [owner, id])
        }
    }
}
