import SalesforceModel
import Foundation
import JSON
import Testing
@testable import Salesforce

/// The client's Bulk API 2.0 query calls against scripted answers: what is sent, what is read, what is refused.
@Suite struct BulkQueryClientTests {
    let credentials = Credentials(instanceURL: "https://acme.my.salesforce.com", accessToken: "00Dx!SECRET",
                                  refreshToken: "5Aep-refresh", loginURL: "https://login.salesforce.com", clientID: "app")

    static func csv(_ text: String, headers: [(String, String)]) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "text/csv")] + headers, body: Data(text.utf8))
    }

    @Test func aJobIsCreatedPolledAndReadChunkByChunk() async throws {
        let transport = ScriptedTransport([
            ScriptedTransport.json(200, #"{"id":"750R0000000zxr8IAA","operation":"query","object":"Contact","state":"UploadComplete","apiVersion":59.0}"#),
            ScriptedTransport.json(200, #"{"id":"750R0000000zxr8IAA","state":"JobComplete","numberRecordsProcessed":3}"#),
            Self.csv("\"Id\"\n\"003A\"\n\"003B\"\n", headers: [("Sforce-NumberOfRecords", "2"), ("Sforce-Locator", "Mg")]),
            Self.csv("\"Id\"\n\"003C\"\n", headers: [("Sforce-NumberOfRecords", "1"), ("Sforce-Locator", "null")]),
        ])
        let client = try SalesforceClient(credentials: credentials, transport: transport, retry: .none)
        let created = try await client.createQueryJob("SELECT Id FROM Contact", all: true)
        #expect(created.id == "750R0000000zxr8IAA" && created.state == .uploadComplete && !created.isFinished)
        let done = try await client.queryJob(created.id)
        #expect(done.state == .jobComplete && done.numberRecordsProcessed == 3 && done.isFinished)
        let first = try await client.queryResults(created.id, locator: nil, maxRecords: 2)
        #expect(first.records == 2 && first.nextLocator == "Mg")
        let last = try await client.queryResults(created.id, locator: "Mg", maxRecords: 2)
        #expect(last.records == 1 && last.nextLocator == nil)

        let sent = transport.sent
        #expect(sent[0].method == "POST" && sent[0].url == "https://acme.my.salesforce.com/services/data/v59.0/jobs/query")
        let body = try JSONValue.parse(try #require(sent[0].body))
        #expect(body["operation"] == .string("queryAll") && body["query"] == .string("SELECT Id FROM Contact"))
        #expect(sent[2].url.hasSuffix("/jobs/query/750R0000000zxr8IAA/results?maxRecords=2"))
        #expect(sent[3].url.hasSuffix("/results?maxRecords=2&locator=Mg"))
        // Results are asked for as CSV, once (no JSON Accept beside it).
        #expect(sent[2].headers.filter { $0.0.lowercased() == "accept" }.map(\.1) == ["text/csv"])
    }

    @Test(arguments: [
        // (answer, what the client says)
        (Self.csv("\"Id\"\n", headers: []), "no Sforce-NumberOfRecords header"),
        (Self.csv("\"Id\"\n", headers: [("Sforce-NumberOfRecords", "many")]), "no Sforce-NumberOfRecords header"),
        (ScriptedTransport.json(412, #"[{"errorCode":"JOB_NOT_COMPLETE","message":"You can only download query results of successfully completed bulk jobs."}]"#),
         "successfully completed"),
    ])
    func brokenOrEarlyResultsAreErrors(answer: HTTPResponse, message: String) async throws {
        let client = try SalesforceClient(credentials: credentials, transport: ScriptedTransport([answer]), retry: .none)
        let error = await #expect(throws: SalesforceError.self) { _ = try await client.queryResults("750X", locator: nil, maxRecords: 10) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func anAnswerThatIsNotAJobIsAProtocolError() async throws {
        let client = try SalesforceClient(credentials: credentials,
                                          transport: ScriptedTransport([ScriptedTransport.json(200, #"{"done":true}"#)]), retry: .none)
        let error = await #expect(throws: SalesforceError.self) { _ = try await client.createQueryJob("SELECT Id FROM Lead") }
        #expect(error?.kind == .protocolViolation)
    }
}

/// Concurrent requests refused with one expired token share one refresh.
@Suite struct SharedRefreshTests {
    final class ExpiringTransport: HTTPTransport, @unchecked Sendable {
        private let lock = NSLock()
        private(set) var refreshes = 0

        func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
            try? await Task.sleep(nanoseconds: 20_000_000)  // let the others be refused meanwhile
            return lock.withLock {
                if request.url.contains("/services/oauth2/token") {
                    refreshes += 1
                    return ScriptedTransport.json(200, #"{"access_token":"00Dx!NEW","token_type":"Bearer"}"#)
                }
                guard request.headers.contains(where: { $0 == ("Authorization", "Bearer 00Dx!NEW") }) else {
                    return ScriptedTransport.json(401, #"[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]"#)
                }
                return ScriptedTransport.json(200, #"{"DailyApiRequests":{"Max":15000,"Remaining":14000}}"#)
            }
        }
    }

    @Test func fiveRefusedRequestsRefreshOnce() async throws {
        let transport = ExpiringTransport()
        let client = try SalesforceClient(
            credentials: Credentials(instanceURL: "https://acme.my.salesforce.com", accessToken: "00Dx!OLD",
                                     refreshToken: "5Aep-refresh", clientID: "app"),
            transport: transport, retry: .none)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<5 { group.addTask { _ = try await client.json("GET", "limits") } }
            try await group.waitForAll()
        }
        #expect(transport.refreshes == 1)
        #expect(client.credentials.accessToken == "00Dx!NEW")
    }
}
