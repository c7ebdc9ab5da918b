import SalesforceModel
public import Foundation
import JSON
import Salesforce
public import Store
import SyncRules

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

    public let environment: JobEnvironment
    let options: ImportOptions

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

    public static func report(of stored: StoredRun) throws -> ImportReport {
        let run = stored.record
        let objects = try stored.store.runObjects(run: run.id).map { row in
            ImportObjectReport(object: row.object, read: row.read, created: row.created, updated: row.updated,
                               deleted: row.deleted, refreshed: row.refreshed, plannedCalls: row.plannedCalls, calls: row.calls, done: row.done,
                               schemaChanges: row.schemaChanges.flatMap { try? JSONValue.parse(Data($0.utf8)) },
                               method: row.method, fallback: row.fallback)
        }
        return ImportReport(outcome: stored.outcome, objects: objects, plannedCalls: run.plannedCalls ?? 0)
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
}
