public import Foundation
import GRDB

/// One relationship-marketing contact as the contact pull stored it: the mapped
/// contact (the same JSON `preview contact --json` prints) and a few columns to
/// list and find it by.
public struct LevitateContactRow: Sendable, Equatable {
    public var org: String
    /// The Salesforce Contact Id.
    public var id: String
    /// "First Last" as shown.
    public var name: String
    public var company: String?
    /// "Salesforce: <User Name>".
    public var owner: String?
    public var archived: Bool
    public var systemModstamp: String
    /// The mapped contact with its trace (JSON).
    public var body: String
    public var syncedAt: Date
    public var runID: Int64?

    public init(org: String, id: String, name: String, company: String?, owner: String?, archived: Bool,
                systemModstamp: String, body: String, syncedAt: Date, runID: Int64?) {
        self.org = org
        self.id = id
        self.name = name
        self.company = company
        self.owner = owner
        self.archived = archived
        self.systemModstamp = systemModstamp
        self.body = body
        self.syncedAt = syncedAt
        self.runID = runID
    }

    init(row: Row) {
        org = row["org"]
        id = row["id"]
        name = row["name"]
        company = row["company"]
        owner = row["owner"]
        archived = row["archived"]
        systemModstamp = row["system_modstamp"]
        body = row["body"]
        syncedAt = Date(timeIntervalSince1970: row["synced_at"])
        runID = row["run_id"]
    }
}

/// A local activity (note, email, call, card, text) on a local contact, and its write-back.
public struct ActivityRecord: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        /// Waiting for a write-back.
        case pending
        /// Created in Salesforce as the Note `noteID`.
        case written
        /// Salesforce refused it (the reason says why); tried again by the next write-back.
        case failed
    }

    public var id: Int64
    public var org: String
    public var contactID: String
    public var kind: String
    public var subject: String?
    public var text: String
    public var createdAt: Date
    public var state: State
    public var noteID: String?
    public var errorCode: String?
    public var reason: String?
    public var runID: Int64?
    public var writtenAt: Date?
    public var intentRun: Int64?
    public var intentAt: Date?

    init(row: Row) {
        id = row["id"]
        org = row["org"]
        contactID = row["contact_id"]
        kind = row["kind"]
        subject = row["subject"]
        text = row["text"]
        createdAt = Date(timeIntervalSince1970: row["created_at"])
        state = State(rawValue: row["state"]) ?? .pending
        noteID = row["note_id"]
        errorCode = row["error_code"]
        reason = row["reason"]
        runID = row["run_id"]
        writtenAt = (row["written_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        intentRun = row["intent_run"]
        intentAt = (row["intent_at"] as Double?).map(Date.init(timeIntervalSince1970:))
    }
}

extension Store {
    public func levitateContact(org: String, id: String) throws(StoreError) -> LevitateContactRow? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM levitate_contact WHERE org = ? AND id = ?", arguments: [org, id])
                .map(LevitateContactRow.init(row:))
        }
    }

    /// Contacts whose name, company, owner or id contains `pattern` (case-insensitive; nil: all), by name.
    public func levitateContacts(org: String, pattern: String?, limit: Int) throws(StoreError) -> [LevitateContactRow] {
        try read { db in
            var sql = "SELECT * FROM levitate_contact WHERE org = ?"
            var arguments: [any DatabaseValueConvertible] = [org]
            if let pattern {
                let like = "%" + pattern.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_") + "%"
                sql += " AND (name LIKE ? ESCAPE '\\' OR company LIKE ? ESCAPE '\\' OR owner LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')"
                arguments += [like, like, like, like, like]
            }
            sql += " ORDER BY name COLLATE NOCASE, id LIMIT ?"
            arguments.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(LevitateContactRow.init(row:))
        }
    }

    /// Contacts whose shown name is `name` (case-insensitive).
    public func levitateContacts(org: String, named name: String) throws(StoreError) -> [LevitateContactRow] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM levitate_contact WHERE org = ? AND name = ? COLLATE NOCASE ORDER BY id",
                             arguments: [org, name]).map(LevitateContactRow.init(row:))
        }
    }

    /// The Ids of the contacts not archived.
    public func liveLevitateContactIDs(org: String) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT id FROM levitate_contact WHERE org = ? AND archived = 0 ORDER BY id", arguments: [org])
        }
    }

    /// How many local contacts are not archived.
    public func liveLevitateContactCount(org: String) throws(StoreError) -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM levitate_contact WHERE org = ? AND archived = 0", arguments: [org]) ?? 0
        }
    }

    public func levitateContactCount(org: String) throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM levitate_contact WHERE org = ?", arguments: [org]) ?? 0 }
    }

    /// Records a local activity; returns its id.
    public func addActivity(org: String, contactID: String, kind: String, subject: String?, text: String,
                            at date: Date) throws(StoreError) -> Int64 {
        try write { db in
            try db.execute(sql: """
                INSERT INTO activity (org, contact_id, kind, subject, text, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [org, contactID, kind, subject, text, date.timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    public func activity(_ id: Int64) throws(StoreError) -> ActivityRecord? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM activity WHERE id = ?", arguments: [id]).map(ActivityRecord.init(row:)) }
    }

    /// The activities of `org` in `states` (nil: all), oldest first.
    public func activities(org: String, states: [ActivityRecord.State]? = nil, limit: Int = Int.max) throws(StoreError) -> [ActivityRecord] {
        try read { db in
            var sql = "SELECT * FROM activity WHERE org = ?"
            var arguments: [any DatabaseValueConvertible] = [org]
            if let states {
                sql += " AND state IN (\(Array(repeating: "?", count: max(states.count, 1)).joined(separator: ", ")))"
                arguments += states.isEmpty ? ["-"] : states.map(\.rawValue)
            }
            sql += " ORDER BY id LIMIT ?"
            arguments.append(min(limit, Int(Int64.max)))
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(ActivityRecord.init(row:))
        }
    }

    /// The Note ids already recorded for activities of `org` (a reconcile must not claim them twice).
    public func writtenNoteIDs(org: String) throws(StoreError) -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db, sql: "SELECT note_id FROM activity WHERE org = ? AND note_id IS NOT NULL", arguments: [org]))
        }
    }
}

extension StoreTransaction {
    public func levitateContact(org: String, id: String) throws -> LevitateContactRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM levitate_contact WHERE org = ? AND id = ?", arguments: [org, id])
            .map(LevitateContactRow.init(row:))
    }

    /// Stores a pulled contact; returns whether it is new.
    @discardableResult
    public func upsertLevitateContact(_ row: LevitateContactRow, pass: Int64) throws -> Bool {
        let existed = try Bool.fetchOne(db, sql: "SELECT 1 FROM levitate_contact WHERE org = ? AND id = ?",
                                        arguments: [row.org, row.id]) ?? false
        try db.execute(sql: """
            INSERT INTO levitate_contact (org, id, name, company, owner, archived, system_modstamp, body, synced_at, run_id, seen_run)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(org, id) DO UPDATE SET name = excluded.name, company = excluded.company, owner = excluded.owner,
                archived = excluded.archived, system_modstamp = excluded.system_modstamp, body = excluded.body,
                synced_at = excluded.synced_at, run_id = excluded.run_id, seen_run = excluded.seen_run
            """, arguments: [row.org, row.id, row.name, row.company, row.owner, row.archived, row.systemModstamp, row.body,
                             row.syncedAt.timeIntervalSince1970, row.runID, pass])
        return !existed
    }

    /// Removes a contact; returns whether there was one.
    @discardableResult
    public func removeLevitateContact(org: String, id: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM levitate_contact WHERE org = ? AND id = ?", arguments: [org, id])
        return db.changesCount > 0
    }

    /// Archives a contact deleted in Salesforce; returns whether it was not archived before.
    @discardableResult
    public func archiveLevitateContact(org: String, id: String, run: Int64, at date: Date) throws -> Bool {
        try db.execute(sql: """
            UPDATE levitate_contact SET archived = 1, run_id = ?, synced_at = ? WHERE org = ? AND id = ? AND archived = 0
            """, arguments: [run, date.timeIntervalSince1970, org, id])
        return db.changesCount > 0
    }

    /// Archives every contact a full pass did not see (deleted, or no longer visible to the user); returns how many.
    public func archiveUnseenLevitateContacts(org: String, run: Int64, pass: Int64, at date: Date) throws -> Int {
        try db.execute(sql: """
            UPDATE levitate_contact SET archived = 1, run_id = ?, synced_at = ?
            WHERE org = ? AND archived = 0 AND (seen_run IS NULL OR seen_run != ?)
            """, arguments: [run, date.timeIntervalSince1970, org, pass])
        return db.changesCount
    }

    public func saveActivity(_ activity: ActivityRecord) throws {
        try db.execute(sql: """
            UPDATE activity SET state = ?, note_id = ?, error_code = ?, reason = ?, run_id = ?, written_at = ?,
                intent_run = ?, intent_at = ? WHERE id = ?
            """, arguments: [activity.state.rawValue, activity.noteID, activity.errorCode, activity.reason, activity.runID,
                             activity.writtenAt?.timeIntervalSince1970, activity.intentRun,
                             activity.intentAt?.timeIntervalSince1970, activity.id])
    }
}
