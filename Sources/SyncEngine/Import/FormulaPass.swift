import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

// Formula fields read again (`lytics.formula_refresh`): a formula's value changes without its record's
// SystemModstamp, so the incremental pass never sees it.

extension ImportJob {
    /// Reads `Id` and the formula `fields` of the records the pass did not read (SystemModstamp below its lower
    /// bound; REST pages or, when the object is large, a Bulk job), compares them with the stored records, and writes
    /// only the values that changed, a page or chunk per transaction, counted `refreshed`. Returns the records
    /// refreshed and the calls made.
    func refreshFormulas(_ object: String, fields: [String], lower: Date, types: [String: String],
                         context: RunContext) async throws -> (refreshed: Int, calls: Int) {
        var refreshed = 0
        let org = self.org.alias
        let runID = context.runID
        let calls = try await context.eachRecord(ImportQuery.fieldsBelow(object, fields: fields, lower: lower), reading: options.passReading,
                                                 types: types, doing: "read the formula fields of \(object) again (\(fields.joined(separator: ", ")))") { records in
            let ids = records.compactMap { $0["Id"]?.stringValue }
            let bodies: [String: String]
            do { bodies = try store.localBodies(org: org, object: object, ids: ids) } catch let error as StoreError {
                throw JobStop.engine(EngineError(error))
            }
            var changes: [(id: String, fields: [(String, String)])] = []
            for record in records {
                guard let id = record["Id"]?.stringValue, let body = bodies[id],
                      let stored = try? JSONValue.parse(Data(body.utf8)) else { continue }
                let differing = fields.compactMap { field -> (String, String)? in
                    let value = record[field] ?? .null
                    // A null is stored as an absent member.
                    return (stored[field] ?? .null) == value ? nil : (field, value.serialized())
                }
                if !differing.isEmpty { changes.append((id, differing)) }
            }
            let batch = changes
            refreshed += try await context.commit { store in
                try store.transaction { tx in
                    let changed = try tx.mergeFields(batch, object: object, org: org)
                    if changed > 0 { try tx.addRefreshed(run: runID, object: object, changed) }
                    return changed
                }
            }
        }
        return (refreshed, calls)
    }
}
