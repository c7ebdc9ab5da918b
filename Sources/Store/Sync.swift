import Foundation
import GRDB
import JSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The tables the sync engine keeps: jobs (pauses), runs with their counts,
// per-object import state (watermarks and in-run cursors) and the local
// records. Everything a page changes commits in one `transaction`.

/// A write transaction handed to `Store.transaction`: what a page of a sync
/// changes (records, counts, cursor) is written through one of these, so it
/// commits together or not at all.
public struct StoreTransaction {
    let db: Database
}

extension Store {
    /// Runs `body` in one write transaction. A thrown error rolls everything back;
    /// database errors come out as `StoreError`, the body's own errors as thrown.
    public func transaction<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        do {
            return try pool.write { db in try body(StoreTransaction(db: db)) }
        } catch let error as DatabaseError {
            throw StoreError.database(Self.describe(error))
        }
    }

    static func registerSyncMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4_sync") { db in
            // The budget gate counts one job's calls in a rolling window: an index, not a scan.
            try db.alter(table: "ledger") { t in t.add(column: "run_id", .integer) }
            try db.create(index: "ledger_org_source_at", on: "ledger", columns: ["org", "source", "at"])
            try db.create(index: "ledger_run", on: "ledger", columns: ["run_id"])

            try db.create(table: "sync_job") { t in
                t.column("org", .text).notNull()
                t.column("job", .text).notNull()
                t.column("paused_until", .double)
                t.column("pause_reason", .text)
                t.primaryKey(["org", "job"])
            }
            try db.create(table: "sync_run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("org", .text).notNull()
                t.column("job", .text).notNull()
                t.column("status", .text).notNull()
                t.column("full", .boolean).notNull().defaults(to: false)
                t.column("started_at", .double).notNull()
                t.column("finished_at", .double)
                t.column("pid", .integer)
                t.column("host", .text)
                t.column("resumed_from", .integer)
                t.column("read", .integer).notNull().defaults(to: 0)
                t.column("created", .integer).notNull().defaults(to: 0)
                t.column("updated", .integer).notNull().defaults(to: 0)
                t.column("deleted", .integer).notNull().defaults(to: 0)
                t.column("failed", .integer).notNull().defaults(to: 0)
                t.column("skipped", .text).notNull().defaults(to: "{}")
                t.column("planned_calls", .integer)
                t.column("message", .text)
                t.column("details", .text)
            }
            try db.create(index: "sync_run_org_job", on: "sync_run", columns: ["org", "job", "id"])
            try db.create(table: "sync_run_object") { t in
                t.column("run_id", .integer).notNull().references("sync_run", onDelete: .cascade)
                t.column("object", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("read", .integer).notNull().defaults(to: 0)
                t.column("created", .integer).notNull().defaults(to: 0)
                t.column("updated", .integer).notNull().defaults(to: 0)
                t.column("deleted", .integer).notNull().defaults(to: 0)
                t.column("total", .integer)
                t.column("planned_calls", .integer)
                t.column("calls", .integer)
                t.column("schema_changes", .text)
                t.column("done", .boolean).notNull().defaults(to: false)
                t.primaryKey(["run_id", "object"])
            }
            try db.create(table: "import_object") { t in
                t.column("org", .text).notNull()
                t.column("object", .text).notNull()
                t.column("watermark", .double)
                t.column("pass_started_at", .double)
                t.column("pass_run", .integer)
                t.column("pass_lower", .double)
                t.column("pass_full", .boolean).notNull().defaults(to: false)
                t.column("phase", .text)
                t.column("cursor_stamp", .text)
                t.column("cursor_id", .text)
                t.column("field_types", .text)
                t.column("last_run", .integer)
                t.primaryKey(["org", "object"])
            }
            try db.create(table: "local_record") { t in
                t.column("org", .text).notNull()
                t.column("object", .text).notNull()
                t.column("id", .text).notNull()
                t.column("system_modstamp", .text).notNull()
                t.column("is_deleted", .boolean).notNull().defaults(to: false)
                t.column("account_id", .text)
                t.column("body", .text).notNull()
                t.column("run_id", .integer)
                t.column("seen_run", .integer)
                t.primaryKey(["org", "object", "id"])
            }
            try db.execute(sql: """
                CREATE INDEX local_record_account ON local_record(org, account_id) WHERE account_id IS NOT NULL
                """)
        }
        migrator.registerMigration("v5_job_lease") { db in
            // One job of one org runs in one process at a time: the holder renews its lease while it runs.
            try db.create(table: "job_lease") { t in
                t.column("org", .text).notNull()
                t.column("job", .text).notNull()
                t.column("host", .text).notNull()
                t.column("pid", .integer).notNull()
                t.column("token", .text).notNull()
                t.column("acquired_at", .double).notNull()
                t.column("expires_at", .double).notNull()
                t.column("run_id", .integer)
                t.primaryKey(["org", "job"])
            }
        }
        migrator.registerMigration("v6_export_levitate") { db in
            // Counts of the export and the contact pull besides read/created/updated/deleted.
            try db.alter(table: "sync_run") { t in
                t.add(column: "unchanged", .integer).notNull().defaults(to: 0)
                t.add(column: "archived", .integer).notNull().defaults(to: 0)
                t.add(column: "removed", .integer).notNull().defaults(to: 0)
            }
            // Per profile and org: the Lead it is exported to, what was last written, how the
            // last run ended for it, and an unsettled create (intent) until its answer is recorded.
            try db.create(table: "export_profile") { t in
                t.column("org", .text).notNull()
                t.column("profile_id", .text).notNull()
                t.column("lead_id", .text)
                t.column("email", .text)
                t.column("payload_hash", .text)
                t.column("outcome", .text)
                t.column("reason", .text)
                t.column("error_code", .text)
                t.column("run_id", .integer)
                t.column("at", .double)
                t.column("intent_run", .integer)
                t.column("intent_at", .double)
                t.column("intent_email", .text)
                t.column("intent_hash", .text)
                t.primaryKey(["org", "profile_id"])
            }
            try db.execute(sql: """
                INSERT INTO export_profile (org, profile_id, lead_id) SELECT org, profile_id, lead_id FROM lead_export
                """)
            try db.drop(table: "lead_export")
            try db.execute(sql: "CREATE INDEX export_profile_intent ON export_profile(org) WHERE intent_run IS NOT NULL")

            // The relationship-marketing contacts pulled from Salesforce, as the rules mapped them.
            try db.create(table: "levitate_contact") { t in
                t.column("org", .text).notNull()
                t.column("id", .text).notNull()
                t.column("name", .text).notNull()
                t.column("company", .text)
                t.column("owner", .text)
                t.column("archived", .boolean).notNull().defaults(to: false)
                t.column("system_modstamp", .text).notNull()
                t.column("body", .text).notNull()
                t.column("synced_at", .double).notNull()
                t.column("run_id", .integer)
                t.column("seen_run", .integer)
                t.primaryKey(["org", "id"])
            }
            // Local activities and their write-back as Notes.
            try db.create(table: "activity") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("org", .text).notNull()
                t.column("contact_id", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("subject", .text)
                t.column("text", .text).notNull()
                t.column("created_at", .double).notNull()
                t.column("state", .text).notNull().defaults(to: "pending")
                t.column("note_id", .text)
                t.column("error_code", .text)
                t.column("reason", .text)
                t.column("run_id", .integer)
                t.column("written_at", .double)
                t.column("intent_run", .integer)
                t.column("intent_at", .double)
            }
            try db.create(index: "activity_org_state", on: "activity", columns: ["org", "state"])
        }
        migrator.registerMigration("v7_bulk_import") { db in
            // A pass read through a Bulk API 2.0 query job: the job and the locator of the next chunk to store.
            try db.alter(table: "import_object") { t in
                t.add(column: "bulk_job", .text)
                t.add(column: "bulk_locator", .text)
            }
            // How a run read each object (`rest` or `bulk`), and why it fell back to REST.
            try db.alter(table: "sync_run_object") { t in
                t.add(column: "method", .text)
                t.add(column: "fallback", .text)
            }
        }
    }
}

// MARK: - Ledger attribution

extension Store {
    /// How many calls a run made.
    public func callCount(run: Int64) throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger WHERE run_id = ?", arguments: [run]) ?? 0 }
    }
}

// MARK: - Jobs and runs

/// How a run ended, or that it is still going.
public enum RunStatus: String, Sendable, CaseIterable {
    case running, succeeded, paused, failed, interrupted
}

/// A job's pause (budget or org limit), per org.
public struct JobState: Sendable, Equatable {
    public var org: String
    public var job: String
    public var pausedUntil: Date?
    public var pauseReason: String?

    public init(org: String, job: String, pausedUntil: Date? = nil, pauseReason: String? = nil) {
        self.org = org
        self.job = job
        self.pausedUntil = pausedUntil
        self.pauseReason = pauseReason
    }
}

/// One run of a job, as stored.
public struct RunRecord: Sendable, Equatable {
    public var id: Int64
    public var org: String
    public var job: String
    public var status: RunStatus
    public var full: Bool
    public var startedAt: Date
    public var finishedAt: Date?
    public var pid: Int32?
    public var host: String?
    public var resumedFrom: Int64?
    public var read: Int
    public var created: Int
    public var updated: Int
    public var deleted: Int
    public var failed: Int
    /// Export: payloads equal to what was last written, so not sent.
    public var unchanged: Int
    /// Contact pull: contacts archived (deceased, or deleted in Salesforce) and removed (deceased, with remove_deceased).
    public var archived: Int
    public var removed: Int
    /// Skip reasons with their counts, as a JSON object.
    public var skipped: String
    public var plannedCalls: Int?
    /// Why it paused or failed.
    public var message: String?
    /// Job-specific details (JSON).
    public var details: String?

    /// A run with no counts (for planners and their tests).
    public init(id: Int64, org: String, job: String, status: RunStatus, startedAt: Date, finishedAt: Date?) {
        self.id = id
        self.org = org
        self.job = job
        self.status = status
        full = false
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        read = 0
        created = 0
        updated = 0
        deleted = 0
        failed = 0
        unchanged = 0
        archived = 0
        removed = 0
        skipped = "{}"
    }

    init(row: Row) {
        id = row["id"]
        org = row["org"]
        job = row["job"]
        status = RunStatus(rawValue: row["status"]) ?? .failed
        full = row["full"]
        startedAt = Date(timeIntervalSince1970: row["started_at"])
        finishedAt = (row["finished_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        pid = row["pid"]
        host = row["host"]
        resumedFrom = row["resumed_from"]
        read = row["read"]
        created = row["created"]
        updated = row["updated"]
        deleted = row["deleted"]
        failed = row["failed"]
        unchanged = row["unchanged"]
        archived = row["archived"]
        removed = row["removed"]
        skipped = row["skipped"]
        plannedCalls = row["planned_calls"]
        message = row["message"]
        details = row["details"]
    }
}

/// What one run did to one object.
public struct RunObjectRecord: Sendable, Equatable {
    public var runID: Int64
    public var object: String
    public var read: Int
    public var created: Int
    public var updated: Int
    public var deleted: Int
    /// The `totalSize` of the object's first page in this run.
    public var total: Int?
    public var plannedCalls: Int?
    /// Calls this run made for the object.
    public var calls: Int?
    /// Describe changes since the previous run (JSON).
    public var schemaChanges: String?
    public var done: Bool
    /// `rest` or `bulk`: how the object's records were read (nil before they were).
    public var method: String?
    /// Why a Bulk read fell back to REST.
    public var fallback: String?

    init(row: Row) {
        runID = row["run_id"]
        object = row["object"]
        read = row["read"]
        created = row["created"]
        updated = row["updated"]
        deleted = row["deleted"]
        total = row["total"]
        plannedCalls = row["planned_calls"]
        calls = row["calls"]
        schemaChanges = row["schema_changes"]
        done = row["done"]
        method = row["method"]
        fallback = row["fallback"]
    }
}

extension Store {
    public func jobState(org: String, job: String) throws(StoreError) -> JobState {
        try read { db in
            let row = try Row.fetchOne(db, sql: "SELECT * FROM sync_job WHERE org = ? AND job = ?", arguments: [org, job])
            return JobState(org: org, job: job,
                            pausedUntil: (row?["paused_until"] as Double?).map(Date.init(timeIntervalSince1970:)),
                            pauseReason: row?["pause_reason"])
        }
    }

    /// Starts a run: its row, owned by this process. Returns its id.
    public func startRun(org: String, job: String, full: Bool, at date: Date, resumedFrom: Int64?) throws(StoreError) -> Int64 {
        try write { db in
            try db.execute(sql: """
                INSERT INTO sync_run (org, job, status, full, started_at, pid, host, resumed_from)
                VALUES (?, ?, 'running', ?, ?, ?, ?, ?)
                """, arguments: [org, job, full, date.timeIntervalSince1970, getpid(), Self.hostName, resumedFrom])
            return db.lastInsertedRowID
        }
    }

    public func run(_ id: Int64) throws(StoreError) -> RunRecord? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM sync_run WHERE id = ?", arguments: [id]).map(RunRecord.init) }
    }

    /// The newest runs, newest first, optionally of one org and job.
    public func runs(org: String? = nil, job: String? = nil, limit: Int) throws(StoreError) -> [RunRecord] {
        try read { db in
            var sql = "SELECT * FROM sync_run WHERE 1"
            var arguments: [DatabaseValueConvertible] = []
            if let org { sql += " AND org = ?"; arguments.append(org) }
            if let job { sql += " AND job = ?"; arguments.append(job) }
            arguments.append(limit)
            return try Row.fetchAll(db, sql: sql + " ORDER BY id DESC LIMIT ?", arguments: StatementArguments(arguments))
                .map(RunRecord.init)
        }
    }

    public func runObjects(run: Int64) throws(StoreError) -> [RunObjectRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sync_run_object WHERE run_id = ? ORDER BY position",
                             arguments: [run]).map(RunObjectRecord.init)
        }
    }

    /// The name this process's runs are stamped with (a lease on another host is never judged dead).
    public static let hostName: String = ProcessInfo.processInfo.hostName

}

extension StoreTransaction {
    public func setJobPause(org: String, job: String, until: Date?, reason: String?) throws {
        try db.execute(sql: """
            INSERT INTO sync_job (org, job, paused_until, pause_reason) VALUES (?, ?, ?, ?)
            ON CONFLICT(org, job) DO UPDATE SET paused_until = excluded.paused_until, pause_reason = excluded.pause_reason
            """, arguments: [org, job, until?.timeIntervalSince1970, reason])
    }

    /// Ends a run with its status; the counts are the sums of its objects' (when it has objects).
    public func finishRun(_ id: Int64, status: RunStatus, at date: Date?, message: String?) throws {
        try db.execute(sql: """
            UPDATE sync_run SET status = ?, finished_at = ?, message = ? WHERE id = ?
            """, arguments: [status.rawValue, date?.timeIntervalSince1970, message, id])
    }

    public func setRunPlannedCalls(_ id: Int64, _ planned: Int) throws {
        try db.execute(sql: "UPDATE sync_run SET planned_calls = ? WHERE id = ?", arguments: [planned, id])
    }

    public func setRunDetails(_ id: Int64, _ details: String?) throws {
        try db.execute(sql: "UPDATE sync_run SET details = ? WHERE id = ?", arguments: [details, id])
    }

    public func addRunObject(run: Int64, object: String, position: Int) throws {
        try db.execute(sql: """
            INSERT OR IGNORE INTO sync_run_object (run_id, object, position) VALUES (?, ?, ?)
            """, arguments: [run, object, position])
    }

    public func updateRunObject(run: Int64, object: String, total: Int? = nil, plannedCalls: Int? = nil,
                                calls: Int? = nil, schemaChanges: String? = nil, done: Bool? = nil,
                                method: String? = nil, fallback: String? = nil) throws {
        try db.execute(sql: """
            UPDATE sync_run_object SET total = COALESCE(?, total), planned_calls = COALESCE(?, planned_calls),
                calls = COALESCE(?, calls), schema_changes = COALESCE(?, schema_changes), done = COALESCE(?, done),
                method = COALESCE(?, method), fallback = COALESCE(?, fallback)
            WHERE run_id = ? AND object = ?
            """, arguments: [total, plannedCalls, calls, schemaChanges, done, method, fallback, run, object])
        // The run's plan is the sum of its objects' plans so far.
        if plannedCalls != nil {
            try db.execute(sql: """
                UPDATE sync_run SET planned_calls = (SELECT SUM(planned_calls) FROM sync_run_object WHERE run_id = ?)
                WHERE id = ?
                """, arguments: [run, run])
        }
    }

    /// Adds to a run's counts (jobs without per-object rows: export, contacts, write-back) and
    /// merges skip reasons into its `skipped` object.
    public func addRunCounts(run: Int64, _ counts: RunCounts) throws {
        try db.execute(sql: """
            UPDATE sync_run SET read = read + ?, created = created + ?, updated = updated + ?, deleted = deleted + ?,
                failed = failed + ?, unchanged = unchanged + ?, archived = archived + ?, removed = removed + ?
            WHERE id = ?
            """, arguments: [counts.read, counts.created, counts.updated, counts.deleted, counts.failed, counts.unchanged,
                             counts.archived, counts.removed, run])
        guard !counts.skipped.isEmpty else { return }
        let stored = try String.fetchOne(db, sql: "SELECT skipped FROM sync_run WHERE id = ?", arguments: [run]) ?? "{}"
        var merged = RunCounts.parseSkipped(stored)
        for (reason, count) in counts.skipped { merged[reason, default: 0] += count }
        try db.execute(sql: "UPDATE sync_run SET skipped = ? WHERE id = ?", arguments: [RunCounts.serializeSkipped(merged), run])
    }

    /// Adds a failure to the run's count.
    public func addFailed(run: Int64, _ count: Int) throws {
        try db.execute(sql: "UPDATE sync_run SET failed = failed + ? WHERE id = ?", arguments: [count, run])
    }

    /// Adds to one object's counts and to the run's.
    public func addCounts(run: Int64, object: String, read: Int, created: Int, updated: Int, deleted: Int) throws {
        try db.execute(sql: """
            UPDATE sync_run_object SET read = read + ?, created = created + ?, updated = updated + ?, deleted = deleted + ?
            WHERE run_id = ? AND object = ?
            """, arguments: [read, created, updated, deleted, run, object])
        try db.execute(sql: """
            UPDATE sync_run SET read = read + ?, created = created + ?, updated = updated + ?, deleted = deleted + ?
            WHERE id = ?
            """, arguments: [read, created, updated, deleted, run])
    }
}

/// What part of a run did, added to the run's counts in the transaction that records it.
public struct RunCounts: Sendable, Equatable {
    public var read = 0
    public var created = 0
    public var updated = 0
    public var deleted = 0
    public var failed = 0
    public var unchanged = 0
    public var archived = 0
    public var removed = 0
    public var skipped: [String: Int] = [:]

    public init() {}

    public var isEmpty: Bool { self == RunCounts() }

    public static func parseSkipped(_ text: String) -> [String: Int] {
        guard let pairs = (try? JSONValue.parse(Data(text.utf8)))?.objectValue else { return [:] }
        return Dictionary(pairs.compactMap { key, value in value.intValue.map { (key, $0) } }, uniquingKeysWith: +)
    }

    /// Sorted by reason, so the stored text is stable.
    public static func serializeSkipped(_ skipped: [String: Int]) -> String {
        JSONValue.object(skipped.keys.sorted().map { ($0, .int(skipped[$0] ?? 0)) }).serialized()
    }
}

// MARK: - Import state

/// Where the import of one object stands for one org.
public struct ImportObjectState: Sendable, Equatable {
    public var org: String
    public var object: String
    /// The inclusive lower bound of the next incremental pass (nil: never completed).
    public var watermark: Date?
    /// The start of the run that began the pass in progress; it becomes the watermark when the pass completes.
    public var passStartedAt: Date?
    /// The run that began the pass in progress: records read in the pass are marked seen by it.
    public var passRun: Int64?
    /// The lower bound of the pass in progress (nil: a full read).
    public var passLower: Date?
    public var passFull: Bool
    /// `records` or `deletes` while a pass is in progress; nil otherwise.
    public var phase: String?
    /// The (SystemModstamp, Id) of the last record committed in this phase.
    public var cursorStamp: String?
    public var cursorID: String?
    /// The object's fields and their types at its last describe (JSON object).
    public var fieldTypes: String?
    /// The run that last completed a pass.
    public var lastRun: Int64?
    /// The Bulk API 2.0 query job the pass in progress reads, and the locator of its
    /// next chunk to store (nil: the first). Nil when the pass reads through REST.
    public var bulkJob: String?
    public var bulkLocator: String?

    public init(org: String, object: String) {
        self.org = org
        self.object = object
        passFull = false
    }

    init(row: Row) {
        org = row["org"]
        object = row["object"]
        watermark = (row["watermark"] as Double?).map(Date.init(timeIntervalSince1970:))
        passStartedAt = (row["pass_started_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        passRun = row["pass_run"]
        passLower = (row["pass_lower"] as Double?).map(Date.init(timeIntervalSince1970:))
        passFull = row["pass_full"]
        phase = row["phase"]
        cursorStamp = row["cursor_stamp"]
        cursorID = row["cursor_id"]
        fieldTypes = row["field_types"]
        lastRun = row["last_run"]
        bulkJob = row["bulk_job"]
        bulkLocator = row["bulk_locator"]
    }
}

extension Store {
    public func importState(org: String, object: String) throws(StoreError) -> ImportObjectState {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM import_object WHERE org = ? AND object = ?", arguments: [org, object])
                .map(ImportObjectState.init) ?? ImportObjectState(org: org, object: object)
        }
    }

    public func importStates(org: String) throws(StoreError) -> [ImportObjectState] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM import_object WHERE org = ? ORDER BY object", arguments: [org])
                .map(ImportObjectState.init)
        }
    }
}

extension StoreTransaction {
    public func saveImportState(_ state: ImportObjectState) throws {
        try db.execute(sql: """
            INSERT INTO import_object (org, object, watermark, pass_started_at, pass_run, pass_lower, pass_full, phase,
                                       cursor_stamp, cursor_id, field_types, last_run, bulk_job, bulk_locator)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(org, object) DO UPDATE SET watermark = excluded.watermark,
                pass_started_at = excluded.pass_started_at, pass_run = excluded.pass_run, pass_lower = excluded.pass_lower,
                pass_full = excluded.pass_full, phase = excluded.phase, cursor_stamp = excluded.cursor_stamp,
                cursor_id = excluded.cursor_id, field_types = excluded.field_types, last_run = excluded.last_run,
                bulk_job = excluded.bulk_job, bulk_locator = excluded.bulk_locator
            """, arguments: [state.org, state.object, state.watermark?.timeIntervalSince1970,
                             state.passStartedAt?.timeIntervalSince1970, state.passRun, state.passLower?.timeIntervalSince1970,
                             state.passFull, state.phase, state.cursorStamp, state.cursorID, state.fieldTypes,
                             state.lastRun, state.bulkJob, state.bulkLocator])
    }
}

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
    public func upsert(_ records: [LocalRecord], org: String, run: Int64, pass: Int64) throws -> UpsertCounts {
        var counts = UpsertCounts()
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

    /// Every live local record of an object, as (id, SystemModstamp, body), by id.
    public func localRecords(org: String, object: String) throws(StoreError) -> [LocalRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM local_record WHERE org = ? AND object = ? AND is_deleted = 0 ORDER BY id
                """, arguments: [org, object]).map(LocalRecord.init)
        }
    }
}

// MARK: - Leases

/// Who runs a job now: a row per org and job, renewed while the job runs.
public struct JobLease: Sendable, Equatable {
    public var org: String
    public var job: String
    public var host: String
    public var pid: Int32
    /// Tells this holder from an earlier process that had the same pid.
    public var token: String
    public var acquiredAt: Date
    public var expiresAt: Date
    public var runID: Int64?

    init(row: Row) {
        org = row["org"]
        job = row["job"]
        host = row["host"]
        pid = row["pid"]
        token = row["token"]
        acquiredAt = Date(timeIntervalSince1970: row["acquired_at"])
        expiresAt = Date(timeIntervalSince1970: row["expires_at"])
        runID = row["run_id"]
    }

    /// Whether the holder is gone: the lease ran out, or its process on this host no longer exists.
    public func isStale(now: Date) -> Bool {
        if expiresAt <= now { return true }
        guard host == Store.hostName else { return false }
        if pid == getpid() { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}

/// The answer to asking for a lease.
public enum LeaseGrant: Sendable, Equatable {
    /// Granted; `takenOver` is the stale lease it replaced, if any.
    case granted(token: String, takenOver: JobLease?)
    /// Someone else holds it.
    case held(JobLease)
}

extension Store {
    /// Takes the lease of a job for this process, unless a live holder has it. One transaction.
    public func acquireLease(org: String, job: String, now: Date, duration: TimeInterval) throws(StoreError) -> LeaseGrant {
        let token = UUID().uuidString
        return try write { db in
            let current = try Row.fetchOne(db, sql: "SELECT * FROM job_lease WHERE org = ? AND job = ?", arguments: [org, job])
                .map(JobLease.init)
            if let current, !current.isStale(now: now) { return .held(current) }
            try db.execute(sql: """
                INSERT INTO job_lease (org, job, host, pid, token, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(org, job) DO UPDATE SET host = excluded.host, pid = excluded.pid, token = excluded.token,
                    acquired_at = excluded.acquired_at, expires_at = excluded.expires_at, run_id = NULL
                """, arguments: [org, job, Self.hostName, getpid(), token, now.timeIntervalSince1970,
                                 now.addingTimeInterval(duration).timeIntervalSince1970])
            return .granted(token: token, takenOver: current)
        }
    }

    /// Extends a lease this holder still has (false when it lost it), and notes its run.
    @discardableResult
    public func renewLease(org: String, job: String, token: String, now: Date, duration: TimeInterval,
                           run: Int64? = nil) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(sql: """
                UPDATE job_lease SET expires_at = ?, run_id = COALESCE(?, run_id) WHERE org = ? AND job = ? AND token = ?
                """, arguments: [now.addingTimeInterval(duration).timeIntervalSince1970, run, org, job, token])
            return db.changesCount > 0
        }
    }

    public func releaseLease(org: String, job: String, token: String) throws(StoreError) {
        try write { db in
            try db.execute(sql: "DELETE FROM job_lease WHERE org = ? AND job = ? AND token = ?", arguments: [org, job, token])
        }
    }

    public func lease(org: String, job: String) throws(StoreError) -> JobLease? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM job_lease WHERE org = ? AND job = ?", arguments: [org, job]).map(JobLease.init)
        }
    }
}
