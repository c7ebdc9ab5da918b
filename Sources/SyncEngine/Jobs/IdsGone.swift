import SalesforceModel
import Foundation
import Salesforce
import JSON
import Store
import SyncRules

extension RunContext {
    /// Which of the `stored` Ids of `object` the org no longer has, found by a delete reconciliation: when the last
    /// one (`lastReconciled`) is inside getDeleted's 15 days and listing would cost more than a call, getDeleted
    /// first — its `earliestDateAvailable` is the object's last purge, and with none since, nothing stored can be gone
    /// unseen (1 call). Otherwise, or when a record was purged since, every Id is read (`eachRecord`: REST pages or
    /// a Bulk job) and compared by its 15 case-sensitive characters. Only a whole list answers — a failed page
    /// throws — so a caller never marks records gone from a partial one. Returns the Ids gone and the calls made.
    func idsGone(_ stored: () throws(StoreError) -> [String], object: String, reading: PassReading, lastReconciled: Date?,
                 doing: String) async throws -> (gone: [String], calls: Int) {
        let live: [String]
        do { live = try stored() } catch { throw JobStop.engine(EngineError(error)) }
        var calls = 0
        let listing = PassSchedule.readCalls(records: live.count, pageSize: reading.plannedPageSize, method: reading.method,
                                             bulk: reading.bulk)
        if let window = PassSchedule.purgeCheckWindow(last: lastReconciled, now: clock.now(), listingCalls: listing) {
            calls += 1
            do {
                let answer = try await client.deletedRecords(object, start: window.start, end: window.end)
                guard PassSchedule.purged(since: window.start, earliestDateAvailable: answer.earliestDateAvailable) else {
                    return ([], calls)
                }
                environment.events(.note("\(object): records were purged from the Recycle Bin since the last reconciliation; listing the Ids"))
            } catch where error.status == 400 {
                environment.events(.note("\(object): getDeleted refused the window (\(error.message)); listing the Ids"))
            } catch {
                throw JobStop.salesforce(error, doing: "ask getDeleted whether \(object) records were purged")
            }
        }
        var present = Set<String>()
        calls += try await eachRecord(PassQuery(object: object, fields: [], conditions: []), reading: reading, types: [:],
                                      doing: doing) { records in
            for record in records { if let id = record["Id"]?.stringValue { present.insert(String(id.prefix(15))) } }
        }
        return (live.filter { !present.contains(String($0.prefix(15))) }, calls)
    }
}
