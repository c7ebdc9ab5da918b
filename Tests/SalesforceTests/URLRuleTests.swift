import SalesforceModel
import Foundation
import JSON
import Testing
@testable import Salesforce

/// A transport that answers from a script and records what it was sent.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [HTTPResponse]
    private(set) var sent: [HTTPRequest] = []

    init(_ answers: [HTTPResponse]) { self.answers = answers }

    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        lock.withLock {
            sent.append(request)
            return answers.isEmpty ? HTTPResponse(status: 500, headers: [], body: Data()) : answers.removeFirst()
        }
    }

    static func json(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Data(text.utf8))
    }
}

/// Issue 9: the bearer token goes only to the org's own hosts, and URLs from the server obey the typed-URL rule.
@Suite struct URLRuleTests {
    let credentials = Credentials(instanceURL: "https://acme.my.salesforce.com", accessToken: "00Dx!SECRET",
                                  refreshToken: "5Aep-refresh", loginURL: "https://login.salesforce.com", clientID: "app")

    @Test(arguments: [
        "https://evil.example.com/services/data/v59.0/query/01gX-2000",
        "https://acme.my.salesforce.com.evil.example.com/services/data/v59.0/query/01gX-2000",
        "https://acme.my.salesforce.com:8443/services/data/v59.0/query/01gX-2000",
        "http://acme.my.salesforce.com/services/data/v59.0/query/01gX-2000",
    ])
    func aNextRecordsUrlElsewhereGetsNoToken(url: String) async throws {
        let transport = ScriptedTransport([])
        let client = try SalesforceClient(credentials: credentials, transport: transport, retry: .none)
        let error = await #expect(throws: SalesforceError.self) { try await client.nextPage(url) }
        #expect(error?.kind == .refused)
        #expect(transport.sent.isEmpty)
    }

    @Test func theOrgsOwnHostsAreFine() async throws {
        let page = ScriptedTransport.json(200, #"{"totalSize":0,"done":true,"records":[]}"#)
        let transport = ScriptedTransport([page, ScriptedTransport.json(200, #"{"user_id":"005"}"#)])
        let client = try SalesforceClient(credentials: credentials, transport: transport, retry: .none)
        _ = try await client.nextPage("https://ACME.my.salesforce.com:443/services/data/v59.0/query/01gX-2000")
        _ = try await client.json("GET", "https://login.salesforce.com/id/00D/005")
        #expect(transport.sent.count == 2)
        #expect(transport.sent.allSatisfy { $0.headers.contains { $0 == ("Authorization", "Bearer 00Dx!SECRET") } })
    }

    @Test func aRefreshedInstanceURLObeysTheSameRule() async throws {
        let transport = ScriptedTransport([
            ScriptedTransport.json(401, #"[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]"#),
            ScriptedTransport.json(200, #"{"access_token":"00Dx!NEW","instance_url":"http://evil.example.com","token_type":"Bearer"}"#),
        ])
        let client = try SalesforceClient(credentials: credentials, transport: transport, retry: .none)
        let error = await #expect(throws: SalesforceError.self) { try await client.limits() }
        #expect(error?.kind == .refused)
        #expect(error?.message.contains("evil.example.com") == true)
        // Nothing was taken from the bad answer, and nothing more was sent.
        #expect(client.credentials.instanceURL == "https://acme.my.salesforce.com")
        #expect(client.credentials.accessToken == "00Dx!SECRET")
        #expect(transport.sent.count == 2)
    }
}
