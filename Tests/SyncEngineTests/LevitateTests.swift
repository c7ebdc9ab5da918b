import SalesforceModel
import Foundation
import JSON
import Salesforce
import Simulator
import Store
import SyncRules
import TestSupport
import Testing
@testable import SyncEngine

extension EngineHarness {
    func contactsJob(org alias: String? = nil, _ configure: (inout ContactsOptions) -> Void = { _ in },
                     events: @escaping @Sendable (SyncEvent) -> Void = { _ in }) throws -> ContactsJob {
        var options = ContactsOptions()
        configure(&options)
        return ContactsJob(try environment(alias: alias, events: events), options: options)
    }

    func writebackJob() throws -> WritebackJob {
        WritebackJob(try environment(), options: WritebackOptions())
    }

    /// ParentId → the bodies of the org's Notes on it.
    func notes() async throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for try await record in admin.records("SELECT Id, ParentId, Body FROM Note") {
            result[record["ParentId"]?.stringValue ?? "", default: []].append(record["Body"]?.stringValue ?? "")
        }
        return result
    }
}

@Suite(.serialized) struct LevitateTests {
    @Test func thePullIsIncrementalArchivesDeletesAndRemovesTheDeceased() async throws {
        let harness = try await EngineHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            try harness.store.setSetting("levitate.deceased_field", to: "Deceased__c", scope: harness.alias)
            try harness.store.setSetting("levitate.remove_deceased", to: "on", scope: harness.alias)
            try harness.store.setSetting("levitate.tag_fields", to: "LeadSource,Display_Name__c", scope: harness.alias)
            let remote = try await harness.orgRecords("Contact")
            let first = try await harness.contactsJob().run()
            #expect(first.status == .succeeded)
            // A formula field in the mapping is flagged once in the run's warnings.
            #expect(first.warnings.count == 1 && first.warnings[0].contains("Display_Name__c is a formula field"))
            #expect(try harness.store.run(first.runID)?.details?.contains("formula") == true)
            #expect(first.read == remote.count)
            #expect(try harness.store.levitateContactCount(org: harness.alias) + first.removed == remote.count)

            let ids = remote.keys.sorted()
            harness.sim.clock.advance(by: 600)
            try await harness.update("Contact", ids[0], .object([("LeadSource", .string("Web"))]))
            try await harness.update("Contact", ids[1], .object([("Deceased__c", .bool(true))]))
            try await harness.delete("Contact", ids[2])
            harness.sim.clock.advance(by: 60)
            let second = try await harness.contactsJob().run()
            #expect(second.status == .succeeded, "\(second.message ?? "")")
            #expect(second.read == 2)
            #expect(second.removed == 1 && second.archived == 1)
            #expect(try harness.store.levitateContact(org: harness.alias, id: ids[1]) == nil)
            #expect(try harness.store.levitateContact(org: harness.alias, id: ids[2])?.archived == true)
            let tagged = try #require(try harness.store.levitateContact(org: harness.alias, id: ids[0]))
            #expect(tagged.body.contains("Lead Source: Web"))
            // Nothing was written to Salesforce.
            let calls = try harness.store.ledger(since: .distantPast, org: harness.alias, source: JobKind.contacts.ledgerSource)
            #expect(!calls.isEmpty && calls.allSatisfy { $0.method == "GET" || $0.path.hasPrefix("/services/oauth2") })
        }
        try await stopping(harness, testBody)
    }

    @Test func aUserWithoutViewAllDataPullsOnlyTheContactsItCanSee() async throws {
        let harness = try await EngineHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let user = harness.sim.addUser(username: "rep@sfsim.example.com", password: "pw", firstName: "Rep", lastName: "One",
                                           viewAllData: false)
            let ids = try await harness.orgRecords("Contact").keys.sorted()
            for id in ids.prefix(7) { try await harness.update("Contact", id, .object([("OwnerId", .string(user.id))])) }
            let token = harness.sim.issueAccessToken(userID: user.id, refreshToken: nil)
            try harness.store.saveOrg(OrgRecord(alias: "rep", instanceURL: harness.server.baseURL, loginURL: harness.server.baseURL,
                                                accessToken: token, refreshToken: nil, clientID: nil, clientSecret: nil,
                                                createdAt: harness.connector.clock.now()))
            let report = try await harness.contactsJob(org: "rep").run()
            #expect(report.status == .succeeded, "\(report.message ?? "")")
            #expect(report.read == 7)
            let local = try harness.store.levitateContacts(org: "rep", pattern: nil, limit: 100).map(\.id).sorted()
            #expect(local == Array(ids.prefix(7)))
            #expect(report.unmappedOwners == ["Rep One"])
        }
        try await stopping(harness, testBody)
    }

    @Test(arguments: [0.0, 0.1])
    func eachActivityIsWrittenExactlyOnceUnderFaults(rate: Double) async throws {
        let harness = try await EngineHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            _ = try await harness.contactsJob().run()
            let contacts = try harness.store.levitateContacts(org: harness.alias, pattern: nil, limit: 10_000)
            let kinds = ActivityNote.kinds
            // 1,100 activities, some with the same text on the same contact (told apart by count, not by text).
            for number in 0..<1100 {
                let contact = contacts[number % contacts.count]
                _ = try harness.store.addActivity(org: harness.alias, contactID: contact.id, kind: kinds[number % kinds.count],
                                                  subject: number % 3 == 0 ? nil : "S\(number % 11)", text: "text \(number % 250)",
                                                  at: harness.connector.clock.now())
            }
            try harness.store.setSetting("levitate.writeback", to: "note,email,call,card", scope: harness.alias)
            harness.sim.injectFaults(rate: rate, kinds: [.serverError, .unavailable, .lockRow, .drop, .dropAfter])
            var reports: [WritebackReport] = []
            for _ in 0..<12 {
                let report = try await harness.writebackJob().run()
                reports.append(report)
                if report.status == .succeeded { break }
            }
            harness.sim.injectFaults()
            #expect(reports.last?.status == .succeeded, "\(reports.map { "\($0.status) \($0.message ?? "")" })")
            #expect(reports.last?.skipped == ["kind not chosen (levitate.writeback)": 220])
            #expect(reports.reduce(0) { $0 + $1.created } == 880)
            let notes = try await harness.notes()
            #expect(notes.values.reduce(0) { $0 + $1.count } == 880)
            let activities = try harness.store.activities(org: harness.alias)
            let written = activities.filter { $0.state == .written }
            #expect(written.count == 880)
            #expect(Set(written.compactMap(\.noteID)).count == 880)
            #expect(activities.allSatisfy { $0.intentRun == nil })
            // Each contact has exactly the Notes of its written activities.
            var expected: [String: [String]] = [:]
            for activity in written { expected[activity.contactID, default: []].append(activity.text) }
            #expect(expected.mapValues { $0.sorted() } == notes.mapValues { $0.sorted() })
            if rate == 0 {
                #expect(reports.count == 1 && reports[0].calls == 1, "880 Notes: five collections (4 × 200 + 80) in one call: \(reports[0].calls)")
            }
        }
        try await stopping(harness, testBody)
    }

    @Test func noteTitlesAndBodiesKeepTheirLimits() {
        let long = String(repeating: "é", count: 40_000)
        let note = ActivityNote.note(kind: "card", subject: String(repeating: "x", count: 100), text: long)
        #expect(note.title.utf16.count == 80 && note.title.hasPrefix("Handwritten card: x") && note.title.hasSuffix("..."))
        #expect(note.body.utf16.count <= 32_000 && note.bodyCut && note.body.contains("[cut by sfsh"))
        let emoji = ActivityNote.cut(String(repeating: "👍🏽", count: 30), limit: 20, marker: "…")
        #expect(emoji.0.utf16.count <= 20 && emoji.0.hasSuffix("…") && emoji.1)
        #expect(ActivityNote.note(kind: "text", subject: nil, text: "Running late\nsee you").title == "Text message: Running late")
        #expect(ActivityNote.note(kind: "note", subject: "  ", text: "").title == "Note")
    }
}
