public import Foundation
import GRDB

/// Local profiles (stored as their JSON import line) and their audiences.
extension Store {
    public struct ProfileRow: Sendable, Equatable {
        public let id: String
        public let body: String
        public let audiences: [String]

        public init(id: String, body: String, audiences: [String]) {
            self.id = id
            self.body = body
            self.audiences = audiences
        }
    }

    /// Rows per transaction: each commits in tens of milliseconds, so another process (a `set`, a running job)
    /// never waits long for the write lock while a large file goes in. A run cut short is finished by running
    /// it again (rows are upserted by id).
    public static let profileBatch = 2_000

    /// Upserts profiles, `profileBatch` rows a transaction; returns how many were new.
    @discardableResult
    public func upsertProfiles(_ rows: [ProfileRow], at date: Date) throws(StoreError) -> Int {
        var created = 0
        for start in stride(from: 0, to: rows.count, by: Self.profileBatch) {
            let batch = rows[start..<min(start + Self.profileBatch, rows.count)]
            created += try write { db in
                var created = 0
                for row in batch {
                    let existed = try Bool.fetchOne(db, sql: "SELECT 1 FROM profile WHERE id = ?", arguments: [row.id]) ?? false
                    if !existed { created += 1 }
                    try db.execute(sql: """
                        INSERT INTO profile (id, body, imported_at) VALUES (?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET body = excluded.body, imported_at = excluded.imported_at
                        """, arguments: [row.id, row.body, date.timeIntervalSince1970])
                    try db.execute(sql: "DELETE FROM profile_audience WHERE profile_id = ?", arguments: [row.id])
                    for audience in Set(row.audiences) {
                        try db.execute(sql: "INSERT INTO profile_audience (profile_id, audience) VALUES (?, ?)",
                                       arguments: [row.id, audience])
                    }
                }
                return created
            }
        }
        return created
    }

    public func profileBody(id: String) throws(StoreError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT body FROM profile WHERE id = ?", arguments: [id]) }
    }

    /// The bodies of the profiles in any of `audiences`, each once.
    public func profileBodies(inAny audiences: [String]) throws(StoreError) -> [String] {
        guard !audiences.isEmpty else { return [] }
        return try read { db in
            let marks = Array(repeating: "?", count: audiences.count).joined(separator: ", ")
            return try String.fetchAll(db, sql: """
                SELECT body FROM profile WHERE id IN (SELECT profile_id FROM profile_audience WHERE audience IN (\(marks)))
                ORDER BY id
                """, arguments: StatementArguments(audiences))
        }
    }

    /// Up to `limit` bodies of the profiles in any of `audiences` with an id after `after`, in id order (a page).
    public func profileBodies(inAny audiences: [String], after: String?, limit: Int) throws(StoreError) -> [String] {
        guard !audiences.isEmpty else { return [] }
        return try read { db in
            let marks = Array(repeating: "?", count: audiences.count).joined(separator: ", ")
            return try String.fetchAll(db, sql: """
                SELECT body FROM profile
                WHERE id IN (SELECT profile_id FROM profile_audience WHERE audience IN (\(marks))) AND id > ?
                ORDER BY id LIMIT ?
                """, arguments: StatementArguments(audiences) + [after ?? "", limit])
        }
    }

    /// How many profiles are in any of `audiences` (each once).
    public func profileCount(inAny audiences: [String]) throws(StoreError) -> Int {
        guard !audiences.isEmpty else { return 0 }
        return try read { db in
            let marks = Array(repeating: "?", count: audiences.count).joined(separator: ", ")
            return try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT profile_id) FROM profile_audience WHERE audience IN (\(marks))",
                                    arguments: StatementArguments(audiences)) ?? 0
        }
    }

    public func profileCount() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM profile") ?? 0 }
    }

    /// Every audience with its member count, largest first.
    public func audienceCounts() throws(StoreError) -> [(audience: String, members: Int)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT audience, COUNT(*) AS members FROM profile_audience GROUP BY audience ORDER BY members DESC, audience
                """).map { ($0["audience"], $0["members"]) }
        }
    }

    /// The Lead an earlier export created or updated for a profile, per org.
    public func exportedLead(org: String, profileID: String) throws(StoreError) -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT lead_id FROM export_profile WHERE org = ? AND profile_id = ?",
                                arguments: [org, profileID])
        }
    }

    public func rememberExportedLead(org: String, profileID: String, leadID: String) throws(StoreError) {
        try write { db in
            try db.execute(sql: """
                INSERT INTO export_profile (org, profile_id, lead_id) VALUES (?, ?, ?)
                ON CONFLICT(org, profile_id) DO UPDATE SET lead_id = excluded.lead_id
                """, arguments: [org, profileID, leadID])
        }
    }

    /// Settings of a scope whose keys start with `prefix` (the owner map).
    public func settings(scope: String, prefix: String) throws(StoreError) -> [(String, String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT key, value FROM setting WHERE scope = ? AND substr(key, 1, ?) = ? ORDER BY key",
                             arguments: [scope, prefix.count, prefix]).map { ($0["key"], $0["value"]) }
        }
    }
}
