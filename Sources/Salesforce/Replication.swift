public import SalesforceModel
public import Foundation
import JSON

/// What `GET /sobjects/{Type}/deleted/?start=&end=` (getDeleted) answers: the records deleted in the window, the last
/// moment it covers, and the last time a record of the type was physically deleted (purged from the Recycle Bin).
public struct DeletedRecords: Sendable, Equatable {
    public var records: [(id: String, deletedDate: Date)]
    /// When a record of the type was last purged: a window starting before it may have lost deletions.
    public var earliestDateAvailable: Date?
    public var latestDateCovered: Date?

    public static func == (lhs: DeletedRecords, rhs: DeletedRecords) -> Bool {
        lhs.records.map(\.id) == rhs.records.map(\.id) && lhs.records.map(\.deletedDate) == rhs.records.map(\.deletedDate)
            && lhs.earliestDateAvailable == rhs.earliestDateAvailable && lhs.latestDateCovered == rhs.latestDateCovered
    }
}

extension SalesforceClient {
    /// getDeleted over `start`–`end` (Salesforce cuts both to the minute; `start` at most 15 days back).
    public func deletedRecords(_ object: String, start: Date, end: Date) async throws(SalesforceError) -> DeletedRecords {
        let answer = try await json("GET", "sobjects/\(Self.pathSegment(object))/deleted/",
                                    query: [("start", DateTimeText.format(start)), ("end", DateTimeText.format(end))])
        guard let list = answer["deletedRecords"]?.arrayValue else {
            throw SalesforceError(kind: .protocolViolation, message: "the getDeleted answer for \(object) has no deletedRecords")
        }
        var records: [(id: String, deletedDate: Date)] = []
        for entry in list {
            guard let id = entry["id"]?.stringValue, let date = entry["deletedDate"]?.stringValue.flatMap(DateTimeText.parse) else {
                throw SalesforceError(kind: .protocolViolation, message: "a getDeleted record for \(object) has no id or deletedDate")
            }
            records.append((id, date))
        }
        func date(_ key: String) throws(SalesforceError) -> Date? {
            guard let value = answer[key], value != .null else { return nil }
            guard let date = value.stringValue.flatMap(DateTimeText.parse) else {
                throw SalesforceError(kind: .protocolViolation, message: "the getDeleted answer for \(object) has an unreadable \(key)")
            }
            return date
        }
        return DeletedRecords(records: records, earliestDateAvailable: try date("earliestDateAvailable"),
                              latestDateCovered: try date("latestDateCovered"))
    }
}
