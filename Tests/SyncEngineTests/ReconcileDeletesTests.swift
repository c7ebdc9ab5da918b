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

/// Issue 23 §2: records purged from the Recycle Bin are found by listing the org's Ids, and a listing that does not
/// finish marks nothing.
@Suite(.serialized) struct ReconcileDeletesTests {
    static let week: TimeInterval = 7 * 86_400
    /// A schedule, the last pass's age (nil: never), whether the next is due.
    static let rows: [(PassSchedule, TimeInterval?, Bool)] = [
        (.weekly, nil, true), (.weekly, week - 86_400, false), (.weekly, week - 500, true), (.off, 4 * week, false),
        (.everyRun, 60, true), (.daily, 86_400 - 500, true), (.daily, 86_400 - 700, false),
    ]

    @Test func whenAPassIsDue() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for (schedule, age, due) in Self.rows {
            #expect(schedule.isDue(last: age.map { now.addingTimeInterval(-$0) }, now: now) == due, "\(schedule) \(age ?? -1)")
        }
    }

    @Test func purgedRecordsAreMarkedDeletedOnlyFromAWholeList() async throws {
        let h = try await EngineHarness.start()
        func testBody() async throws {
            let contact: (inout ImportOptions) -> Void = { options in
                options.objects = ["Contact"]
                options.batchSize = 200
            }
            #expect(try await h.job(contact).run().status == .succeeded)
            let stored = try h.localRecords("Contact").keys.sorted()
            #expect(stored.count > 200)
            let purged = Array(stored.prefix(3))
            for id in purged { try await h.delete("Contact", id) }
            #expect(try h.sim.purge(ids: purged) == 3)
            h.sim.clock.advance(by: 600)

            // Weekly, reconciled by the full pass: the incremental pass cannot see a purged record.
            let unseen = try await h.job(contact).run()
            #expect(unseen.objects.first?.deleted == 0)
            #expect(Set(try h.localRecords("Contact").keys).isSuperset(of: purged))

            // Every run, and the listing's second page fails: nothing is marked.
            try h.store.setSetting("lytics.reconcile_deletes", to: "every-run", scope: h.alias)
            h.sim.injectFaults(script: Array(repeating: (Fault.unavailable, "/query/"), count: 12))
            let failed = try await h.job(contact).run()
            h.sim.injectFaults()
            #expect(failed.status != .succeeded)
            #expect(Set(try h.localRecords("Contact").keys).isSuperset(of: purged))

            let notes = NoteLog()
            let report = try await h.job(contact, events: { event in
                if case let .note(text) = event { notes.add(text) }
            }).run()
            #expect(report.status == .succeeded, "\(report.message ?? "")")
            #expect(report.objects.first?.deleted == 3, "\(report.json.serialized())")
            let live = Set(try h.localRecords("Contact").keys)
            #expect(live.isDisjoint(with: purged) && live.count == stored.count - 3)
            #expect(notes.all.contains { $0.contains("3 stored records are gone from the org") }, "\(notes.all)")
            // A run that begins its pass plans the reconciliation too: a describe, the pass's page, its deletes, and —
            // 2 pages of Ids being more than a call — getDeleted, which says nothing was purged since (the dry run asks
            // it too, so it knows the listing is not needed).
            h.sim.clock.advance(by: 600)
            let plan = try await h.job(contact).plan()
            #expect(plan.json["objects"]?["Contact"]?["reconcile"] == .int(1) && plan.plannedCalls == 4 && plan.countCalls == 3,
                    "\(plan.json.serialized())")
            let clean = try await h.job(contact).run()
            #expect(clean.objects.first?.deleted == 0)
            #expect(clean.calls == clean.plannedCalls && clean.calls == 4, "\(clean.calls) calls, \(clean.plannedCalls) planned")
            // A purge since (of a record never stored): getDeleted tells, and the 2 pages of Ids follow.
            let other = try #require(try h.localRecords("Contact").keys.sorted().last)
            try await h.delete("Contact", other)
            #expect(try h.sim.purge(ids: [other]) == 1)
            h.sim.clock.advance(by: 600)
            let after = try await h.job(contact).plan()
            #expect(after.json["objects"]?["Contact"]?["reconcile"] == .int(3), "\(after.json.serialized())")
            let listed = try await h.job(contact).run()
            #expect(listed.objects.first?.deleted == 1 && listed.calls == listed.plannedCalls && listed.calls == after.plannedCalls,
                    "\(listed.calls) calls, \(listed.plannedCalls) planned")
        }
        try await stopping(h, testBody)
    }
}
