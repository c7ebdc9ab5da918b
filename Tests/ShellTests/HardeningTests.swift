import Store
import Simulator
import SyncEngine
import SalesforceModel
import Foundation
import Salesforce
import JSON
import TestSupport
import Testing
@testable import Shell

/// Issue 9: secrets judged after lexing, whatever else is wrong with the line;
/// control characters from anywhere shown, never obeyed.
@Suite struct SecretLineTests {
    @Test(arguments: [
        ("set --json client_secret S3CRET", ["S3CRET"]),
        ("set -- client_secret S3CRET", ["S3CRET"]),
        ("set 'client_secret' S3CRET", ["S3CRET"]),
        ("st client_secret S3CRET", ["S3CRET"]),
        ("login --password hunter2", ["hunter2"]),
        ("login --token 00Dabc!xyz --instance https://x.my.salesforce.com", ["00Dabc!xyz"]),
        ("lgin --token=00Dabc!xyz", ["00Dabc!xyz"]),
        ("login --client-secret shh --alias prod", ["shh"]),
        ("echo a; login --token T0K", ["T0K"]),
        ("login --password --alias prod", []),
        ("set client_secret", []),
        ("set client_id visible", []),
        ("echo --tokens are words", []),
    ])
    func secretValuesOnALine(line: String, secrets: [String]) throws {
        #expect(SecretWords.values(inLine: line) == secrets)
        let session = try Harness().session
        #expect(session.isSecretLine(line) == !secrets.isEmpty)
    }

    @Test(arguments: [
        "login --password hunter2",
        "set --json client_secret hunter2",
        "set -- client_secret hunter2 extra",
        "lgin --token hunter2",
        "login --token 'hunter2",
    ])
    func aSecretIsNeverEchoedInAnError(line: String) async throws {
        let harness = try Harness()
        let (out, err, _) = await harness.run(line + "\nshow settings --json\nhistory")
        // The value is stored (where the line is valid) but never printed.
        #expect(!out.contains("hunter2") && !err.contains("hunter2"), "\(err)")
    }

    @Test func controlCharactersInMessagesAreShownNotObeyed() async throws {
        let harness = try Harness()
        let (_, err, _) = await harness.run("nosuch\u{1B}[2J\u{07}command")
        #expect(!err.contains("\u{1B}") && !err.contains("\u{07}"))
        #expect(err.contains("\\x1B[2J"))
    }
}

/// Issue 9: scripted sessions and the first run.
@Suite(.serialized) struct ScriptedSessionTests {
    @Test func theEnvironmentsTokenIsUsedWithoutLoginAndNeverStored() async throws {
        let demo = try await OrgHarness.demo()
        let server = demo.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let token = demo.org.adminAccessToken
            let harness = try Harness(environment: ["SF_ACCESS_TOKEN": token, "SF_INSTANCE_URL": server.baseURL])
            let (out, err, code) = await harness.run("count Contact --csv\nwhoami --json")
            #expect(code == 0, "\(err)")
            #expect(out.hasPrefix("object,count\nContact,200\n"))
            #expect(harness.session.currentOrgAlias == "env")
            #expect(try harness.session.store.orgs().isEmpty)
            let database = try Data(contentsOf: URL(fileURLWithPath: harness.session.store.home.databasePath))
            #expect(database.range(of: Data(token.utf8)) == nil)
            let usage = await harness.run("usage --json")
            #expect(usage.out.contains("\"env\""))
        }
        try await stopping(server, testBody)
    }

    @Test func anEnvironmentInstanceObeysTheSameURLRule() async throws {
        let harness = try Harness(environment: ["SF_ACCESS_TOKEN": "00Dx!abc", "SF_INSTANCE_URL": "http://evil.example.com"])
        let (_, err, code) = await harness.run("count Contact")
        #expect(code == 2)
        #expect(err.contains("only https is allowed"))
        #expect(!err.contains("00Dx!abc"))
    }

    @Test func loginFetchesTheObjectListSoCompletionWorksAtOnce() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            let source = StoreCompletionSource(store: shell.session.store, currentOrg: { "demo" })
            #expect(source.sObjectNames().contains("Contact"))
            let usage = try await shell.json("usage --json")
            let loginCalls = usage["calls"]?.arrayValue?.first { $0["command"] == .string("login") }
            #expect(loginCalls?["calls"]?.intValue ?? 0 >= 1)
            // Before FROM, a SELECT list completes with the fields of what was described.
            _ = await shell.run("describe Lead")
            let completer = Completer(table: Commands.table, source: source)
            #expect(completer.complete("SELECT Id, Emai").candidates.contains("Email"))
            #expect(completer.complete("SELECT Id, Websi").insertion == "te ")
            // Company and CompanyDunsNumber: the common prefix, no space.
            #expect(completer.complete("SELECT Id, Compan").insertion == "y")
        }
        try await stopping(server, testBody)
    }
}

@Suite struct LenientDescribeTests {
    @Test(arguments: [
        (#"{"name":"Contact","fields":[{"name":"Id","type":"id"}]}"#, nil as String?),
        (#"{"name":"Contact","label":"Contact","fields":[]}"#, nil),
        (#"{"label":"Contact","fields":[]}"#, "it has no 'name'"),
        (#"{"name":"Contact"}"#, "it has no 'fields'"),
        (#"{"name":"Contact","fields":[{"name":"Id"}]}"#, "it has no 'fields[0].type'"),
        (#"{"name":"Contact","fields":[{"name":"Id","type":"id","nillable":"yes"}]}"#, "'fields[0].nillable' is not true or false"),
        (#"["not", "an", "object"]"#, "it is not a JSON object"),
    ])
    func onlyTheKeysTheRulesUseAreNeeded(body: String, error expected: String?) {
        do {
            let describe = try SObjectDescribe.parse(Data(body.utf8))
            #expect(expected == nil, "parsed \(describe.name)")
            #expect(describe.updateable && describe.queryable)
        } catch {
            #expect(error.message == expected)
        }
    }

    @Test func previewNamesTheMissingKey() async throws {
        let harness = try Harness()
        let describe = try harness.write("d.json", #"{"name":"Contact","fields":[{"name":"Id"}]}"#)
        let record = try harness.write("r.json", #"{"Id":"003000000000001AAA","LastName":"X"}"#)
        let (_, err, code) = await harness.run("preview contact --file \(record) --describe \(describe)")
        #expect(code == 1)
        #expect(err.contains("is not a describe: it has no 'fields[0].type'"))
    }
}

/// Issue 9: numbers that once crashed `estimate import`.
@Suite struct HugeNumberTests {
    @Test(arguments: [
        ("estimate import --leads 9223372036854775807 --contacts 1 --opportunities 0 --accounts 0 --calls 1000", Int32(2), "--leads must be at most"),
        ("estimate import --leads 1 --contacts 1 --opportunities 0 --accounts 0 --calls 1000 --latency 1e30", 2, "--latency must be"),
        ("estimate import --leads 1 --contacts 1 --opportunities 0 --accounts 0 --calls 99999999999999999999", 2, "--calls must be at most"),
        ("estimate import --leads 100000000000 --contacts 1 --opportunities 0 --accounts 0 --calls 40000000 --latency 0.001", 0, "1 pause of 24 h"),
        ("estimate allotment --total 9223372036854775807 --other 1", 2, "--total must be at most"),
    ])
    func answeredAtOnce(line: String, code: Int32, text: String) async throws {
        let (out, err, status) = try await Harness().run(line)
        #expect(status == code, "\(err)")
        #expect((out + err).contains(text), "\(out)\(err)")
    }
}
