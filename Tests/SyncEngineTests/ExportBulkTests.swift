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

/// Moves a standing sfsim clock a second at a time whenever something sleeps on it (the export's polls of its
/// ingest jobs, sfsim's processing), until cancelled.
func drive(_ clock: SimulatedClock) -> Task<Void, Never> {
    Task {
        while !Task.isCancelled {
            await clock.waitForSleeper()
            clock.advance(by: 1)
        }
    }
}

/// The export through Bulk API 2.0 ingest jobs over loopback: inserts, updates and upserts with per-record
/// failures, and a run that resumes every step an earlier run was stopped at, never writing a Lead twice.
@Suite(.serialized) struct ExportBulkTests {
    static func harness(duplicateRule: Bool = false) async throws -> EngineHarness {
        try await ExportTests.harness(duplicateRule: duplicateRule, clock: .standing())
    }

    func bulk(_ options: inout ExportOptions) { options.method = .bulk }

    /// The ingest jobs sfsim was asked to create: their operations, in order.
    func ingestOperations(_ harness: EngineHarness) -> [String] {
        harness.sim.ingestJobs.all().map(\.operation)
    }

    @Test func insertsAndUpdatesSettleEveryProfileFailuresAndDuplicatesIncluded() async throws {
        let harness = try await Self.harness(duplicateRule: true)
        let driver = drive(harness.sim.clock)
        defer { driver.cancel() }
        func testBody() async throws {
            // p0…p9 have Leads already (found, updated); p20 and p21 carry a picklist value the org refuses; p22 and
            // p3 an empty surname, which empties the required LastName (of a create and of an update).
            let existing = try await harness.createLeads((0..<10).map { "p\($0)@x.test" })
            try harness.store.setSetting("lytics.more_fields", to: "clean=CleanStatus,surname=LastName", scope: harness.alias)
            try harness.store.upsertProfiles(exportProfiles(60) { number in
                [("clean", .string((20...21).contains(number) ? "Bogus" : "Matched"))] + (number == 22 || number == 3 ? [("surname", .string(""))] : [])
            }, at: Date())
            let plan = try await harness.exportJob(bulk).plan()
            #expect(plan.method == .bulk && plan.create == 50 && plan.update == 10 && plan.json["method"] == .string("bulk"))

            // Once the lookups are made, someone creates a Lead with p30's email: the duplicate rule refuses that row
            // of the insert job, and the export updates the Lead instead; and someone deletes p5's Lead.
            let looked = Signal()
            let job = try harness.exportJob(bulk, events: { event in
                if case .progress = event { looked.raise() }
            })
            harness.sim.clock.advance(by: 0)
            let running = Task { try await job.run() }
            await looked.wait()
            let racer = try await harness.admin.create("Lead", fields: .object([("LastName", .string("Racer")), ("Company", .string("R")),
                                                                                ("Email", .string("p30@x.test"))]))
            _ = try await harness.admin.send("DELETE", "sobjects/Lead/\(existing[5])", idempotent: false)
            let report = try await running.value
            #expect(report.status == .succeeded, "\(report.message ?? "")")
            #expect(report.method == .bulk && report.json["method"] == .string("bulk"))
            #expect(report.created == 46 && report.updated == 9 && report.failed == 5, "\(report.json.serialized())")
            #expect(ingestOperations(harness) == ["insert", "update"])

            let leads = try await harness.leadsByEmail()
            for number in 0..<60 where ![5, 20, 21, 22].contains(number) {
                #expect(leads["p\(number)@x.test"]?.count == 1, "p\(number)")
            }
            #expect(leads["p20@x.test"] == nil && leads["p22@x.test"] == nil && leads["p5@x.test"] == nil)
            for profile in ["p00022", "p00003"] {
                let missing = try #require(try harness.store.exportState(org: harness.alias, profileID: profile))
                #expect(missing.outcome == "failed" && missing.errorCode == "REQUIRED_FIELD_MISSING" && missing.reason?.contains("LastName") == true,
                        "\(profile): \(missing)")
            }
            #expect(try harness.store.exportedLead(org: harness.alias, profileID: "p00030") == racer)
            let refused = try #require(try harness.store.exportState(org: harness.alias, profileID: "p00020"))
            #expect(refused.outcome == "failed" && refused.errorCode == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" && refused.attempts == 1)
            #expect(refused.reason?.contains("CleanStatus") == true)
            // A Lead deleted under an update is looked up by email next time.
            let gone = try #require(try harness.store.exportState(org: harness.alias, profileID: "p00005"))
            #expect(gone.outcome == "failed" && gone.errorCode == "ENTITY_IS_DELETED" && gone.leadID == nil)
            #expect(try harness.store.exportBulkJobs(org: harness.alias).isEmpty)
            #expect(try harness.store.unsettledExports(org: harness.alias).isEmpty)

            // Again, by collections: the deleted Lead's profile is created, the refused ones fail again, nothing else is sent.
            let again = try await harness.exportJob().run()
            #expect(again.method == .rest && again.created == 1 && again.failed == 4 && again.unchanged == 55, "\(again.json.serialized())")
            #expect(try await harness.leadsByEmail()["p5@x.test"]?.count == 1)
        }
        try await stopping(harness, testBody)
    }

    @Test func upsertsThroughBulkCreateOnceAndAnotherHomeCreatesNothing() async throws {
        let harness = try await Self.harness()
        let driver = drive(harness.sim.clock)
        defer { driver.cancel() }
        func testBody() async throws {
            try harness.store.setSetting("lytics.match_field", to: "Lytics_Id__c", scope: harness.alias)
            try harness.store.upsertProfiles(exportProfiles(300), at: Date())
            let report = try await harness.exportJob(bulk).run()
            #expect(report.status == .succeeded && report.created == 300 && report.failed == 0, "\(report.message ?? "")")
            #expect(ingestOperations(harness) == ["upsert"])
            let created = try #require(harness.sim.ingestJobs.all().first)
            let body = try await harness.admin.json("GET", "jobs/ingest/\(created.id)")
            #expect(body["externalIdFieldName"] == .string("Lytics_Id__c"))
            // The active rule, named by its Id, runs on the Leads the upsert creates.
            #expect(body["assignmentRuleId"] == .string(Org.leadAssignmentRules[0].id))

            let other = try await harness.anotherHome()
            try other.store.setSetting("lytics.audiences", to: "vip", scope: other.alias)
            try other.store.setSetting("lytics.match_field", to: "Lytics_Id__c", scope: other.alias)
            try other.store.upsertProfiles(exportProfiles(300), at: Date())
            let again = try await other.exportJob(bulk).run()
            #expect(again.created == 0 && again.updated == 300 && again.failed == 0, "\(again.json.serialized())")
            let leads = try await harness.leadsByEmail()
            #expect(leads.filter { $0.key.hasSuffix("@x.test") }.count == 300 && leads.values.allSatisfy { $0.count == 1 })
        }
        try await stopping(harness, testBody)
    }

    /// Each step a run can be stopped at, by the fault that stops it there, and what the next run finds.
    @Test(arguments: [
        // The job is created but its answer lost: found among the user's open jobs and aborted.
        ("creating", [(Fault.dropAfter, "/jobs/ingest")]),
        // The upload's answer is lost and the abort too: the next run aborts the Open job.
        ("created", [(Fault.dropAfter, "/batches"), (Fault.drop, "/jobs/ingest/")]),
        // Uploaded, the close never arrives: the next run closes it, polls and settles.
        ("uploaded-open", [(Fault.delay(seconds: 0), "/jobs/ingest/"), (Fault.drop, "/jobs/ingest/")]),
        // Closed, its answer lost: the next run polls and settles.
        ("uploaded-closed", [(Fault.delay(seconds: 0), "/jobs/ingest/"), (Fault.dropAfter, "/jobs/ingest/")]),
    ])
    func aRunStoppedAtAnyStepIsResumedAndWritesEachLeadOnce(step: String, faults: [(Fault, String)]) async throws {
        let harness = try await Self.harness()
        let driver = drive(harness.sim.clock)
        defer { driver.cancel() }
        func testBody() async throws {
            try harness.store.upsertProfiles(exportProfiles(250), at: Date())
            harness.sim.injectFaults(script: faults.map { ($0.0, $0.1) })
            let first = try await harness.exportJob(bulk).run()
            #expect(first.status == .failed, "\(step): \(first.json.serialized())")
            let rows = try harness.store.exportBulkJobs(org: harness.alias)
            let expected = step.hasPrefix("uploaded") ? "uploaded" : step
            #expect(rows.map(\.phase.rawValue) == [expected], "\(step)")
            let carried = try harness.store.exportStates(org: harness.alias, bulkJob: try #require(rows.first).id)
            #expect(carried.count == (step == "creating" ? 0 : 250))
            harness.sim.injectFaults()

            let notes = NoteLog()
            let second = try await harness.exportJob(bulk, events: { event in
                if case let .note(text) = event { notes.add(text) }
            }).run()
            #expect(second.status == .succeeded, "\(step): \(second.message ?? "")")
            #expect(first.created + second.created == 250 && second.failed == 0, "\(step): \(second.json.serialized())")
            #expect(notes.all.contains { $0.contains("ingest job") }, "\(notes.all)")
            let leads = try await harness.leadsByEmail()
            #expect((0..<250).allSatisfy { leads["p\($0)@x.test"]?.count == 1 }, "\(step)")
            #expect(try harness.store.exportBulkJobs(org: harness.alias).isEmpty)
            #expect(try harness.store.unsettledExports(org: harness.alias).isEmpty)
            // Nothing the first run left Open is still Open in the org.
            let jobs = try await harness.admin.ingestJobs()
            #expect(!jobs.contains { $0.state == "Open" }, "\(jobs)")
            if step == "creating" || step == "created" { #expect(jobs.contains { $0.state == "Aborted" }) }
            let third = try await harness.exportJob().run()
            #expect(third.created == 0 && third.unchanged == 250)
        }
        try await stopping(harness, testBody)
    }

    @Test func theAutomaticChoiceTakesBulkOnlyWhenItCostsFewerCalls() async throws {
        let harness = try await Self.harness()
        let driver = drive(harness.sim.clock)
        defer { driver.cancel() }
        func testBody() async throws {
            // 300 new profiles: 2 composite calls of collections beat a job of about 10.
            try harness.store.upsertProfiles(exportProfiles(300), at: Date())
            let small = try await harness.exportJob().plan()
            #expect(small.method == .rest)
            // Without composite, 2 collections a call… still fewer than a job; 3,000 without composite are not.
            try harness.store.upsertProfiles(exportProfiles(3_000, prefix: "q"), at: Date())
            let large = try await harness.exportJob { $0.composite = false }.plan()
            #expect(large.method == .bulk, "\(large.json.serialized())")
            let report = try await harness.exportJob { $0.composite = false }.run()
            #expect(report.method == .bulk && report.created == 3_300, "\(report.json.serialized())")
            #expect(report.calls <= report.plannedCalls, "\(report.json.serialized())")
            #expect(ingestOperations(harness) == ["insert"])
        }
        try await stopping(harness, testBody)
    }

    /// The rule a job names in `assignmentRuleId`: the active one's Id, none, or the chosen one (inactive here).
    @Test(arguments: [("active", "active"), ("none", "none"), ("old", "old")])
    func ingestJobsRunTheChosenAssignmentRule(setting: String, expected: String) async throws {
        let harness = try await ExportAssignmentTests.harness(rule: setting == "old" ? Org.leadAssignmentRules[1].id : setting)
        func testBody() async throws {
            let users = harness.sim.users
            let report = try await harness.exportJob(bulk).run()
            #expect(report.status == .succeeded && report.created == 6 && report.method == .bulk, "\(report.message ?? "")")
            let owners = try await ExportAssignmentTests().owners(harness)
            for number in 0..<6 {
                let wanted = switch expected {
                case "active": number % 2 == 0 ? users[5].id : users[2].id
                case "old": users[3].id
                default: users[0].id
                }
                #expect(owners["a\(number)"] == wanted, "a\(number) (\(expected))")
            }
            let created = try #require(harness.sim.ingestJobs.all().first)
            let info = try await harness.admin.json("GET", "jobs/ingest/\(created.id)")
            let rule: JSONValue? = switch expected {
            case "active": .string(Org.leadAssignmentRules[0].id)
            case "old": .string(Org.leadAssignmentRules[1].id)
            default: nil
            }
            #expect(info["assignmentRuleId"] == rule)
        }
        try await stopping(harness, testBody)
    }

    /// An org that refuses the job (here: an assignment rule Id it does not have): a chosen Bulk gives way to
    /// collections; a forced one fails the run, having written nothing and left no job behind.
    @Test func aRefusedJobFallsBackToCollectionsUnlessBulkWasForced() async throws {
        let harness = try await Self.harness()
        let driver = drive(harness.sim.clock)
        defer { driver.cancel() }
        func testBody() async throws {
            try harness.store.setSetting("lytics.assignment_rule", to: "01Q5g0000000009AAA", scope: harness.alias)
            try harness.store.upsertProfiles(exportProfiles(3_000), at: Date())
            let forced = try await harness.exportJob { $0.composite = false; $0.method = .bulk }.run()
            #expect(forced.status == .failed && forced.created == 0, "\(forced.json.serialized())")
            #expect(forced.message?.contains("Invalid assignment rule id") == true, "\(forced.message ?? "")")
            #expect(try harness.store.exportBulkJobs(org: harness.alias).isEmpty)
            #expect(try harness.store.unsettledExports(org: harness.alias).isEmpty)

            let notes = NoteLog()
            let chosen = try await harness.exportJob({ $0.composite = false }, events: { event in
                if case let .note(text) = event { notes.add(text) }
            }).run()
            #expect(chosen.status == .succeeded && chosen.created == 3_000 && chosen.method == .rest, "\(chosen.json.serialized())")
            #expect(notes.all.contains { $0.contains("refused an ingest job") && $0.contains("INVALIDJOB") }, "\(notes.all)")
            let details = try #require(try harness.store.run(chosen.runID)?.details)
            #expect(details.contains("\"method\":\"rest\"") && details.contains("INVALIDJOB"), "\(details)")
            let leads = try await harness.leadsByEmail()
            #expect((0..<3_000).allSatisfy { leads["p\($0)@x.test"]?.count == 1 })
        }
        try await stopping(harness, testBody)
    }

    /// A row an ingest job refuses counts toward parking as a REST failure does: at lytics.max_attempts it is parked.
    @Test func rowsAJobRefusesAreParkedAfterTheirLastAttempt() async throws {
        let harness = try await Self.harness()
        let driver = drive(harness.sim.clock)
        defer { driver.cancel() }
        func testBody() async throws {
            try harness.store.setSetting("lytics.more_fields", to: "clean=CleanStatus", scope: harness.alias)
            try harness.store.setSetting("lytics.max_attempts", to: "2", scope: harness.alias)
            try harness.store.upsertProfiles(exportProfiles(40) { [("clean", .string($0 < 3 ? "Bogus" : "Matched"))] }, at: Date())
            let first = try await harness.exportJob(bulk).run()
            #expect(first.created == 37 && first.failed == 3 && first.parked == 0, "\(first.json.serialized())")
            let second = try await harness.exportJob(bulk).run()
            #expect(second.failed == 3 && second.parked == 3 && second.unchanged == 37, "\(second.json.serialized())")
            let parked = try #require(try harness.store.exportState(org: harness.alias, profileID: "p00001"))
            #expect(parked.isParked && parked.attempts == 2 && parked.errorCode == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")
            // Parked: neither sent nor planned again.
            let third = try await harness.exportJob(bulk).run()
            #expect(third.parked == 3 && third.failed == 0 && third.calls <= 2, "\(third.json.serialized())")
            #expect(harness.sim.ingestJobs.all().count == 2)
        }
        try await stopping(harness, testBody)
    }
}
