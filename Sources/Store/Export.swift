public import Foundation
import GRDB

/// Where one profile's export stands in one org: the Lead it goes to, the hash of
/// the payload last written there, how its last run ended, and a create sent
/// but not yet settled (the intent: recorded before the create goes out,
/// cleared in the transaction that records its answer).
public struct ExportProfileState: Sendable, Equatable {
    public var org: String
    public var profileID: String
    public var leadID: String?
    /// The email the profile was last looked up or exported with (lower-cased).
    public var email: String?
    public var payloadHash: String?
    /// created, updated, unchanged, skipped, failed or parked (failed `lytics.max_attempts` times in a row:
    /// not sent again until `exports retry`).
    public var outcome: String?
    /// Failed writes in a row (0 after a success).
    public var attempts = 0
    /// The skip reason or Salesforce's message.
    public var reason: String?
    /// Salesforce's `statusCode`/`errorCode` of a failure.
    public var errorCode: String?
    public var runID: Int64?
    public var at: Date?
    public var intentRun: Int64?
    public var intentAt: Date?
    public var intentEmail: String?
    public var intentHash: String?
    /// The Bulk API 2.0 ingest job carrying this profile's write (its intent is settled from the job's results).
    public var bulkJob: Int64?

    public init(org: String, profileID: String) {
        self.org = org
        self.profileID = profileID
    }

    init(row: Row) {
        org = row["org"]
        profileID = row["profile_id"]
        leadID = row["lead_id"]
        email = row["email"]
        payloadHash = row["payload_hash"]
        outcome = row["outcome"]
        reason = row["reason"]
        errorCode = row["error_code"]
        runID = row["run_id"]
        at = (row["at"] as Double?).map(Date.init(timeIntervalSince1970:))
        intentRun = row["intent_run"]
        intentAt = (row["intent_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        intentEmail = row["intent_email"]
        intentHash = row["intent_hash"]
        attempts = row["attempts"] ?? 0
        bulkJob = row["bulk_job"]
    }

    /// Whether a create was sent for it and its answer never recorded.
    public var isUnsettled: Bool { intentRun != nil }

    public var isParked: Bool { outcome == Self.parked }
    public static let parked = "parked"
}

extension Store {
    /// Every profile's export state in `org`, by profile id.
    public func exportStates(org: String) throws(StoreError) -> [String: ExportProfileState] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM export_profile WHERE org = ?", arguments: [org])
            return Dictionary(rows.map { ExportProfileState(row: $0) }.map { ($0.profileID, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// The export states of some profiles, by profile id.
    public func exportStates(org: String, profileIDs: [String]) throws(StoreError) -> [String: ExportProfileState] {
        try read { db in
            var states: [String: ExportProfileState] = [:]
            // In slices: SQLite's limit on bound variables.
            for start in stride(from: 0, to: profileIDs.count, by: 500) {
                let slice = Array(profileIDs[start..<min(start + 500, profileIDs.count)])
                let marks = Array(repeating: "?", count: slice.count).joined(separator: ", ")
                for row in try Row.fetchAll(db, sql: "SELECT * FROM export_profile WHERE org = ? AND profile_id IN (\(marks))",
                                            arguments: StatementArguments([org] + slice)) {
                    let state = ExportProfileState(row: row)
                    states[state.profileID] = state
                }
            }
            return states
        }
    }

    public func exportState(org: String, profileID: String) throws(StoreError) -> ExportProfileState? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM export_profile WHERE org = ? AND profile_id = ?", arguments: [org, profileID])
                .map(ExportProfileState.init(row:))
        }
    }

    /// The REST creates of `org` sent but not settled (a run was killed or lost the answer); those a Bulk job
    /// carries are settled from its results.
    public func unsettledExports(org: String) throws(StoreError) -> [ExportProfileState] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM export_profile WHERE org = ? AND intent_run IS NOT NULL AND bulk_job IS NULL ORDER BY profile_id
                """,
                             arguments: [org]).map(ExportProfileState.init(row:))
        }
    }

    /// Export states filtered by outcome (nil: all), profile id order, at most `limit`.
    public func exportStates(org: String, outcomes: [String]?, limit: Int) throws(StoreError) -> [ExportProfileState] {
        try read { db in
            var sql = "SELECT * FROM export_profile WHERE org = ?"
            var arguments: [any DatabaseValueConvertible] = [org]
            if let outcomes, !outcomes.isEmpty {
                sql += " AND outcome IN (\(Array(repeating: "?", count: outcomes.count).joined(separator: ", ")))"
                arguments += outcomes as [any DatabaseValueConvertible]
            }
            sql += " ORDER BY profile_id LIMIT ?"
            arguments.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(ExportProfileState.init(row:))
        }
    }
}

extension Store {
    /// Parked profiles of `org` (these ids, or all with nil) become failed with no attempts: the next export sends
    /// them again. Returns the ids released.
    public func retryParked(org: String, profileIDs: [String]?) throws(StoreError) -> [String] {
        try write { db in
            var sql = "SELECT profile_id FROM export_profile WHERE org = ? AND outcome = ?"
            var arguments: [any DatabaseValueConvertible] = [org, ExportProfileState.parked]
            if let profileIDs {
                sql += " AND profile_id IN (\(Array(repeating: "?", count: profileIDs.count).joined(separator: ", ")))"
                arguments += profileIDs as [any DatabaseValueConvertible]
            }
            let ids = try String.fetchAll(db, sql: sql + " ORDER BY profile_id", arguments: StatementArguments(arguments))
            for id in ids {
                try db.execute(sql: "UPDATE export_profile SET outcome = 'failed', attempts = 0 WHERE org = ? AND profile_id = ?",
                                  arguments: [org, id])
            }
            return ids
        }
    }
}

extension StoreTransaction {
    public func saveExportState(_ state: ExportProfileState) throws {
        try db.execute(sql: """
            INSERT INTO export_profile (org, profile_id, lead_id, email, payload_hash, outcome, reason, error_code, run_id, at,
                                        intent_run, intent_at, intent_email, intent_hash, attempts, bulk_job)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(org, profile_id) DO UPDATE SET lead_id = excluded.lead_id, email = excluded.email,
                payload_hash = excluded.payload_hash, outcome = excluded.outcome, reason = excluded.reason,
                error_code = excluded.error_code, run_id = excluded.run_id, at = excluded.at,
                intent_run = excluded.intent_run, intent_at = excluded.intent_at, intent_email = excluded.intent_email,
                intent_hash = excluded.intent_hash, attempts = excluded.attempts, bulk_job = excluded.bulk_job
            """, arguments: [state.org, state.profileID, state.leadID, state.email, state.payloadHash, state.outcome,
                             state.reason, state.errorCode, state.runID, state.at?.timeIntervalSince1970, state.intentRun,
                             state.intentAt?.timeIntervalSince1970, state.intentEmail, state.intentHash, state.attempts,
                             state.bulkJob])
    }
}
