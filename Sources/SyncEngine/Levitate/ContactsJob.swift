import Foundation
import JSON
import Salesforce
import Store
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
    public var runID: Int64
    public var org: String
    public var status: RunStatus
    public var read = 0
    public var created = 0
    public var updated = 0
    public var archived = 0
    public var removed = 0
    /// Salesforce owners the owner map does not map (reported, never guessed).
    public var unmappedOwners: [String] = []
    /// Mapping warnings (formula fields, whose changes an incremental pull misses).
    public var warnings: [String] = []
    public var calls = 0
    public var pausedUntil: Date?
    public var message: String?
    public var failure: EngineError?

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

/// The contact pull of SPEC §6.1: the Contacts the connected user can see,
/// through `ContactMapping` (the code `preview contact` runs), stored as local
/// relationship-marketing contacts. Incremental on the import's
/// `(SystemModstamp, Id)` cursor with a checkpoint per page; a Contact deleted
/// in Salesforce is archived locally; deceased contacts are archived, or
/// removed with `levitate.remove_deceased`. Nothing is ever written to Salesforce.
public final class ContactsJob: Sendable {
    /// The job's cursor lives beside the import's, under its own name.
    public static let stateKey = "levitate:Contact"
    static let object = "Contact"

    let connector: OrgConnector
    let org: OrgRecord
    let settings: SyncSettings
    let options: ContactsOptions
    let events: @Sendable (SyncEvent) -> Void
    let shouldStop: @Sendable () -> Bool
    let storeWorker = StoreWorker(label: "sfsh-contacts-store")

    public init(connector: OrgConnector, org: OrgRecord, settings: SyncSettings, options: ContactsOptions,
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

    public func run() async throws(EngineError) -> ContactsReport {
        let control = RunControl(store: store, clock: clock)
        let (previous, lease) = try control.admit(org: org.alias, job: .contacts, force: options.force)
        defer { control.release(lease) }
        let started = clock.now()
        var state: ImportObjectState
        do { state = try store.importState(org: org.alias, object: Self.stateKey) } catch { throw EngineError(error) }
        let resuming = !options.full && state.phase != nil
        let runID: Int64
        do {
            runID = try store.startRun(org: org.alias, job: JobKind.contacts.rawValue, full: options.full, at: started,
                                       resumedFrom: resuming ? previous?.id : nil)
        } catch { throw EngineError(error) }
        if !resuming {
            state.passStartedAt = started
            state.passRun = runID
            state.passLower = options.full ? nil : state.watermark
            state.passFull = state.passLower == nil
            state.phase = "records"
            state.cursorStamp = nil
            state.cursorID = nil
            let begun = state
            do { try store.transaction { tx in try tx.saveImportState(begun) } } catch { throw RunControl.storeFailure(error) }
        } else if let previous {
            events(.note("resuming from the checkpoint of run \(previous.id) (\(previous.status.rawValue))"))
        }
        let client = try connector.jobClient(for: org, job: .contacts, run: runID, budget: settings.levitateBudget, forced: options.force)
        try control.renew(lease, run: runID)
        var found = Found()
        let ending = try await control.conclude(run: runID, org: org.alias, job: .contacts,
                                                resumeHint: "the next 'sync contacts' resumes from the last page stored") {
            try await pull(state: state, runID: runID, client: client, control: control, lease: lease, started: started, found: &found)
        }
        let details = JSONValue.object([("unmapped_owners", .array(found.unmappedOwners.sorted().map(JSONValue.string))),
                                        ("warnings", .array(found.warnings.map(JSONValue.string)))])
        do { try store.transaction { tx in try tx.setRunDetails(runID, details.serialized()) } } catch { throw RunControl.storeFailure(error) }
        return try Self.report(run: runID, store: store).ended(ending)
    }

    public static func report(run runID: Int64, store: Store) throws(EngineError) -> ContactsReport {
        do {
            guard let run = try store.run(runID) else { throw EngineError(.usage, "no run \(runID)") }
            let details = run.details.flatMap { try? JSONValue.parse(Data($0.utf8)) }
            let paused = run.status == .paused ? try store.jobState(org: run.org, job: run.job).pausedUntil : nil
            return ContactsReport(runID: runID, org: run.org, status: run.status, read: run.read, created: run.created,
                                  updated: run.updated, archived: run.archived, removed: run.removed,
                                  unmappedOwners: details?["unmapped_owners"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                  warnings: details?["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                  calls: try store.callCount(run: runID), pausedUntil: paused, message: run.message)
        } catch let error as EngineError {
            throw error
        } catch {
            throw RunControl.storeFailure(error)
        }
    }

    /// What the pages showed besides counts.
    struct Found {
        var unmappedOwners = Set<String>()
        var warnings: [String] = []
    }

    func pull(state initial: ImportObjectState, runID: Int64, client: SalesforceClient, control: RunControl,
              lease: LeaseHandle, started: Date, found: inout Found) async throws {
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
                state = try await storeWorker.run { [store] in
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
                do { try control.renew(lease, run: runID) } catch { throw JobStop.engine(error) }
                let elapsed = max(clock.now().timeIntervalSince(started), 0.001)
                events(.progress(SyncProgress(object: Self.object, done: done, total: total,
                                              calls: (try? store.callCount(run: runID)) ?? 0, rate: Double(done) / elapsed,
                                              eta: Double(max(total - done, 0)) / max(Double(done) / elapsed, 0.001))))
                if shouldStop() { throw JobStop.interrupted }
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
            try await storeWorker.run { [store] in
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
            while true {
                let before = state
                let records = page.records
                let alias = org.alias
                let now = clock.now()
                state = try await storeWorker.run { [store] in
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
                if shouldStop() { throw JobStop.interrupted }
                let following: String?
                do { following = try paging.next(after: page) } catch { throw JobStop.salesforce(error, doing: "read deleted Contacts") }
                guard let next = following else { break }
                do { page = try await client.nextPage(next) } catch { throw JobStop.salesforce(error, doing: "read deleted Contacts") }
            }
        }
        state.watermark = (state.passStartedAt ?? started).addingTimeInterval(-ImportJob.overlap)
        state.phase = nil
        state.cursorStamp = nil
        state.cursorID = nil
        state.passRun = nil
        state.lastRun = runID
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
