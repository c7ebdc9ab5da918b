import Foundation
import GRDB

/// A formula field that reads a field of a parent record (`Contact.Account_Tier__c` = `TEXT(Account.Tier__c)`), as
/// Salesforce computes it when read: its value follows the parent's field at once, and neither the parent's change
/// nor the recalculation touches the record's `SystemModstamp` — the change an incremental sync on SystemModstamp
/// cannot see. The store keeps the column current with triggers (the parent's field changes, the reference
/// changes, a record is created), which a client cannot tell from computing on read.
struct CrossObjectFormula: Sendable {
    let object: String
    let field: String
    let reference: String
    let parent: String
    let parentField: String

    /// The SQL that fills every record, and the triggers that keep it current.
    var sql: [String] {
        let value = "(SELECT \"\(parentField)\" FROM \"\(parent)\" WHERE \"\(parent)\".Id = NEW.\"\(reference)\")"
        let name = "\(object)_\(field)"
        return [
            """
            UPDATE "\(object)" SET "\(field)" = (SELECT "\(parentField)" FROM "\(parent)" WHERE "\(parent)".Id = "\(object)"."\(reference)")
            """,
            """
            CREATE TRIGGER "\(name)_parent" AFTER UPDATE OF "\(parentField)" ON "\(parent)" BEGIN
                UPDATE "\(object)" SET "\(field)" = NEW."\(parentField)" WHERE "\(reference)" = NEW.Id;
            END
            """,
            """
            CREATE TRIGGER "\(name)_insert" AFTER INSERT ON "\(object)" BEGIN
                UPDATE "\(object)" SET "\(field)" = \(value) WHERE Id = NEW.Id;
            END
            """,
            """
            CREATE TRIGGER "\(name)_reference" AFTER UPDATE OF "\(reference)" ON "\(object)" BEGIN
                UPDATE "\(object)" SET "\(field)" = \(value) WHERE Id = NEW.Id;
            END
            """,
        ]
    }
}

extension OrgStore {
    /// Fills the cross-object formulas and installs their triggers (after the generated records are in).
    func installFormulas(_ formulas: [CrossObjectFormula]) throws {
        try db.write { db in
            for formula in formulas where object(formula.object)?.field(formula.field) != nil && object(formula.parent) != nil {
                for statement in formula.sql { try db.execute(sql: statement) }
            }
        }
    }
}
