public import Foundation
import GRDB

/// A Bulk API 2.0 ingest job of the lead export, as far as the home knows it. The row is committed before the job
/// is created (`creating`: a job the org may hold without the home knowing its id), gets the id with the profiles it
/// carries before the upload (`created`), is marked `uploaded` after it, and is deleted in the transaction that
/// settles the job's results.
public struct ExportBulkJob: Sendable, Equatable {
    public enum Phase: String, Sendable {
        case creating, created, uploaded
    }

    public var id: Int64
    public var org: String
    public var jobID: String?
    /// insert, update or upsert.
    public var operation: String
    public var externalIDField: String?
    public var phase: Phase
    public var runID: Int64?
    /// When the intent to create the job was recorded.
    public var at: Date

    init(row: Row) {
        id = row["id"]
        org = row["org"]
        jobID = row["job_id"]
        operation = row["operation"]
        externalIDField = row["external_id_field"]
        phase = Phase(rawValue: row["phase"]) ?? .creating
        runID = row["run_id"]
        at = Date(timeIntervalSince1970: row["at"])
    }
}

extension Store {
    /// The ingest jobs of `org`'s exports not yet settled, oldest first.
    public func exportBulkJobs(org: String) throws(StoreError) -> [ExportBulkJob] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM export_bulk_job WHERE org = ? ORDER BY id", arguments: [org]).map(ExportBulkJob.init(row:))
        }
    }

    /// The profiles a job carries.
    public func exportStates(org: String, bulkJob: Int64) throws(StoreError) -> [ExportProfileState] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM export_profile WHERE org = ? AND bulk_job = ? ORDER BY profile_id",
                             arguments: [org, bulkJob]).map(ExportProfileState.init(row:))
        }
    }
}

extension StoreTransaction {
    /// Records the intent to create an ingest job; returns the row's id.
    public func insertExportBulkJob(org: String, operation: String, externalIDField: String?, runID: Int64, at: Date) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO export_bulk_job (org, operation, external_id_field, phase, run_id, at) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [org, operation, externalIDField, ExportBulkJob.Phase.creating.rawValue, runID, at.timeIntervalSince1970])
        return db.lastInsertedRowID
    }

    public func setExportBulkJob(_ id: Int64, jobID: String?, phase: ExportBulkJob.Phase) throws {
        try db.execute(sql: "UPDATE export_bulk_job SET job_id = ?, phase = ? WHERE id = ?", arguments: [jobID, phase.rawValue, id])
    }

    public func deleteExportBulkJob(_ id: Int64) throws {
        try db.execute(sql: "DELETE FROM export_bulk_job WHERE id = ?", arguments: [id])
    }
}
