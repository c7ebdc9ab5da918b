import Foundation
import GRDB
import JSON

// The table local_record: the org's records as kept locally.

// MARK: - Local records

/// One record of the org as kept locally: its fields as a JSON object.
public struct LocalRecord: Sendable, Equatable {
    public var object: String
    public var id: String
    public var systemModstamp: String
    public var isDeleted: Bool
    public var accountID: String?
    public var body: String

    public init(object: String, id: String, systemModstamp: String, isDeleted: Bool = false, accountID: String?,
                body: String) {
        self.object = object
        self.id = id
        self.systemModstamp = systemModstamp
        self.isDeleted = isDeleted
        self.accountID = accountID
        self.body = body
    }

    init(row: Row) {
        object = row["object"]
        id = row["id"]
        systemModstamp = row["system_modstamp"]
        isDeleted = row["is_deleted"]
        accountID = row["account_id"]
        body = row["body"]
    }
}

/// What storing a page changed.
public struct UpsertCounts: Sendable, Equatable {
    public var created = 0
    public var updated = 0
    /// Read again with nothing changed (the same SystemModstamp).
    public var unchanged = 0
}

/// Per object: live and deleted local records.
public struct LocalObjectCounts: Sendable, Equatable {
    public var records: Int
    public var deleted: Int

    public init(records: Int, deleted: Int) {
        self.records = records
        self.deleted = deleted
    }
}

extension StoreTransaction {
    /// Stores records read from the org: new ones are created, changed ones
    /// (another SystemModstamp, or deleted before) replaced.
    /// `fresh`: the object had no stored record when the pass began, so each record is first simply inserted (one
    /// statement, not a lookup and a write); one already there (read twice) goes the usual way. Only the speed depends
    /// on it.
    public func upsert(_ records: [LocalRecord], org: String, run: Int64, pass: Int64, fresh: Bool = false) throws -> UpsertCounts {
        var counts = UpsertCounts()
        if fresh {
            let insert = try DirectInsert(db, sql: """
                INSERT INTO local_record (org, object, id, system_modstamp, is_deleted, account_id, body, run_id, seen_run)
                VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8) ON CONFLICT(org, object, id) DO NOTHING
                """)
            var rest: [LocalRecord] = []
            for record in records {
                let changed = try insert.run(texts: [org, record.object, record.id, record.systemModstamp, record.accountID,
                                                     record.body], integers: [run, pass])
                if changed == 1 { counts.created += 1 } else { rest.append(record) }
            }
            guard !rest.isEmpty else { return counts }
            let others = try upsert(rest, org: org, run: run, pass: pass)
            counts.created += others.created
            counts.updated += others.updated
            counts.unchanged += others.unchanged
            return counts
        }
        let select = try db.cachedStatement(sql: """
            SELECT system_modstamp, is_deleted FROM local_record WHERE org = ? AND object = ? AND id = ?
            """)
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO local_record (org, object, id, system_modstamp, is_deleted, account_id, body, run_id, seen_run)
            VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)
            ON CONFLICT(org, object, id) DO UPDATE SET system_modstamp = excluded.system_modstamp, is_deleted = 0,
                account_id = excluded.account_id, body = excluded.body, run_id = excluded.run_id,
                seen_run = excluded.seen_run
            """)
        let touch = try db.cachedStatement(sql: "UPDATE local_record SET seen_run = ? WHERE org = ? AND object = ? AND id = ?")
        for record in records {
            let existing = try Row.fetchOne(select, arguments: [org, record.object, record.id])
            if let existing, (existing["system_modstamp"] as String) == record.systemModstamp,
               !(existing["is_deleted"] as Bool) {
                counts.unchanged += 1
                try touch.execute(arguments: [pass, org, record.object, record.id])
                continue
            }
            if existing == nil { counts.created += 1 } else { counts.updated += 1 }
            try upsert.execute(arguments: [org, record.object, record.id, record.systemModstamp, record.accountID,
                                           record.body, run, pass])
        }
        return counts
    }

    /// Marks local records deleted (kept, not dropped); returns how many were live.
    /// Sets fields in the bodies of stored records (a back-fill of fields added to the describe): each value is JSON
    /// text; records not stored are left alone. Returns how many records changed.
    public func mergeFields(_ values: [(id: String, fields: [(String, String)])], object: String, org: String) throws -> Int {
        var changed = 0
        for (id, fields) in values where !fields.isEmpty {
            let paths = fields.map { _ in "?, json(?)" }.joined(separator: ", ")
            var arguments: [any DatabaseValueConvertible] = []
            for (name, json) in fields {
                arguments.append("$.\"" + name.replacingOccurrences(of: "\"", with: "") + "\"")
                arguments.append(json)
            }
            arguments += [org, object, id]
            try db.execute(sql: "UPDATE local_record SET body = json_set(body, \(paths)) WHERE org = ? AND object = ? AND id = ?",
                           arguments: StatementArguments(arguments))
            changed += db.changesCount
        }
        return changed
    }

    public func markDeleted(_ ids: [(id: String, stamp: String)], object: String, org: String, run: Int64) throws -> Int {
        var count = 0
        let statement = try db.cachedStatement(sql: """
            UPDATE local_record SET is_deleted = 1, system_modstamp = ?, run_id = ?
            WHERE org = ? AND object = ? AND id = ? AND is_deleted = 0
            """)
        for (id, stamp) in ids {
            try statement.execute(arguments: [stamp, run, org, object, id])
            count += db.changesCount
        }
        return count
    }

    /// After a reconcile pass listed every Id the org has: the stored records of `ids` are gone (purged from the
    /// Recycle Bin, or no longer visible), so they are marked deleted (their stamp kept, as a full pass does).
    public func markGone(_ ids: [String], object: String, org: String, run: Int64) throws -> Int {
        var count = 0
        let statement = try db.cachedStatement(sql: """
            UPDATE local_record SET is_deleted = 1, run_id = ? WHERE org = ? AND object = ? AND id = ? AND is_deleted = 0
            """)
        for id in ids {
            try statement.execute(arguments: [run, org, object, id])
            count += db.changesCount
        }
        return count
    }

    /// After a full pass: records it did not see are gone from the org (purged
    /// from the recycle bin, or no longer visible), so they are marked deleted.
    public func markUnseenDeleted(object: String, org: String, run: Int64, pass: Int64) throws -> Int {
        try db.execute(sql: """
            UPDATE local_record SET is_deleted = 1, run_id = ?
            WHERE org = ? AND object = ? AND is_deleted = 0 AND (seen_run IS NULL OR seen_run != ?)
            """, arguments: [run, org, object, pass])
        return db.changesCount
    }
}

extension Store {
    public func localRecord(org: String, object: String, id: String) throws(StoreError) -> LocalRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM local_record WHERE org = ? AND object = ? AND id = ?",
                             arguments: [org, object, id]).map(LocalRecord.init)
        }
    }

    /// A record by id, whatever its object.
    public func localRecord(org: String, id: String) throws(StoreError) -> LocalRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM local_record WHERE org = ? AND id = ?", arguments: [org, id])
                .map(LocalRecord.init)
        }
    }

    /// Live records of one object whose account is `accountID`.
    public func localRecords(org: String, object: String, accountID: String) throws(StoreError) -> [LocalRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM local_record WHERE org = ? AND account_id = ? AND object = ? AND is_deleted = 0 ORDER BY id
                """, arguments: [org, accountID, object]).map(LocalRecord.init)
        }
    }

    public func localCounts(org: String) throws(StoreError) -> [String: LocalObjectCounts] {
        try read { db in
            var counts: [String: LocalObjectCounts] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT object, SUM(is_deleted = 0) AS live, SUM(is_deleted = 1) AS gone FROM local_record
                WHERE org = ? GROUP BY object
                """, arguments: [org]) {
                counts[row["object"]] = LocalObjectCounts(records: row["live"] ?? 0, deleted: row["gone"] ?? 0)
            }
            return counts
        }
    }

    /// Whether any record of the object is stored (live or deleted).
    public func hasLocalRecords(org: String, object: String) throws(StoreError) -> Bool {
        try read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM local_record WHERE org = ? AND object = ?)", arguments: [org, object])
                ?? false
        }
    }

    /// How many live records of the object are stored.
    public func liveRecordCount(org: String, object: String) throws(StoreError) -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM local_record WHERE org = ? AND object = ? AND is_deleted = 0",
                             arguments: [org, object]) ?? 0
        }
    }

    /// The Ids of the live stored records of an object.
    public func liveIDs(org: String, object: String) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT id FROM local_record WHERE org = ? AND object = ? AND is_deleted = 0 ORDER BY id",
                                arguments: [org, object])
        }
    }

    /// The bodies of the stored records of `ids` (those stored), by id.
    public func localBodies(org: String, object: String, ids: [String]) throws(StoreError) -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        return try read { db in
            var bodies: [String: String] = [:]
            for start in stride(from: 0, to: ids.count, by: 500) {
                let slice = Array(ids[start..<min(start + 500, ids.count)])
                let rows = try Row.fetchAll(db, sql: """
                    SELECT id, body FROM local_record WHERE org = ? AND object = ? AND is_deleted = 0
                    AND id IN (\(Array(repeating: "?", count: slice.count).joined(separator: ", ")))
                    """, arguments: StatementArguments([org, object] + slice))
                for row in rows { bodies[row["id"]] = row["body"] }
            }
            return bodies
        }
    }

    /// Every live local record of an object, as (id, SystemModstamp, body), by id.
    public func localRecords(org: String, object: String) throws(StoreError) -> [LocalRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM local_record WHERE org = ? AND object = ? AND is_deleted = 0 ORDER BY id
                """, arguments: [org, object]).map(LocalRecord.init)
        }
    }
}
