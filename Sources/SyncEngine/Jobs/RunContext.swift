import SalesforceModel
public import Foundation
public import Salesforce
public import Store
import SyncRules

/// One run under way: its record, its client (the job's budget, its ledger name), its lease, and the one
/// checkpoint every job calls after each committed page, chunk or call.
public struct RunContext: Sendable {
    public let environment: JobEnvironment
    public let kind: JobKind
    public let runID: Int64
    public let started: Date
    public let client: SalesforceClient
    let control: RunControl
    let lease: LeaseHandle
    /// Store work runs here, never on Swift's cooperative pool.
    let storeWorker: StoreWorker

    init(environment: JobEnvironment, kind: JobKind, runID: Int64, started: Date, client: SalesforceClient,
         control: RunControl, lease: LeaseHandle) {
        self.environment = environment
        self.kind = kind
        self.runID = runID
        self.started = started
        self.client = client
        self.control = control
        self.lease = lease
        self.storeWorker = StoreWorker(label: "sfsh-\(kind.rawValue)-store")
    }

    var store: Store { environment.store }
    var clock: any EngineClock { environment.clock }

    /// After each committed batch: renew the lease (a process that lost it stops), report progress with the
    /// one ETA rule (`JobProgress`), and stop when interrupted.
    public func checkpoint(object: String, done: Int, total: Int?) throws {
        do { try control.renew(lease, run: runID) } catch { throw JobStop.engine(error) }
        let elapsed = clock.now().timeIntervalSince(started)
        environment.events(.progress(SyncProgress(object: object, done: done, total: total, calls: calls,
                                                  rate: JobProgress.rate(done: done, elapsed: elapsed),
                                                  eta: JobProgress.eta(done: done, total: total, elapsed: elapsed))))
        try stopIfAsked()
    }

    /// Stops the run (as interrupted) when Ctrl-C or a signal asked for it.
    public func stopIfAsked() throws {
        if environment.shouldStop() { throw JobStop.interrupted }
    }

    /// The calls this run has made so far (the ledger's count).
    public var calls: Int { (try? store.callCount(run: runID)) ?? 0 }

    /// Runs store work (a transaction) off the cooperative pool.
    public func commit<T: Sendable>(_ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
        let store = self.store
        return try await storeWorker.run { try body(store) }
    }
}

/// One job's run under way, as a class holding its `RunContext`: the context's facts by their short names.
protocol JobRun: AnyObject {
    var context: RunContext { get }
}

extension JobRun {
    var runID: Int64 { context.runID }
    var client: SalesforceClient { context.client }
    var store: Store { context.store }
    var clock: any EngineClock { context.clock }
}
