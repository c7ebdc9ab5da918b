import SalesforceModel
import Foundation
import Salesforce
import JSON
import Store
import SyncRules

extension RunContext {
    /// Which of the `stored` Ids of `object` the org no longer has, found by a delete reconciliation: getDeleted first
    /// when it can tell (`PurgeCheck`) — with no purge since the last reconciliation, nothing stored can be gone
    /// unseen (1 call). Otherwise, or when a record was purged since, every Id is read (`eachRecord`: REST pages or
    /// a Bulk job) and compared by its 15 case-sensitive characters. Only a whole list answers — a failed page
    /// throws — so a caller never marks records gone from a partial one. Returns the Ids gone and the calls made.
    func idsGone(_ stored: () throws(StoreError) -> [String], object: String, reading: PassReading, lastReconciled: Date?,
                 doing: String) async throws -> (gone: [String], calls: Int) {
        let live: [String]
        do { live = try stored() } catch { throw JobStop.engine(EngineError(error)) }
        let check: PurgeCheck
        do {
            check = try await PurgeCheck.ask(object, stored: live.count, lastReconciled: lastReconciled, reading: reading,
                                             now: clock.now(), client: client)
        } catch {
            throw JobStop.salesforce(error, doing: "ask getDeleted whether \(object) records were purged")
        }
        var calls = check.calls
        switch check {
        case .notAsked: break
        case .nothingPurged: return ([], calls)
        case .purged:
            environment.events(.note("\(object): records were purged from the Recycle Bin since the last reconciliation; listing the Ids"))
        case let .refused(reason):
            environment.events(.note("\(object): getDeleted refused the window (\(reason)); listing the Ids"))
        }
        var present = Set<String>()
        calls += try await eachRecord(PassQuery(object: object, fields: [], conditions: []), reading: reading, types: [:],
                                      doing: doing) { records in
            for record in records { if let id = record["Id"]?.stringValue { present.insert(String(id.prefix(15))) } }
        }
        return (live.filter { !present.contains(String($0.prefix(15))) }, calls)
    }
}

/// What getDeleted says before a delete reconciliation lists every Id — asked only when the last reconciliation is
/// inside its window and listing the `stored` records would cost more than one call (`PassSchedule.purgeCheckWindow`):
/// its `earliestDateAvailable` is the object's last purge. One rule for the run (`idsGone`) and its dry run
/// (`plannedPasses`).
enum PurgeCheck: Equatable {
    /// Not asked: the Ids are listed.
    case notAsked
    /// Nothing purged since the last reconciliation: nothing stored can be gone unseen.
    case nothingPurged
    /// A record was purged since: the Ids are listed.
    case purged
    /// getDeleted refused the window (HTTP 400): the Ids are listed.
    case refused(String)

    /// The calls it made.
    var calls: Int { self == .notAsked ? 0 : 1 }

    static func ask(_ object: String, stored: Int, lastReconciled: Date?, reading: PassReading, now: Date,
                    client: SalesforceClient) async throws(SalesforceError) -> PurgeCheck {
        let listing = PassSchedule.readCalls(records: stored, pageSize: reading.plannedPageSize, method: reading.method,
                                             bulk: reading.bulk)
        guard let window = PassSchedule.purgeCheckWindow(last: lastReconciled, now: now, listingCalls: listing) else {
            return .notAsked
        }
        do {
            let answer = try await client.deletedRecords(object, start: window.start, end: window.end)
            return PassSchedule.purged(since: window.start, earliestDateAvailable: answer.earliestDateAvailable) ? .purged : .nothingPurged
        } catch where error.status == 400 {
            return .refused(error.message)
        }
    }
}
