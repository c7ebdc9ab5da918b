import SalesforceModel
public import Foundation
public import JSON
import Salesforce
import Store
public import SyncRules

/// What `sync import` is asked to do.
public struct ImportOptions: Sendable {
    /// Read everything again, whatever the watermarks say.
    public var full = false
    public var objects: [String] = ImportJob.defaultObjects
    /// Run even while the job is paused (the budget still applies).
    public var force = false
    /// Rows per page asked of Salesforce (`Sforce-Query-Options: batchSize`), 200–2000.
    public var batchSize: Int?
    /// How records are read: `auto` (a first REST page, then Bulk API 2.0 when it costs fewer
    /// calls), or always `rest` or `bulk` (`--rest`, `--bulk`).
    public var method: Estimates.ReadMethod = .auto
    /// Rows per Bulk result chunk and the polls a job is expected to need.
    public var bulk: Estimates.BulkShape = .standard
    /// Objects imported at once: each object's pages are sequential, the objects are not.
    public var concurrency = 2

    public init() {}

    /// How a pass is read: a Bulk job already under way is read on (unless `--rest`),
    /// whatever `auto` would choose now; otherwise as the options say.
    func method(bulkJobUnderWay: Bool) -> Estimates.ReadMethod {
        bulkJobUnderWay && method != .rest ? .bulk : method
    }

    /// How the extra passes (back-fill, formula refresh, Id listing) read: as the records, by the same options.
    var passReading: PassReading { PassReading(method: method, pageSize: batchSize, bulk: bulk) }
}

/// What one run did to one object.
public struct ImportObjectReport: Sendable, Equatable {
    public var object: String
    public var read = 0
    public var created = 0
    public var updated = 0
    public var deleted = 0
    /// Stored records whose formula values a refresh changed (`lytics.formula_refresh`).
    public var refreshed = 0
    public var plannedCalls: Int?
    public var calls: Int?
    public var done = false
    /// Describe changes since the previous run: `{"added": [...], "removed": [...], "changed": [{field, from, to}]}`.
    public var schemaChanges: JSONValue?
    /// `rest` or `bulk`: how the records were read (nil when this run read none).
    public var method: String?
    /// Why a Bulk read fell back to REST.
    public var fallback: String?
}

/// The outcome of an import run, as `sync import` prints it.
public struct ImportReport: Sendable {
    /// The run, how it ended and what it spent (`runID`, `status`, `calls` … read through it).
    public var outcome: RunOutcome
    public var objects: [ImportObjectReport]
    public var plannedCalls: Int

    /// `{"run", "job": "import", "org", "status", "objects": {"Lead": {"read", "created", "updated", "deleted",
    /// "refreshed", "method", "calls", "fallback"?}, …}, "calls", "planned_calls", "paused_until"}`.
    public var json: JSONValue {
        .object([
            ("run", .int(Int(runID))), ("job", .string("import")), ("org", .string(org)),
            ("status", .string(status.rawValue)),
            ("objects", .object(objects.map { report in
                var pairs: [(String, JSONValue)] = [
                    ("read", .int(report.read)), ("created", .int(report.created)),
                    ("updated", .int(report.updated)), ("deleted", .int(report.deleted)), ("refreshed", .int(report.refreshed)),
                    ("method", report.method.map(JSONValue.string) ?? .null), ("calls", report.calls.map(JSONValue.int) ?? .null),
                ]
                if let fallback = report.fallback { pairs.append(("fallback", .string(fallback))) }
                return (report.object, .object(pairs))
            })),
            ("calls", .int(calls)), ("planned_calls", .int(plannedCalls)),
            ("paused_until", RunControl.json(pausedUntil)),
        ])
    }
}

/// What a dry run found: per object the records a run would read and its calls.
public struct ImportPlan: Sendable {
    public struct Object: Sendable {
        public var object: String
        public var records: Int
        /// The inclusive lower bound (nil: everything).
        public var since: Date?
        /// Whether the run would resume a pass already under way.
        public var resumes: Bool
        /// How the run would read the records: `rest`, or `bulk` (after a first REST page when `auto` chose it).
        public var method: Estimates.ReadMethod
        /// The calls of the run, by the method it would use.
        public var calls: [Estimates.PlannedCall]
        /// The same read all through REST, and all through one Bulk API 2.0 job.
        public var restCalls: Int
        public var bulkCalls: Int
    }

    public var org: String
    public var full: Bool
    public var objects: [Object]
    /// Calls the dry run itself spent (the counts).
    public var countCalls: Int

    public var plannedCalls: Int { objects.reduce(0) { $0 + $1.calls.count } }

    public var json: JSONValue {
        .object([
            ("job", .string("import")), ("org", .string(org)), ("dry_run", .bool(true)), ("full", .bool(full)),
            ("objects", .object(objects.map { object in
                func count(_ kind: Estimates.PlannedCall.Kind) -> Int { object.calls.filter { $0.kind == kind }.count }
                return (object.object, .object([
                    ("records", .int(object.records)), ("since", RunControl.json(object.since)),
                    ("resumes", .bool(object.resumes)), ("method", .string(object.method.rawValue)),
                    ("describes", .int(count(.describe))), ("pages", .int(count(.page))),
                    ("jobs", .int(count(.job))), ("polls", .int(count(.poll))), ("chunks", .int(count(.chunk))),
                    ("deletes", .int(count(.deletes))), ("reconcile", .int(count(.reconcile))), ("refresh", .int(count(.refresh))),
                    ("planned_calls", .int(object.calls.count)),
                    ("rest_calls", .int(object.restCalls)), ("bulk_calls", .int(object.bulkCalls)),
                ]))
            })),
            ("planned_calls", .int(plannedCalls)), ("calls", .int(countCalls)),
        ])
    }
}
