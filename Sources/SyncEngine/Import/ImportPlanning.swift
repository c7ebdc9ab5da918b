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
            let calls = try plan(method)
            objects.append(ImportPlan.Object(object: object, records: records, since: lower, resumes: resumes,
                                             method: calls.contains { $0.kind == .job } ? .bulk : .rest, calls: calls,
                                             restCalls: try plan(.rest).count, bulkCalls: try plan(.bulk).count))
        }
        return ImportPlan(org: org.alias, full: options.full, objects: objects, countCalls: objects.count)
    }
}
