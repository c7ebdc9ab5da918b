import SalesforceModel
import Foundation
import JSON
import Salesforce
import TestSupport
import Testing
@testable import Simulator

/// Issue 18 §10: only a holder of the control token, on a loopback host name, from no foreign web page,
/// drives `/_sfsim/…`.
@Suite struct ControlGuardTests {
    @Test(arguments: [
        ("127.0.0.1:8080", true), ("localhost", true), ("LOCALHOST:1", true), ("[::1]:9", true), ("127.1.2.3", true),
        ("evil.example:8080", false), ("127.0.0.1.evil.example", false), ("10.0.0.1", false), ("", false),
        ("[::2]:9", false), ("localhost.evil", false),
    ])
    func loopbackHosts(authority: String, loopback: Bool) {
        #expect(ControlGuard.isLoopback(authority: authority) == loopback)
    }

    @Test func theControlWantsItsTokenALoopbackHostAndNoForeignOrigin() async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let mint: JSONValue = .object([("username", .string("mallory@x.test")), ("view_all_data", .bool(true))])
            let cases: [([(String, String)], Int)] = [
                ([("X-Sfsim-Control", "")], 401),
                ([("X-Sfsim-Control", "wrong-token-wrong-token")], 401),
                ([("X-Sfsim-Control", sim.org.controlToken), ("Host", "rebound.evil.example")], 403),
                ([("X-Sfsim-Control", sim.org.controlToken), ("Origin", "http://evil.example")], 403),
                ([("X-Sfsim-Control", sim.org.controlToken), ("Origin", "null")], 403),
                ([("X-Sfsim-Control", sim.org.controlToken), ("Origin", "http://127.0.0.1:1234")], 200),
            ]
            for (headers, status) in cases {
                let answer = try await sim.call("GET", "/_sfsim/calls", token: "", headers: headers)
                #expect(answer.status == status, "\(headers): \(answer.json)")
            }
            let refused = try await sim.call("POST", "/_sfsim/users", json: mint, headers: [("X-Sfsim-Control", "nope-nope-nope-nope")])
            #expect(refused.status == 401)
            #expect(try await sim.call("GET", "/_sfsim/calls").status == 200)
            // The start-up line names the token.
            #expect(sim.server.startupInfo["control_token"] == .string(sim.org.controlToken))
            #expect(sim.org.controlToken.count >= 32)
        }
        try await stopping(sim, testBody)
    }

    @Test func aChosenTokenIsUsed() async throws {
        let status = try await withSim({ $0.controlToken = "chosen-control-token-0123" }) { server in
            try await SimHarness(server: server).call("GET", "/_sfsim/calls",
                                                      headers: [("X-Sfsim-Control", "chosen-control-token-0123")]).status
        }
        #expect(status == 200)
    }
}

/// Issue 20: connected apps as data through the control; a malformed app is refused, saying which key is wrong.
@Suite struct ConnectedAppControlTests {
    @Test(arguments: [
        (#"{"client_id": "a", "flows": ["jwt"]}"#, 201, nil),
        (#"{"client_id": "b", "client_secret": "s", "flows": ["client_credentials"], "run_as": "admin@sfsim.example.com"}"#, 201, nil),
        (#"{"flows": ["web"]}"#, 400, "client_id"),
        (#"{"client_id": "c", "flows": []}"#, 400, "at least one flow"),
        (#"{"client_id": "c", "flows": ["implicit"]}"#, 400, "flows must name"),
        (#"{"client_id": "c", "flows": ["web"], "callback_urls": "http://x"}"#, 400, "callback_urls"),
        (#"{"client_id": "c", "flows": ["jwt"], "pre_authorized": [1]}"#, 400, "pre_authorized"),
    ] as [(String, Int, String?)])
    func appsAreAddedOrRefused(body: String, status: Int, complaint: String?) async throws {
        let sim = try await SimHarness.start()
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let answer = try await sim.call("POST", "/_sfsim/apps", json: try JSONValue.parse(Data(body.utf8)))
            #expect(answer.status == status, "\(answer.json.serialized())")
            if let complaint { #expect(answer.json.serialized().contains(complaint), "\(answer.json.serialized())") }
        }
        try await stopping(sim, testBody)
    }
}
