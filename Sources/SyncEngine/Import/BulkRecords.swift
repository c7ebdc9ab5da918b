import SalesforceModel
import Foundation
import JSON
import Store

/// The rows of a Bulk API 2.0 result chunk as the store keeps REST records:
/// one JSON object per row, its fields in the SELECT order and typed by the
/// describe (booleans and numbers as JSON values, an empty cell — a null — left out,
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
        /// `"Name":`, escaped once, as bytes.
        let key: [UInt8]
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    let object: String
    let columns: [Column]
    private var reader: CSVRows
    /// Each column's `"Name":` in one buffer, its kind, by column.
    private let keyBytes: [UInt8]
    private let keyRanges: [Range<Int>]
    private let kinds: [Kind]
    /// The current row's fields and body, their storage kept from row to row.
    private var fields: [CSVRows.Field] = []
    private var body: [UInt8] = []
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
            return Column(kind: Self.kind(of: types[name]), key: Array((key + ":").utf8))
        }
        var keyBytes: [UInt8] = []
        var keyRanges: [Range<Int>] = []
        for column in columns {
            keyRanges.append(keyBytes.count..<keyBytes.count + column.key.count)
            keyBytes += column.key
        }
        self.keyBytes = keyBytes
        self.keyRanges = keyRanges
        kinds = columns.map(\.kind)
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

    /// The next row as a record; nil after the last. The body is written from the CSV's bytes straight into JSON
    /// (no text made of a field but the Id, the stamp and the account): `perf` found field-by-field strings at a
    /// third of a Bulk import's CPU.
    mutating func next() throws(Malformed) -> LocalRecord? {
        let more: Bool
        do { more = try reader.nextFields(into: &fields) } catch { throw Malformed(description: "the result's CSV is malformed: \(error)") }
        guard more else { return nil }
        let rows = reader.rows - 1  // this row's number, after the header
        guard fields.count == columns.count else {
            throw Malformed(description: "row \(rows) of the result has \(fields.count) values for \(columns.count) columns")
        }
        func text(_ column: Int) throws(Malformed) -> String {
            do { return try reader.text(fields[column]) } catch { throw Malformed(description: "the result's CSV is malformed: \(error)") }
        }
        let id = try text(idColumn)
        let stamp = try stampColumn.map { column throws(Malformed) in try text(column) }
        guard !id.isEmpty, stamp.map({ !$0.isEmpty }) ?? true else {
            throw Malformed(description: "row \(rows) of the result has no Id" + (stampColumn == nil ? "" : " or SystemModstamp"))
        }
        body.removeAll(keepingCapacity: true)
        body.append(UInt8(ascii: "{"))
        // An empty cell is a null: left out, as the REST path leaves out null members (`RawRecord`). The bytes are
        // read through buffer pointers: no reference counting per field.
        let utf8 = reader.bytes.withUnsafeBufferPointer { csv in
            keyBytes.withUnsafeBufferPointer { keys in
                var first = true
                for index in 0..<fields.count where !fields[index].range.isEmpty {
                    if !first { body.append(UInt8(ascii: ",")) }
                    first = false
                    body.append(contentsOf: UnsafeBufferPointer(rebasing: keys[keyRanges[index]]))
                    guard Self.write(csv, fields[index], kind: kinds[index], to: &body) else { return false }
                }
                return true
            }
        }
        guard utf8 else { throw Malformed(description: "row \(rows) is not UTF-8 text") }
        body.append(UInt8(ascii: "}"))
        let account = try accountColumn.map { column throws(Malformed) in try text(column) }.flatMap { $0.isEmpty ? nil : $0 }
        return LocalRecord(object: object, id: id, systemModstamp: stamp.map(Self.restDateTime) ?? "",
                           accountID: account, body: String(decoding: body, as: UTF8.self))
    }

    /// Writes one field's JSON value (as `write(_:kind:to:)` would) from its CSV bytes; false when they are not UTF-8.
    static func write(_ bytes: UnsafeBufferPointer<UInt8>, _ field: CSVRows.Field, kind: Kind, to out: inout [UInt8]) -> Bool {
        let range = field.range
        // Bulk CSV cannot tell an empty text from no value; REST answers null for both.
        if range.isEmpty { out.append(contentsOf: nullBytes); return true }
        let slice = bytes[range]
        switch kind {
        case .boolean where slice.elementsEqual("true".utf8) || slice.elementsEqual("false".utf8):
            out.append(contentsOf: slice)
            return true
        case .number where isJSONNumber(slice):
            out.append(contentsOf: slice)
            return true
        default:
            break
        }
        // Plain text (most fields): no byte that JSON or TextSafety escapes, nothing outside ASCII, no doubled quote.
        var plain = !field.doubled
        if plain {
            for byte in slice where byte < 0x20 || byte == 0x22 || byte == 0x5C || byte >= 0x7F {
                plain = false
                break
            }
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            if kind == .dateTime, slice.last == UInt8(ascii: "Z") {
                out.append(contentsOf: slice.dropLast())
                if slice.count == 20 { out.append(contentsOf: ".000".utf8) }  // no milliseconds
                out.append(contentsOf: "+0000".utf8)
            } else {
                out.append(contentsOf: slice)
            }
            out.append(UInt8(ascii: "\""))
            return true
        }
        // The rest: a date-time as text, else the bytes (checked UTF-8 when not ASCII) escaped by the one JSON rule.
        let unquoted = CSVRows.unquoted(bytes, field)
        if unquoted.contains(where: { $0 >= 0x80 }), String(validating: unquoted, as: UTF8.self) == nil { return false }
        if kind == .dateTime {
            var json = ""
            write(String(decoding: unquoted, as: UTF8.self), kind: kind, to: &json)
            out.append(contentsOf: json.utf8)
        } else {
            JSONValue.writeString(utf8: unquoted, to: &out)
        }
        return true
    }

    private static let nullBytes = Array("null".utf8)

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
    static func isJSONNumber(_ text: String) -> Bool { isJSONNumber(text.utf8[...]) }

    static func isJSONNumber<Bytes: Collection<UInt8>>(_ text: Bytes) -> Bool where Bytes.SubSequence == Bytes {
        var bytes = text
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        func digits(_ part: inout Bytes) -> Int {
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
