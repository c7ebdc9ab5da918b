import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

// The import's dry run: one COUNT() per object, then the planner (REST and Bulk).

extension ImportJob {
    // MARK: Dry run

    /// What a run would read and spend: one COUNT() per object (the only calls it makes), then the planner.
    public func plan() async throws(EngineError) -> ImportPlan {
        try validate()
        let client = try connector.client(for: org, source: JobKind.import.ledgerSource + " --dry-run")
        var objects: [ImportPlan.Object] = []
        var countCalls = 0
        for object in options.objects {
            let state: ImportObjectState
            do { state = try store.importState(org: org.alias, object: object) } catch { throw EngineError(error) }
            let resumes = !options.full && state.phase != nil
            let lower = options.full ? nil : resumes ? state.passLower : state.watermark
            let cursor = resumes && state.phase == "records" ? state.cursor : nil
            var soql = ImportQuery.count(object, lower: lower)
            if let cursor { soql += (lower == nil ? " WHERE " : " AND ") + ImportQuery.after(cursor) }
            let records: Int
            do { records = try await client.query(soql).totalSize } catch { throw EngineError(error, doing: "count \(object)") }
            let method = options.method(bulkJobUnderWay: resumes && state.bulkJob != nil)
            func plan(_ method: Estimates.ReadMethod) throws(EngineError) -> [Estimates.PlannedCall] {
                do {
                    return try Estimates.importCalls(counts: [(object, records)], pageSize: options.batchSize ?? 2000,
                                                     countCalls: false, deleteQueries: lower != nil, method: method, bulk: options.bulk)
                } catch { throw EngineError(.usage, error.message) }
            }
            var calls = try plan(method)
            let extra = try await extraPasses(object, state: state, lower: lower, since: records, client: client)
            countCalls += 1 + extra.countCalls
            calls += extra.calls
            objects.append(ImportPlan.Object(object: object, records: records, since: lower, resumes: resumes,
                                             method: calls.contains { $0.kind == .job } ? .bulk : .rest, calls: calls,
                                             restCalls: try plan(.rest).count + extra.calls.count,
                                             bulkCalls: try plan(.bulk).count + extra.calls.count))
        }
        return ImportPlan(org: org.alias, full: options.full, objects: objects, countCalls: countCalls)
    }

    /// The calls of the extra passes a run would make after an incremental pass (`lytics.reconcile_deletes`,
    /// `lytics.formula_refresh`, when due; `plannedPasses`). The formula fields come from the cached describe.
    func extraPasses(_ object: String, state: ImportObjectState, lower: Date?, since records: Int,
                     client: SalesforceClient) async throws(EngineError) -> (calls: [Estimates.PlannedCall], countCalls: Int) {
        guard lower != nil else { return ([], 0) }
        let cached = (try? store.cachedDescribe(org: org.alias, object: object)) ?? nil
        let formulas = cached.flatMap { try? SObjectDescribe.parse($0.body) }.map(Self.formulaFields) ?? []
        let now = clock.now()
        let (reconcile, refresh) = duePasses(state, formulas: formulas, now: now)
        let alias = org.alias
        return try await plannedPasses(object, since: records, reconcile: reconcile, lastReconciled: state.deletesReconciledAt,
                                       refresh: refresh, stored: { () throws(StoreError) in try store.liveRecordCount(org: alias, object: object) },
                                       reading: options.passReading, now: now, client: client)
    }

    /// The formula fields the import reads of an object (calculated, and readable by the user).
    static func formulaFields(of describe: SObjectDescribe) -> [String] {
        let readable = Set(ImportQuery.fields(of: describe))
        return describe.fields.filter { $0.calculated && readable.contains($0.name) }.map(\.name)
    }

    /// Which extra passes follow an incremental pass now (`lytics.reconcile_deletes`, `lytics.formula_refresh`): one
    /// decision for the run and its dry run.
    func duePasses(_ state: ImportObjectState, formulas: [String], now: Date) -> (reconcile: Bool, refresh: Bool) {
        (settings.reconcileDeletes.isDue(last: state.deletesReconciledAt, now: now),
         !formulas.isEmpty && settings.formulaRefresh.isDue(last: state.formulaRefreshedAt, now: now))
    }
}
