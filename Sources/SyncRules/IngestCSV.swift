public import Foundation
public import JSON

/// The CSV of a Bulk API 2.0 ingest upload (RFC 4180, comma-delimited, LF line endings): one row per record, the
/// columns every field any record sets, in the order first seen (`Id` first when records carry it).
///
/// A value as Bulk reads it: text as is, a number as its JSON literal, a boolean `true`/`false`, a JSON `null` or an
/// empty text as `#N/A` (Bulk's way to empty a field, as `null` and `""` empty it through REST), and a field a record
/// does not set left empty (Bulk leaves it alone). A non-empty field is always quoted, its quotes doubled, so commas,
/// quotes and line breaks survive.
public enum IngestCSV {
    /// The header and rows of `records` (JSON objects; anything else is an empty row).
    public static func encode(_ records: [JSONValue]) -> Data {
        var columns: [String] = []
        var known = Set<String>()
        for record in records {
            guard case let .object(fields) = record else { continue }
            for (name, _) in fields where known.insert(name.lowercased()).inserted { columns.append(name) }
        }
        if let id = columns.firstIndex(where: { $0.lowercased() == "id" }), id != 0 { columns.insert(columns.remove(at: id), at: 0) }
        var text = columns.map(quoted).joined(separator: ",") + "\n"
        for record in records {
            var values: [String: JSONValue] = [:]
            if case let .object(fields) = record {
                for (name, value) in fields { values[name.lowercased()] = value }
            }
            text += columns.map { column in values[column.lowercased()].map(cell) ?? "" }.joined(separator: ",") + "\n"
        }
        return Data(text.utf8)
    }

    /// One row's bytes, header excluded (to keep an upload under Salesforce's size limit as rows are added).
    public static func rowSize(_ record: JSONValue) -> Int {
        guard case let .object(fields) = record else { return 1 }
        return fields.reduce(1) { $0 + cell($1.1).utf8.count + 1 }
    }

    static func cell(_ value: JSONValue) -> String {
        switch value {
        case .null: return "#N/A"
        case let .string(text): return text.isEmpty ? "#N/A" : quoted(text)
        case let .bool(flag): return flag ? "true" : "false"
        default: return quoted(value.serialized())
        }
    }

    static func quoted(_ text: String) -> String {
        text.isEmpty ? "" : "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension IngestCSV {
    /// A failed row's `sf__Error` as Salesforce writes it, `CODE:message:fields --` (the message may hold colons; the
    /// fields are the text after the last one): its code, message and fields.
    public static func parseError(_ text: String) -> (code: String, message: String, fields: [String]) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if rest.hasSuffix("--") { rest = rest.dropLast(2) }
        rest = Substring(rest.trimmingCharacters(in: .whitespaces))
        guard let first = rest.firstIndex(of: ":") else {
            return rest.isEmpty ? ("UNKNOWN_EXCEPTION", "no error was given", []) : (String(rest), "", [])
        }
        let code = String(rest[..<first])
        var message = rest[rest.index(after: first)...]
        var fields: [String] = []
        if let last = message.lastIndex(of: ":") {
            fields = message[message.index(after: last)...].split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            message = message[..<last]
        }
        return (code.isEmpty ? "UNKNOWN_EXCEPTION" : code, String(message), fields)
    }
}
