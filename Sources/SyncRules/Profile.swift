import Foundation
public import JSON

/// A value of a profile attribute: the JSON kinds, and tagged dates.
public enum ProfileValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case boolean(Bool)
    /// `{"$date": "YYYY-MM-DD"}`
    case date(String)
    /// `{"$datetime": "ISO 8601"}`, kept normalised to UTC (`…Z`).
    case dateTime(String)

    /// The name used in "type mismatch: <profile type> into <field type>".
    public var typeName: String {
        switch self {
        case .string: "string"
        case .number: "number"
        case .boolean: "boolean"
        case .date: "date"
        case .dateTime: "datetime"
        }
    }

    public var json: JSONValue {
        switch self {
        case let .string(s): .string(s)
        case let .number(n): n == n.rounded() && abs(n) < 1e15 ? .int(Int(n)) : .double(n)
        case let .boolean(b): .bool(b)
        case let .date(d): .object([("$date", .string(d))])
        case let .dateTime(d): .object([("$datetime", .string(d))])
        }
    }
}

/// One local profile, as `profiles import` reads it from JSON Lines.
public struct Profile: Sendable, Equatable {
    public var id: String
    public var attributes: [String: ProfileValue]
    public var audiences: [String]
    public var contentAffinity: [String: Double]
    public var scores: [String: Double]

    public init(id: String, attributes: [String: ProfileValue] = [:], audiences: [String] = [],
                contentAffinity: [String: Double] = [:], scores: [String: Double] = [:]) {
        self.id = id
        self.attributes = attributes
        self.audiences = audiences
        self.contentAffinity = contentAffinity
        self.scores = scores
    }

    /// Why a line is not a profile, naming the part at fault.
    public struct FormatError: Error, Equatable, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Parses one JSON Lines entry.
    public static func parse(_ line: String) throws(FormatError) -> Profile {
        let value: JSONValue
        do { value = try JSONValue.parse(line) } catch {
            throw FormatError(message: "not valid JSON")
        }
        return try parse(value)
    }

    public static func parse(_ value: JSONValue) throws(FormatError) -> Profile {
        guard case .object = value else { throw FormatError(message: "a profile must be a JSON object") }
        let id: String
        switch value["id"] {
        case let .string(text)? where !text.trimmingCharacters(in: .whitespaces).isEmpty: id = text
        case let .int(number)?: id = String(number)
        default: throw FormatError(message: "\"id\" is missing or not a non-empty string")
        }
        var profile = Profile(id: id)
        if let attributes = value["attributes"], attributes != .null {
            guard let pairs = attributes.objectValue else { throw FormatError(message: "\"attributes\" must be an object") }
            for (key, item) in pairs {
                if item == .null { continue }
                profile.attributes[key] = try attribute(item, name: key)
            }
        }
        if let audiences = value["audiences"], audiences != .null {
            guard let items = audiences.arrayValue else { throw FormatError(message: "\"audiences\" must be an array of strings") }
            for item in items {
                guard let name = item.stringValue else {
                    throw FormatError(message: "\"audiences\" must be an array of strings (found \(item.serialized()))")
                }
                if !profile.audiences.contains(name) { profile.audiences.append(name) }
            }
        }
        profile.contentAffinity = try numbers(value["content_affinity"], name: "content_affinity")
        profile.scores = try numbers(value["scores"], name: "scores")
        return profile
    }

    static func numbers(_ value: JSONValue?, name: String) throws(FormatError) -> [String: Double] {
        guard let value, value != .null else { return [:] }
        guard let pairs = value.objectValue else { throw FormatError(message: "\"\(name)\" must be an object of numbers") }
        var result: [String: Double] = [:]
        for (key, item) in pairs {
            guard let number = item.doubleValue else {
                throw FormatError(message: "\"\(name)\".\(key) must be a number (found \(item.serialized()))")
            }
            result[key] = number
        }
        return result
    }

    static func attribute(_ value: JSONValue, name: String) throws(FormatError) -> ProfileValue {
        switch value {
        case let .string(text): return .string(text)
        case let .int(number): return .number(Double(number))
        case let .double(number): return .number(number)
        case let .bool(flag): return .boolean(flag)
        case let .object(pairs) where pairs.count == 1:
            let (tag, inner) = pairs[0]
            guard let text = inner.stringValue else { break }
            if tag == "$date" {
                guard ISODates.isDate(text) else {
                    throw FormatError(message: "attributes.\(name): \(value.serialized()) is not a YYYY-MM-DD date")
                }
                return .date(text)
            }
            if tag == "$datetime" {
                guard let normalized = ISODates.normalizeDateTime(text) else {
                    throw FormatError(message: "attributes.\(name): \(value.serialized()) is not an ISO 8601 date-time")
                }
                return .dateTime(normalized)
            }
        default: break
        }
        throw FormatError(message: "attributes.\(name): \(value.serialized()) is not a string, number, boolean, {\"$date\": …} or {\"$datetime\": …}")
    }

    /// The profile in its import shape.
    public var json: JSONValue {
        .object([
            ("id", .string(id)),
            ("attributes", .object(attributes.sorted { $0.key < $1.key }.map { ($0.key, $0.value.json) })),
            ("audiences", .array(audiences.map(JSONValue.string))),
            ("content_affinity", .object(contentAffinity.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })),
            ("scores", .object(scores.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })),
        ])
    }
}

/// Strict ISO 8601 dates and date-times.
public enum ISODates {
    public static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    /// A date-time with a zone, as UTC `YYYY-MM-DDThh:mm:ss[.fff]Z`.
    public static func normalizeDateTime(_ text: String) -> String? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        guard isDate(String(text.prefix(10))), let date = formatter.date(from: text) ?? plain.date(from: text) else {
            return nil
        }
        let output = ISO8601DateFormatter()
        output.timeZone = TimeZone(identifier: "UTC")
        let hasFraction = date.timeIntervalSince1970 != date.timeIntervalSince1970.rounded(.down)
        output.formatOptions = hasFraction ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return output.string(from: date)
    }
}
