import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

// Records purged from the Recycle Bin (or deleted longer ago than queryAll shows) never come back as deleted to an
// incremental pass: the reconcile pass lists every Id the org still has and marks the stored records it lacks.

extension ImportJob {
    /// Finds the stored records the org no longer has (`RunContext.idsGone`: getDeleted when it can tell nothing was
    /// purged since the last reconciliation at `last`, else every Id listed) and, only once the list is whole, marks
    /// them deleted, in one transaction. A failed or interrupted listing marks nothing. Returns the records marked
    /// and the calls made.
    func reconcileDeletes(_ object: String, last: Date?, context: RunContext) async throws -> (gone: Int, calls: Int) {
        let org = self.org.alias
        let runID = context.runID
        let (gone, calls) = try await context.idsGone({ () throws(StoreError) in try store.liveIDs(org: org, object: object) },
                                                      object: object, reading: options.passReading, lastReconciled: last,
                                                      doing: "list the Ids of \(object) to find records purged from the Recycle Bin")
        guard !gone.isEmpty else { return (0, calls) }
        let marked = try await context.commit { store in
            try store.transaction { tx in
                let count = try tx.markGone(gone, object: object, org: org, run: runID)
                try tx.addCounts(run: runID, object: object, read: 0, created: 0, updated: 0, deleted: count)
                return count
            }
        }
        return (marked, calls)
    }
}
