import SalesforceModel
public import Foundation
public import JSON
import Salesforce
public import Store

/// Why a run stopped before its end (every job).
enum JobStop: Error {
    case salesforce(SalesforceError, doing: String)
    case engine(EngineError)
    case interrupted
}

/// How a run ended, for its report.
struct RunEnding: Sendable {
    var status: RunStatus = .succeeded
    var message: String?
    var pausedUntil: Date?
    /// The failure behind a failed run (its kind decides the exit code).
    var failure: EngineError?
}

/// A run's report: how the run ended is taken from its `RunEnding` (a stored run knows its status;
/// the failure behind it, which decides the exit code, only the run that had it).
public protocol JobReport: Sendable {
    /// What every job's report says: the run, how it ended, what it spent.
    var outcome: RunOutcome { get set }
    /// The report as `--json` prints it.
    var json: JSONValue { get }
    /// One line of counts, for the daemon's log.
    var summary: String { get }
}

/// The part of a report every job has.
public struct RunOutcome: Sendable {
    public var runID: Int64
    public var org: String
    public var status: RunStatus
    public var calls: Int
    public var pausedUntil: Date?
    /// Why it paused, failed or stopped.
    public var message: String?
    /// The failure behind a failed run (its kind decides the exit code).
    public var failure: EngineError?
}

extension StoredRun {
    /// The stored run's outcome (the failure behind it only the run that had it knows).
    public var outcome: RunOutcome {
        RunOutcome(runID: record.id, org: record.org, status: record.status, calls: calls, pausedUntil: pausedUntil, message: record.message)
    }
}

extension JobReport {
    public var runID: Int64 { outcome.runID }
    public var org: String { outcome.org }
    public var calls: Int { outcome.calls }
    public var status: RunStatus {
        get { outcome.status }
        set { outcome.status = newValue }
    }
    public var pausedUntil: Date? {
        get { outcome.pausedUntil }
        set { outcome.pausedUntil = newValue }
    }
    public var message: String? {
        get { outcome.message }
        set { outcome.message = newValue }
    }
    public var failure: EngineError? {
        get { outcome.failure }
        set { outcome.failure = newValue }
    }

    func ended(_ ending: RunEnding) -> Self {
        var report = self
        report.status = ending.status
        report.pausedUntil = ending.pausedUntil
        report.message = ending.message
        report.failure = ending.failure
        return report
    }
}

extension ImportReport: JobReport {
    public var summary: String {
        "\(objects.reduce(0) { $0 + $1.read }) read, \(objects.reduce(0) { $0 + $1.created }) created, "
            + "\(objects.reduce(0) { $0 + $1.updated }) updated, \(objects.reduce(0) { $0 + $1.deleted }) deleted"
    }
}

extension ExportReport: JobReport {
    public var summary: String {
        "\(created) created, \(updated) updated, \(unchanged) unchanged, \(skipped.values.reduce(0, +)) skipped, \(failed) failed"
    }
}

extension ContactsReport: JobReport {
    public var summary: String { "\(read) read, \(created) created, \(updated) updated, \(archived) archived, \(removed) removed" }
}

extension WritebackReport: JobReport {
    public var summary: String { "\(created) Notes created, \(skipped.values.reduce(0, +)) skipped, \(failed) failed" }
}

extension RunControl {
    /// Runs a job's body and records how the run ended: succeeded; paused for
    /// 24 h at its budget or the org's limit; interrupted (`resumeHint` says
    /// what the next run does); or failed with the error.
    func conclude(run runID: Int64, org: String, job: JobKind, resumeHint: String,
                  _ body: () async throws -> Void) async throws(EngineError) -> RunEnding {
        var ending = RunEnding()
        do {
            try await body()
            try finish(run: runID, status: .succeeded, message: nil, org: org, job: job)
        } catch let stop as JobStop {
            switch Self.classify(stop) {
            case let .pause(reason):
                ending.status = .paused
                ending.message = reason
                ending.pausedUntil = try pause(run: runID, org: org, job: job, reason: reason)
            case .interrupted:
                ending.status = .interrupted
                ending.message = "interrupted; \(resumeHint)"
                try finish(run: runID, status: .interrupted, message: ending.message, org: org, job: job)
            case let .fail(error):
                ending.status = .failed
                ending.message = error.message
                ending.failure = error
                try finish(run: runID, status: .failed, message: error.message, org: org, job: job)
            }
        } catch {
            let engineError = Self.storeFailure(error)
            ending.status = .failed
            ending.message = engineError.message
            ending.failure = engineError
            try finish(run: runID, status: .failed, message: engineError.message, org: org, job: job)
        }
        return ending
    }

    enum Outcome {
        case pause(String)
        case interrupted
        case fail(EngineError)
    }

    static func classify(_ stop: JobStop) -> Outcome {
        switch stop {
        case .interrupted: return .interrupted
        case let .salesforce(error, doing):
            switch error.kind {
            case .budgetExhausted: return .pause(error.message)
            case .limitExceeded: return .pause("the org's daily API limit is reached (\(error.description))")
            // Ctrl-C aborted a request in flight: the run is interrupted, not failed.
            case .interrupted: return .interrupted
            default: return .fail(EngineError(error, doing: doing))
            }
        case let .engine(error):
            return error.kind == .limit ? .pause(error.message) : .fail(error)
        }
    }
}

extension OrgConnector {
    /// The client of one run of a job: every call recorded in the ledger under
    /// the job's name and the run, and refused at the job's budget.
    /// A forced run (`--force`) asks the org again instead of trusting its last reported usage.
    func jobClient(for org: OrgRecord, job: JobKind, run runID: Int64, budget: Int?, forced: Bool) throws(EngineError) -> SalesforceClient {
        let ledger = LedgerMeter(store: store, clock: clock, org: org.alias, source: job.ledgerSource, runID: runID)
        let gate = BudgetGate(ledger: ledger, budget: budget, budgetKey: job.budgetKey, heedsOrgUsage: !forced)
        return try client(for: org, source: job.ledgerSource, meter: gate)
    }
}

/// Runs blocking store work on a thread of its own, never on Swift's cooperative pool.
final class StoreWorker: Sendable {
    let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: label) }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
        }
    }
}

/// A stable 64-bit FNV-1a hash as 16 hex digits: what a payload was, without keeping it.
func stableHash(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
