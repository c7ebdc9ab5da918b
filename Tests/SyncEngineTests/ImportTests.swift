import GRDB
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Simulator
@testable import Store
import TestSupport
import Testing
@testable import SyncEngine

@Suite(.serialized) struct ImportTests {
    @Test func firstRunReadsEverythingAndLaterRunsOnlyChanges() async throws {
        let h = try await EngineHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let first = try await h.job().run()
            #expect(first.status == .succeeded)
            let expected = ["Lead": 250, "Contact": 300, "Opportunity": 120, "Account": 40]
            for object in first.objects {
                #expect(object.read == expected[object.object], "\(object.object)")
                #expect(object.created == expected[object.object], "\(object.object)")
                #expect(object.updated == 0 && object.deleted == 0)
            }
            // Without faults the plan is exact: a describe and the pages of each object.
            #expect(first.calls == first.plannedCalls)
            #expect(first.calls == 8)
            try await h.expectInSync()

            // Every field the user can read, compound fields through their components.
            let contact = try #require(try h.store.localRecords(org: h.alias, object: "Contact").first { $0.accountID != nil })
            let body = try JSONValue.parse(Data(contact.body.utf8))
            #expect(body["LastName"] != nil)
            #expect(body["MailingAddress"] == nil)
            #expect(body["attributes"] == nil)
            let remote = try await h.admin.record("Contact", id: contact.id)
            for (key, value) in remote.objectValue ?? [] where key != "attributes" && key != "MailingAddress" && key != "OtherAddress" {
                #expect((body[key] ?? .null) == value, "Contact.\(key)")  // a null is stored absent
            }
            // The combined view: the contact with its account's fields.
            let combined = try #require(try LocalViews.combined(org: h.alias, id: contact.id, object: "Contact", store: h.store))
            let account = try await h.admin.record("Account", id: contact.accountID!)
            #expect(combined["Account"]?["Name"] == account["Name"])

            // Changes in the org: 3 new contacts, 2 leads updated, a contact and an opportunity deleted.
            let created = try await h.createContacts(3, prefix: "incr")
            let leads = Array(try h.localRecords("Lead").keys.sorted().prefix(2))
            for id in leads { try await h.update("Lead", id, .object([("Title", .string("Changed"))])) }
            let goneContact = try h.localRecords("Contact").keys.sorted().first { !created.contains($0) }!
            let goneOpportunity = try h.localRecords("Opportunity").keys.sorted().first!
            try await h.delete("Contact", goneContact)
            try await h.delete("Opportunity", goneOpportunity)

            let second = try await h.job().run()
            #expect(second.status == .succeeded)
            let counts = Dictionary(uniqueKeysWithValues: second.objects.map { ($0.object, $0) })
            #expect(counts["Contact"]?.created == 3)
            #expect(counts["Contact"]?.deleted == 1)
            #expect(counts["Lead"]?.updated == 2)
            #expect(counts["Lead"]?.created == 0)
            #expect(counts["Opportunity"]?.deleted == 1)
            #expect(counts["Account"]?.created == 0 && counts["Account"]?.updated == 0)
            // An incremental run: a describe, one page and one deletes query per object.
            #expect(second.calls == 12)
            try await h.expectInSync()
            // Deleted records are kept, marked.
            let gone = try #require(try h.store.localRecord(org: h.alias, object: "Contact", id: goneContact))
            #expect(gone.isDeleted)
            #expect(try h.store.localCounts(org: h.alias)["Opportunity"] == LocalObjectCounts(records: 119, deleted: 1))

            // A third run with nothing new reads nothing new.
            let third = try await h.job().run()
            #expect(third.objects.allSatisfy { $0.created == 0 && $0.updated == 0 && $0.deleted == 0 })
        }
        try await stopping(h, testBody)
    }

    @Test func tiesOnOneSystemModstampAcrossAPageBoundarySurviveAResume() async throws {
        // sfsim's clock stands still, so every record written now shares one SystemModstamp.
        let fixed = Date(timeIntervalSince1970: 1_790_000_000)
        let simClock = SimulatedClock(base: { fixed })
        let h = try await EngineHarness.start(clock: simClock)
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            #expect(try await h.job { $0.objects = ["Contact"] }.run().status == .succeeded)
            simClock.advance(by: 600)
            let created = try await h.createContacts(450, prefix: "tie")

            // Stop after the first stored page of 200: the cursor sits inside the run of ties.
            let stop = Countdown(after: 1)
            let interrupted = try await h.job({ $0.objects = ["Contact"]; $0.batchSize = 200 }, shouldStop: { stop.tick() }).run()
            #expect(interrupted.status == .interrupted)
            #expect(interrupted.objects.first?.created == 200)
            let state = try h.store.importState(org: h.alias, object: "Contact")
            #expect(state.phase == "records")
            #expect(state.cursorStamp != nil && state.cursorID != nil)

            let resumed = try await h.job { $0.objects = ["Contact"]; $0.batchSize = 200 }.run()
            #expect(resumed.status == .succeeded)
            #expect(resumed.objects.first?.created == 250)
            #expect(resumed.objects.first?.updated == 0)
            #expect(try h.store.run(resumed.runID)?.resumedFrom == interrupted.runID)
            let local = try h.localRecords("Contact")
            #expect(created.allSatisfy { local[$0] != nil })
            #expect(local == (try await h.orgRecords("Contact")))
        }
        try await stopping(h, testBody)
    }

    @Test func theBudgetPausesAtExactlyItsSizeAndTheJobResumesAfter24Hours() async throws {
        let h = try await EngineHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            try h.store.setSetting("lytics.import_max_daily_calls", to: "6", scope: h.alias)
            let logBefore = h.sim.callLog().count
            let paused = try await h.job { $0.batchSize = 200 }.run()
            #expect(paused.status == .paused)
            #expect(paused.calls == 6)
            // The ledger and sfsim's call log agree to the call.
            #expect(h.sim.callLog().count - logBefore == 6)
            let until = try #require(paused.pausedUntil)
            #expect(abs(until.timeIntervalSince(h.connector.clock.now()) - 86_400) < 60)
            #expect(paused.message?.contains("lytics.import_max_daily_calls") == true)

            // Before then the job refuses to run (exit 4), unless forced.
            let refused = await #expect(throws: EngineError.self) { try await h.job().run() }
            #expect(refused?.kind == .limit)
            #expect(refused?.message.contains("paused until") == true)

            // 24 h later (sfsim's clock and the engine's together) it resumes from its checkpoints and finishes.
            h.sim.clock.advance(by: 86_400 + 1)
            let logResumed = h.sim.callLog().count
            let resumed = try await h.job { $0.batchSize = 200 }.run()
            #expect(resumed.status == .succeeded)
            #expect(try h.store.run(resumed.runID)?.resumedFrom == paused.runID)
            #expect(h.sim.callLog().count - logResumed == resumed.calls)
            #expect(try h.store.ledgerCount(since: h.connector.clock.now().addingTimeInterval(-86_400), org: h.alias,
                                          source: JobKind.import.ledgerSource, countedOnly: true) <= 6)
            try await h.expectInSync()
            // Objects finished before the pause were not read again.
            let byObject = Dictionary(uniqueKeysWithValues: resumed.objects.map { ($0.object, $0) })
            #expect(byObject["Lead"]?.read == 0 && byObject["Lead"]?.calls == 0)
        }
        try await stopping(h, testBody)
    }

    @Test func theOrgsLimitPausesTheJobToo() async throws {
        let h = try await EngineHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            h.sim.setDailyLimit(h.sim.apiUsage.used + 3)
            let paused = try await h.job().run()
            #expect(paused.status == .paused)
            #expect(paused.message?.contains("REQUEST_LIMIT_EXCEEDED") == true)
            #expect(paused.pausedUntil != nil)
            let stored = try #require(try h.store.jobState(org: h.alias, job: "import").pausedUntil)
            #expect(abs(stored.timeIntervalSince(try #require(paused.pausedUntil))) < 0.001)
            // --force runs it anyway (the org allows calls again).
            h.sim.setDailyLimit(100_000)
            var forced = ImportOptions()
            forced.force = true
            let report = try await ImportJob(try h.environment(), options: forced).run()
            #expect(report.status == .succeeded)
            #expect(try h.store.jobState(org: h.alias, job: "import").pausedUntil == nil)
            try await h.expectInSync()
        }
        try await stopping(h, testBody)
    }

    @Test func faultsAndAnExpiredSessionStillEndWithExactCounts() async throws {
        let h = try await EngineHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            h.sim.expireSessions()
            h.sim.injectFaults(rate: 0.1, kinds: [.serverError, .unavailable, .lockRow, .drop])
            let report = try await h.job { $0.batchSize = 200 }.run()
            h.sim.injectFaults()
            #expect(report.status == .succeeded, "\(report.message ?? "")")
            let created = Dictionary(uniqueKeysWithValues: report.objects.map { ($0.object, $0.created) })
            #expect(created == ["Lead": 250, "Contact": 300, "Opportunity": 120, "Account": 40])
            // Retries and the refresh are calls too: more than planned, all in the ledger.
            #expect(report.calls > report.plannedCalls)
            try await h.expectInSync()
        }
        try await stopping(h, testBody)
    }

    @Test func aDryRunOnlyCountsAndPlansWhatTheRunSpends() async throws {
        let h = try await EngineHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let before = h.sim.callLog().count
            let plan = try await h.job { $0.batchSize = 200 }.plan()
            #expect(h.sim.callLog().count - before == 4)
            #expect(plan.countCalls == 4)
            #expect(plan.objects.map(\.records) == [250, 300, 120, 40])
            #expect(try h.store.localCounts(org: h.alias).isEmpty)
            let report = try await h.job { $0.batchSize = 200 }.run()
            #expect(report.calls == plan.plannedCalls)
            #expect(report.plannedCalls == plan.plannedCalls)
        }
        try await stopping(h, testBody)
    }

    @Test func oneRunAtATimeThroughTheLeaseAndDeadHoldersAreTakenOver() async throws {
        let h = try await EngineHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let now = h.connector.clock.now()
            // A live holder (this very process, under another token): the job is refused, saying who holds it.
            guard case let .granted(token, nil) = try h.store.acquireLease(org: h.alias, job: "import", now: now, duration: 900) else {
                Issue.record("the first lease was not granted")
                return
            }
            let refused = await #expect(throws: EngineError.self) { try await h.job().run() }
            #expect(refused?.kind == .failure)
            #expect(refused?.message.contains("already running: process \(getpid()) on \(Store.hostName)") == true)
            try h.store.releaseLease(org: h.alias, job: "import", token: token)

            // A holder whose process is gone (and the run it left running) is taken over at once.
            let orphan = try h.store.startRun(org: h.alias, job: "import", full: false, at: now, resumedFrom: nil)
            try h.store.write { db in
                try db.execute(sql: """
                    INSERT INTO job_lease (org, job, host, pid, token, acquired_at, expires_at) VALUES (?, 'import', ?, 999999, 'dead', ?, ?)
                    """, arguments: [h.alias, Store.hostName, now.timeIntervalSince1970, now.addingTimeInterval(900).timeIntervalSince1970])
            }
            let report = try await h.job().run()
            #expect(report.status == .succeeded)
            #expect(try h.store.run(orphan)?.status == .interrupted)
            #expect(try h.store.lease(org: h.alias, job: "import") == nil)

            // A lease of another host is honoured until it runs out.
            try h.store.write { db in
                try db.execute(sql: """
                    INSERT INTO job_lease (org, job, host, pid, token, acquired_at, expires_at) VALUES (?, 'import', 'elsewhere', 1, 'far', ?, ?)
                    """, arguments: [h.alias, now.timeIntervalSince1970, now.addingTimeInterval(60).timeIntervalSince1970])
            }
            await #expect(throws: EngineError.self) { try await h.job().run() }
            h.sim.clock.advance(by: 61)
            #expect(try await h.job().run().status == .succeeded)
        }
        try await stopping(h, testBody)
    }

    @Test func badObjectsAreUsageErrors() async throws {
        let h = try await EngineHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let error = await #expect(throws: EngineError.self) { try await h.job { $0.objects = ["Case"] }.run() }
            #expect(error?.kind == .usage)
        }
        try await stopping(h, testBody)
    }
}

@Suite struct ImportRuleTests {
    @Test(arguments: [
        ("2024-05-01T10:00:00.000+0000", "2024-05-01T10:00:00Z"),
        ("2024-05-01T10:00:00.123+0000", "2024-05-01T10:00:00.123Z"),
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
    ])
    func cursorLiterals(stamp: String, literal: String) {
        #expect(ImportQuery.literal(stamp) == literal)
    }

    @Test func queriesOrderByTheCursorAndBoundInclusively() {
        let lower = Date(timeIntervalSince1970: 1_700_000_000.9)
        let cursor = ImportQuery.Cursor(stamp: "2023-11-14T22:13:20.000+0000", id: "003A")
        #expect(ImportQuery.records("Contact", fields: ["Id", "SystemModstamp"], lower: lower, after: cursor)
            == "SELECT Id, SystemModstamp FROM Contact WHERE SystemModstamp >= 2023-11-14T22:13:20Z AND "
            + "(SystemModstamp > 2023-11-14T22:13:20Z OR (SystemModstamp = 2023-11-14T22:13:20Z AND Id > '003A')) "
            + "ORDER BY SystemModstamp, Id")
        #expect(ImportQuery.deletes("Lead", lower: lower, after: nil)
            == "SELECT Id, SystemModstamp FROM Lead WHERE IsDeleted = true AND SystemModstamp >= 2023-11-14T22:13:20Z ORDER BY SystemModstamp, Id")
        #expect(ImportQuery.records("Account", fields: ["Id"], lower: nil, after: nil) == "SELECT Id FROM Account ORDER BY SystemModstamp, Id")
    }

    @Test func compoundAndBinaryFieldsAreLeftOut() {
        let describe = SObjectDescribe(name: "Contact", label: "Contact", fields: [
            FieldDescribe(name: "Id", label: "Id", type: "id"),
            FieldDescribe(name: "MailingAddress", label: "Mailing Address", type: "address"),
            FieldDescribe(name: "MailingCity", label: "Mailing City", type: "string"),
            FieldDescribe(name: "Where__c", label: "Where", type: "location"),
            FieldDescribe(name: "Photo__c", label: "Photo", type: "base64"),
        ])
        #expect(ImportQuery.fields(of: describe) == ["Id", "MailingCity"])
    }

    @Test(arguments: [
        (#"{"Id":"id","Name":"string"}"#, [("Id", "id"), ("Name", "string")], nil as String?),
        (#"{"Id":"id"}"#, [("Id", "id"), ("New__c", "date")], #"{"added":["New__c"],"removed":[],"changed":[]}"#),
        (#"{"Id":"id","Old__c":"string"}"#, [("Id", "id")], #"{"added":[],"removed":["Old__c"],"changed":[]}"#),
        (#"{"Id":"id","T__c":"string"}"#, [("Id", "id"), ("T__c", "picklist")],
         #"{"added":[],"removed":[],"changed":[{"field":"T__c","from":"string","to":"picklist"}]}"#),
    ])
    func describeChangesBetweenRuns(old: String, new: [(String, String)], expected: String?) {
        #expect(ImportJob.schemaChanges(from: old, to: new)?.serialized() == expected)
    }

    @Test func theFirstRunHasNoDescribeToCompare() {
        #expect(ImportJob.schemaChanges(from: nil, to: [("Id", "id")]) == nil)
    }
}
