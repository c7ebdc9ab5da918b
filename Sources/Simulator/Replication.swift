import Foundation
import GRDB
import JSON

// Data replication as Salesforce serves it: `GET /sobjects/{Type}/updated/?start=&end=` (getUpdated: the Ids whose
// SystemModstamp falls in the window, 30 days back at most) and `GET /sobjects/{Type}/deleted/?start=&end=`
// (getDeleted: the records in the Recycle Bin deleted in the window, 15 days back at most), and the Recycle Bin
// emptied (`POST /_sfsim/purge`): purged records are gone from `queryAll` and from getDeleted, and the object's
// `earliestDateAvailable` moves to the purge.

extension Org {
    /// How far back each resource answers.
    static let replicationDays = (updated: 30.0, deleted: 15.0)
    /// The most Ids one answer may hold.
    static let replicationIDLimit = 600_000

    func replication(_ object: ObjectDef, kind: String, request: SimRequest, user: SimUser) throws(APIError) -> SimResponse {
        guard object.replicateable, object.field("SystemModstamp") != nil else {
            throw APIError(status: 400, code: "INVALID_TYPE", message: "sObject type '\(object.name)' is not supported for replication.")
        }
        let now = clock.now()
        func bound(_ name: String) throws(APIError) -> Date {
            guard let text = request.queryValue(name), !text.isEmpty else {
                throw APIError(status: 400, code: "MISSING_ARGUMENT", message: "\(name) was not specified")
            }
            guard let date = SimDates.parseDateTime(text) else {
                throw APIError(status: 400, code: "INVALID_REPLICATION_DATE",
                               message: "\(name) is not a valid date-time (YYYY-MM-DDThh:mm:ss+hh:mm, URL-encoded): \(text)")
            }
            // Seconds are cut off, as Salesforce does.
            return Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60)
        }
        let start = try bound("start")
        let end = try bound("end")
        guard start < end else {
            throw APIError(status: 400, code: "INVALID_REPLICATION_DATE", message: "startDate must chronologically precede endDate")
        }
        let days = kind == "deleted" ? Self.replicationDays.deleted : Self.replicationDays.updated
        let oldest = now.addingTimeInterval(-days * 86_400)
        guard start >= Date(timeIntervalSince1970: (oldest.timeIntervalSince1970 / 60).rounded(.down) * 60) else {
            throw APIError(status: 400, code: "INVALID_REPLICATION_DATE",
                           message: "startDate cannot be more than \(Int(days)) days ago")
        }
        // Covered up to the end, or up to the last whole minute before now.
        let covered = min(end, Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60))
        let deleted = kind == "deleted"
        var sql = "SELECT Id, SystemModstamp FROM \"\(object.name)\" WHERE SystemModstamp >= ? AND SystemModstamp < ?"
        var arguments: [any DatabaseValueConvertible] = [SimDates.format(start), SimDates.format(max(covered, start))]
        if object.field("IsDeleted") != nil { sql += deleted ? " AND IsDeleted = 1" : " AND IsDeleted = 0" } else if deleted {
            sql += " AND 0"
        }
        if !user.viewAllData, object.field("OwnerId") != nil, object.name != "Note" {
            sql += " AND OwnerId = ?"
            arguments.append(user.id)
        }
        sql += " ORDER BY SystemModstamp, Id"
        let rows: [Row]
        do { rows = try store.db.read { db in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)) } } catch {
            throw APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "\(error)")
        }
        guard rows.count <= Self.replicationIDLimit else {
            throw APIError(status: 400, code: "EXCEEDED_ID_LIMIT",
                           message: "\(rows.count) Ids found, over the limit of \(Self.replicationIDLimit): choose a shorter window")
        }
        if deleted {
            let records = rows.map { row -> JSONValue in
                .object([("id", .string(row["Id"])), ("deletedDate", .string(row["SystemModstamp"]))])
            }
            let purged = lock.withLock { purges[object.name] } ?? created
            return .json(.object([("deletedRecords", .array(records)),
                                  ("earliestDateAvailable", .string(SimDates.format(purged))),
                                  ("latestDateCovered", .string(SimDates.format(covered)))]))
        }
        return .json(.object([("ids", .array(rows.map { .string($0["Id"]) })),
                              ("latestDateCovered", .string(SimDates.format(covered)))]))
    }

    /// Empties the Recycle Bin: of the records `ids` names, or of every record of `object`. Only deleted records
    /// are purged (as Salesforce's emptyRecycleBin); returns how many.
    public func purge(ids: [String]? = nil, object name: String? = nil) throws(APIError) -> Int {
        var targets: [(ObjectDef, [String]?)] = []
        if let name {
            guard let object = store.object(name), object.field("IsDeleted") != nil else {
                throw APIError(status: 400, code: "INVALID_TYPE", message: "no object \(name) with a Recycle Bin")
            }
            targets.append((object, nil))
        }
        if let ids {
            var byObject: [String: [String]] = [:]
            for text in ids {
                guard let id = RecordID.normalize(text),
                      let object = store.objects.values.first(where: { id.hasPrefix($0.keyPrefix) && $0.field("IsDeleted") != nil }) else {
                    throw APIError(status: 400, code: "MALFORMED_ID", message: "not a record Id of an object with a Recycle Bin: \(text)")
                }
                byObject[object.name, default: []].append(id)
            }
            for (name, ids) in byObject.sorted(by: { $0.key < $1.key }) {
                if let object = store.object(name) { targets.append((object, ids)) }
            }
        }
        let now = clock.now()
        var count = 0
        do {
            try store.db.write { db in
                for (object, ids) in targets {
                    var sql = "DELETE FROM \"\(object.name)\" WHERE IsDeleted = 1"
                    if let ids { sql += " AND Id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))" }
                    try db.execute(sql: sql, arguments: StatementArguments(ids ?? []))
                    if db.changesCount > 0 { lock.withLock { purges[object.name] = now } }
                    count += db.changesCount
                }
            }
        } catch {
            throw APIError(status: 500, code: "UNKNOWN_EXCEPTION", message: "\(error)")
        }
        return count
    }
}
