import SalesforceModel
import Foundation
import Salesforce
import Store

/// Runs any `SyncJob` the one way every job runs: validate → admit (pause, lease) → the settings notes →
/// begin the run → the job's client with its budget → run, concluded as succeeded, paused, interrupted or
/// failed → finish → report. The shell, the daemon and the tests all call it.
public enum JobRunner {
    public static func run<Job: SyncJob>(_ job: Job) async throws(EngineError) -> Job.Report {
        try job.validate()
        let environment = job.environment
        let kind = Job.configuration.kind
        let org = environment.org
        let control = RunControl(store: environment.store, clock: environment.clock)
        let (previous, lease) = try control.admit(org: org.alias, job: kind, force: job.force)
        defer { control.release(lease) }
        for note in environment.settings.notes where control.firstTime(note, org: org.alias) {
            environment.events(.note(note))
        }
        let started = environment.clock.now()
        let runID = try job.begin(previous: previous, at: started)
        let client = try environment.connector.jobClient(for: org, job: kind, run: runID,
                                                         budget: environment.settings.budget(for: kind), forced: job.force)
        try control.renew(lease, run: runID)
        let context = RunContext(environment: environment, kind: kind, runID: runID, started: started, client: client,
                                 control: control, lease: lease)
        let ending = try await control.conclude(run: runID, org: org.alias, job: kind,
                                                resumeHint: Job.configuration.resumeHint) {
            try await job.run(context)
        }
        try job.finish(context)
        return try Job.report(run: runID, store: environment.store).ended(ending)
    }
}
