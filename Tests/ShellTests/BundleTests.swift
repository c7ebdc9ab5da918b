import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Simulator
import Store
import SupportBundle
import TestSupport
import SfshDemo
import Testing
@testable import Shell

/// Issue 24 §1: a support bundle of a home with settings, runs, errors and planted secrets carries none of them,
/// nor any raw record value; `bundle show` reads it back.
@Suite(.serialized) struct BundleTests {
    static let planted = (email: "planted.person@zebulon-example.org", lastName: "Zebulonovich", phone: "+1 555 0199 7788",
                          street: "42 Plantation Road", clientSecret: "PlantedClientSecret9876XYZ",
                          token: "00DPLANTED12345!AQ4AQPlantedSessionToken1234567890abc",
                          profileEmail: "planted.profile@zebulon-example.org", picklist: "PlantedBogusValue")

    /// Every file of the bundle at `path`, decompressed.
    static func files(_ path: String) throws -> [String: String] {
        let archive = try BundleArchive.read(URL(fileURLWithPath: path))
        return Dictionary(uniqueKeysWithValues: archive.files.map { ($0.name, String(decoding: $0.data, as: UTF8.self)) })
    }

    /// `check` as (item, status, detail) rows, and `preview contact` as the rules it applied and what they gave but
    /// for values (hashed in a bundle's samples).
    static func results(_ shell: OrgHarness, contact: String) async throws -> (check: [String], preview: [String]) {
        let checked = try await shell.json("check --json").arrayValue ?? []
        let check = checked.map { row in
            (row.arrayValue ?? [row["check"] ?? .null, row["status"] ?? .null, row["detail"] ?? .null]).prefix(3)
                .map { $0.stringValue ?? $0.serialized() }.joined(separator: " | ")
        }
        let preview = try await shell.json("preview contact \(contact) --json")
        var facts = (preview["trace"]?.arrayValue ?? []).map { step in
            "\(step["output"]?.stringValue ?? "") ← \(step["source"]?.stringValue ?? "")"
        }
        facts += ["tags \(preview["tags"]?.arrayValue?.count ?? -1)", "unsubscribed \(preview["unsubscribed"]?.serialized() ?? "")",
                  "archived \(preview["archived"]?.serialized() ?? "")", "warnings \(preview["warnings"]?.arrayValue?.count ?? -1)",
                  "key facts " + (preview["key_facts"]?.arrayValue ?? []).compactMap { $0["label"]?.stringValue }.joined(separator: ",")]
        return (check, facts)
    }

    @Test func theBundlesOrgReplaysWithTheSameCheckAndPreview() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        func testBody() async throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("sfsh-replay-\(UUID().uuidString).zip").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            // A mapping that reads a formula field (a warning) and a tag source.
            #expect(await shell.run("set levitate.tag_fields Account_Tier__c,LeadSource").code == 0)
            #expect(await shell.run("bundle --out \(path) --include-records 3").code == 0)
            let (_, client) = try shell.session.currentClient()
            let contact = try #require(try await client.query("SELECT Id FROM Contact ORDER BY Id LIMIT 1").records.first?["Id"]?.stringValue)
            let original = try await Self.results(shell, contact: contact)

            let replay = try Harness()
            replay.session.retryPolicy = RetryPolicy(attempts: 3, baseDelay: 0.01, maxDelay: 0.02)
            replay.session.demoStarter = try SimDemoOrg.starter(bundle: path)
            #expect(await replay.run("login --demo").code == 0)
            let replayed = OrgHarness(harness: replay)
            func replayBody() async throws {
                #expect(await replayed.run("set levitate.tag_fields Account_Tier__c,LeadSource").code == 0)
                let again = try await Self.results(replayed, contact: contact)
                #expect(again.check == original.check)
                #expect(again.preview == original.preview)
                // The org describes Contact as the bundle does.
                let bundled = try JSONValue.parse(Data(try #require(try Self.files(path)["describes/Contact.json"]).utf8))
                #expect(replayed.org.describeJSON("Contact")?["fields"] == bundled["fields"])
            }
            try await stopping(replayed, replayBody)
        }
        try await stopping(server, testBody)
    }

    @Test func aBundleCarriesNoSecretAndNoRawValue() async throws {
        let shell = try await OrgHarness.demo()
        let server = shell.session.demoServer!
        func testBody() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sfsh-bundle-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            // Planted in the org: two Contacts (the first two by Id) share an email; one has a name, phone, street.
            let (_, client) = try shell.session.currentClient()
            let first = try await client.query("SELECT Id FROM Contact ORDER BY Id LIMIT 2").records.compactMap { $0["Id"]?.stringValue }
            try await client.update("Contact", id: first[0], fields: .object([
                ("Email", .string(Self.planted.email)), ("LastName", .string(Self.planted.lastName)),
                ("Phone", .string(Self.planted.phone)), ("MailingStreet", .string(Self.planted.street))]))
            try await client.update("Contact", id: first[1], fields: .object([("Email", .string(Self.planted.email))]))
            // Planted in the home: a secret setting, the records imported, an error that carried a token.
            #expect(await shell.run("set client_secret \(Self.planted.clientSecret)").code == 0)
            #expect(await shell.run("set lytics.audiences vip").code == 0)
            #expect(await shell.run("sync import --objects Contact").code == 0)
            #expect(await shell.run("login --token \(Self.planted.token) --instance http://127.0.0.1:1 --alias planted").code != 0)
            #expect(await shell.run("preview contact \(Self.planted.email)").code != 0)
            // A failed run, and an export whose profile Salesforce refuses, quoting the planted value in its message.
            shell.org.injectFaults(script: Array(repeating: (Fault.unavailable, "/query"), count: 20))
            #expect(await shell.run("sync import --objects Lead").code != 0)
            shell.org.injectFaults()
            let profiles = try shell.harness.write("planted.jsonl", """
                {"id": "p1", "attributes": {"email": "\(Self.planted.profileEmail)", "last_name": "Profileson", "company": "Planted Co", "clean": "\(Self.planted.picklist)"}, "audiences": ["vip"]}
                """)
            #expect(await shell.run("profiles import \(profiles)\nset lytics.more_fields clean=CleanStatus").code == 0)
            _ = await shell.run("sync export")
            #expect(try await shell.json("exports p1 --json").arrayValue?.first?["outcome"] == .string("failed"))
            let checked = try await shell.json("check --json").arrayValue ?? []
            let stored = try #require(try shell.session.store.org("demo"))
            let secrets = [stored.accessToken, try #require(stored.refreshToken), Self.planted.clientSecret, Self.planted.token,
                           String(Self.planted.token.split(separator: "!")[1])]
            let values = [Self.planted.email, Self.planted.lastName, Self.planted.phone, Self.planted.street,
                          try #require(stored.username), Self.planted.profileEmail, Self.planted.picklist]
            let calls = try shell.session.store.ledgerCount(since: shell.session.clock.now().addingTimeInterval(-7 * 86_400), org: "demo")
            let printed = try shell.session.store.shellErrors(limit: 50).count

            let plain = directory.appendingPathComponent("plain.zip").path
            let made = try await shell.json("bundle --out \(plain) --runs 5 --json")
            #expect(made["bundle"] == .string(plain))
            let files = try Self.files(plain)
            let manifest = try JSONValue.parse(Data(try #require(files["manifest.json"]).utf8))
            // The manifest names every other file, each with what it holds.
            let listed = Set((manifest["files"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
            #expect(listed == Set(files.keys).subtracting(["manifest.json"]), "\(listed)")
            #expect(listed.isSuperset(of: ["org.json", "check.json", "settings.json", "jobs.json", "runs.json", "ledger.json",
                                           "errors.json", "describes/Contact.json", "describes/Lead.json"]))
            #expect(!listed.contains { $0.hasPrefix("records/") })
            for (name, text) in files {
                for secret in secrets { #expect(!text.contains(secret), "\(name) carries a secret") }
                for value in values { #expect(!text.contains(value), "\(name) carries the record value \(value)") }
            }
            let settings = try JSONValue.parse(Data(try #require(files["settings.json"]).utf8))
            #expect(settings["org"]?["client_secret"] == .string("[redacted]") || settings["home"]?["client_secret"] == .string("[redacted]"),
                    "\(settings.serialized())")
            #expect(files["settings.json"]?.contains("clean=CleanStatus") == true)
            let errors = try JSONValue.parse(Data(try #require(files["errors.json"]).utf8)).arrayValue ?? []
            #expect(errors.contains { $0["command"] == .string("login") } && errors.contains { $0["command"] == .string("preview") })
            let runs = try JSONValue.parse(Data(try #require(files["runs.json"]).utf8)).arrayValue ?? []
            #expect(runs.last?["objects"]?.arrayValue?.first?["object"] == .string("Contact"))
            // The summary, exactly (the bundle's own calls are the four org queries after the count was taken, and its
            // describes came from the cache).
            let counts = ["pass", "fail", "unknown"].map { status in
                (status, JSONValue.int(checked.filter { ($0.arrayValue?[1] ?? $0["status"]) == .string(status) }.count))
            }
            let expected = JSONValue.object([
                ("org", .string("demo")), ("edition", .string("Enterprise Edition")), ("daily_api_max", .int(100_000)),
                ("api_version", .string(stored.apiVersion)), ("check", .object(counts)),
                ("objects", .array(["Lead", "Contact", "Opportunity", "Account", "Note", "User"].map(JSONValue.string))),
                ("custom_fields", manifest["summary"]?["custom_fields"] ?? .null),
                ("runs", .object([("count", .int(3)), ("failed", .int(1)), ("last", .string("export succeeded"))])),
                ("calls_7d", manifest["summary"]?["calls_7d"] ?? .null), ("errors", .int(printed)),
            ])
            #expect(manifest["summary"] == expected, "\(manifest["summary"]?.serialized() ?? "")")
            #expect((manifest["summary"]?["calls_7d"]?.intValue ?? 0) > calls && (manifest["summary"]?["custom_fields"]?.intValue ?? 0) > 10)
            // The export's failure: Salesforce's code and message, the value it quoted removed.
            let export = try #require(runs.first { $0["job"] == .string("export") })
            let failure = try #require(export["failures"]?.arrayValue?.first)
            #expect(failure["code"] == .string("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST") && failure["profiles"] == .int(1), "\(failure.serialized())")
            #expect(failure["message"]?.stringValue?.contains("bad value for restricted picklist field: [value removed]") == true)
            #expect(runs.contains { $0["status"] == .string("failed") && $0["job"] == .string("import") })

            // With sample records: the planted values hashed, the same value to the same hash, ids and flags kept.
            let sampled = directory.appendingPathComponent("sampled.zip").path
            #expect(await shell.run("bundle --out \(sampled) --include-records 2").code == 0)
            let withRecords = try Self.files(sampled)
            for (name, text) in withRecords {
                for secret in secrets { #expect(!text.contains(secret), "\(name) carries a secret") }
                for value in values { #expect(!text.contains(value), "\(name) carries the record value \(value)") }
            }
            let contacts = try JSONValue.parse(Data(try #require(withRecords["records/Contact.json"]).utf8)).arrayValue ?? []
            #expect(contacts.count == 2 && contacts.map { $0["Id"]?.stringValue } == first.map(Optional.some))
            let emails = contacts.compactMap { $0["Email"]?.stringValue }
            #expect(emails.count == 2 && emails[0] == emails[1] && emails[0].hasPrefix("h:"), "\(emails)")
            #expect(contacts[0]["IsDeleted"] == .bool(false))

            // bundle show: the summary first, then the files; --json is the manifest.
            let shown = await shell.run("bundle show \(sampled)")
            #expect(shown.code == 0)
            #expect(shown.out.contains("summary:\n") && shown.out.contains("  edition: Enterprise Edition\n"), "\(shown.out)")
            #expect(shown.out.contains("  records/Contact.json: 2 sample Contact records"))
            let json = try await shell.json("bundle show \(sampled) --json")
            #expect(json["format"] == .string("sfsh-support-bundle") && json["options"]?["include_records"] == .int(2))
            // Not a bundle: a clear error.
            let notZip = directory.appendingPathComponent("not.zip").path
            try Data("hello".utf8).write(to: URL(fileURLWithPath: notZip))
            let refused = await shell.run("bundle show \(notZip)")
            #expect(refused.code == 1 && refused.err.contains("is not a support bundle"), "\(refused.err)")
            let nowhere = await shell.run("bundle --out \(directory.path)/missing/b.zip")
            #expect(nowhere.code == 1 && nowhere.err.contains("missing is not a directory you can write to"), "\(nowhere.err)")
        }
        try await stopping(server, testBody)
    }
}
