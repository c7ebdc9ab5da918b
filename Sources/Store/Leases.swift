public import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The table job_lease: who runs a job now.

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
