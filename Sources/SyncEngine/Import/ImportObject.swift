import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

// One object of an import run: its describe, its pass (records, then deletes), how it is read.

extension ImportJob {
    // MARK: One object

    func importObject(_ object: String, context: RunContext, tally: CallTally) async throws {
        var state = try store.importState(org: org.alias, object: object)
        guard state.phase != nil else { return }  // finished earlier in this cycle
        let describe: SObjectDescribe
        do {
            describe = try await DescribeCache(store: store, clock: clock)
                .describe(object, org: org.alias, client: context.client, revalidate: true)
        } catch { throw JobStop.engine(error) }
        let fields = ImportQuery.fields(of: describe)
        guard fields.contains("Id"), fields.contains("SystemModstamp") else {
            throw JobStop.engine(EngineError(.failure, "\(object) shows no Id or SystemModstamp to this user, so it cannot be imported",
                                          hint: "check the user's field-level security"))
        }
        let types = describe.fields.map { ($0.name, $0.type) }
        let fieldTypes = Dictionary(types, uniquingKeysWith: { first, _ in first })
        var changes = Self.schemaChanges(from: state.fieldTypes, to: types)
        // Fields added since the last run are read for the records this (incremental) pass will not read, before the
        // new describe is recorded: a run killed meanwhile leaves the next one to fill them again.
        let added = (changes?["added"]?.arrayValue ?? []).compactMap(\.stringValue).filter { fields.contains($0) }
        if let lower = state.passLower, state.phase == "records", !added.isEmpty, let found = changes {
            try store.transaction { tx in try tx.updateRunObject(run: context.runID, object: object, schemaChanges: found.serialized()) }
            events(.note("\(object): \(added.joined(separator: ", ")) added since the last run; reading them for the records imported earlier"))
            let filled = try await backfill(object, fields: added, lower: lower, types: fieldTypes, context: context)
            if case var .object(pairs) = found {
                pairs.append(("backfilled", .object([("fields", .array(added.map(JSONValue.string))), ("records", .int(filled))])))
                changes = .object(pairs)
            }
        }
        state.fieldTypes = JSONValue.object(types.map { ($0.0, .string($0.1)) }).serialized()
        let start = state
        let recorded = changes
        try store.transaction { tx in
            try tx.saveImportState(start)
            try tx.updateRunObject(run: context.runID, object: object, schemaChanges: recorded?.serialized())
        }
        if let changes { events(.note("\(object): the describe changed since the last run: \(Self.describeChanges(changes))")) }

        let reading = ObjectRead(object: object, fields: fields, types: fieldTypes,
                                 passRun: state.passRun ?? context.runID, context: context, tally: tally,
                                 fresh: !(try store.hasLocalRecords(org: org.alias, object: object)))
        var planned: Int?
        if state.phase == "records" {
            (state, planned) = try await readRecords(reading, state: state)
            // The records are all read: a full pass now knows what is gone; an incremental one asks for deletes.
            state.phase = state.passLower == nil ? nil : "deletes"
            state.cursorStamp = nil
            state.cursorID = nil
            state.bulkJob = nil
            state.bulkLocator = nil
            let next = state
            try store.transaction { tx in
                if next.passFull {
                    let gone = try tx.markUnseenDeleted(object: object, org: self.org.alias, run: context.runID, pass: reading.passRun)
                    try tx.addCounts(run: context.runID, object: object, read: 0, created: 0, updated: 0, deleted: gone)
                }
                try tx.saveImportState(next)
            }
        }
        if state.phase == "deletes", let lower = state.passLower {
            let soql = ImportQuery.deletes(object, lower: lower, after: state.cursor)
            state = try await readPages(soql, all: true, read: reading, state: state,
                                        onFirst: { _, _, _ in (planned == nil ? tally.count + 1 : nil, true) }) { page, state, tx in
                let gone = page.records.compactMap { record -> (id: String, stamp: String)? in
                    guard let id = record.string("Id"), let stamp = record.string("SystemModstamp") else { return nil }
                    return (id, stamp)
                }
                let deleted = try tx.markDeleted(gone, object: object, org: self.org.alias, run: context.runID)
                try tx.addCounts(run: context.runID, object: object, read: 0, created: 0, updated: 0, deleted: deleted)
                if let last = gone.last { state.cursorStamp = last.stamp; state.cursorID = last.id }
            }
        }
        // Formula fields change without SystemModstamp, and purged records never come back as deleted: when due,
        // the formulas are read again and the Ids reconciled with the org's (a full pass has just done both).
        let formulas = Self.formulaFields(of: describe)
        let now = clock.now()
        var extraCalls = 0
        if let lower = state.passLower {
            let due = duePasses(state, formulas: formulas, now: now)
            if due.reconcile {
                let (gone, calls) = try await reconcileDeletes(object, last: state.deletesReconciledAt, context: context)
                extraCalls += calls
                state.deletesReconciledAt = now
                if gone > 0 { events(.note("\(object): \(gone) stored record\(gone == 1 ? " is" : "s are") gone from the org (purged): marked deleted")) }
            }
            if due.refresh {
                let (refreshed, calls) = try await refreshFormulas(object, fields: formulas, lower: lower, types: fieldTypes, context: context)
                extraCalls += calls
                state.formulaRefreshedAt = now
                if refreshed > 0 { events(.note("\(object): \(refreshed) record\(refreshed == 1 ? "" : "s")' formula values changed (\(formulas.joined(separator: ", ")))")) }
            }
        } else {
            state.formulaRefreshedAt = now
            state.deletesReconciledAt = now
        }
        // The pass is complete: the next one starts a little before this one did.
        state.endPass(run: context.runID, runStarted: context.started)
        // The extra passes' calls join the object's plan (made by this run, or by the run whose pass this one resumed).
        if extraCalls > 0 {
            let stored = planned ?? (try? store.runObjects(run: context.runID).first { $0.object == object }?.plannedCalls) ?? nil
            planned = stored.map { $0 + extraCalls }
        }
        let finished = state
        let calls = tally.count
        try store.transaction { tx in
            try tx.saveImportState(finished)
            try tx.updateRunObject(run: context.runID, object: object, plannedCalls: planned, calls: calls, done: true)
        }
    }

    /// What reading one object's records needs besides its state.
    struct ObjectRead: Sendable {
        let object: String
        let fields: [String]
        /// The describe's field types by name (to type Bulk's CSV cells).
        let types: [String: String]
        /// The run that began the pass: records read are marked seen by it.
        let passRun: Int64
        let context: RunContext
        /// The object's calls so far in this run.
        let tally: CallTally
        /// No record of the object was stored when this object's run began: records are inserted, not looked up first.
        var fresh = false
    }

    /// Reads the records phase of a pass from its cursor, through REST pages or a
    /// Bulk API 2.0 job (see `ImportOptions.method`); returns the state after the
    /// last record and the calls planned for the object, when this run planned them.
    func readRecords(_ reading: ObjectRead, state initial: ImportObjectState) async throws -> (ImportObjectState, Int?) {
        let deletes = initial.passLower == nil ? 0 : 1
        let method = options.method(bulkJobUnderWay: initial.bulkJob != nil)
        if method == .bulk {
            do {
                return try await readBulk(reading, state: initial, deletes: deletes)
            } catch let fallback as BulkFallback {
                return (try await readREST(reading, state: try await fellBack(reading, fallback), deletes: deletes), nil)
            }
        }
        var switchToBulk = false
        var planned: Int?
        var state = try await readREST(reading, state: initial, deletes: deletes) { total, pageSize, done in
            if method == .auto && !done && Estimates.autoChoosesBulk(records: total, pageSize: pageSize, bulk: self.options.bulk) {
                switchToBulk = true
                planned = reading.tally.count + self.options.bulk.calls(records: total - pageSize) + deletes
                return (planned, false)
            }
            planned = Self.restPlan(reading, total: total, pageSize: pageSize, deletes: deletes)
            return (planned, true)
        }
        guard switchToBulk else { return (state, planned) }
        do {
            let (after, bulkPlanned) = try await readBulk(reading, state: state, deletes: deletes)
            return (after, bulkPlanned ?? planned)
        } catch let fallback as BulkFallback {
            // The REST read plans itself from its first page.
            state = try await fellBack(reading, fallback)
            return (try await readREST(reading, state: state, deletes: deletes), nil)
        }
    }
}
