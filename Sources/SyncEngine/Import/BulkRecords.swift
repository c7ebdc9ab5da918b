import SalesforceModel
import Foundation
import JSON
import Store

/// The rows of a Bulk API 2.0 result chunk as the store keeps REST records:
/// one JSON object per row, its fields in the SELECT order and typed by the
/// describe (booleans and numbers as JSON values, an empty cell as `null`,
/// date-times in the REST form `…T10:00:00.000+0000`), so a record imported
/// through Bulk is the record REST would have stored, and the next pass finds
/// it unchanged.
///
/// The CSV is parsed a row at a time (`CSVRows`, straight from the chunk's
/// bytes): memory holds the chunk and the rows not yet stored, never the
/// chunk's records all at once.
struct BulkRecordReader {
    enum Kind: Equatable {
        case text, boolean, number, dateTime
    }

    struct Column {
        let kind: Kind
        /// `"Name":`, escaped once.
        let key: String
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    let object: String
    let columns: [Column]
    private var reader: CSVRows
    private let idColumn: Int
    private let stampColumn: Int?
    private let accountColumn: Int?

    /// Reads the header row. `types` are the describe's field types by name; `stamped`: every row has its
    /// SystemModstamp (the import's records; an extra pass reads `Id` and a few fields).
    init(csv: Data, object: String, types: [String: String], stamped: Bool = true) throws(Malformed) {
        self.object = object
        reader = CSVRows(csv)
        let first: [String]?
        do { first = try reader.next() } catch { throw Malformed(description: "the result has no readable header row (\(error))") }
        guard let header = first, header != [""] else { throw Malformed(description: "the result has no header row") }
        columns = header.map { name in
            var key = ""
            JSONValue.writeString(name, to: &key)
            return Column(kind: Self.kind(of: types[name]), key: key + ":")
        }
        let stamp = header.firstIndex(of: "SystemModstamp")
        guard let id = header.firstIndex(of: "Id"), stamp != nil || !stamped else {
            throw Malformed(description: stamped ? "the result has no Id or SystemModstamp column" : "the result has no Id column")
        }
        idColumn = id
        stampColumn = stamped ? stamp : nil
        accountColumn = ImportQuery.accountField(of: object).flatMap { header.firstIndex(of: $0) }
    }

    static func kind(of type: String?) -> Kind {
        switch type {
        case "boolean": .boolean
        case "int", "double", "currency", "percent", "long": .number
        case "datetime": .dateTime
        default: .text
        }
    }

    /// The next row as a record; nil after the last.
    mutating func next() throws(Malformed) -> LocalRecord? {
        let row: [String]?
        do { row = try reader.next() } catch { throw Malformed(description: "the result's CSV is malformed: \(error)") }
        guard let values = row else { return nil }
        let rows = reader.rows - 1  // this row's number, after the header
        guard values.count == columns.count else {
            throw Malformed(description: "row \(rows) of the result has \(values.count) values for \(columns.count) columns")
        }
        let id = values[idColumn]
        guard !id.isEmpty, stampColumn.map({ !values[$0].isEmpty }) ?? true else {
            throw Malformed(description: "row \(rows) of the result has no Id" + (stampColumn == nil ? "" : " or SystemModstamp"))
        }
        var body = "{"
        body.reserveCapacity(values.reduce(columns.count * 16) { $0 + $1.utf8.count })
        for (index, column) in columns.enumerated() {
            if index > 0 { body += "," }
            body += column.key
            Self.write(values[index], kind: column.kind, to: &body)
        }
        body += "}"
        let account = accountColumn.map { values[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        return LocalRecord(object: object, id: id, systemModstamp: stampColumn.map { Self.restDateTime(values[$0]) } ?? "",
                           accountID: account, body: body)
    }

    static func write(_ value: String, kind: Kind, to out: inout String) {
        // Bulk CSV cannot tell an empty text from no value; REST answers null for both.
        if value.isEmpty { out += "null"; return }
        switch kind {
        case .boolean where value == "true" || value == "false":
            out += value
        case .number where isJSONNumber(value):
            out += value
        case .dateTime:
            JSONValue.writeString(restDateTime(value), to: &out)
        default:
            JSONValue.writeString(value, to: &out)
        }
    }

    /// `2024-05-01T10:00:00.000Z` (Bulk's form) as REST writes it: `2024-05-01T10:00:00.000+0000`.
    static func restDateTime(_ value: String) -> String {
        guard value.hasSuffix("Z") else { return value }
        var text = String(value.dropLast())
        if text.count == 19 { text += ".000" }  // no milliseconds
        return text + "+0000"
    }

    /// Whether `text` is a JSON number literal (so it can be written as sent).
    static func isJSONNumber(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        func digits(_ part: inout Substring.UTF8View.SubSequence) -> Int {
            let count = part.prefix { $0 >= 0x30 && $0 <= 0x39 }.count
            part = part.dropFirst(count)
            return count
        }
        guard let first = bytes.first, first >= 0x30, first <= 0x39 else { return false }
        let whole = digits(&bytes)
        if whole > 1 && first == 0x30 { return false }  // no leading zeros
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits(&bytes) > 0 else { return false }
        }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits(&bytes) > 0 else { return false }
        }
        return bytes.isEmpty
    }
}
