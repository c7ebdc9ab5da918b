public import Foundation
import GRDB
import JSON

// The tables of jobs (pauses), runs and their per-object rows: sync_job, sync_run, sync_run_object.

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
    /// Export profiles held back as parked at the end of the run (those it parked included).
    public var parked = 0
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
        parked = row["parked"] ?? 0
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
    /// Stored formula values a refresh pass changed.
    public var refreshed: Int

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
        refreshed = row["refreshed"] ?? 0
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
                failed = failed + ?, parked = parked + ?, unchanged = unchanged + ?, archived = archived + ?, removed = removed + ?
            WHERE id = ?
            """, arguments: [counts.read, counts.created, counts.updated, counts.deleted, counts.failed, counts.parked,
                             counts.unchanged, counts.archived, counts.removed, run])
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
    /// Adds to the stored formula values a run's refresh of `object` changed.
    public func addRefreshed(run: Int64, object: String, _ count: Int) throws {
        try db.execute(sql: "UPDATE sync_run_object SET refreshed = refreshed + ? WHERE run_id = ? AND object = ?",
                       arguments: [count, run, object])
    }

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
    public var parked = 0
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
