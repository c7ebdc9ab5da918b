import SalesforceModel
public import Foundation
public import JSON
import Salesforce
public import Store
import SyncRules

/// What `sync contacts` is asked to do.
public struct ContactsOptions: Sendable {
    /// Read every visible Contact again (and archive the ones no longer there).
    public var full = false
    public var force = false

    public init() {}
}

/// The outcome of a contact pull, as `sync contacts` prints it.
public struct ContactsReport: Sendable {
    /// The run, how it ended and what it spent (`runID`, `status`, `calls` … read through it).
    public var outcome: RunOutcome
    public var read = 0
    public var created = 0
    public var updated = 0
    public var archived = 0
    public var removed = 0
    /// Salesforce owners the owner map does not map (reported, never guessed).
    public var unmappedOwners: [String] = []
    /// Mapping warnings (formula fields, whose changes an incremental pull misses).
    public var warnings: [String] = []

    /// `{"run", "job": "contacts", "org", "status", "read", "created", "updated", "archived", "removed",
    /// "unmapped_owners", "calls", "paused_until"}`. The warnings go to stderr as notes, and to `runs show`.
    public var json: JSONValue {
        .object([
            ("run", .int(Int(runID))), ("job", .string("contacts")), ("org", .string(org)), ("status", .string(status.rawValue)),
            ("read", .int(read)), ("created", .int(created)), ("updated", .int(updated)), ("archived", .int(archived)),
            ("removed", .int(removed)), ("unmapped_owners", .array(unmappedOwners.map(JSONValue.string))),
            ("calls", .int(calls)), ("paused_until", RunControl.json(pausedUntil)),
        ])
    }
}

/// What a contact pull would read (`sync contacts --dry-run`): one COUNT() call.
public struct ContactsPlan: Sendable {
    public var org: String
    public var records: Int
    /// The pass's lower bound (changed since), nil for everything.
    public var since: Date?
    public var plannedCalls: Int
    public var calls: Int
    /// The calls of the extra passes among the planned ones (`levitate.reconcile_deletes`, `levitate.formula_refresh`).
    public var reconcile = 0
    public var refresh = 0

    public var json: JSONValue {
        .object([("job", .string("contacts")), ("org", .string(org)), ("dry_run", .bool(true)),
                 ("records", .int(records)), ("since", RunControl.json(since)), ("planned_calls", .int(plannedCalls)),
                 ("reconcile", .int(reconcile)), ("refresh", .int(refresh)), ("calls", .int(calls))])
    }

    public var text: String {
        let passes = [reconcile > 0 ? "\(reconcile) to find purged Contacts" : nil, refresh > 0 ? "\(refresh) to re-read formulas" : nil]
            .compactMap { $0 }
        return "a run would read \(records) Contact\(records == 1 ? "" : "s") (\(since.map { "changed since " + RunControl.format($0) } ?? "all"))"
            + " in about \(plannedCalls) calls" + (passes.isEmpty ? "" : " (" + passes.joined(separator: ", ") + ")")
            + "; this dry run made \(calls) (" + (calls == 1 ? "COUNT()" : "COUNT()s, and getDeleted when a reconciliation asks it") + ")\n"
    }
}

/// The contact pull of SPEC §6.1: the Contacts the connected user can see,
/// through `ContactMapping` (the code `preview contact` runs), stored as local
/// relationship-marketing contacts. Incremental on the import's
/// `(SystemModstamp, Id)` cursor with a checkpoint per page; a Contact deleted
/// in Salesforce is archived locally; deceased contacts are archived, or
/// removed with `levitate.remove_deceased`. Nothing is ever written to Salesforce.
public final class ContactsJob: SyncJob {
    public static let configuration = JobConfiguration(kind: .contacts,
                                                       resumeHint: "the next 'sync contacts' resumes from the last page stored")
    /// The job's cursor lives beside the import's, under its own name.
    public static let stateKey = "levitate:Contact"
    static let object = "Contact"

    public let environment: JobEnvironment
    let options: ContactsOptions
    /// What the run's pages showed besides counts; recorded with the run however it ended.
    private let seen = FoundBox()

    public init(_ environment: JobEnvironment, options: ContactsOptions) {
        self.environment = environment
        self.options = options
    }

    public var force: Bool { options.force }

    /// Runs the job through the `JobRunner`.
    public func run() async throws(EngineError) -> ContactsReport { try await JobRunner.run(self) }

    /// What a run would read: the Contacts changed since the pass's lower bound (one COUNT() call); a run
    /// reads them in pages of 2,000 after a describe (unless a fresh one is cached), reads the deletes too when
    /// incremental, and then the extra passes when due (`plannedPasses`).
    public func plan() async throws(EngineError) -> ContactsPlan {
        let state: ImportObjectState
        do { state = try store.importState(org: org.alias, object: Self.stateKey) } catch { throw EngineError(error) }
        let lower = options.full ? nil : state.phase != nil ? state.passLower : state.watermark
        let client = try connector.client(for: org, source: JobKind.contacts.ledgerSource + " --dry-run")
        let page: QueryPage
        do { page = try await client.query(ImportQuery.count(Self.object, lower: lower)) } catch {
            throw EngineError(error, doing: "count Contacts")
        }
        let pages = max(1, (page.totalSize + 1999) / 2000)
        let extra = try await plannedPasses(state, lower: lower, since: page.totalSize, client: client)
        let describeCalls = DescribeCache(store: store, clock: clock).needsCall(Self.object, org: org.alias) ? 1 : 0
        return ContactsPlan(org: org.alias, records: page.totalSize, since: lower,
                            plannedCalls: describeCalls + pages + (lower == nil ? 0 : 1) + extra.calls.count, calls: 1 + extra.countCalls,
                            reconcile: extra.calls.filter { $0.kind == .reconcile }.count,
                            refresh: extra.calls.filter { $0.kind == .refresh }.count)
    }

    public func begin(previous: RunRecord?, at started: Date) throws(EngineError) -> Int64 {
        var state: ImportObjectState
        do { state = try store.importState(org: org.alias, object: Self.stateKey) } catch { throw EngineError(error) }
        let resuming = !options.full && state.phase != nil
        let runID: Int64
        do {
            runID = try store.startRun(org: org.alias, job: JobKind.contacts.rawValue, full: options.full, at: started,
                                       resumedFrom: resuming ? previous?.id : nil)
        } catch { throw EngineError(error) }
        if !resuming {
            state.beginPass(run: runID, at: started, full: options.full)
            let begun = state
            do { try store.transaction { tx in try tx.saveImportState(begun) } } catch { throw RunControl.storeFailure(error) }
        } else if let previous {
            events(.note("resuming from the checkpoint of run \(previous.id) (\(previous.status.rawValue))"))
        }
        return runID
    }

    public func run(_ context: RunContext) async throws {
        let state: ImportObjectState
        do { state = try store.importState(org: org.alias, object: Self.stateKey) } catch { throw JobStop.engine(EngineError(error)) }
        var found = Found()
        do {
            try await pull(state: state, context: context, found: &found)
        } catch {
            seen.set(found)
            throw error
        }
        seen.set(found)
    }

    /// The unmapped owners and warnings go with the run, whether it finished or not.
    public func finish(_ context: RunContext) throws(EngineError) {
        let found = seen.get()
        let details = JSONValue.object([("unmapped_owners", .array(found.unmappedOwners.sorted().map(JSONValue.string))),
                                        ("warnings", .array(found.warnings.map(JSONValue.string)))])
        do { try store.transaction { tx in try tx.setRunDetails(context.runID, details.serialized()) } } catch {
            throw RunControl.storeFailure(error)
        }
    }

    public static func report(of stored: StoredRun) throws -> ContactsReport {
        let run = stored.record
        let details = run.details.flatMap { try? JSONValue.parse(Data($0.utf8)) }
        return ContactsReport(outcome: stored.outcome, read: run.read, created: run.created,
                              updated: run.updated, archived: run.archived, removed: run.removed,
                              unmappedOwners: details?["unmapped_owners"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                              warnings: details?["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    /// What the pages showed besides counts.
    struct Found: Sendable {
        var unmappedOwners = Set<String>()
        var warnings: [String] = []
    }

    final class FoundBox: @unchecked Sendable {
        private let lock = NSLock()
        private var found = Found()
        func set(_ value: Found) { lock.withLock { found = value } }
        func get() -> Found { lock.withLock { found } }
    }

    func pull(state initial: ImportObjectState, context: RunContext, found: inout Found) async throws {
        let runID = context.runID
        let client = context.client
        let started = context.started
        var state = initial
        let describe: SObjectDescribe
        do { describe = try await DescribeCache(store: store, clock: clock).describe(Self.object, org: org.alias, client: client) } catch {
            throw JobStop.engine(error)
        }
        var fields = ContactMapping.fieldsNeeded(describe: describe, settings: settings.levitate)
        guard describe.field("SystemModstamp") != nil else {
            throw JobStop.engine(EngineError(.failure, "Contact shows no SystemModstamp to this user, so it cannot be pulled incrementally",
                                             hint: "check the user's field-level security"))
        }
        fields.append("SystemModstamp")
        let passRun = state.passRun ?? runID
        var done = 0

        if state.phase == "records" {
            var page: QueryPage
            do { page = try await client.query(ImportQuery.records(Self.object, fields: fields, lower: state.passLower, after: state.cursor)) } catch {
                throw JobStop.salesforce(error, doing: "pull Contacts")
            }
            var paging = QueryPaging(totalSize: page.totalSize)
            let total = page.totalSize
            while true {
                let mapped = try map(page.records, describe: describe, found: &found)
                let now = clock.now()
                var firstCounts = RunCounts()
                firstCounts.read = page.records.count
                let before = state
                let alias = org.alias
                let removeDeceased = settings.levitate.removeDeceased
                let pageCounts = firstCounts
                state = try await context.commit { store in
                    var next = before
                    try store.transaction { tx in
                        var counts = pageCounts
                        for (record, contact) in mapped {
                            guard let id = record["Id"]?.stringValue, let stamp = record["SystemModstamp"]?.stringValue else {
                                counts.failed += 1
                                continue
                            }
                            next.cursorStamp = stamp
                            next.cursorID = id
                            let existing = try tx.levitateContact(org: alias, id: id)
                            if contact.removed && removeDeceased {
                                try tx.removeLevitateContact(org: alias, id: id)
                                counts.removed += 1
                                continue
                            }
                            let row = LevitateContactRow(org: alias, id: id, name: Self.name(contact), company: contact.company,
                                                         owner: contact.owner.salesforce, archived: contact.archived,
                                                         systemModstamp: stamp, body: contact.json.serialized(),
                                                         syncedAt: now, runID: runID)
                            try tx.upsertLevitateContact(row, pass: passRun)
                            if existing == nil { counts.created += 1 } else { counts.updated += 1 }
                            if contact.archived && existing?.archived != true { counts.archived += 1 }
                        }
                        try tx.addRunCounts(run: runID, counts)
                        try tx.saveImportState(next)
                    }
                    return next
                }
                done += page.records.count
                try context.checkpoint(object: Self.object, done: done, total: total)
                let following: String?
                do { following = try paging.next(after: page) } catch { throw JobStop.salesforce(error, doing: "pull Contacts") }
                guard let next = following else { break }
                do { page = try await client.nextPage(next) } catch { throw JobStop.salesforce(error, doing: "pull Contacts") }
            }
            state.phase = state.passLower == nil ? nil : "deletes"
            state.cursorStamp = nil
            state.cursorID = nil
            let next = state
            let alias = org.alias
            let now = clock.now()
            try await context.commit { store in
                try store.transaction { tx in
                    if next.passFull {
                        // A full pass saw every Contact the user can see: the others are gone (or hidden) — archived.
                        var counts = RunCounts()
                        counts.archived = try tx.archiveUnseenLevitateContacts(org: alias, run: runID, pass: passRun, at: now)
                        try tx.addRunCounts(run: runID, counts)
                    }
                    try tx.saveImportState(next)
                }
            }
        }
        if state.phase == "deletes", let lower = state.passLower {
            var page: QueryPage
            do { page = try await client.query(ImportQuery.deletes(Self.object, lower: lower, after: state.cursor), all: true) } catch {
                throw JobStop.salesforce(error, doing: "read deleted Contacts")
            }
            var paging = QueryPaging(totalSize: page.totalSize)
            var deleted = 0
            while true {
                let before = state
                let records = page.records
                let alias = org.alias
                let now = clock.now()
                state = try await context.commit { store in
                    var next = before
                    try store.transaction { tx in
                        var counts = RunCounts()
                        for record in records {
                            guard let id = record["Id"]?.stringValue, let stamp = record["SystemModstamp"]?.stringValue else { continue }
                            next.cursorStamp = stamp
                            next.cursorID = id
                            if try tx.archiveLevitateContact(org: alias, id: id, run: runID, at: now) { counts.archived += 1 }
                        }
                        try tx.addRunCounts(run: runID, counts)
                        try tx.saveImportState(next)
                    }
                    return next
                }
                // The deletes renew the lease and report like the records (they did neither before).
                deleted += records.count
                try context.checkpoint(object: "\(Self.object) deletes", done: deleted, total: paging.totalSize)
                let following: String?
                do { following = try paging.next(after: page) } catch { throw JobStop.salesforce(error, doing: "read deleted Contacts") }
                guard let next = following else { break }
                do { page = try await client.nextPage(next) } catch { throw JobStop.salesforce(error, doing: "read deleted Contacts") }
            }
        }
        try await extraPasses(&state, describe: describe, fields: fields, context: context, found: &found)
        state.endPass(run: runID, runStarted: started)
        let finished = state
        do { try store.transaction { tx in try tx.saveImportState(finished) } } catch { throw JobStop.engine(RunControl.storeFailure(error)) }
    }

    /// The rules for each record of a page (a configuration the rules refuse stops the run).
    func map(_ records: [JSONValue], describe: SObjectDescribe, found: inout Found) throws -> [(JSONValue, ContactMapping.Contact)] {
        try records.map { record in
            let contact: ContactMapping.Contact
            do throws(RuleError) { contact = try ContactMapping.map(record: record, describe: describe, settings: settings.levitate) } catch {
                throw JobStop.engine(EngineError(.failure, error.message, hint: "fix the setting (set \(error.setting) …)"))
            }
            if contact.owner.local == nil,
               let owner = RecordFlattening.value(record, path: "Owner.Name").stringValue ?? record["OwnerId"]?.stringValue {
                found.unmappedOwners.insert(owner)
            }
            // Unmapped owners are reported once, as a list, not as a warning per contact.
            for warning in contact.warnings where !warning.hasPrefix("owner ") && !found.warnings.contains(warning) {
                found.warnings.append(warning)
                events(.note("warning: \(warning)"))
            }
            return (record, contact)
        }
    }

    /// "First Last" as shown (the nickname rule applied).
    static func name(_ contact: ContactMapping.Contact) -> String {
        [contact.firstName, contact.lastName].compactMap { $0 }.joined(separator: " ")
    }
}
