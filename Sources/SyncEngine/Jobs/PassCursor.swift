import SalesforceModel
public import Foundation
public import Store

/// The pass cursor the import and the contact pull share: a pass reads everything changed since the
/// watermark (or everything, when full) in `(SystemModstamp, Id)` order, its cursor committed with each
/// page, so a killed run resumes after the last page stored; a finished pass moves the watermark to a
/// little before it began.
extension ImportObjectState {
    /// How far before a pass's start the next incremental pass begins, for clock skew and transactions that
    /// commit after their SystemModstamp. Records read twice are counted read, not updated.
    public static let passOverlap: TimeInterval = 300

    /// Begins a pass at `cycleStart` for `run`: from the watermark, or everything when `full` (or never read).
    mutating func beginPass(run: Int64, at cycleStart: Date, full: Bool) {
        passStartedAt = cycleStart
        passRun = run
        passLower = full ? nil : watermark
        passFull = passLower == nil
        phase = "records"
        cursorStamp = nil
        cursorID = nil
        // A Bulk job of an abandoned pass (--full over a pass under way) read after that pass's cursor.
        bulkJob = nil
        bulkLocator = nil
    }

    /// Ends the pass `run` finished: the next begins `passOverlap` before this one did.
    mutating func endPass(run: Int64, runStarted: Date) {
        watermark = (passStartedAt ?? runStarted).addingTimeInterval(-Self.passOverlap)
        phase = nil
        cursorStamp = nil
        cursorID = nil
        passRun = nil
        lastRun = run
    }
}
