import Foundation
import SyncRules

/// What an ingest job's three result files say of each row it carried, keyed as the export matches rows to
/// profiles: a column the export uploaded that the result files echo (`Email` for inserts, `Id` for updates, the
/// match field for upserts), its value normalised by `key`. A pure rule: the files in, the outcomes out.
struct IngestOutcomes {
    enum Outcome: Equatable {
        case succeeded(id: String, created: Bool)
        case failed(code: String, message: String, fields: [String])
        /// Not processed (the job failed or was aborted before the row): nothing was written for it.
        case unprocessed
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// The uploaded column that identifies a row of `operation`.
    static func keyColumn(operation: String, matchField: String?) -> String {
        switch operation {
        case "insert": "Email"
        case "upsert": matchField ?? "Id"
        default: "Id"
        }
    }

    /// A key as compared: an email case-folded (`EmailKey`), an Id by its 15 case-sensitive characters.
    static func key(_ value: String, operation: String) -> String? {
        switch operation {
        case "insert": EmailKey.key(value)
        case "update": value.count >= 15 ? String(value.prefix(15)) : nil
        default: value.isEmpty ? nil : value
        }
    }

    private(set) var outcomes: [String: Outcome] = [:]

    /// Reads the files; a row whose key is empty or repeated keeps its first outcome.
    init(successful: Data, failed: Data, unprocessed: Data, operation: String, matchField: String?) throws(Malformed) {
        let column = Self.keyColumn(operation: operation, matchField: matchField)
        try read(successful, "successful results", column: column, operation: operation) { row, at in
            guard let id = at("sf__Id"), !id.isEmpty else { return nil }
            return .succeeded(id: id, created: at("sf__Created")?.lowercased() == "true")
        }
        try read(failed, "failed results", column: column, operation: operation) { row, at in
            let error = IngestCSV.parseError(at("sf__Error") ?? "")
            return .failed(code: error.code, message: error.message, fields: error.fields)
        }
        try read(unprocessed, "unprocessed records", column: column, operation: operation) { _, _ in .unprocessed }
    }

    private mutating func read(_ data: Data, _ name: String, column: String, operation: String,
                               outcome: ([String], (String) -> String?) -> Outcome?) throws(Malformed) {
        var rows = CSVRows(data)
        let header: [String]
        do {
            guard let first = try rows.next() else { return }
            header = first
        } catch { throw Malformed(description: "the \(name) are not CSV: \(error.description)") }
        var index: [String: Int] = [:]
        for (position, name) in header.enumerated() where index[name.lowercased()] == nil { index[name.lowercased()] = position }
        guard let keyAt = index[column.lowercased()] else {
            // A file with rows but without the column cannot be matched to profiles; an empty one says nothing.
            if (try? rows.next()) == nil { return }
            throw Malformed(description: "the \(name) have no \(column) column")
        }
        while true {
            let row: [String]
            do {
                guard let next = try rows.next() else { return }
                row = next
            } catch { throw Malformed(description: "the \(name) are not CSV: \(error.description)") }
            guard keyAt < row.count, let key = Self.key(row[keyAt], operation: operation), outcomes[key] == nil else { continue }
            let at = { (name: String) -> String? in index[name.lowercased()].flatMap { $0 < row.count ? row[$0] : nil } }
            if let result = outcome(row, at) { outcomes[key] = result }
        }
    }
}
