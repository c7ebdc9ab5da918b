import Foundation
import GRDB
import Testing
@testable import Store

/// Issue 25: a fresh object's records are inserted through SQLite's C interface (`DirectInsert`); what is stored is
/// exactly what the usual upsert stores, value by value, NULL, empty text and non-ASCII included.
@Suite struct FreshInsertTests {
    static let records: [LocalRecord] = [
        LocalRecord(object: "Contact", id: "003A", systemModstamp: "2026-01-01T00:00:00.000+0000", accountID: "001A",
                    body: #"{"Id":"003A","LastName":"Ōtani 大谷 🎌"}"#),
        LocalRecord(object: "Contact", id: "003B", systemModstamp: "2026-01-02T00:00:00.000+0000", accountID: nil,
                    body: #"{"Id":"003B"}"#),
        LocalRecord(object: "Contact", id: "003C", systemModstamp: "", accountID: "", body: ""),
        LocalRecord(object: "Lead", id: "00QA", systemModstamp: "2026-01-03T00:00:00.000+0000", accountID: nil,
                    body: String(repeating: "x", count: 100_000)),
    ]

    func stored(fresh: Bool) throws -> (UpsertCounts, [[DatabaseValue]]) {
        let store = try Store(home: SfshHome(path: NSTemporaryDirectory() + "sfsh-fresh-" + UUID().uuidString))
        let counts = try store.transaction { tx in
            // The second copy of 003A (read twice in one pass) is not inserted again: it goes the usual way.
            try tx.upsert(Self.records + [Self.records[0]], org: "demo", run: 7, pass: 9, fresh: fresh)
        }
        let rows = try store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT org, object, id, system_modstamp, is_deleted, account_id, body, run_id, seen_run FROM local_record
                ORDER BY object, id
                """).map { Array($0.databaseValues) }
        }
        return (counts, rows)
    }

    @Test func freshInsertsStoreWhatTheUpsertStores() throws {
        let (freshCounts, freshRows) = try stored(fresh: true)
        let (usualCounts, usualRows) = try stored(fresh: false)
        #expect(freshRows == usualRows)
        #expect(freshCounts == UpsertCounts(created: 4, updated: 0, unchanged: 1))
        #expect(usualCounts == freshCounts)
        #expect(freshRows[1][5] == .null)  // no account: NULL, not ''
        #expect(freshRows[2][5] == "".databaseValue && freshRows[2][6] == "".databaseValue)
        #expect(freshRows[0][6] == Self.records[0].body.databaseValue)
        #expect(freshRows.map { $0[7] } == Array(repeating: 7.databaseValue, count: 4))
    }

    /// A failing insert says why (SQLite's message) and leaves the statement usable.
    @Test func aFailingInsertSaysWhy() throws {
        let store = try Store(home: SfshHome(path: NSTemporaryDirectory() + "sfsh-fresh-" + UUID().uuidString))
        try store.write { db in try db.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON local_record WHEN NEW.id = '003B' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END") }
        let error = #expect(throws: StoreError.self) {
            try store.transaction { tx in try tx.upsert(Self.records, org: "demo", run: 1, pass: 1, fresh: true) }
        }
        #expect(error?.description.contains("refused by the test") == true)
        #expect(try store.liveRecordCount(org: "demo", object: "Contact") == 0)  // the transaction rolled back
        try store.write { db in try db.execute(sql: "DROP TRIGGER refuse") }
        let counts = try store.transaction { tx in try tx.upsert(Self.records, org: "demo", run: 1, pass: 1, fresh: true) }
        #expect(counts.created == 4)
    }
}
