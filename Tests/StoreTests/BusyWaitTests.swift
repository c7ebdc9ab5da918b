import Foundation
import GRDB
import Testing
@testable import Store

/// Issue 18 §7: a write waits out another process's write (with a bound and a word) instead of failing.
@Suite struct BusyWaitTests {
    final class Notices: @unchecked Sendable {
        private let lock = NSLock()
        private var texts: [String] = []
        func add(_ text: String) { lock.withLock { texts.append(text) } }
        var all: [String] { lock.withLock { texts } }
    }

    @Test func aWriteWaitsForAnotherProcesssWriteAndSaysSo() throws {
        let home = SfshHome(path: NSTemporaryDirectory() + "sfsh-busy-" + UUID().uuidString)
        let holder = try Store(home: home)
        let waiter = try Store(home: home)
        let notices = Notices()
        waiter.onBusy { notices.add($0) }
        let holding = DispatchSemaphore(value: 0)
        let thread = Thread {
            _ = try? holder.transaction { tx in
                try tx.db.execute(sql: "INSERT INTO setting (scope, key, value) VALUES ('', 'held', 'yes')")
                holding.signal()
                Thread.sleep(forTimeInterval: 2.5)
            }
        }
        thread.start()
        holding.wait()
        let started = Date()
        try waiter.setSetting("format", to: "json", scope: "")
        #expect(Date().timeIntervalSince(started) >= 2)
        #expect(try waiter.setting("format", scope: "") == "json")
        #expect(notices.all.count == 1 && notices.all.first?.contains("another sfsh process is writing") == true)
    }

    @Test func theWaitIsBounded() throws {
        let home = SfshHome(path: NSTemporaryDirectory() + "sfsh-busy-" + UUID().uuidString)
        let holder = try Store(home: home)
        let waiter = try Store(home: home, busyTimeout: 0.3)
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        Thread {
            _ = try? holder.transaction { tx in
                try tx.db.execute(sql: "INSERT INTO setting (scope, key, value) VALUES ('', 'held', 'yes')")
                holding.signal()
                release.wait()
            }
        }.start()
        holding.wait()
        defer { release.signal() }
        let error = #expect(throws: StoreError.self) { try waiter.setSetting("format", to: "csv", scope: "") }
        // Decided by SQLite's code, not by the words: SQLITE_BUSY, with the statement that waited.
        #expect(error?.isBusy == true, "\(String(describing: error))")
        if case let .sqlite(code, _, _, sql)? = error {
            #expect(code == 5 && sql == "BEGIN IMMEDIATE TRANSACTION", "\(sql ?? "")")  // the write lock is taken first
        }
    }

    /// Issue 19: a SQLite failure keeps its result codes and its SQL, as GRDB's DatabaseError does.
    @Test func aSQLiteFailureKeepsItsCodesAndStatement() throws {
        let store = try Store(home: SfshHome(path: NSTemporaryDirectory() + "sfsh-busy-" + UUID().uuidString))
        let error = #expect(throws: StoreError.self) {
            try store.transaction { tx in
                try tx.db.execute(sql: "INSERT INTO setting (scope, key, value) VALUES (?, ?, ?)", arguments: ["", "k", nil as String?])
            }
        }
        guard case let .sqlite(code, extended, message, sql)? = error else {
            Issue.record("not a SQLite failure: \(String(describing: error))")
            return
        }
        #expect(code == 19 && extended == 1299, "\(extended)")  // SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_NOTNULL
        #expect(message.contains("NOT NULL") && sql?.hasPrefix("INSERT INTO setting") == true)
        #expect(error?.isBusy == false)
    }

    @Test func profilesGoInInShortTransactions() throws {
        let store = try Store(home: SfshHome(path: NSTemporaryDirectory() + "sfsh-busy-" + UUID().uuidString))
        let rows = (0..<(Store.profileBatch * 2 + 7)).map { Store.ProfileRow(id: "p\($0)", body: "{}", audiences: ["a"]) }
        #expect(try store.upsertProfiles(rows, at: Date()) == rows.count)
        #expect(try store.upsertProfiles(Array(rows.prefix(10)), at: Date()) == 0)
    }
}
