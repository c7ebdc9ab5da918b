import SalesforceModel
import Foundation
import JSON
import Salesforce
@testable import Simulator
import Store
import SyncRules
import TestSupport
import Testing
@testable import SyncEngine

/// Issue 23 §1–§2: the extra passes read a large object through a Bulk job, and a delete reconciliation asks
/// getDeleted whether anything was purged before it lists every Id.
@Suite(.serialized) struct PassReadTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    struct WindowRow: Sendable {
        let lastAge: TimeInterval?
        let listingCalls: Int
        let checks: Bool
    }

    /// The last reconciliation's age (nil: never), the listing's calls, whether getDeleted is asked first.
    static let windowRows: [WindowRow] = [
        WindowRow(lastAge: nil, listingCalls: 9, checks: false),
        WindowRow(lastAge: 3_600, listingCalls: 1, checks: false),
        WindowRow(lastAge: 3_600, listingCalls: 2, checks: true),
        WindowRow(lastAge: 7 * 86_400, listingCalls: 5, checks: true),
        WindowRow(lastAge: 15 * 86_400 - 3_600, listingCalls: 5, checks: true),
        WindowRow(lastAge: 15 * 86_400 - 3_599, listingCalls: 5, checks: false),
        WindowRow(lastAge: 30 * 86_400, listingCalls: 50, checks: false),
        WindowRow(lastAge: -60, listingCalls: 5, checks: false),  // a clock moved back
    ]

    @Test(arguments: windowRows) func whenGetDeletedIsAskedFirst(row: WindowRow) throws {
        let last = row.lastAge.map { Self.now.addingTimeInterval(-$0) }
        let window = PassSchedule.purgeCheckWindow(last: last, now: Self.now, listingCalls: row.listingCalls)
        #expect((window != nil) == row.checks)
        if let window, let last {
            // From the whole minute before the last reconciliation, so nothing in its minute is missed.
            #expect(window.start <= last.addingTimeInterval(-60) && window.start > last.addingTimeInterval(-120))
            #expect(window.start.timeIntervalSince1970.truncatingRemainder(dividingBy: 60) == 0 && window.end == Self.now)
        }
    }

    @Test func aPurgeIsOneAfterTheWindowStarts() {
        let start = Self.now
        #expect(!PassSchedule.purged(since: start, earliestDateAvailable: nil))
        #expect(!PassSchedule.purged(since: start, earliestDateAvailable: start))
        #expect(!PassSchedule.purged(since: start, earliestDateAvailable: start.addingTimeInterval(-86_400)))
        #expect(PassSchedule.purged(since: start, earliestDateAvailable: start.addingTimeInterval(1)))
    }

    struct CallsRow: Sendable {
        let total: Int
        let since: Int
        let method: Estimates.ReadMethod
        let reconcile: ReconcilePlan?
        let refresh: Bool
        let calls: (reconcile: Int, refresh: Int)
    }

    /// Pages of 200; Bulk chunks of 1,000 after 1 expected poll.
    static let callsRows: [CallsRow] = [
        CallsRow(total: 300, since: 0, method: .auto, reconcile: .list, refresh: true, calls: (2, 2)),
        CallsRow(total: 300, since: 250, method: .auto, reconcile: nil, refresh: true, calls: (0, 1)),
        CallsRow(total: 1_500, since: 0, method: .auto, reconcile: .list, refresh: true, calls: (5, 5)),  // page + job + poll + 2 chunks
        CallsRow(total: 1_500, since: 0, method: .rest, reconcile: .list, refresh: false, calls: (8, 0)),
        CallsRow(total: 1_500, since: 0, method: .bulk, reconcile: .list, refresh: false, calls: (4, 0)),  // job + poll + 2 chunks
        CallsRow(total: 1_500, since: 0, method: .auto, reconcile: .checked(purged: false), refresh: false, calls: (1, 0)),
        CallsRow(total: 1_500, since: 0, method: .auto, reconcile: .checked(purged: true), refresh: false, calls: (6, 0)),
        CallsRow(total: 0, since: 0, method: .auto, reconcile: .list, refresh: true, calls: (1, 1)),
    ]

    @Test(arguments: callsRows) func thePassesCalls(row: CallsRow) {
        let calls = PassSchedule.extraCalls(object: "Contact", total: row.total, since: row.since, pageSize: 200, method: row.method,
                                            bulk: Estimates.BulkShape(chunkSize: 1_000, expectedPolls: 1),
                                            reconcile: row.reconcile, refresh: row.refresh)
        #expect(calls.filter { $0.kind == .reconcile }.count == row.calls.reconcile)
        #expect(calls.filter { $0.kind == .refresh }.count == row.calls.refresh)
    }

    struct UpkeepRow: Sendable {
        let refresh: PassSchedule
        let reconcile: PassSchedule
        let perWeek: Int?
    }

    /// 300 Contacts (2 pages) and 100 Accounts (1 page): a week of passes at each pair of schedules.
    static let upkeepRows: [UpkeepRow] = [
        UpkeepRow(refresh: .daily, reconcile: .weekly, perWeek: 7 * 3 + (1 + 2) + 1),
        UpkeepRow(refresh: .off, reconcile: .weekly, perWeek: 4),
        UpkeepRow(refresh: .daily, reconcile: .off, perWeek: 21),
        UpkeepRow(refresh: .off, reconcile: .off, perWeek: 0),
        UpkeepRow(refresh: .everyRun, reconcile: .weekly, perWeek: nil),
        UpkeepRow(refresh: .daily, reconcile: .everyRun, perWeek: nil),
    ]

    @Test(arguments: upkeepRows) func aWeekOfPasses(row: UpkeepRow) {
        let upkeep = PassUpkeep(counts: [("Contact", 300), ("Account", 100)], pageSize: 200, formulaRefresh: row.refresh,
                                reconcileDeletes: row.reconcile)
        #expect(upkeep.callsPerWeek == row.perWeek)
        #expect(upkeep.reconcile == (row.reconcile == .off ? 0 : 3) && upkeep.refresh == (row.refresh == .off ? 0 : 3))
    }

    /// Contacts in pages of 200 and, where it costs fewer calls, Bulk chunks of 1,000 after one expected poll.
    static func contacts(_ options: inout ImportOptions) {
        options.objects = ["Contact"]
        options.batchSize = 200
        options.bulk = Estimates.BulkShape(chunkSize: 1_000, expectedPolls: 1)
    }

    @Test func aLargeObjectsPassesReadThroughBulkAndSpendWhatTheyPlan() async throws {
        let h = try await BulkImportTests.harness(contacts: 1_500)
        func testBody() async throws {
            try h.store.setSetting("lytics.formula_refresh", to: "every-run", scope: h.alias)
            try h.store.setSetting("lytics.reconcile_deletes", to: "every-run", scope: h.alias)
            #expect(try await h.job(Self.contacts).run().status == .succeeded)
            let stored = try h.localRecords("Contact").keys.sorted()
            #expect(stored.count == 1_500)
            let contacts = try h.store.localRecords(org: h.alias, object: "Contact")
            let account = try #require(Dictionary(grouping: contacts.compactMap(\.accountID), by: { $0 }).max { $0.value.count < $1.value.count }?.key)
            let siblings = contacts.filter { $0.accountID == account }.count

            // Three Contacts deleted and purged, an Account's tier changed: neither moves a stored Contact's stamp.
            h.sim.clock.advance(by: 600)
            let purged = Array(stored.suffix(3))
            for id in purged { try await h.delete("Contact", id) }
            #expect(try h.sim.purge(ids: purged) == 3)
            try await h.update("Account", account, .object([("Tier__c", .string("Platinum"))]))
            h.sim.clock.advance(by: 600)

            // The plan asks getDeleted, which tells of the purge, so the Ids are listed: a first page, then a job, its
            // poll and 2 chunks; the formulas of the 1,497 Contacts the pass does not read, the same way.
            let plan = try await h.job(Self.contacts).plan()
            let planned = try #require(plan.json["objects"]?["Contact"])
            #expect(planned["reconcile"] == .int(6) && planned["refresh"] == .int(5) && plan.countCalls == 3, "\(plan.json.serialized())")
            let log = h.sim.callLog().count
            let notes = NoteLog()
            let report = try await h.job(Self.contacts, events: { event in
                if case let .note(text) = event { notes.add(text) }
            }).run()
            #expect(report.status == .succeeded, "\(report.message ?? "")")
            let object = try #require(report.objects.first)
            #expect(object.deleted == 3 && object.refreshed == siblings, "\(report.json.serialized())")
            #expect(report.plannedCalls == plan.plannedCalls && report.calls == report.plannedCalls,
                    "\(report.calls) calls, \(report.plannedCalls) planned, the dry run \(plan.plannedCalls)")
            let bulk = BulkImportTests.bulkCalls(h, since: log)
            #expect(bulk.creates == 2 && bulk.chunks == 4, "\(bulk)")
            #expect(h.sim.callLog().dropFirst(log).filter { $0.path.contains("/sobjects/Contact/deleted") }.count == 1)
            #expect(notes.all.contains { $0.contains("purged from the Recycle Bin since the last reconciliation") }, "\(notes.all)")
            #expect(Set(try h.localRecords("Contact").keys).isDisjoint(with: purged))
            let tiers = try h.store.localRecords(org: h.alias, object: "Contact").filter { $0.accountID == account }
                .map { try JSONValue.parse(Data($0.body.utf8))["Account_Tier__c"] }
            #expect(tiers.count == siblings && tiers.allSatisfy { $0 == .string("Platinum") })

            // Nothing purged since: getDeleted alone answers the reconciliation (one call, no listing).
            h.sim.clock.advance(by: 600)
            let quiet = try await h.job(Self.contacts).plan()
            #expect(quiet.json["objects"]?["Contact"]?["reconcile"] == .int(1), "\(quiet.json.serialized())")
            let again = try await h.job(Self.contacts).run()
            #expect(again.objects.first?.deleted == 0 && again.calls == again.plannedCalls && again.plannedCalls == quiet.plannedCalls,
                    "\(again.calls) calls, \(again.plannedCalls) planned")
        }
        try await stopping(h, testBody)
    }
}
