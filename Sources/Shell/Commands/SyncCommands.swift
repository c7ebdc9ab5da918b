import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncEngine
import SyncRules

/// `sync import|status`, `runs`, `imported`, `local`: the shell's side of the
/// engine. Each handler turns options into an engine call and its answer into output.
enum SyncCommands {
    static let group = "sync"
    static let all: [CommandSpec] = [sync, runs, imported, local, ExportCommands.exports, ScheduleCommands.schedule] + LevitateCommands.all

    static let objectList = ImportJob.defaultObjects.joined(separator: ",")

    static let sync = CommandSpec(
        "sync", group: group, usage: "sync import|export|contacts|writeback|status",
        summary: "run a sync job through the engine, or show where each job stands",
        examples: ["sync import", "sync import --dry-run", "sync status"],
        subcommands: [importCommand, ExportCommands.export, LevitateCommands.syncContacts, LevitateCommands.syncWriteback, status])

    /// The exit of a job's run: 0 succeeded, 4 paused, 1 interrupted or failed (5 unreachable, 3 auth: the failure's kind).
    static func ending(job: String, org: String, status: RunStatus, pausedUntil: Date?, message: String?,
                       failure: EngineError?, resume: String) throws(ShellError) -> CommandOutcome {
        switch status {
        case .succeeded:
            return .done
        case .paused:
            throw ShellError(.limit, "the \(job) of \(org) paused until \(pausedUntil.map(RunControl.format) ?? "?"): \(message ?? "")",
                             hint: "it goes on from its checkpoint on the next 'sync \(job)' after that (or now with --force)")
        case .interrupted:
            throw ShellError(.failure, "the \(job) of \(org) was interrupted", hint: resume)
        case .failed, .running:
            if let failure {
                var error = ShellError(failure)
                error.hint = [failure.hint, resume].compactMap { $0 }.joined(separator: "\n")
                throw error
            }
            throw ShellError(.failure, "the \(job) of \(org) failed: \(message ?? "")", hint: resume)
        }
    }

    /// The progress line and the engine's events, as a job's handler wires them.
    static func events(_ progress: ProgressLine) -> @Sendable (SyncEvent) -> Void {
        { event in
            switch event {
            case let .note(text): progress.note(text)
            case let .progress(state): progress.show(state)
            }
        }
    }

}
