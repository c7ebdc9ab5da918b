import SalesforceModel
import Foundation
import SyncEngine

/// The one way a `sync …` command runs its job: the dry run (planned in the engine) or the run through the
/// `JobRunner` with the progress line and Ctrl-C wired in, the report in the invocation's format, and the
/// exit by how the run ended.
enum JobCommand {
    static func run<Job: SyncJob>(_ invocation: Invocation, _ session: ShellSession,
                                  job make: (JobEnvironment) -> Job,
                                  plan planText: (Job.Plan) -> String,
                                  report reportText: (Job.Report) -> String) async throws(ShellError) -> CommandOutcome {
        let org = try session.currentOrg()
        let json = session.format(for: invocation) == .json
        let progress = ProgressLine(session: session, enabled: !json && session.io.stderrIsTerminal)
        let job = make(JobEnvironment(connector: session.connector, org: org, settings: try session.syncSettings(),
                                      events: SyncCommands.events(progress), shouldStop: session.interruption.take))
        if invocation.has("dry-run") {
            let plan: Job.Plan
            do throws(EngineError) { plan = try await job.plan() } catch { throw ShellError(error) }
            session.emit(plan.json, human: planText(plan), for: invocation)
            return .done
        }
        let report: Job.Report
        do throws(EngineError) { report = try await JobRunner.run(job) } catch { throw ShellError(error) }
        progress.finish()
        session.emit(report.json, human: reportText(report), for: invocation)
        return try SyncCommands.ending(job: Job.configuration.kind.rawValue, org: report.org, status: report.status,
                                       pausedUntil: report.pausedUntil, message: report.message, failure: report.failure,
                                       resume: Job.configuration.resumeHint)
    }
}
