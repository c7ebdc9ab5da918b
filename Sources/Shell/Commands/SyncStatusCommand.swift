import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncEngine
import SyncRules

// `sync status`: each job of the org, idle, running or paused, its calls against its budget.

extension SyncCommands {
    static let status = CommandSpec(
        "status", group: group, usage: "sync status",
        summary: "each job of the current org: idle, running or paused until when; last run; calls in the rolling 24 h vs its budget",
        examples: ["sync status", "sync status --json"],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            let org = try session.currentOrg()
            let statuses: [JobStatus]
            do {
                statuses = try JobStatus.all(org: org.alias, store: session.store, clock: session.clock,
                                             settings: try session.syncSettings())
            } catch let error as EngineError { throw ShellError(error) }
            if session.format(for: invocation) == .json {
                session.io.stdout.write(JSONValue.array(statuses.map(\.json)).prettyPrinted() + "\n")
                return .done
            }
            let rows = statuses.map { status -> [JSONValue] in
                [.string(status.job.rawValue), .string(status.org),
                 .string(status.state + (status.pausedUntil.map { " until " + RunControl.format($0) } ?? "")),
                 status.lastRun.map { .string("\($0.id) \($0.status.rawValue) \(RunControl.format($0.finishedAt ?? $0.startedAt))") } ?? .null,
                 .int(status.calls24h), status.budget.map(JSONValue.int) ?? .string("none (\(status.budgetKey))")]
            }
            session.emit(Table(columns: ["job", "org", "state", "last_run", "calls_24h", "budget"], rows: rows), for: invocation)
            for status in statuses { if let reason = status.pauseReason { session.note("\(status.job.rawValue): \(reason)") } }
            return .done
        })
}
