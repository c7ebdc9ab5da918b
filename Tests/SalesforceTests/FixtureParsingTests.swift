import SalesforceModel
import Foundation
import JSON
import Simulator
import TestSupport
import Testing
@testable import Salesforce

/// The client reads every recorded Salesforce response in ../shared/fixtures
/// (read in place; skipped with a message when the folder is absent).
@Suite struct FixtureParsingTests {
    static let directory: String? = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // the file, SalesforceTests, Tests
        let path = url.deletingLastPathComponent().appendingPathComponent("shared/fixtures/salesforce").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: directory! + "/" + name))
    }

    static func json(_ name: String) throws -> JSONValue { try JSONValue.parse(try data(name)) }

    @Test(.enabled(if: directory != nil, "../shared/fixtures/salesforce is absent"))
    func describes() throws {
        let contact = try SObjectDescribe.parse(try Self.data("describe_Contact.json"))
        #expect(contact.name == "Contact")
        #expect(contact.field("LastName")?.requiredOnCreate == true)
        #expect(contact.field("FirstName")?.requiredOnCreate == false)
        #expect(contact.field("MailingCity")?.compoundFieldName == "MailingAddress")
        #expect(contact.field("Phone")?.type == "phone")
        #expect(contact.field("AccountId")?.typeDescription == "reference(Account)")
        #expect(contact.fields.contains { !$0.picklistValues.isEmpty })
        let lead = try SObjectDescribe.parse(try Self.data("describe_Lead.json"))
        #expect(lead.field("Company")?.requiredOnCreate == true)
        #expect(lead.field("Status")?.picklistValues.first { $0.defaultValue }?.value == "Open - Not Contacted")
        let global = try JSONDecoder().decode(GlobalDescribe.self, from: try Self.data("describe_global.json"))
        #expect(global.sobjects.count == 110)
        #expect(global.sobjects.contains { $0.name == "Contact" && $0.keyPrefix == "003" })
    }

    @Test(.enabled(if: directory != nil, "../shared/fixtures/salesforce is absent"))
    func queryPages() throws {
        var pages = 0
        for entry in try Self.json("query_responses.json").arrayValue ?? [] {
            guard let body = entry["body"], body["records"] != nil else { continue }
            let page = try QueryPage.parse(body)
            pages += 1
            #expect(page.totalSize >= page.records.count)
            #expect(page.done == (page.nextRecordsUrl == nil))
            for record in page.records {
                let flat = RecordFlattening.flatten(record)
                #expect(!flat.contains { $0.0 == "attributes" })
                if record["Owner"] != nil, record["Owner"] != .null {
                    #expect(flat.contains { $0.0 == "Owner.Name" })
                    #expect(RecordFlattening.value(record, path: "owner.name").stringValue != nil)
                }
            }
        }
        #expect(pages >= 4)
    }

    @Test(.enabled(if: directory != nil, "../shared/fixtures/salesforce is absent"))
    func limitsAndUsage() throws {
        let limits = try OrgLimits.parse(try Self.json("limits.json"))
        #expect(limits["DailyApiRequests"]?.max == 15000)
        #expect(limits["DailyBulkApiBatches"] != nil)  // the per-app sub-entries are ignored
        #expect(APIUsage.parse("api-usage=51/100000") == APIUsage(used: 51, max: 100_000))
        #expect(APIUsage.parse("api-usage=18/5000; per-app-api-usage=17/250(appName=sample)") == APIUsage(used: 18, max: 5000))
        #expect(APIUsage.parse(nil) == nil)
    }

    @Test(.enabled(if: directory != nil, "../shared/fixtures/salesforce is absent"))
    func errors() throws {
        var seen: Set<String> = []
        for entry in try Self.json("errors.json").arrayValue ?? [] {
            guard let body = entry["body"], body.arrayValue?.first?["errorCode"] != nil else { continue }
            let status = entry["status"]?.intValue ?? 400
            let error = SalesforceError.from(status: status, body: Data(body.serialized().utf8))
            #expect(error.code == body.arrayValue?.first?["errorCode"]?.stringValue)
            #expect(error.message == body.arrayValue?.first?["message"]?.stringValue)
            seen.insert(error.code ?? "")
            switch error.code {
            case "INVALID_SESSION_ID": #expect(error.kind == .authentication)
            case "REQUIRED_FIELD_MISSING": #expect(error.fields == ["Website__c"] && error.kind == .request)
            case "MALFORMED_QUERY": #expect(error.kind == .request)
            default: break
            }
        }
        #expect(seen.isSuperset(of: ["INVALID_SESSION_ID", "MALFORMED_QUERY", "INVALID_FIELD", "NOT_FOUND", "MALFORMED_ID",
                                     "DUPLICATES_DETECTED"]))
        let limit = SalesforceError.from(status: 403, body: Data(#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#.utf8))
        #expect(limit.kind == .limitExceeded)
        let unavailable = SalesforceError.from(status: 503, body: Data())
        #expect(unavailable.kind == .unavailable && unavailable.isTransient)
    }

    @Test(.enabled(if: directory != nil, "../shared/fixtures/salesforce is absent"))
    func writesOAuthAndIdentity() throws {
        for entry in try Self.json("writes.json").arrayValue ?? [] {
            guard let body = entry["body"] else { continue }
            if entry["status"] == .int(201) { #expect(body["id"]?.stringValue?.count == 18) }
            if let counts = body["sObjects"]?.arrayValue { #expect(counts.allSatisfy { $0["name"]?.stringValue != nil }) }
        }
        var tokens = 0
        for entry in try Self.json("oauth.json").arrayValue ?? [] {
            guard let body = entry["body"] else { continue }
            if body["access_token"] != nil {
                let token = try TokenResponse.parse(body)
                #expect(!token.accessToken.isEmpty)
                tokens += 1
            } else if body["error"] != nil {
                let error = SalesforceError.from(status: 400, body: Data(body.serialized().utf8))
                #expect(error.code == body["error"]?.stringValue)
                #expect(error.message == body["error_description"]?.stringValue)
            }
        }
        #expect(tokens >= 2)
        let identity = try Self.json("identity.json")
        #expect(identity["username"]?.stringValue != nil && identity["urls"]?["rest"] != nil)
    }
}

@Suite struct ClientBehaviourTests {
    @Test func plainHTTPIsRefusedOffLoopback() {
        #expect(throws: SalesforceError.self) { try SalesforceClient.checkScheme("http://example.com") }
        #expect(throws: SalesforceError.self) { try SalesforceClient.checkScheme("not a url") }
        #expect(throws: Never.self) { try SalesforceClient.checkScheme("http://127.0.0.1:8080") }
        #expect(throws: Never.self) { try SalesforceClient.checkScheme("https://acme.my.salesforce.com") }
    }

    @Test func recordsPageAsAnAsyncSequence() async throws {
        var configuration = OrgConfiguration()
        configuration.contacts = 450
        configuration.inMemory = true
        let server = try await SimServer.start(org: try Org(configuration: configuration))
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            final class Counter: @unchecked Sendable {
                let lock = NSLock()
                var calls = 0
                func add() { lock.withLock { calls += 1 } }
                var value: Int { lock.withLock { calls } }
            }
            let counter = Counter()
            let client = try SalesforceClient(credentials: Credentials(instanceURL: server.baseURL, accessToken: server.org.adminAccessToken),
                                              transport: CurlTransport(), meter: ObservingMeter { _ in counter.add() })
            var ids = Set<String>()
            for try await record in client.records("SELECT Id FROM Contact", batchSize: 200) {
                ids.insert(record["Id"]?.stringValue ?? "")
            }
            #expect(ids.count == 450)
            #expect(counter.value == 3)
            #expect(client.lastUsage?.used == 3)
        }
        try await stopping(server, testBody)
    }

    @Test func timeoutsAndRandomFaultsAreRetried() async throws {
        var configuration = OrgConfiguration()
        configuration.contacts = 10
        configuration.inMemory = true
        configuration.controlEnabled = true
        let server = try await SimServer.start(org: try Org(configuration: configuration))
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let fast = RetryPolicy(attempts: 3, baseDelay: 0.01, maxDelay: 0.02)
            let client = try SalesforceClient(credentials: Credentials(instanceURL: server.baseURL, accessToken: server.org.adminAccessToken),
                                              transport: CurlTransport(), retry: fast, timeout: 1.5)
            server.org.injectFaults(script: [(.delay(seconds: 4), nil)])
            let limits = try await client.limits()  // the first attempt times out, the second answers
            #expect(limits["DailyApiRequests"] != nil)
            server.org.injectFaults(rate: 1, kinds: [.unavailable])
            let error = await #expect(throws: SalesforceError.self) { try await client.limits() }
            #expect(error?.kind == .unavailable && error?.message.contains("after 3 attempts") == true)
            server.org.injectFaults()
            #expect(try await client.limits()["DailyApiRequests"] != nil)
            // A create is not retried on a 5xx (it may have been written).
            server.org.injectFaults(script: [(.serverError, nil)])
            let create = await #expect(throws: SalesforceError.self) {
                try await client.create("Lead", fields: .object([("LastName", .string("X")), ("Company", .string("Y"))]))
            }
            #expect(create?.status == 500)
            #expect(server.org.callLog().filter { $0.method == "POST" }.count == 1)
        }
        try await stopping(server, testBody)
    }
}
