import SalesforceModel
import Foundation
import Salesforce
import Store
import SyncRules

/// What a dry run plans for the extra passes of a run that has read `since` of an object's records incrementally
/// (the import's and the contact pull's alike), read as the run reads them (`PassSchedule.extraCalls`): one COUNT()
/// of all the object's records, and — when the run's reconciliation would first ask getDeleted whether anything was
/// purged (`PurgeCheck`, over the count of `stored` live records) — that call too, so the plan knows whether the
/// listing follows. Returns the planned calls and the calls the dry run made.
func plannedPasses(_ object: String, since: Int, reconcile: Bool, lastReconciled: Date?, refresh: Bool,
                   stored: () throws(StoreError) -> Int, reading: PassReading, now: Date,
                   client: SalesforceClient) async throws(EngineError) -> (calls: [Estimates.PlannedCall], countCalls: Int) {
    guard reconcile || refresh else { return ([], 0) }
    var countCalls = 1
    let total: Int
    do { total = try await client.query(ImportQuery.count(object, lower: nil)).totalSize } catch {
        throw EngineError(error, doing: "count \(object)")
    }
    var plan: ReconcilePlan?
    if reconcile {
        let count: Int
        do { count = try stored() } catch { throw EngineError(error) }
        let check: PurgeCheck
        do {
            check = try await PurgeCheck.ask(object, stored: count, lastReconciled: lastReconciled, reading: reading, now: now,
                                             client: client)
        } catch {
            throw EngineError(error, doing: "ask getDeleted whether \(object) records were purged")
        }
        countCalls += check.calls
        switch check {
        case .notAsked: plan = .list
        case .nothingPurged: plan = .checked(purged: false)
        case .purged, .refused: plan = .checked(purged: true)  // the run lists after a refused window, as after a purge
        }
    }
    let calls = PassSchedule.extraCalls(object: object, total: total, since: since, pageSize: reading.plannedPageSize,
                                        method: reading.method, bulk: reading.bulk, reconcile: plan, refresh: refresh)
    return (calls, countCalls)
}
