public import Foundation
import GRDB

// The table import_object: per object, its watermark and the cursor of a pass under way.

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
    /// When the object's formula fields were last read again (a refresh pass, or a full pass that read everything).
    public var formulaRefreshedAt: Date?
    /// When the stored Ids were last reconciled with the org's (a reconcile pass, or a full pass).
    public var deletesReconciledAt: Date?

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
        formulaRefreshedAt = (row["formula_refreshed_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        deletesReconciledAt = (row["deletes_reconciled_at"] as Double?).map(Date.init(timeIntervalSince1970:))
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
                                       cursor_stamp, cursor_id, field_types, last_run, bulk_job, bulk_locator, formula_refreshed_at,
                                       deletes_reconciled_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(org, object) DO UPDATE SET watermark = excluded.watermark,
                pass_started_at = excluded.pass_started_at, pass_run = excluded.pass_run, pass_lower = excluded.pass_lower,
                pass_full = excluded.pass_full, phase = excluded.phase, cursor_stamp = excluded.cursor_stamp,
                cursor_id = excluded.cursor_id, field_types = excluded.field_types, last_run = excluded.last_run,
                bulk_job = excluded.bulk_job, bulk_locator = excluded.bulk_locator,
                formula_refreshed_at = excluded.formula_refreshed_at, deletes_reconciled_at = excluded.deletes_reconciled_at
            """, arguments: [state.org, state.object, state.watermark?.timeIntervalSince1970,
                             state.passStartedAt?.timeIntervalSince1970, state.passRun, state.passLower?.timeIntervalSince1970,
                             state.passFull, state.phase, state.cursorStamp, state.cursorID, state.fieldTypes,
                             state.lastRun, state.bulkJob, state.bulkLocator, state.formulaRefreshedAt?.timeIntervalSince1970,
                             state.deletesReconciledAt?.timeIntervalSince1970])
    }
}
