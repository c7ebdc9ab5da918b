import Foundation
import TestSupport
import Testing
@testable import Store

/// Issue 18 §1–2: `local` reads the current org's records through its views and nothing else of the home.
@Suite struct LocalSQLTests {
    /// A home with two orgs' tokens and records: `prod` holds the secrets an attacker wants.
    func home() throws -> Store {
        let store = try Store(home: SfshHome(path: NSTemporaryDirectory() + "sfsh-local-" + UUID().uuidString))
        try store.saveOrg(OrgRecord(alias: "prod", instanceURL: "https://prod.my.salesforce.com",
                                    loginURL: "https://login.salesforce.com", accessToken: "00Dprod!SECRETTOKEN",
                                    refreshToken: "5Aep-REFRESH-SECRET", createdAt: Date()))
        try store.saveOrg(OrgRecord(alias: "evil", instanceURL: "http://127.0.0.1:9", loginURL: "http://127.0.0.1:9",
                                    accessToken: "00Devil!x", createdAt: Date()))
        try store.setSetting("client_secret", to: "CLIENT-SECRET", scope: Store.defaultScope)
        let run = try store.startRun(org: "evil", job: "import", full: true, at: Date(), resumedFrom: nil)
        let otherRun = try store.startRun(org: "prod", job: "import", full: true, at: Date(), resumedFrom: nil)
        _ = try store.transaction { tx in
            _ = try tx.upsert([LocalRecord(object: "Contact", id: "003A", systemModstamp: "2026-01-01T00:00:00.000+0000",
                                           accountID: nil, body: #"{"Id":"003A","LastName":"Mine","Weird'Name":1}"#)],
                              org: "evil", run: run, pass: run)
            _ = try tx.upsert([LocalRecord(object: "Contact", id: "003P", systemModstamp: "2026-01-01T00:00:00.000+0000",
                                           accountID: nil, body: #"{"Id":"003P","LastName":"ProdOnly"}"#)],
                              org: "prod", run: otherRun, pass: otherRun)
        }
        return store
    }

    func views(fields: [String] = ["Id", "LastName"]) -> LocalViewSet {
        LocalViewSet(org: "evil", objects: [.init(name: "Contact", object: "Contact", fields: fields)],
                     combined: [.init(name: "contact_combined", select: #"SELECT c.* FROM "Contact" c"#)])
    }

    @Test func theViewsAnswer() throws {
        let store = try home()
        let (result, truncated, skipped) = try store.localQuery("SELECT Id, LastName FROM Contact", views: views(), limit: 10)
        #expect(result.columns == ["Id", "LastName"] && result.rows == [[.text("003A"), .text("Mine")]])
        #expect(!truncated && skipped.isEmpty)
        let combined = try store.localQuery("WITH x AS (SELECT * FROM contact_combined) SELECT COUNT(*) FROM x",
                                            views: views(), limit: 10).result
        #expect(combined.rows == [[.integer(1)]])
    }

    /// The describe-borne field name of the attack: quoted, so it cannot end the view and start a statement.
    @Test func aHostileFieldNameIsLeftOutAndChangesNothing() throws {
        let store = try home()
        let attack = "a') AS a FROM main.local_record r; UPDATE main.org SET instance_url = 'https://attacker.example' "
            + "WHERE alias = 'prod'; SELECT ('"
        let (result, _, skipped) = try store.localQuery("SELECT * FROM Contact", views: views(fields: ["Id", attack, "Weird'Name"]),
                                                        limit: 10)
        #expect(skipped == ["Contact.\(attack)", "Contact.Weird'Name"])
        #expect(result.columns == ["Id"])
        #expect(try store.org("prod")?.instanceURL == "https://prod.my.salesforce.com")
    }

    @Test(arguments: [
        // Another table of the home, directly, in a subquery, a join, a CTE or a compound.
        "SELECT alias, access_token, refresh_token FROM org",
        "SELECT (SELECT access_token FROM org LIMIT 1) FROM Contact",
        "SELECT * FROM Contact JOIN main.org",
        "WITH t AS (SELECT access_token FROM org) SELECT * FROM t",
        "SELECT Id FROM Contact UNION SELECT value FROM setting",
        "SELECT value FROM main.setting WHERE key = 'client_secret'",
        // Other orgs' records: the table itself, and a CTE that shadows a view's name.
        "SELECT body FROM local_record",
        "WITH Contact AS (SELECT * FROM main.local_record) SELECT body FROM Contact",
        "WITH RECURSIVE c(x) AS (SELECT body FROM local_record) SELECT * FROM c",
        // The schema (it would name the hidden views), PRAGMAs, extensions, ATTACH.
        "SELECT sql FROM sqlite_master",
        "SELECT sql FROM temp.sqlite_master",
        "SELECT * FROM pragma_table_info('org')",
        "SELECT load_extension('/tmp/x.so')",
    ])
    func nothingElseOfTheHomeIsReadable(sql: String) throws {
        let store = try home()
        let error = #expect(throws: StoreError.self) { try store.localQuery(sql, views: views(), limit: 10) }
        #expect(error != nil, "\(sql)")
    }

    @Test(arguments: [
        ("SELECT 1; UPDATE org SET instance_url = 'x'", "one statement"),
        ("SELECT 1; SELECT 2", "one statement"),
        ("SELECT 1; garbage", "one statement"),
        ("UPDATE org SET instance_url = 'x'", "read-only"),
        ("PRAGMA query_only = OFF", "read-only"),
        ("ATTACH '/tmp/x.db' AS x", "read-only"),
        ("WITH x AS (SELECT 1) DELETE FROM local_record", "read-only"),
        ("", "read-only"),
    ])
    func oneReadOnlyStatementAtATime(sql: String, reason: String) throws {
        let store = try home()
        let error = #expect(throws: StoreError.self) { try store.localQuery(sql, views: views(), limit: 10) }
        #expect(error?.description.contains(reason) == true, "\(sql): \(String(describing: error))")
        #expect(try store.org("prod")?.instanceURL == "https://prod.my.salesforce.com")
    }

    @Test func trailingCommentsAndBlanksAreOneStatement() throws {
        let store = try home()
        let result = try store.localQuery("SELECT 1 AS one; -- done\n /* really */  ", views: views(), limit: 10).result
        #expect(result.rows == [[.integer(1)]])
    }

    @Test func aNeverEndingQueryStopsWhenAsked() throws {
        let store = try home()
        let asked = Countdown(after: 3)
        let error = #expect(throws: StoreError.self) {
            try store.localQuery("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT COUNT(*) FROM n",
                                 views: views(), limit: 10, shouldStop: { asked.tick() })
        }
        #expect(error?.description.contains("interrupted") == true, "\(String(describing: error))")
    }
}
