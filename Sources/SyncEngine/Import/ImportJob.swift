import Foundation
import JSON
import Salesforce
import Store
import SyncRules

/// What `sync import` is asked to do.
public struct ImportOptions: Sendable {
    /// Read everything again, whatever the watermarks say.
    public var full = false
    public var objects: [String] = ImportJob.defaultObjects
    /// Run even while the job is paused (the budget still applies).
    public var force = false
    /// Rows per page asked of Salesforce (`Sforce-Query-Options: batchSize`), 200–2000.
    public var batchSize: Int?

    public init() {}
}

/// What one run did to one object.
public struct ImportObjectReport: Sendable, Equatable {
    public var object: String
    public var read = 0
    public var created = 0
    public var updated = 0
    public var deleted = 0
    public var plannedCalls: Int?
    public var calls: Int?
    public var done = false
    /// Describe changes since the previous run: `{"added": [...], "removed": [...], "changed": [{field, from, to}]}`.
    public var schemaChanges: JSONValue?
}

/// The outcome of an import run, as `sync import` prints it.
public struct ImportReport: Sendable {
    public var runID: Int64
    public var org: String
    public var status: RunStatus
    public var objects: [ImportObjectReport]
    public var calls: Int
    public var plannedCalls: Int
    public var pausedUntil: Date?
    /// Why it paused, failed or stopped.
    public var message: String?
    /// The failure behind a failed run (its kind decides the exit code).
    public var failure: EngineError?

    /// `{"run", "job": "import", "org", "status", "objects": {"Lead": {"read", "created", "updated", "deleted"}, …},
    /// "calls", "planned_calls", "paused_until"}`.
    public var json: JSONValue {
        .object([
            ("run", .int(Int(runID))), ("job", .string("import")), ("org", .string(org)),
            ("status", .string(status.rawValue)),
            ("objects", .object(objects.map { report in
                (report.object, .object([("read", .int(report.read)), ("created", .int(report.created)),
                                         ("updated", .int(report.updated)), ("deleted", .int(report.deleted))]))
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
        public var calls: [Estimates.PlannedCall]
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
                    ("resumes", .bool(object.resumes)), ("describes", .int(count(.describe))),
                    ("pages", .int(count(.page))), ("deletes", .int(count(.deletes))),
                    ("planned_calls", .int(object.calls.count)),
                ]))
            })),
            ("planned_calls", .int(plannedCalls)), ("calls", .int(countCalls)),
        ])
    }
}

/// The import of SPEC §6.3: Lead, Contact, Opportunity and Account into the
/// local store, every readable field, incremental on `(SystemModstamp, Id)`.
///
/// Crash safety: each page's records, the object's cursor and the run's counts
/// commit in one transaction; each call's ledger row commits when its answer
/// arrives (a call spent is spent even when its page is lost). A run killed
/// anywhere resumes from the last committed page: the next run continues each
/// object's pass after its cursor, with the same lower bound.
public final class ImportJob: Sendable {
    public static let defaultObjects = ["Lead", "Contact", "Opportunity", "Account"]
    /// How far before a pass's start the next incremental pass begins, for
    /// clock skew and transactions that commit after their SystemModstamp.
    /// Records read twice are counted read, not updated.
    public static let overlap: TimeInterval = 300

    let connector: OrgConnector
    let org: OrgRecord
    let settings: SyncSettings
    let options: ImportOptions
    let events: @Sendable (SyncEvent) -> Void
    let shouldStop: @Sendable () -> Bool
    /// Page writes run on their own thread, never on Swift's cooperative pool.
    let storeWorker = StoreWorker(label: "sfsh-import-store")

    public init(connector: OrgConnector, org: OrgRecord, settings: SyncSettings, options: ImportOptions,
                events: @escaping @Sendable (SyncEvent) -> Void = { _ in },
                shouldStop: @escaping @Sendable () -> Bool = { false }) {
        self.connector = connector
        self.org = org
        self.settings = settings
        self.options = options
        self.events = events
        self.shouldStop = shouldStop
    }

    var store: Store { connector.store }
    var clock: any EngineClock { connector.clock }

    // MARK: Run

    public func run() async throws(EngineError) -> ImportReport {
        try checkObjects()
        let control = RunControl(store: store, clock: clock)
        let (previous, lease) = try control.admit(org: org.alias, job: .import, force: options.force)
        defer { control.release(lease) }
        for note in settings.notes where control.firstTime(note, org: org.alias) { events(.note(note)) }
        let started = clock.now()
        let states: [ImportObjectState]
        do { states = try options.objects.map { object throws(StoreError) in try store.importState(org: org.alias, object: object) } } catch {
            throw EngineError(error)
        }
        // A run either starts a cycle (a pass per object, all begun before the first call, so a pause or a
        // kill anywhere leaves every unfinished object resumable) or resumes the unfinished cycle.
        let inProgress = states.filter { $0.phase != nil }
        let resuming = !options.full && !inProgress.isEmpty
        let cycleStart = resuming ? (inProgress.compactMap(\.passStartedAt).min() ?? started) : started
        let runID: Int64
        do {
            runID = try store.startRun(org: org.alias, job: JobKind.import.rawValue, full: options.full, at: started,
                                       resumedFrom: resuming ? previous?.id : nil)
            try store.transaction { tx in
                for (position, state) in states.enumerated() {
                    try tx.addRunObject(run: runID, object: state.object, position: position)
                    if resuming && state.phase == nil && state.passStartedAt == cycleStart {
                        // Finished earlier in this cycle: nothing to do until the next one.
                        try tx.updateRunObject(run: runID, object: state.object, plannedCalls: 0, calls: 0, done: true)
                        continue
                    }
                    if state.phase != nil && !options.full { continue }
                    var begun = state
                    begun.passStartedAt = cycleStart
                    begun.passRun = runID
                    begun.passLower = options.full ? nil : state.watermark
                    begun.passFull = begun.passLower == nil
                    begun.phase = "records"
                    begun.cursorStamp = nil
                    begun.cursorID = nil
                    try tx.saveImportState(begun)
                }
            }
        } catch { throw RunControl.storeFailure(error) }
        if resuming, let previous {
            events(.note("resuming from the checkpoints of run \(previous.id) (\(previous.status.rawValue))"))
        }

        let client = try connector.jobClient(for: org, job: .import, run: runID, budget: settings.importBudget, forced: options.force)
        try control.renew(lease, run: runID)
        let context = RunContext(runID: runID, started: started, client: client, control: control, lease: lease)
        let ending = try await control.conclude(run: runID, org: org.alias, job: .import,
                                                resumeHint: "the next run resumes from the last page stored") {
            for object in options.objects {
                try await importObject(object, context: context)
            }
        }
        return try Self.report(run: runID, store: store).ended(ending)
    }

    /// The report of a stored run.
    public static func report(run runID: Int64, store: Store) throws(EngineError) -> ImportReport {
        do {
            guard let run = try store.run(runID) else { throw EngineError(.usage, "no run \(runID)") }
            let objects = try store.runObjects(run: runID).map { row in
                ImportObjectReport(object: row.object, read: row.read, created: row.created, updated: row.updated,
                                   deleted: row.deleted, plannedCalls: row.plannedCalls, calls: row.calls, done: row.done,
                                   schemaChanges: row.schemaChanges.flatMap { try? JSONValue.parse(Data($0.utf8)) })
            }
            let paused = run.status == .paused ? try store.jobState(org: run.org, job: run.job).pausedUntil : nil
            return ImportReport(runID: runID, org: run.org, status: run.status, objects: objects,
                                calls: try store.callCount(run: runID), plannedCalls: run.plannedCalls ?? 0,
                                pausedUntil: paused, message: run.message)
        } catch let error as EngineError {
            throw error
        } catch {
            throw RunControl.storeFailure(error)
        }
    }

    func checkObjects() throws(EngineError) {
        guard !options.objects.isEmpty else { throw EngineError.usage("name at least one object", usage: "sync import --objects Lead,Contact") }
        for object in options.objects where ImportQuery.object(named: object) != object {
            throw EngineError.usage("the import reads \(Self.defaultObjects.joined(separator: ", ")); not '\(EngineError.excerpt(object))'",
                                    usage: "sync import --objects Lead,Contact,Opportunity,Account")
        }
    }

    struct RunContext {
        let runID: Int64
        let started: Date
        let client: SalesforceClient
        let control: RunControl
        let lease: LeaseHandle
    }

    // MARK: One object

    func importObject(_ object: String, context: RunContext) async throws {
        var state = try store.importState(org: org.alias, object: object)
        guard state.phase != nil else { return }  // finished earlier in this cycle
        let callsBefore = try store.callCount(run: context.runID)
        let describe: SObjectDescribe
        do {
            describe = try await DescribeCache(store: store, clock: clock)
                .describe(object, org: org.alias, client: context.client, revalidate: true)
        } catch { throw JobStop.engine(error) }
        let fields = ImportQuery.fields(of: describe)
        guard fields.contains("Id"), fields.contains("SystemModstamp") else {
            throw JobStop.engine(EngineError(.failure, "\(object) shows no Id or SystemModstamp to this user, so it cannot be imported",
                                          hint: "check the user's field-level security"))
        }
        let types = describe.fields.map { ($0.name, $0.type) }
        let changes = Self.schemaChanges(from: state.fieldTypes, to: types)
        state.fieldTypes = JSONValue.object(types.map { ($0.0, .string($0.1)) }).serialized()
        let start = state
        try store.transaction { tx in
            try tx.saveImportState(start)
            try tx.updateRunObject(run: context.runID, object: object, schemaChanges: changes?.serialized())
        }
        if let changes { events(.note("\(object): the describe changed since the last run: \(Self.describeChanges(changes))")) }

        var planned: Int?
        let passRun = state.passRun ?? context.runID
        if state.phase == "records" {
            let soql = ImportQuery.records(object, fields: fields, lower: state.passLower, after: state.cursor)
            let final = state
            state = try await readPages(soql, all: false, object: object, context: context, state: final,
                                        onFirst: { total, pageSize in
                planned = 1 + Estimates.pageCount(records: total, pageSize: pageSize) + (final.passLower == nil ? 0 : 1)
                return planned
            }) { page, state, tx in
                let records = page.records.compactMap { Self.localRecord($0, object: object) }
                let counts = try tx.upsert(records, org: self.org.alias, run: context.runID, pass: passRun)
                try tx.addCounts(run: context.runID, object: object, read: page.records.count, created: counts.created,
                                 updated: counts.updated, deleted: 0)
                if records.count < page.records.count { try tx.addFailed(run: context.runID, page.records.count - records.count) }
                if let last = records.last { state.cursorStamp = last.systemModstamp; state.cursorID = last.id }
            }
            // The records are all read: a full pass now knows what is gone; an incremental one asks for deletes.
            state.phase = state.passLower == nil ? nil : "deletes"
            state.cursorStamp = nil
            state.cursorID = nil
            let next = state
            try store.transaction { tx in
                if next.passFull {
                    let gone = try tx.markUnseenDeleted(object: object, org: self.org.alias, run: context.runID, pass: passRun)
                    try tx.addCounts(run: context.runID, object: object, read: 0, created: 0, updated: 0, deleted: gone)
                }
                try tx.saveImportState(next)
            }
        }
        if state.phase == "deletes", let lower = state.passLower {
            let soql = ImportQuery.deletes(object, lower: lower, after: state.cursor)
            state = try await readPages(soql, all: true, object: object, context: context, state: state,
                                        onFirst: { _, _ in planned == nil ? 2 : nil }) { page, state, tx in
                let gone = page.records.compactMap { record -> (id: String, stamp: String)? in
                    guard let id = record.string("Id"), let stamp = record.string("SystemModstamp") else { return nil }
                    return (id, stamp)
                }
                let deleted = try tx.markDeleted(gone, object: object, org: self.org.alias, run: context.runID)
                try tx.addCounts(run: context.runID, object: object, read: 0, created: 0, updated: 0, deleted: deleted)
                if let last = gone.last { state.cursorStamp = last.stamp; state.cursorID = last.id }
            }
        }
        // The pass is complete: the next one starts a little before this one did.
        state.watermark = (state.passStartedAt ?? context.started).addingTimeInterval(-Self.overlap)
        state.phase = nil
        state.cursorStamp = nil
        state.cursorID = nil
        state.passRun = nil
        state.lastRun = context.runID
        let finished = state
        let calls = try store.callCount(run: context.runID) - callsBefore
        try store.transaction { tx in
            try tx.saveImportState(finished)
            try tx.updateRunObject(run: context.runID, object: object, plannedCalls: planned, calls: calls, done: true)
        }
    }

    /// Reads every page of `soql`, fetching the next page while the current one
    /// is stored. Each page's changes and the object's cursor commit together.
    func readPages(_ soql: String, all: Bool, object: String, context: RunContext, state initial: ImportObjectState,
                   onFirst: @escaping (_ total: Int, _ pageSize: Int) -> Int?,
                   store write: @escaping @Sendable (RawQueryPage, inout ImportObjectState, StoreTransaction) throws -> Void) async throws
        -> ImportObjectState
    {
        let client = context.client
        let batchSize = options.batchSize
        var state = initial
        // Pages are read raw: records are stored as Salesforce sent them, never parsed field by field.
        var pending: Task<RawQueryPage, any Error>? = Task {
            try await client.queryRaw(soql, all: all, batchSize: batchSize)
        }
        defer { pending?.cancel() }
        var first = true
        var done = 0
        var total: Int?
        while let task = pending {
            let page: RawQueryPage
            do { page = try await task.value } catch let error as SalesforceError {
                pending = nil
                throw JobStop.salesforce(error, doing: "import \(object)")
            }
            let next = page.done ? nil : page.nextRecordsUrl
            pending = next.map { url in Task { try await client.nextPageRaw(url, batchSize: batchSize) } }
            if first {
                first = false
                total = page.totalSize
                if let planned = onFirst(page.totalSize, max(page.records.count, 1)) {
                    let runID = context.runID
                    try store.transaction { tx in
                        try tx.updateRunObject(run: runID, object: object, total: page.totalSize, plannedCalls: planned)
                    }
                }
            }
            let before = state
            state = try await storeWorker.run { [store] in
                var updated = before
                try store.transaction { tx in
                    try write(page, &updated, tx)
                    try tx.saveImportState(updated)
                }
                return updated
            }
            do { try context.control.renew(context.lease, run: context.runID) } catch { throw JobStop.engine(error) }
            done += page.records.count
            let elapsed = max(clock.now().timeIntervalSince(context.started), 0.001)
            let rate = Double(done) / elapsed
            let calls = (try? store.callCount(run: context.runID)) ?? 0
            events(.progress(SyncProgress(object: object, done: done, total: total, calls: calls, rate: rate,
                                          eta: total.map { rate > 0 ? Double(max($0 - done, 0)) / rate : 0 })))
            if shouldStop() { throw JobStop.interrupted }
        }
        return state
    }

    /// A record as the store keeps it: its fields as sent, without `attributes`.
    static func localRecord(_ record: RawRecord, object: String) -> LocalRecord? {
        guard let id = record.string("Id"), let stamp = record.string("SystemModstamp") else { return nil }
        let account = ImportQuery.accountField(of: object).flatMap { record.string($0) }
        return LocalRecord(object: object, id: id, systemModstamp: stamp, accountID: account,
                           body: String(decoding: record.json, as: UTF8.self))
    }

    // MARK: Describe changes

    /// What changed between the field types of the last run and these: nil when nothing did (or there was no last run).
    static func schemaChanges(from old: String?, to new: [(String, String)]) -> JSONValue? {
        guard let old, let previous = try? JSONValue.parse(Data(old.utf8)), case let .object(pairs) = previous else { return nil }
        let before = Dictionary(pairs.map { ($0.0, $0.1.stringValue ?? "") }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(new, uniquingKeysWith: { first, _ in first })
        let added = new.map(\.0).filter { before[$0] == nil }
        let removed = pairs.map(\.0).filter { after[$0] == nil }
        let changed = new.compactMap { name, type -> JSONValue? in
            guard let was = before[name], was != type else { return nil }
            return .object([("field", .string(name)), ("from", .string(was)), ("to", .string(type))])
        }
        guard !added.isEmpty || !removed.isEmpty || !changed.isEmpty else { return nil }
        return .object([("added", .array(added.map(JSONValue.string))), ("removed", .array(removed.map(JSONValue.string))),
                        ("changed", .array(changed))])
    }

    /// `added Foo__c; removed Bar__c; Baz__c string → picklist`.
    public static func describeChanges(_ changes: JSONValue) -> String {
        var parts: [String] = []
        let added = changes["added"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let removed = changes["removed"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !added.isEmpty { parts.append("added \(added.joined(separator: ", ")) (records imported earlier have no value for them until they change; --full reads them again)") }
        if !removed.isEmpty { parts.append("removed \(removed.joined(separator: ", "))") }
        for change in changes["changed"]?.arrayValue ?? [] {
            parts.append("\(change["field"]?.stringValue ?? "?") \(change["from"]?.stringValue ?? "?") → \(change["to"]?.stringValue ?? "?")")
        }
        return parts.joined(separator: "; ")
    }

    // MARK: Dry run

    /// What a run would read and spend: one COUNT() per object (the only calls it makes), then the planner.
    public func plan() async throws(EngineError) -> ImportPlan {
        try checkObjects()
        let client = try connector.client(for: org, source: JobKind.import.ledgerSource + " --dry-run")
        var objects: [ImportPlan.Object] = []
        for object in options.objects {
            let state: ImportObjectState
            do { state = try store.importState(org: org.alias, object: object) } catch { throw EngineError(error) }
            let resumes = !options.full && state.phase != nil
            let lower = options.full ? nil : resumes ? state.passLower : state.watermark
            let cursor = resumes && state.phase == "records" ? state.cursor : nil
            var soql = ImportQuery.count(object, lower: lower)
            if let cursor { soql += (lower == nil ? " WHERE " : " AND ") + ImportQuery.after(cursor) }
            let records: Int
            do { records = try await client.query(soql).totalSize } catch { throw EngineError(error, doing: "count \(object)") }
            let calls: [Estimates.PlannedCall]
            do {
                calls = try Estimates.importCalls(counts: [(object, records)], pageSize: options.batchSize ?? 2000,
                                                  countCalls: false, deleteQueries: lower != nil)
            } catch { throw EngineError(.usage, error.message) }
            objects.append(ImportPlan.Object(object: object, records: records, since: lower, resumes: resumes, calls: calls))
        }
        return ImportPlan(org: org.alias, full: options.full, objects: objects, countCalls: objects.count)
    }
}
