import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

// Fields added to an object since the last run, read for the records stored before: an incremental pass reads
// only the records that changed, so without this every other record would lack the new fields until it changed.

extension ImportJob {
    /// Reads `Id` and `fields` of the records the pass will not read (SystemModstamp below its lower bound; REST pages
    /// or a Bulk job, `eachRecord`) and sets them in the stored records, a page or chunk at a time, each page in one transaction. Returns how many stored records
    /// were filled. Idempotent: a run killed midway records nothing of the new describe, so the next run fills again.
    func backfill(_ object: String, fields: [String], lower: Date, types: [String: String], context: RunContext) async throws -> Int {
        let org = self.org.alias
        var filled = 0
        _ = try await context.eachRecord(ImportQuery.fieldsBelow(object, fields: fields, lower: lower), reading: options.passReading,
                                         types: types, doing: "back-fill \(fields.joined(separator: ", ")) of the \(object) records imported earlier") { records in
            let values = records.compactMap { record -> (id: String, fields: [(String, String)])? in
                guard let id = record["Id"]?.stringValue else { return nil }
                return (id, fields.map { ($0, (record[$0] ?? .null).serialized()) })
            }
            filled += try await context.commit { store in
                try store.transaction { tx in try tx.mergeFields(values, object: object, org: org) }
            }
        }
        return filled
    }
}
