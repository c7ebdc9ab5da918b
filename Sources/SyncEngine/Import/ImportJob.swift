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
    /// `rest` or `bulk`: how the records were read (nil when this run read none).
    public var method: String?
    /// Why a Bulk read fell back to REST.
    public var fallback: String?
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

    /// `{"run", "job": "import", "org", "status", "objects": {"Lead": {"read", "created", "updated", "deleted",
    /// "method", "calls", "fallback"?}, …}, "calls", "planned_calls", "paused_until"}`.
    public var json: JSONValue {
        .object([
            ("run", .int(Int(runID))), ("job", .string("import")), ("org", .string(org)),
            ("status", .string(status.rawValue)),
            ("objects", .object(objects.map { report in
                var pairs: [(String, JSONValue)] = [
                    ("read", .int(report.read)), ("created", .int(report.created)),
                    ("updated", .int(report.updated)), ("deleted", .int(report.deleted)),
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
                    ("deletes", .int(count(.deletes))), ("planned_calls", .int(object.calls.count)),
                    ("rest_calls", .int(object.restCalls)), ("bulk_calls", .int(object.bulkCalls)),
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
public final class ImportJob: SyncJob {
    public static let configuration = JobConfiguration(kind: .import,
                                                       resumeHint: "the next 'sync import' resumes from the last page stored")
    public static let defaultObjects = ["Lead", "Contact", "Opportunity", "Account"]
    /// How far before a pass's start the next incremental pass begins (the pass cursor's).
    public static let overlap = ImportObjectState.passOverlap

    public let environment: JobEnvironment
    let options: ImportOptions
    /// Page writes run on their own thread, never on Swift's cooperative pool.
    let storeWorker = StoreWorker(label: "sfsh-import-store")

    public init(_ environment: JobEnvironment, options: ImportOptions) {
        self.environment = environment
        self.options = options
    }

    public var force: Bool { options.force }
    var shouldStop: @Sendable () -> Bool { environment.shouldStop }

    // MARK: Run

    /// Runs the job through the `JobRunner`.
    public func run() async throws(EngineError) -> ImportReport { try await JobRunner.run(self) }

    /// A run either starts a cycle (a pass per object, all begun before the first call, so a pause or a
    /// kill anywhere leaves every unfinished object resumable) or resumes the unfinished cycle.
    public func begin(previous: RunRecord?, at started: Date) throws(EngineError) -> Int64 {
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
                    begun.beginPass(run: runID, at: cycleStart, full: options.full)
                    try tx.saveImportState(begun)
                }
            }
        } catch { throw RunControl.storeFailure(error) }
        if resuming, let previous {
            events(.note("resuming from the checkpoints of run \(previous.id) (\(previous.status.rawValue))"))
        }
        return runID
    }

    /// Two objects at a time, each with a `CallTally` of its own.
    public func run(_ context: RunContext) async throws {
        try await Self.forEach(options.objects, concurrency: options.concurrency) { object in
            let tally = CallTally()
            try await CallTally.$current.withValue(tally) {
                try await self.importObject(object, context: context, tally: tally)
            }
        }
    }

    /// The report of a stored run.
    public static func report(run runID: Int64, store: Store) throws(EngineError) -> ImportReport {
        do {
            guard let run = try store.run(runID) else { throw EngineError(.usage, "no run \(runID)") }
            let objects = try store.runObjects(run: runID).map { row in
                ImportObjectReport(object: row.object, read: row.read, created: row.created, updated: row.updated,
                                   deleted: row.deleted, plannedCalls: row.plannedCalls, calls: row.calls, done: row.done,
                                   schemaChanges: row.schemaChanges.flatMap { try? JSONValue.parse(Data($0.utf8)) },
                                   method: row.method, fallback: row.fallback)
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

    public func validate() throws(EngineError) {
        guard !options.objects.isEmpty else { throw EngineError.usage("name at least one object", usage: "sync import --objects Lead,Contact") }
        for object in options.objects where ImportQuery.object(named: object) != object {
            throw EngineError.usage("the import reads \(Self.defaultObjects.joined(separator: ", ")); not '\(EngineError.excerpt(object))'",
                                    usage: "sync import --objects Lead,Contact,Opportunity,Account")
        }
    }

    /// Runs `body` for each item, at most `concurrency` at once; the first error
    /// cancels the others (their committed pages stand) and is thrown.
    static func forEach(_ items: [String], concurrency: Int,
                        _ body: @escaping @Sendable (String) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = items.makeIterator()
            for _ in 0..<max(1, concurrency) {
                guard let item = pending.next() else { break }
                group.addTask { try await body(item) }
            }
            while try await group.next() != nil {
                if let item = pending.next() { group.addTask { try await body(item) } }
            }
        }
    }

    // MARK: One object

    func importObject(_ object: String, context: RunContext, tally: CallTally) async throws {
        var state = try store.importState(org: org.alias, object: object)
        guard state.phase != nil else { return }  // finished earlier in this cycle
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

        let reading = ObjectRead(object: object, fields: fields, types: Dictionary(types, uniquingKeysWith: { first, _ in first }),
                                 passRun: state.passRun ?? context.runID, context: context, tally: tally)
        var planned: Int?
        if state.phase == "records" {
            (state, planned) = try await readRecords(reading, state: state)
            // The records are all read: a full pass now knows what is gone; an incremental one asks for deletes.
            state.phase = state.passLower == nil ? nil : "deletes"
            state.cursorStamp = nil
            state.cursorID = nil
            state.bulkJob = nil
            state.bulkLocator = nil
            let next = state
            try store.transaction { tx in
                if next.passFull {
                    let gone = try tx.markUnseenDeleted(object: object, org: self.org.alias, run: context.runID, pass: reading.passRun)
                    try tx.addCounts(run: context.runID, object: object, read: 0, created: 0, updated: 0, deleted: gone)
                }
                try tx.saveImportState(next)
            }
        }
        if state.phase == "deletes", let lower = state.passLower {
            let soql = ImportQuery.deletes(object, lower: lower, after: state.cursor)
            state = try await readPages(soql, all: true, read: reading, state: state,
                                        onFirst: { _, _, _ in (planned == nil ? tally.count + 1 : nil, true) }) { page, state, tx in
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
        state.endPass(run: context.runID, runStarted: context.started)
        let finished = state
        let calls = tally.count
        try store.transaction { tx in
            try tx.saveImportState(finished)
            try tx.updateRunObject(run: context.runID, object: object, plannedCalls: planned, calls: calls, done: true)
        }
    }

    /// What reading one object's records needs besides its state.
    struct ObjectRead: Sendable {
        let object: String
        let fields: [String]
        /// The describe's field types by name (to type Bulk's CSV cells).
        let types: [String: String]
        /// The run that began the pass: records read are marked seen by it.
        let passRun: Int64
        let context: RunContext
        /// The object's calls so far in this run.
        let tally: CallTally
    }

    /// Reads the records phase of a pass from its cursor, through REST pages or a
    /// Bulk API 2.0 job (see `ImportOptions.method`); returns the state after the
    /// last record and the calls planned for the object, when this run planned them.
    func readRecords(_ reading: ObjectRead, state initial: ImportObjectState) async throws -> (ImportObjectState, Int?) {
        let deletes = initial.passLower == nil ? 0 : 1
        let method = options.method(bulkJobUnderWay: initial.bulkJob != nil)
        if method == .bulk {
            do {
                return try await readBulk(reading, state: initial, deletes: deletes)
            } catch let fallback as BulkFallback {
                return (try await readREST(reading, state: try await fellBack(reading, fallback), deletes: deletes), nil)
            }
        }
        var switchToBulk = false
        var planned: Int?
        var state = try await readREST(reading, state: initial, deletes: deletes) { total, pageSize, done in
            if method == .auto && !done && Estimates.autoChoosesBulk(records: total, pageSize: pageSize, bulk: self.options.bulk) {
                switchToBulk = true
                planned = reading.tally.count + self.options.bulk.calls(records: total - pageSize) + deletes
                return (planned, false)
            }
            planned = Self.restPlan(reading, total: total, pageSize: pageSize, deletes: deletes)
            return (planned, true)
        }
        guard switchToBulk else { return (state, planned) }
        do {
            let (after, bulkPlanned) = try await readBulk(reading, state: state, deletes: deletes)
            return (after, bulkPlanned ?? planned)
        } catch let fallback as BulkFallback {
            // The REST read plans itself from its first page.
            state = try await fellBack(reading, fallback)
            return (try await readREST(reading, state: state, deletes: deletes), nil)
        }
    }

    /// Reads the records through REST pages from the state's cursor. `decide` sees
    /// the first page's total, size and `done`, and returns the plan and whether to go on.
    func readREST(_ reading: ObjectRead, state: ImportObjectState, deletes: Int,
                  decide: ((_ total: Int, _ pageSize: Int, _ done: Bool) -> (planned: Int?, goOn: Bool))? = nil) async throws
        -> ImportObjectState
    {
        let object = reading.object
        let context = reading.context
        try store.transaction { tx in try tx.updateRunObject(run: context.runID, object: object, method: "rest") }
        let soql = ImportQuery.records(object, fields: reading.fields, lower: state.passLower, after: state.cursor)
        return try await readPages(soql, all: false, read: reading, state: state,
                                   onFirst: decide ?? { total, pageSize, _ in
            (Self.restPlan(reading, total: total, pageSize: pageSize, deletes: deletes), true)
        }) { page, state, tx in
            let records = page.records.compactMap { Self.localRecord($0, object: object) }
            try self.storeRecords(records, read: page.records.count, reading: reading, state: &state, tx: tx)
        }
    }

    /// The object's calls when REST reads on after the first page: those made so far, the remaining pages, the deletes query.
    static func restPlan(_ reading: ObjectRead, total: Int, pageSize: Int, deletes: Int) -> Int {
        reading.tally.count + Estimates.pageCount(records: total, pageSize: pageSize) - 1 + deletes
    }

    /// One page's or chunk's records, their counts and the cursor after them, in the caller's transaction.
    func storeRecords(_ records: [LocalRecord], read: Int, reading: ObjectRead, state: inout ImportObjectState,
                      tx: StoreTransaction) throws {
        let runID = reading.context.runID
        let counts = try tx.upsert(records, org: org.alias, run: runID, pass: reading.passRun)
        try tx.addCounts(run: runID, object: reading.object, read: read, created: counts.created, updated: counts.updated, deleted: 0)
        if records.count < read { try tx.addFailed(run: runID, read - records.count) }
        if let last = records.last { state.cursorStamp = last.systemModstamp; state.cursorID = last.id }
    }

    /// Reads every page of `soql`, fetching the next page while the current one
    /// is stored. Each page's changes and the object's cursor commit together.
    /// `onFirst` sees the first page (total, size, done) before anything else is
    /// fetched: it returns the calls planned for the object, and whether to read on.
    func readPages(_ soql: String, all: Bool, read reading: ObjectRead, state initial: ImportObjectState,
                   onFirst: @escaping (_ total: Int, _ pageSize: Int, _ done: Bool) -> (planned: Int?, goOn: Bool),
                   store write: @escaping @Sendable (RawQueryPage, inout ImportObjectState, StoreTransaction) throws -> Void) async throws
        -> ImportObjectState
    {
        let object = reading.object
        let context = reading.context
        let client = context.client
        let batchSize = options.batchSize
        var state = initial
        var first = true
        var goOn = true
        var done = 0
        var total: Int?
        var paging = QueryPaging(totalSize: 0)
        // Pages are read raw: records are stored as Salesforce sent them, never parsed field by field.
        try await Self.pipelined(Self.fetching(object) { try await client.queryRaw(soql, all: all, batchSize: batchSize) }) { page in
            if first {
                first = false
                total = page.totalSize
                paging = QueryPaging(totalSize: page.totalSize)
                let decision = onFirst(page.totalSize, max(page.records.count, 1), page.done)
                goOn = decision.goOn
                if let planned = decision.planned {
                    let runID = context.runID
                    try self.store.transaction { tx in
                        try tx.updateRunObject(run: runID, object: object, total: page.totalSize, plannedCalls: planned)
                    }
                }
            }
            var following: String?
            do throws(SalesforceError) {
                following = try paging.next(records: page.records.count, done: page.done, nextRecordsUrl: page.nextRecordsUrl)
            } catch {
                throw JobStop.salesforce(error, doing: "import \(object)")
            }
            guard goOn, let url = following else { return nil }
            return Self.fetching(object) { try await client.nextPageRaw(url, batchSize: batchSize) }
        } handle: { page in
            let before = state
            state = try await self.storeWorker.run { [store] in
                var updated = before
                try store.transaction { tx in
                    try write(page, &updated, tx)
                    try tx.saveImportState(updated)
                }
                return updated
            }
            done += page.records.count
            try self.afterBatch(reading, done: done, total: total)
        }
        return state
    }

    /// A fetch whose Salesforce error stops the job, saying what it was doing.
    static func fetching<Batch: Sendable>(_ object: String, _ fetch: @escaping @Sendable () async throws -> Batch)
        -> @Sendable () async throws -> Batch
    {
        {
            do { return try await fetch() } catch let error as SalesforceError {
                throw JobStop.salesforce(error, doing: "import \(object)")
            }
        }
    }

    /// Reads batches (pages, chunks) one after another, fetching the next while one
    /// is handled: `next` sees each batch first and returns the fetch of the next
    /// one (nil after the last); `handle` then stores it. When anything throws, a
    /// batch fetched ahead is waited for before the error goes on, so the call it
    /// made is in the run's ledger when the run reports.
    static func pipelined<Batch: Sendable>(_ first: @escaping @Sendable () async throws -> Batch,
                                           next: (Batch) throws -> (@Sendable () async throws -> Batch)?,
                                           handle: (Batch) async throws -> Void) async throws {
        var pending: Task<Batch, any Error>? = Task(operation: first)
        do {
            while let task = pending {
                let batch = try await task.value
                pending = try next(batch).map { Task(operation: $0) }
                try await handle(batch)
            }
        } catch {
            if let pending {
                pending.cancel()
                _ = try? await pending.value
            }
            throw error
        }
    }

    /// After each committed page or chunk: the run's one checkpoint.
    func afterBatch(_ reading: ObjectRead, done: Int, total: Int?) throws {
        try reading.context.checkpoint(object: reading.object, done: done, total: total)
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
        try validate()
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
            let method = options.method(bulkJobUnderWay: resumes && state.bulkJob != nil)
            func plan(_ method: Estimates.ReadMethod) throws(EngineError) -> [Estimates.PlannedCall] {
                do {
                    return try Estimates.importCalls(counts: [(object, records)], pageSize: options.batchSize ?? 2000,
                                                     countCalls: false, deleteQueries: lower != nil, method: method, bulk: options.bulk)
                } catch { throw EngineError(.usage, error.message) }
            }
            let calls = try plan(method)
            objects.append(ImportPlan.Object(object: object, records: records, since: lower, resumes: resumes,
                                             method: calls.contains { $0.kind == .job } ? .bulk : .rest, calls: calls,
                                             restCalls: try plan(.rest).count, bulkCalls: try plan(.bulk).count))
        }
        return ImportPlan(org: org.alias, full: options.full, objects: objects, countCalls: objects.count)
    }
}
