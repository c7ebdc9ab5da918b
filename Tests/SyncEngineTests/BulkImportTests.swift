import SalesforceModel
import Foundation
import JSON
import Salesforce
import Simulator
@testable import Store
import SyncRules
import TestSupport
import Testing
@testable import SyncEngine

/// `sync import` through Bulk API 2.0 query jobs, against sfsim over loopback.
@Suite(.serialized) struct BulkImportTests {
    /// A harness whose org has `contacts` contacts and jobs that complete as soon as they are polled.
    static func harness(contacts: Int = 1_500, transport: @escaping (any HTTPTransport) -> any HTTPTransport = { $0 })
        async throws -> EngineHarness
    {
        try await EngineHarness.start(configure: { configuration in
            configuration.contacts = contacts
            configuration.bulkQueuedSeconds = 0
            // Long enough that a job is never complete in its create answer, short beside the first poll's second.
            configuration.bulkProcessingSeconds = 0.3
        }, transport: transport)
    }

    static func bulk(_ chunk: Int) -> (inout ImportOptions) -> Void {
        { options in
            options.method = .bulk
            options.bulk = Estimates.BulkShape(chunkSize: chunk, expectedPolls: 1)
        }
    }

    /// Contacts through Bulk in chunks of 300, the run asked to stop after its second chunk.
    static func stopAfterTwoChunks(_ h: EngineHarness) async throws -> ImportReport {
        let stop = StopAfter(batches: 2)
        return try await h.job({ bulk(300)(&$0); $0.objects = ["Contact"] }, events: stop.count, shouldStop: { stop.reached }).run()
    }

    /// The Bulk calls sfsim logged since `index`: creates, polls and result chunks.
    static func bulkCalls(_ h: EngineHarness, since index: Int) -> (creates: Int, polls: Int, chunks: Int) {
        let calls = h.sim.callLog().dropFirst(index).filter { $0.path.contains("/jobs/query") }
        return (calls.filter { $0.method == "POST" }.count,
                calls.filter { $0.method == "GET" && !$0.path.contains("/results") }.count,
                calls.filter { $0.path.contains("/results") }.count)
    }

    @Test func aBulkImportStoresWhatRESTStoresInAFewCalls() async throws {
        let h = try await Self.harness()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let log = h.sim.callLog().count
            let report = try await h.job(Self.bulk(400)).run()
            #expect(report.status == .succeeded, "\(report.message ?? "")")
            let byObject = Dictionary(uniqueKeysWithValues: report.objects.map { ($0.object, $0) })
            #expect(byObject["Contact"]?.created == 1_500)
            #expect(report.objects.allSatisfy { $0.method == "bulk" })
            // Contact: a describe, a create, one poll, ⌈1500 / 400⌉ = 4 chunks.
            #expect(byObject["Contact"]?.calls == 7)
            let bulk = Self.bulkCalls(h, since: log)
            #expect(bulk.creates == 4)
            #expect(bulk.polls == 4)
            #expect(bulk.chunks == 7)  // Contact 4; Lead 250, Opportunity 120, Account 40: one chunk each
            #expect(report.calls == h.sim.callLog().count - log)
            // Every REST and Bulk call names sfsh in Sforce-Call-Options (what the org's event logs show).
            let clients = Set(h.sim.callLog().dropFirst(log).map(\.client))
            #expect(clients == [ClientIdentity.callOptions.replacingOccurrences(of: "client=", with: "")], "\(clients)")
            try await h.expectInSync()
            let viaBulk = try h.store.localRecords(org: h.alias, object: "Contact")

            // A full REST pass over the same org finds every record unchanged: the same SystemModstamp, the same body.
            let rest = try await h.job { $0.method = .rest; $0.full = true }.run()
            #expect(rest.objects.allSatisfy { $0.created == 0 && $0.updated == 0 && $0.method == "rest" })
            let viaREST = Dictionary(uniqueKeysWithValues: try h.store.localRecords(org: h.alias, object: "Contact").map { ($0.id, $0) })
            #expect(viaBulk.count == 1_500)
            for record in viaBulk {
                let other = try #require(viaREST[record.id])
                #expect(record.systemModstamp == other.systemModstamp)
                #expect(record.accountID == other.accountID)
                let bulkBody = try JSONValue.parse(Data(record.body.utf8))
                let restBody = try JSONValue.parse(Data(other.body.utf8))
                #expect(bulkBody == restBody, "\(record.id)")
            }
        }
        try await stopping(h, testBody)
    }

    @Test func autoReadsALargeObjectThroughBulkAfterItsFirstPage() async throws {
        let h = try await Self.harness()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            // With pages of 200, 1,300 more contacts cost 7 pages or 1 job + 2 polls + 1 chunk.
            let report = try await h.job { $0.batchSize = 200 }.run()
            #expect(report.status == .succeeded, "\(report.message ?? "")")
            let byObject = Dictionary(uniqueKeysWithValues: report.objects.map { ($0.object, $0) })
            #expect(byObject["Contact"]?.method == "bulk")
            #expect(byObject["Contact"]?.created == 1_500)
            #expect(byObject["Lead"]?.method == "rest")
            #expect(byObject["Account"]?.method == "rest")
            // Contact: describe, the first page, create, the polls, one chunk — fewer than the 9 calls through REST.
            #expect((byObject["Contact"]?.calls ?? 99) < 9)
            try await h.expectInSync()
            // --rest keeps it on REST.
            let rest = try await h.job { $0.batchSize = 200; $0.method = .rest; $0.full = true }.run()
            #expect(rest.objects.allSatisfy { $0.method == "rest" })
        }
        try await stopping(h, testBody)
    }

    @Test func aStoppedBulkReadResumesFromItsNextChunkOfTheSameJob() async throws {
        let h = try await Self.harness()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let interrupted = try await Self.stopAfterTwoChunks(h)
            #expect(interrupted.status == .interrupted)
            #expect(interrupted.objects.first?.created == 600)
            let state = try h.store.importState(org: h.alias, object: "Contact")
            #expect(state.bulkJob != nil && state.bulkLocator != nil && state.cursorID != nil)

            let log = h.sim.callLog().count
            let resumed = try await h.job { Self.bulk(300)(&$0); $0.objects = ["Contact"] }.run()
            #expect(resumed.status == .succeeded)
            #expect(resumed.objects.first?.created == 900)
            #expect(resumed.objects.first?.updated == 0)
            // No new job: one poll of the old one and its three remaining chunks.
            let bulk = Self.bulkCalls(h, since: log)
            #expect(bulk.creates == 0)
            #expect(bulk.polls == 1)
            #expect(bulk.chunks == 3)
            #expect(try h.localRecords("Contact") == (try await h.orgRecords("Contact")))
            let done = try h.store.importState(org: h.alias, object: "Contact")
            #expect(done.bulkJob == nil && done.phase == nil)
        }
        try await stopping(h, testBody)
    }

    @Test func aFullRunOverAStoppedBulkReadStartsAFreshJob() async throws {
        let h = try await Self.harness()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            _ = try await Self.stopAfterTwoChunks(h)
            let abandoned = try #require(try h.store.importState(org: h.alias, object: "Contact").bulkJob)
            // --full begins a new pass from the start: the old job read after the old cursor, so it is left alone.
            let log = h.sim.callLog().count
            let full = try await h.job { Self.bulk(300)(&$0); $0.objects = ["Contact"]; $0.full = true }.run()
            #expect(full.status == .succeeded)
            #expect(full.objects.first?.read == 1_500)
            #expect(full.objects.first?.deleted == 0)
            #expect(Self.bulkCalls(h, since: log).creates == 1)
            #expect(!h.sim.callLog().dropFirst(log).contains { $0.path.contains(abandoned) })
            #expect(try h.localRecords("Contact") == (try await h.orgRecords("Contact")))
        }
        try await stopping(h, testBody)
    }

    @Test func aJobThatIsGoneIsReplacedByANewJobAfterTheCursor() async throws {
        let h = try await Self.harness()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            _ = try await Self.stopAfterTwoChunks(h)
            let job = try #require(try h.store.importState(org: h.alias, object: "Contact").bulkJob)
            _ = try await h.admin.send("DELETE", "jobs/query/\(job)")
            // Records change meanwhile: the new job sees them, none is lost or counted twice.
            let added = try await h.createContacts(10, prefix: "late")

            let notes = Notes()
            let resumed = try await h.job({ Self.bulk(300)(&$0); $0.objects = ["Contact"] }, events: notes.record).run()
            #expect(resumed.status == .succeeded, "\(resumed.message ?? "")")
            #expect(resumed.objects.first?.created == 910)
            #expect(resumed.objects.first?.updated == 0)
            #expect(notes.all.contains { $0.contains("query job \(job) is gone") })
            let local = try h.localRecords("Contact")
            #expect(added.allSatisfy { local[$0] != nil })
            #expect(local == (try await h.orgRecords("Contact")))
        }
        try await stopping(h, testBody)
    }

    @Test func incrementalBulkRunsReadOnlyWhatChanged() async throws {
        let h = try await Self.harness()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            #expect(try await h.job(Self.bulk(500)).run().status == .succeeded)
            let created = try await h.createContacts(5, prefix: "incr")
            let changed = Array(try h.localRecords("Contact").keys.sorted().prefix(3))
            for id in changed { try await h.update("Contact", id, .object([("Title", .string("Changed"))])) }
            try await h.delete("Contact", changed[0])
            let second = try await h.job(Self.bulk(500)).run()
            let contact = try #require(second.objects.first { $0.object == "Contact" })
            #expect(contact.method == "bulk")
            #expect(contact.created == 5)
            #expect(contact.updated == 2)
            #expect(contact.deleted == 1)
            #expect(created.count == 5)
            try await h.expectInSync()
        }
        try await stopping(h, testBody)
    }

    @Test func aQueryBulkCannotRunFallsBackToRESTAndTheRunSaysWhy() async throws {
        let refusal = #"[{"errorCode":"API_ERROR","message":"Selecting compound data not supported in Bulk Query"}]"#
        let h = try await Self.harness(transport: { RefusingBulk(inner: $0, body: refusal) })
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let notes = Notes()
            let report = try await h.job({ $0.method = .bulk; $0.objects = ["Contact", "Lead"] }, events: notes.record).run()
            #expect(report.status == .succeeded, "\(report.message ?? "")")
            for object in report.objects {
                #expect(object.method == "rest")
                #expect(object.fallback?.contains("Selecting compound data not supported in Bulk Query") == true)
            }
            #expect(report.objects.first { $0.object == "Contact" }?.created == 1_500)
            #expect(notes.all.contains { $0.contains("reading it through REST") })
            #expect(report.json["objects"]?["Contact"]?["fallback"] != nil)
            #expect(try h.localRecords("Contact") == (try await h.orgRecords("Contact")))
        }
        try await stopping(h, testBody)
    }

    @Test func aDryRunShowsTheBulkPlanBesideTheRESTPlan() async throws {
        let h = try await Self.harness()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let plan = try await h.job { $0.batchSize = 200 }.plan()
            let contact = try #require(plan.objects.first { $0.object == "Contact" })
            #expect(contact.method == .bulk)
            #expect(contact.restCalls == 9)  // describe + 8 pages
            #expect(contact.bulkCalls == 5)  // describe + create + 2 polls + 1 chunk
            // auto: describe, the first page, then a job for the other 1,300.
            #expect(contact.calls.count == 6)
            let lead = try #require(plan.objects.first { $0.object == "Lead" })
            #expect(lead.method == .rest)
            let json = plan.json["objects"]?["Contact"]
            #expect(json?["method"] == .string("bulk"))
            #expect(json?["chunks"] == .int(1))
            #expect(json?["rest_calls"] == .int(9))
            #expect(json?["bulk_calls"] == .int(5))
        }
        try await stopping(h, testBody)
    }
}

/// Answers every Bulk query job create with a 400 (what Salesforce says to a query Bulk cannot run).
struct RefusingBulk: HTTPTransport {
    let inner: any HTTPTransport
    let body: String

    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        if request.method == "POST", request.url.contains("/jobs/query") {
            return HTTPResponse(status: 400, headers: [("Content-Type", "application/json")], body: Data(body.utf8))
        }
        return try await inner.send(request)
    }
}

/// The notes a job sent.
final class Notes: @unchecked Sendable {
    private let lock = NSLock()
    private var notes: [String] = []

    var all: [String] { lock.withLock { notes } }

    var record: @Sendable (SyncEvent) -> Void {
        { [self] event in
            if case let .note(text) = event { lock.withLock { notes.append(text) } }
        }
    }
}

/// Asks a job to stop once it has stored `batches` pages or chunks (counted from its progress events).
final class StopAfter: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = 0
    private let batches: Int

    init(batches: Int) { self.batches = batches }

    var reached: Bool { lock.withLock { stored >= batches } }

    var count: @Sendable (SyncEvent) -> Void {
        { [self] event in
            if case .progress = event { lock.withLock { stored += 1 } }
        }
    }
}
