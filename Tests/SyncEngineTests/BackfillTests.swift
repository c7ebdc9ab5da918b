import SalesforceModel
import Foundation
import JSON
import Salesforce
@testable import Simulator
import Store
import TestSupport
import Testing
@testable import SyncEngine

/// Issue 23 §3: a field added to the org is read for every record already stored within one run, and a back-fill
/// that fails leaves the next run to do it again.
@Suite(.serialized) struct BackfillTests {
    /// Stored Contact id → its body's value of `field` (nil: the body has no such key).
    func stored(_ h: EngineHarness, _ field: String) throws -> [String: JSONValue?] {
        var values: [String: JSONValue?] = [:]
        for record in try h.store.localRecords(org: h.alias, object: "Contact") {
            values[record.id] = try JSONValue.parse(Data(record.body.utf8))[field]
        }
        return values
    }

    @Test func aFieldAddedToTheOrgIsBackFilledForEveryStoredRecord() async throws {
        let h = try await EngineHarness.start()
        func testBody() async throws {
            #expect(try await h.job { $0.objects = ["Contact"] }.run().status == .succeeded)
            // In the same second as the describe the first run cached, maybe: Last-Modified could not tell, the ETag does.
            _ = try h.sim.addCustomField(object: "Contact", name: "Loyalty__c", type: "string")
            // One Contact changes after the field came: the pass reads it whole, the back-fill the others.
            let changed = try #require(try h.localRecords("Contact").keys.sorted().first)
            try await h.update("Contact", changed, .object([("Title", .string("Changed"))]))

            // The first try fails in the back-fill (the org is unavailable for its query): nothing is recorded.
            h.sim.injectFaults(script: Array(repeating: (Fault.unavailable, "/query"), count: 12))
            let failed = try await h.job { $0.objects = ["Contact"] }.run()
            #expect(failed.status != .succeeded)
            h.sim.injectFaults()
            #expect(try stored(h, "Loyalty__c").values.allSatisfy { $0 == nil })

            let notes = NoteLog()
            let report = try await h.job({ $0.objects = ["Contact"] }, events: { event in
                if case let .note(text) = event { notes.add(text) }
            }).run()
            #expect(report.status == .succeeded, "\(report.message ?? "")")
            var remote: [String: JSONValue] = [:]
            for try await record in h.admin.records("SELECT Id, Loyalty__c FROM Contact") {
                remote[record["Id"]!.stringValue!] = record["Loyalty__c"]
            }
            let local = try stored(h, "Loyalty__c")
            #expect(local.count == remote.count && local.count > 100)
            for (id, value) in local { #expect(value == remote[id], "\(id)") }
            #expect(notes.all.contains { $0.contains("Loyalty__c added since the last run") }, "\(notes.all)")

            let object = try #require(try h.store.runObjects(run: report.runID).first { $0.object == "Contact" })
            let changes = try JSONValue.parse(Data(try #require(object.schemaChanges).utf8))
            #expect(changes["added"] == .array([.string("Loyalty__c")]))
            #expect(changes["backfilled"]?["fields"] == .array([.string("Loyalty__c")]))
            #expect((changes["backfilled"]?["records"]?.intValue ?? 0) >= local.count - 10)
            #expect(ImportJob.describeChanges(changes).contains("back-filled for"))
            // The back-fill's calls are in the object's plan.
            #expect(report.calls == report.plannedCalls, "\(report.calls) calls, \(report.plannedCalls) planned")

            // Recorded: the next run reads nothing again.
            let again = try await h.job { $0.objects = ["Contact"] }.run()
            let next = try #require(try h.store.runObjects(run: again.runID).first { $0.object == "Contact" })
            #expect(next.schemaChanges == nil)
        }
        try await stopping(h, testBody)
    }
}
