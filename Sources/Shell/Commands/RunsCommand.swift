import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncEngine
import SyncRules

// `runs` and `runs show ID`.

extension SyncCommands {
    static let runs = CommandSpec(
        "runs", group: group, usage: "runs [N] [--all] | runs show ID",
        summary: "the last N runs (default 20) of the current org's jobs with their counts and calls (--all: every org)",
        examples: ["runs", "runs 5 --json", "runs show 12"],
        options: [.flag("all", "runs of every org")],
        arguments: [.none],
        tabular: true,
        handler: { invocation, session in
            if invocation.positionals.first == "show" {
                try invocation.expectArguments(2...2)
                guard let id = Int64(invocation.positionals[1]), id > 0 else {
                    throw ShellError.usage("runs show: '\(Invocation.excerpt(invocation.positionals[1]))' is not a run id", usage: "runs show ID")
                }
                return try showRun(id, invocation: invocation, session: session)
            }
            try invocation.expectArguments(0...1)
            var limit = 20
            if let word = invocation.positionals.first {
                guard let number = Int(word), (1...100_000).contains(number) else {
                    throw ShellError.usage("runs: '\(Invocation.excerpt(word))' is not a number of runs (1–100000)", usage: invocation.usage)
                }
                limit = number
            }
            let org = invocation.has("all") ? nil : session.currentOrgAlias
            let runs: [RunRecord]
            var calls: [Int64: Int] = [:]
            do throws(StoreError) {
                runs = try session.store.runs(org: org, limit: limit)
                for run in runs { calls[run.id] = try session.store.callCount(run: run.id) }
            } catch { throw ShellError(error) }
            if session.format(for: invocation) == .json {
                session.io.stdout.write(JSONValue.array(runs.map { RunSummary.json($0, calls: calls[$0.id] ?? 0) }).prettyPrinted() + "\n")
                return .done
            }
            let rows = runs.map { run -> [JSONValue] in
                let skipped = (try? JSONValue.parse(Data(run.skipped.utf8)))?.objectValue ?? []
                return [.int(Int(run.id)), .string(run.job), .string(run.org), .string(run.status.rawValue),
                        .string(RunControl.format(run.startedAt)), run.finishedAt.map { .string(RunControl.format($0)) } ?? .null,
                        .int(run.read), .int(run.created), .int(run.updated), .int(run.deleted),
                        .int(skipped.reduce(0) { $0 + ($1.1.intValue ?? 0) }), .int(run.failed),
                        .int(calls[run.id] ?? 0), run.plannedCalls.map(JSONValue.int) ?? .null]
            }
            session.emit(Table(columns: ["id", "job", "org", "status", "started", "finished", "read", "created", "updated",
                                         "deleted", "skipped", "failed", "calls", "planned"], rows: rows, keep: [0, 3]),
                         for: invocation)
            return .done
        })

    /// `runs show ID --json`: the run's summary, its message, details and per-object counts, methods, fallbacks and
    /// describe changes (a support bundle carries the same).
    static func detailJSON(_ run: RunRecord, objects: [RunObjectRecord], calls: Int) -> JSONValue {
        func changes(_ text: String?) -> JSONValue { text.flatMap { try? JSONValue.parse(Data($0.utf8)) } ?? .null }
        guard case var .object(fields) = RunSummary.json(run, calls: calls) else { return .null }
        fields += [("full", .bool(run.full)), ("resumed_from", run.resumedFrom.map { .int(Int($0)) } ?? .null),
                   ("message", run.message.map(JSONValue.string) ?? .null),
                   ("unchanged", .int(run.unchanged)), ("archived", .int(run.archived)), ("removed", .int(run.removed)),
                   ("details", changes(run.details)),
                   ("objects", .array(objects.map { object in
                       .object([("object", .string(object.object)), ("read", .int(object.read)),
                                ("created", .int(object.created)), ("updated", .int(object.updated)),
                                ("deleted", .int(object.deleted)), ("refreshed", .int(object.refreshed)),
                                ("total", object.total.map(JSONValue.int) ?? .null),
                                ("planned_calls", object.plannedCalls.map(JSONValue.int) ?? .null),
                                ("calls", object.calls.map(JSONValue.int) ?? .null), ("done", .bool(object.done)),
                                ("method", object.method.map(JSONValue.string) ?? .null),
                                ("fallback", object.fallback.map(JSONValue.string) ?? .null),
                                ("schema_changes", changes(object.schemaChanges))])
                   }))]
        return .object(fields)
    }

    static func showRun(_ id: Int64, invocation: Invocation, session: ShellSession) throws(ShellError) -> CommandOutcome {
        let run: RunRecord
        let objects: [RunObjectRecord]
        let calls: Int
        let found: RunRecord?
        do throws(StoreError) {
            found = try session.store.run(id)
            objects = try session.store.runObjects(run: id)
            calls = try session.store.callCount(run: id)
        } catch { throw ShellError(error) }
        guard let found else { throw ShellError(.usage, "no run \(id)", hint: "'runs' lists the runs") }
        run = found
        func changes(_ text: String?) -> JSONValue { text.flatMap { try? JSONValue.parse(Data($0.utf8)) } ?? .null }
        if session.format(for: invocation) == .json {
            session.io.stdout.write(detailJSON(run, objects: objects, calls: calls).prettyPrinted() + "\n")
            return .done
        }
        var text = "run \(run.id): \(run.job) of \(run.org), \(run.status.rawValue)\(run.full ? " (full)" : "")\n"
        text += "started \(RunControl.format(run.startedAt))"
        text += run.finishedAt.map { ", finished \(RunControl.format($0)) (\(Int($0.timeIntervalSince(run.startedAt).rounded())) s)" } ?? ""
        text += "\n"
        if let from = run.resumedFrom { text += "resumed the checkpoints of run \(from)\n" }
        if let message = run.message { text += "\(message)\n" }
        if let details = changes(run.details).objectValue, case let .string(method)? = details.first(where: { $0.0 == "method" })?.1 {
            text += "written through " + (method == "bulk" ? "Bulk API 2.0 ingest jobs" : "sObject Collections")
            if case let .string(fallback)? = details.first(where: { $0.0 == "fallback" })?.1 { text += " (Bulk gave way: \(fallback))" }
            text += "\n"
        }
        if objects.isEmpty {
            text += "read \(run.read), created \(run.created), updated \(run.updated), unchanged \(run.unchanged), deleted \(run.deleted), "
                + "archived \(run.archived), removed \(run.removed), failed \(run.failed)\n"
            let skipped = RunCounts.parseSkipped(run.skipped)
            if !skipped.isEmpty { text += "skipped:\n" + ExportCommands.skippedText(skipped) }
        }
        text += "calls: \(calls) made, \(run.plannedCalls.map(String.init) ?? "?") planned\n"
        let rows = objects.map { object -> [JSONValue] in
            [.string(object.object), object.method.map(JSONValue.string) ?? .null, .int(object.read), .int(object.created),
             .int(object.updated), .int(object.deleted), object.plannedCalls.map(JSONValue.int) ?? .null,
             object.calls.map(JSONValue.int) ?? .null, .string(object.done ? "yes" : "no")]
        }
        if !objects.isEmpty {
            text += Table(columns: ["object", "via", "read", "created", "updated", "deleted", "planned", "calls", "done"], rows: rows)
                .rendered(width: session.io.terminalWidth())
        }
        for object in objects {
            if let fallback = object.fallback { text += fallbackLine(object.object, fallback) }
            if object.refreshed > 0 {
                text += "\(object.object): formula values of \(object.refreshed) record\(object.refreshed == 1 ? "" : "s") refreshed\n"
            }
            let change = changes(object.schemaChanges)
            if change != .null { text += "\(object.object) describe changes: \(ImportJob.describeChanges(change))\n" }
        }
        session.say(text)
        return .done
    }
}
