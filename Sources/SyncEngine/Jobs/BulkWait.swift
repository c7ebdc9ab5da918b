import Foundation
import SalesforceModel

extension RunContext {
    /// The longest wait between two polls of a Bulk API 2.0 job.
    static let longestPoll: TimeInterval = 30

    /// Polls a Bulk API 2.0 job (a query job of the import, an ingest job of the export) until it is finished,
    /// waiting 1, 2, 4 … up to 30 s between polls on the engine's clock, in steps of at most a second so an
    /// interrupt is seen at once.
    /// `doing` names a failed poll.
    func waitForBulk<Job>(_ first: Job, isFinished: (Job) -> Bool, doing: (Job) -> String,
                          poll: (Job) async throws(SalesforceError) -> Job) async throws -> Job {
        var job = first
        var interval: TimeInterval = 1
        while !isFinished(job) {
            let deadline = clock.now().addingTimeInterval(interval)
            while clock.now() < deadline {
                try await clock.sleep(until: min(deadline, clock.now().addingTimeInterval(1)))
                try stopIfAsked()
            }
            interval = min(interval * 2, Self.longestPoll)
            do { job = try await poll(job) } catch { throw JobStop.salesforce(error, doing: doing(job)) }
            // A long job keeps the run's lease.
            do { try control.renew(lease, run: runID) } catch { throw JobStop.engine(error) }
        }
        return job
    }
}
