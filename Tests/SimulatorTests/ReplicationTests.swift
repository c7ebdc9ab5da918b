import Foundation
import JSON
import TestSupport
import Testing
@testable import Simulator

/// getUpdated and getDeleted as Salesforce documents them, and the Recycle Bin emptied by `/_sfsim/purge`.
@Suite struct ReplicationTests {
    static let start = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30T…, a standing clock

    func window(_ from: Date, _ to: Date) -> String {
        func encoded(_ date: Date) -> String {
            SimDates.format(date).addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._"))) ?? ""
        }
        return "?start=\(encoded(from))&end=\(encoded(to))"
    }

    @Test func updatedAndDeletedIdsFollowTheirWindowAndPurgesEmptyTheBin() async throws {
        let clock = SimulatedClock.standing(at: Self.start)
        let sim = try await SimHarness.start(clock: clock)
        func testBody() async throws {
            clock.advance(by: 3_600)
            let before = clock.now()
            let created = try #require(try await sim.call("POST", "sobjects/Contact", json: .object([("LastName", .string("Replicated"))])).json["id"]?.stringValue)
            clock.advance(by: 120)
            let gone = try #require(try await sim.call("POST", "sobjects/Contact", json: .object([("LastName", .string("Gone"))])).json["id"]?.stringValue)
            #expect(try await sim.call("DELETE", "sobjects/Contact/\(gone)").status == 204)
            clock.advance(by: 600)
            let now = clock.now()

            let updated = try await sim.call("GET", "sobjects/Contact/updated/" + window(before, now))
            #expect(updated.status == 200, "\(updated.raw)")
            #expect(updated.json["ids"] == .array([.string(created)]))
            #expect(updated.raw.hasPrefix("{\"ids\":"))
            // The end's seconds are cut off; the window is covered up to it.
            #expect(updated.json["latestDateCovered"] == .string(SimDates.format(Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60))))

            let deleted = try await sim.call("GET", "sobjects/Contact/deleted/" + window(before, now))
            let records = deleted.json["deletedRecords"]?.arrayValue ?? []
            #expect(records.map { $0["id"] } == [.string(gone)])
            #expect(records.first?["deletedDate"] == .string(SimDates.format(before.addingTimeInterval(120))))
            #expect(deleted.raw.hasPrefix("{\"deletedRecords\":"))
            #expect(deleted.json["earliestDateAvailable"] == .string(SimDates.format(Self.start)))
            #expect(try await sim.query("SELECT Id FROM Contact WHERE Id = '\(gone)'", all: true).json["totalSize"] == .int(1))

            // Emptied: gone from queryAll and from getDeleted, whose earliest date moves to the purge.
            let purge = try await sim.call("POST", "/_sfsim/purge", json: .object([("ids", .array([.string(gone), .string(created)]))]))
            #expect(purge.status == 200 && purge.json["purged"] == .int(1), "\(purge.raw)")
            #expect(try await sim.query("SELECT Id FROM Contact WHERE Id = '\(gone)'", all: true).json["totalSize"] == .int(0))
            let after = try await sim.call("GET", "sobjects/Contact/deleted/" + window(before, now))
            #expect(after.json["deletedRecords"] == .array([]))
            #expect(after.json["earliestDateAvailable"] == .string(SimDates.format(now)))
            // The record not in the Recycle Bin is untouched.
            #expect(try await sim.call("GET", "sobjects/Contact/\(created)").status == 200)

            // A whole object's bin.
            let other = try #require(try await sim.call("POST", "sobjects/Contact", json: .object([("LastName", .string("Other"))])).json["id"]?.stringValue)
            _ = try await sim.call("DELETE", "sobjects/Contact/\(other)")
            let all = try await sim.call("POST", "/_sfsim/purge", json: .object([("object", .string("Contact"))]))
            #expect(all.json["purged"] == .int(1))
        }
        try await stopping(sim, testBody)
    }

    struct Window: Sendable, CustomTestStringConvertible {
        let kind: String
        let start: Double
        let end: Double
        let status: Int
        let code: String
        var testDescription: String { "\(kind) \(start)…\(end): \(status) \(code)" }
    }

    /// start not before end; further back than 30 (updated) or 15 (deleted) days.
    static let windows: [Window] = [
        Window(kind: "updated", start: 0, end: 0, status: 400, code: "INVALID_REPLICATION_DATE"),
        Window(kind: "updated", start: 600, end: 0, status: 400, code: "INVALID_REPLICATION_DATE"),
        Window(kind: "updated", start: -31 * 86_400, end: 0, status: 400, code: "INVALID_REPLICATION_DATE"),
        Window(kind: "updated", start: -29 * 86_400, end: 0, status: 200, code: ""),
        Window(kind: "deleted", start: -16 * 86_400, end: 0, status: 400, code: "INVALID_REPLICATION_DATE"),
        Window(kind: "deleted", start: -14 * 86_400, end: 0, status: 200, code: ""),
    ]

    @Test(arguments: windows)
    func windowsAreCheckedAsSalesforceChecksThem(_ row: Window) async throws {
        let clock = SimulatedClock.standing(at: Self.start.addingTimeInterval(40 * 86_400))
        let sim = try await SimHarness.start(clock: clock)
        func testBody() async throws {
            let now = clock.now()
            let answer = try await sim.call("GET", "sobjects/Account/\(row.kind)/" + window(now.addingTimeInterval(row.start), now.addingTimeInterval(row.end)))
            #expect(answer.status == row.status, "\(answer.raw)")
            if !row.code.isEmpty { #expect(answer.errorCode == row.code, "\(answer.raw)") }
        }
        try await stopping(sim, testBody)
    }

    @Test func malformedAndMissingBoundsAndUnreplicatedObjectsAreRefused() async throws {
        let sim = try await SimHarness.start()
        func testBody() async throws {
            #expect(try await sim.call("GET", "sobjects/Contact/updated/?start=yesterday&end=today").errorCode == "INVALID_REPLICATION_DATE")
            #expect(try await sim.call("GET", "sobjects/Contact/deleted/").errorCode == "MISSING_ARGUMENT")
            #expect(try await sim.call("POST", "/_sfsim/purge", json: .object([("ids", .array([.string("nonsense")]))])).status == 400)
            #expect(try await sim.call("POST", "/_sfsim/purge", json: .object([])).status == 400)
        }
        try await stopping(sim, testBody)
    }
}
