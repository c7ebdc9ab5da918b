import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

// The contact pull's two extra passes, as the import's: formula fields change without SystemModstamp (a Contact
// formula that reads its Account), and Contacts purged from the Recycle Bin never come back as deleted.

extension ContactsJob {
    /// After the pass, when due (`levitate.reconcile_deletes`, `levitate.formula_refresh`): archives the contacts the
    /// org no longer lists, and re-maps the contacts the pass did not read when the mapping reads a formula field,
    /// writing those whose mapping changed. A full pass has just done both.
    func extraPasses(_ state: inout ImportObjectState, describe: SObjectDescribe, fields: [String], context: RunContext,
                     found: inout Found) async throws {
        let now = clock.now()
        guard let lower = state.passLower else {
            state.formulaRefreshedAt = now
            state.deletesReconciledAt = now
            return
        }
        let due = duePasses(state, describe: describe, now: now)
        if due.reconcile {
            try await archivePurged(last: state.deletesReconciledAt, context: context)
            state.deletesReconciledAt = now
        }
        if due.refresh {
            let formulas = due.formulas
            try await remap(fields: fields, lower: lower, formulas: formulas, describe: describe, context: context, found: &found)
            state.formulaRefreshedAt = now
        }
    }

    /// Which extra passes follow an incremental pull now (`levitate.reconcile_deletes`, `levitate.formula_refresh`, the
    /// latter only when the mapping reads a formula field), and those fields: one decision for the run and its dry run.
    func duePasses(_ state: ImportObjectState, describe: SObjectDescribe, now: Date) -> (reconcile: Bool, refresh: Bool, formulas: [String]) {
        let formulas = ContactMapping.fieldsNeeded(describe: describe, settings: settings.levitate)
            .filter { describe.field($0)?.calculated == true }
        return (settings.contactsReconcileDeletes.isDue(last: state.deletesReconciledAt, now: now),
                !formulas.isEmpty && settings.contactsFormulaRefresh.isDue(last: state.formulaRefreshedAt, now: now), formulas)
    }

    /// What a dry run plans for the passes a run would make after an incremental pull that reads `since` Contacts
    /// (`plannedPasses`); the mapped formula fields come from the cached describe (none cached: no refresh planned).
    func plannedPasses(_ state: ImportObjectState, lower: Date?, since: Int,
                       client: SalesforceClient) async throws(EngineError) -> (calls: [Estimates.PlannedCall], countCalls: Int) {
        guard lower != nil else { return ([], 0) }
        let cached = (try? store.cachedDescribe(org: org.alias, object: Self.object)) ?? nil
        let now = clock.now()
        let due = cached.flatMap { try? SObjectDescribe.parse($0.body) }.map { duePasses(state, describe: $0, now: now) }
            ?? (reconcile: settings.contactsReconcileDeletes.isDue(last: state.deletesReconciledAt, now: now), refresh: false, formulas: [])
        let alias = org.alias
        return try await SyncEngine.plannedPasses(Self.object, since: since, reconcile: due.reconcile,
                                                  lastReconciled: state.deletesReconciledAt, refresh: due.refresh,
                                                  stored: { () throws(StoreError) in try store.liveLevitateContactCount(org: alias) },
                                                  reading: Self.passReading, now: now, client: client)
    }

    /// How the extra passes read: REST pages of 2,000, or a Bulk job when it costs fewer calls.
    static let passReading = PassReading(method: .auto, pageSize: nil, bulk: .standard)

    /// Finds the Contacts the org no longer has (`RunContext.idsGone`: getDeleted when it can tell nothing was purged
    /// since the last reconciliation at `last`, else every Id listed) and, only from a whole list, archives the local
    /// contacts it lacks (one transaction).
    func archivePurged(last: Date?, context: RunContext) async throws {
        let alias = org.alias
        let runID = context.runID
        let (gone, _) = try await context.idsGone({ () throws(StoreError) in try store.liveLevitateContactIDs(org: alias) },
                                                  object: Self.object, reading: Self.passReading, lastReconciled: last,
                                                  doing: "list the Contact Ids to find Contacts purged from the Recycle Bin")
        guard !gone.isEmpty else { return }
        let now = clock.now()
        try await context.commit { store in
            try store.transaction { tx in
                var counts = RunCounts()
                for id in gone where try tx.archiveLevitateContact(org: alias, id: id, run: runID, at: now) { counts.archived += 1 }
                try tx.addRunCounts(run: runID, counts)
            }
        }
        events(.note("\(gone.count) contact\(gone.count == 1 ? " is" : "s are") gone from the org (purged): archived"))
    }

    /// Reads the mapped fields of the Contacts the pass did not read and writes the contacts whose mapping changed
    /// (counted updated): a formula the mapping reads may have changed without its Contact's SystemModstamp.
    func remap(fields: [String], lower: Date, formulas: [String], describe: SObjectDescribe, context: RunContext,
               found: inout Found) async throws {
        let alias = org.alias
        let runID = context.runID
        let passRun = context.runID
        var remapped = 0
        let selected = fields.filter { $0 != "Id" }
        var mappedFound = found
        let types = Dictionary(describe.fields.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
        _ = try await context.eachRecord(ImportQuery.fieldsBelow(Self.object, fields: selected, lower: lower), reading: Self.passReading,
                                         types: types, doing: "read the Contacts again for their formula fields (\(formulas.joined(separator: ", ")))") { records in
            let mapped = try map(records, describe: describe, found: &mappedFound)
            let now = clock.now()
            remapped += try await context.commit { store in
                try store.transaction { tx in
                    var counts = RunCounts()
                    for (record, contact) in mapped {
                        guard let id = record["Id"]?.stringValue, let existing = try tx.levitateContact(org: alias, id: id),
                              !existing.archived else { continue }
                        let body = contact.json.serialized()
                        guard body != existing.body else { continue }
                        let row = LevitateContactRow(org: alias, id: id, name: Self.name(contact), company: contact.company,
                                                     owner: contact.owner.salesforce, archived: contact.archived,
                                                     systemModstamp: existing.systemModstamp, body: body, syncedAt: now, runID: runID)
                        try tx.upsertLevitateContact(row, pass: passRun)
                        counts.updated += 1
                        if contact.archived { counts.archived += 1 }
                    }
                    try tx.addRunCounts(run: runID, counts)
                    return counts.updated
                }
            }
        }
        found = mappedFound
        if remapped > 0 {
            events(.note("\(remapped) contact\(remapped == 1 ? "" : "s") re-mapped: formula fields they map changed (\(formulas.joined(separator: ", ")))"))
        }
    }
}
