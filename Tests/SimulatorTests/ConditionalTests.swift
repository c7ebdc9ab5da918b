import Foundation
import JSON
import TestSupport
import Testing
@testable import Simulator

/// Issue 21 §1: ETag and Last-Modified on describes and records; If-None-Match / If-Modified-Since answered
/// 304 — for the global describe as for an object's, for a record, and inside /composite.
@Suite struct ConditionalTests {
    @Test(arguments: ["sobjects", "sobjects/Contact/describe"])
    func describesAnswer304WhenNothingChanged(path: String) async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let first = try await sim.call("GET", path)
            #expect(first.status == 200)
            let etag = try #require(first.header("ETag"))
            let lastModified = try #require(first.header("Last-Modified"))
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))
            let byTag = try await sim.call("GET", path, headers: [("If-None-Match", etag)])
            #expect(byTag.status == 304 && byTag.raw.isEmpty && byTag.header("ETag") == etag)
            let byDate = try await sim.call("GET", path, headers: [("If-Modified-Since", lastModified)])
            #expect(byDate.status == 304)
            let stale = try await sim.call("GET", path, headers: [("If-None-Match", "\"other\"")])
            #expect(stale.status == 200 && stale.raw == first.raw)
            let older = try await sim.call("GET", path, headers: [("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")])
            #expect(older.status == 200)
        }
        try await stopping(sim, testBody)
    }

    @Test func aRecordAnswers304UntilItChanges() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let id = try #require(try await sim.call("POST", "sobjects/Lead", json: .object([("LastName", .string("E")), ("Company", .string("T"))])).json["id"]?.stringValue)
            let first = try await sim.call("GET", "sobjects/Lead/\(id)")
            let etag = try #require(first.header("ETag"))
            #expect(first.header("Last-Modified") != nil)
            #expect(try await sim.call("GET", "sobjects/Lead/\(id)", headers: [("If-None-Match", etag)]).status == 304)
            sim.org.clock.advance(by: 5)
            _ = try await sim.call("PATCH", "sobjects/Lead/\(id)", json: .object([("Title", .string("New"))]))
            let changed = try await sim.call("GET", "sobjects/Lead/\(id)", headers: [("If-None-Match", etag)])
            #expect(changed.status == 200 && changed.header("ETag") != etag && changed.json["Title"] == .string("New"))
            let since = try await sim.call("GET", "sobjects/Lead/\(id)", headers: [("If-Modified-Since", try #require(first.header("Last-Modified")))])
            #expect(since.status == 200)
        }
        try await stopping(sim, testBody)
    }

    @Test func insideCompositeA304IsASubresponse() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let etag = try #require(try await sim.call("GET", "sobjects").header("ETag"))
            let answer = try await sim.call("POST", "composite", json: .object([("compositeRequest", .array([
                .object([("method", .string("GET")), ("url", .string("/services/data/v59.0/sobjects")), ("referenceId", .string("global")),
                         ("httpHeaders", .object([("If-None-Match", .string(etag))]))]),
                .object([("method", .string("GET")), ("url", .string("/services/data/v59.0/sobjects/Lead/describe")), ("referenceId", .string("lead"))]),
            ]))]))
            let subresponses = try #require(answer.json["compositeResponse"]?.arrayValue)
            #expect(subresponses[0]["httpStatusCode"] == .int(304) && subresponses[0]["body"] == .null)
            #expect(subresponses[0]["httpHeaders"]?["ETag"] == .string(etag))
            #expect(subresponses[1]["httpStatusCode"] == .int(200) && subresponses[1]["httpHeaders"]?["ETag"]?.stringValue != nil)
            // The subresponse bodies keep Salesforce's key order (never re-serialised sorted).
            #expect(answer.raw.contains(#"{"body":null,"httpHeaders":{"ETag":"#))
            // Byte for byte the body a request of its own gets.
            let direct = try await sim.call("GET", "sobjects/Lead/describe")
            #expect(answer.raw.contains(#"{"body":"# + direct.raw + #","httpHeaders":"#))
        }
        try await stopping(sim, testBody)
    }
}
