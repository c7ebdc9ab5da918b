import SalesforceModel
public import Foundation
public import JSON
import Salesforce
public import Store

/// A job's fixed facts, like argument-parser's `CommandConfiguration`: which job it is and what its
/// interrupted run leaves for the next one.
public struct JobConfiguration: Sendable {
    public var kind: JobKind
    /// Said when a run is interrupted: what the next run does.
    public var resumeHint: String

    public init(kind: JobKind, resumeHint: String) {
        self.kind = kind
        self.resumeHint = resumeHint
    }
}

/// What every job runs in: the org and its connector, the settings, where events go, and the
/// interruption (Ctrl-C, SIGTERM) it checks at each checkpoint.
public struct JobEnvironment: Sendable {
    public let connector: OrgConnector
    public let org: OrgRecord
    public let settings: SyncSettings
    public let events: @Sendable (SyncEvent) -> Void
    public let shouldStop: @Sendable () -> Bool

    public init(connector: OrgConnector, org: OrgRecord, settings: SyncSettings,
                events: @escaping @Sendable (SyncEvent) -> Void = { _ in },
                shouldStop: @escaping @Sendable () -> Bool = { false }) {
        self.connector = connector
        self.org = org
        self.settings = settings
        self.events = events
        self.shouldStop = shouldStop
    }

    public var store: Store { connector.store }
    public var clock: any EngineClock { connector.clock }
}

/// A dry run's answer: what a run would do.
public protocol JobPlan: Sendable {
    /// The plan as `--dry-run --json` prints it.
    var json: JSONValue { get }
}

extension ImportPlan: JobPlan {}
extension ExportPlan: JobPlan {}
extension ContactsPlan: JobPlan {}
extension WritebackPlan: JobPlan {}

/// One sync job (import, export, contacts, write-back) in the one shape the `JobRunner` runs: a small
/// static configuration, `validate`, `plan` (the dry run, in the engine), and the run's own parts —
/// `begin` (its run record and checkpoints), `run` (the work, checkpointing through its `RunContext`)
/// and `finish` (what it records after the run ended, however it ended).
public protocol SyncJob: Sendable {
    associatedtype Report: JobReport
    associatedtype Plan: JobPlan

    static var configuration: JobConfiguration { get }
    var environment: JobEnvironment { get }
    /// Run even when paused, and ask the org for its usage instead of trusting the last reported one.
    var force: Bool { get }

    /// Refuses what cannot run (no audiences, an unknown object) before anything is taken or spent.
    func validate() throws(EngineError)
    /// What a run would do, and the few calls that tells it.
    func plan() async throws(EngineError) -> Plan
    /// Starts the run record once the lease is held; `previous` is the job's newest earlier run.
    func begin(previous: RunRecord?, at started: Date) throws(EngineError) -> Int64
    /// The run's work. Throws `JobStop` (or a store error) to end it early; the runner records how.
    func run(_ context: RunContext) async throws
    /// After the run ended (succeeded, paused, interrupted or failed).
    func finish(_ context: RunContext) throws(EngineError)
    /// The report of a stored run (read through `report(run:store:)`).
    static func report(of stored: StoredRun) throws -> Report
}

/// A stored run as a report reads it: its record, how long it is paused, the calls its ledger counts.
public struct StoredRun: Sendable {
    public let record: RunRecord
    public let pausedUntil: Date?
    public let calls: Int
    public let store: Store

    public var runID: Int64 { record.id }
}

extension SyncJob {
    public func validate() throws(EngineError) {}

    /// The report of a stored run of this job; a store that cannot be read is the store's failure.
    public static func report(run runID: Int64, store: Store) throws(EngineError) -> Report {
        do {
            guard let run = try store.run(runID) else { throw EngineError(.usage, "no run \(runID)") }
            let paused = run.status == .paused ? try store.jobState(org: run.org, job: run.job).pausedUntil : nil
            return try report(of: StoredRun(record: run, pausedUntil: paused, calls: try store.callCount(run: runID), store: store))
        } catch let error as EngineError {
            throw error
        } catch {
            throw RunControl.storeFailure(error)
        }
    }
    public func finish(_ context: RunContext) throws(EngineError) {}

    var store: Store { environment.store }
    var clock: any EngineClock { environment.clock }
    var org: OrgRecord { environment.org }
    var settings: SyncSettings { environment.settings }
    var events: @Sendable (SyncEvent) -> Void { environment.events }
    var connector: OrgConnector { environment.connector }

    /// A run record with nothing of the job's own to set up.
    func startRun(full: Bool, at started: Date, resumedFrom: Int64? = nil) throws(EngineError) -> Int64 {
        do {
            return try store.startRun(org: org.alias, job: Self.configuration.kind.rawValue, full: full, at: started,
                                      resumedFrom: resumedFrom)
        } catch { throw EngineError(error) }
    }
}

extension JobKind {
    /// The job as a schedule runs it: incremental, default options, not forced.
    public func scheduledJob(_ environment: JobEnvironment) -> any SyncJob {
        switch self {
        case .import: ImportJob(environment, options: ImportOptions())
        case .export: ExportJob(environment, options: ExportOptions())
        case .contacts: ContactsJob(environment, options: ContactsOptions())
        case .writeback: WritebackJob(environment, options: WritebackOptions())
        }
    }
}
