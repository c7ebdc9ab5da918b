import CEditLine
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

    static let importCommand = CommandSpec(
        "import", group: group, usage: "sync import [--full] [--dry-run] [--objects Lead,Contact,…] [--rest|--bulk] [--force] [--batch-size N] [--chunk-size N]",
        summary: "import Lead, Contact, Opportunity and Account into the local store (incremental after the first run)",
        details: """
            Reads every field the user can read (compound address and geolocation fields through their components)
            and stores the records locally. After the first run only what changed since the last one is read
            (SystemModstamp, with a (SystemModstamp, Id) cursor so no record is lost on ties); deletes come
            through queryAll and are kept as deleted. Every page is checkpointed: a run that is stopped or killed
            resumes from its last page. --full reads everything again. --dry-run counts the records (one COUNT()
            call per object, nothing else) and prints the calls a run would make, through REST and through Bulk.
            Each object is read through REST query pages (⌈records / 2000⌉ calls) or one Bulk API 2.0 query job
            (1 create + polls + ⌈records / 25000⌉ result chunks), whichever costs fewer calls: the first REST page
            brings the count, and a large object goes on through Bulk. --rest or --bulk decide for every object. A
            Bulk job's result is stored chunk by chunk, each chunk checkpointed with its job and locator; a query
            Bulk cannot run falls back to REST (the run says why). Two objects are read at a time.
            The budget is lytics.import_max_daily_calls: at it, or at the org's limit, the run pauses, the job waits
            24 h (exit 4), and a new run before then is refused unless --force.
            Exit codes: 0 succeeded, 4 paused, 1 failed, 5 Salesforce unreachable after retries.
            """,
        examples: ["sync import", "sync import --dry-run", "sync import --objects Contact,Account --json", "sync import --full",
                   "sync import --bulk --objects Contact"],
        options: [.flag("full", "read everything again"), .flag("dry-run", "count and plan; only COUNT() calls"),
                  .value("objects", "O,O…", "only these of \(objectList)", completion: .choices(ImportJob.defaultObjects)),
                  .flag("rest", "read every object through REST query pages"),
                  .flag("bulk", "read every object through Bulk API 2.0 query jobs"),
                  .flag("force", "run although the job is paused"),
                  .value("batch-size", "N", "rows per page, 200–2000 (Sforce-Query-Options)"),
                  .value("chunk-size", "N", "rows per Bulk result chunk (maxRecords), 100–1000000; default 25000")],
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            var options = ImportOptions()
            options.full = invocation.has("full")
            options.force = invocation.has("force")
            options.batchSize = try invocation.integer("batch-size", in: 200...2000)
            if let chunk = try invocation.integer("chunk-size", in: 100...1_000_000) { options.bulk.chunkSize = chunk }
            switch (invocation.has("rest"), invocation.has("bulk")) {
            case (true, true): throw ShellError.usage("--rest and --bulk exclude each other", usage: invocation.usage)
            case (true, false): options.method = .rest
            case (false, true): options.method = .bulk
            case (false, false): options.method = .auto
            }
            if let objects = invocation.value("objects") {
                options.objects = try objects.split(separator: ",").map { name throws(ShellError) in
                    let trimmed = name.trimmingCharacters(in: .whitespaces)
                    guard let match = ImportQuery.object(named: trimmed) else {
                        throw ShellError.usage("--objects: '\(Invocation.excerpt(trimmed))' is not one of \(objectList)",
                                               usage: invocation.usage)
                    }
                    return match
                }
            }
            return try await JobCommand.run(invocation, session, job: { ImportJob($0, options: options) },
                                            plan: human, report: human)
        })

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

    static func human(_ report: ImportReport) -> String {
        let rows = report.objects.map { object -> [JSONValue] in
            [.string(object.object), object.method.map(JSONValue.string) ?? .null, .int(object.read), .int(object.created),
             .int(object.updated), .int(object.deleted), object.plannedCalls.map(JSONValue.int) ?? .null,
             object.calls.map(JSONValue.int) ?? .null]
        }
        let table = Table(columns: ["object", "via", "read", "created", "updated", "deleted", "planned", "calls"], rows: rows)
        var text = table.rendered(width: nil)
        for object in report.objects {
            if let fallback = object.fallback { text += fallbackLine(object.object, fallback) }
        }
        text += "run \(report.runID) \(report.status.rawValue): \(report.calls) call\(report.calls == 1 ? "" : "s") (planned \(report.plannedCalls))"
        if let until = report.pausedUntil { text += "; paused until \(RunControl.format(until))" }
        return text + "\n"
    }

    /// Why an object was read through REST although Bulk was asked for (`sync import`, `runs show`).
    static func fallbackLine(_ object: String, _ fallback: String) -> String {
        "\(object): read through REST; Bulk API 2.0 said: \(fallback)\n"
    }

    static func human(_ plan: ImportPlan) -> String {
        let rows = plan.objects.map { object -> [JSONValue] in
            func count(_ kind: Estimates.PlannedCall.Kind) -> Int { object.calls.filter { $0.kind == kind }.count }
            return [.string(object.object), .int(object.records),
                    .string(object.since.map { (object.resumes ? "resumes, since " : "since ") + RunControl.format($0) } ?? (object.resumes ? "resumes, everything" : "everything")),
                    .string(object.method.rawValue), .int(count(.describe)), .int(count(.page)),
                    .string(count(.job) == 0 ? "-" : "\(count(.job)) + \(EstimateCommands.plural(count(.poll), "poll")) + \(EstimateCommands.plural(count(.chunk), "chunk"))"),
                    .int(count(.deletes)), .int(object.calls.count), .int(object.restCalls), .int(object.bulkCalls)]
        }
        var text = Table(columns: ["object", "records", "reads", "via", "describes", "pages", "bulk job", "deletes", "calls",
                                   "all REST", "all Bulk"], rows: rows).rendered(width: nil)
        text += "a run would make about \(plan.plannedCalls) call\(plan.plannedCalls == 1 ? "" : "s"); this dry run made \(plan.countCalls) (COUNT() per object)\n"
        return text
    }

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

    static func showRun(_ id: Int64, invocation: Invocation, session: ShellSession) throws(ShellError) -> CommandOutcome {
        let run: RunRecord
        let objects: [RunObjectRecord]
        let calls: Int
        do throws(StoreError) {
            guard let found = try session.store.run(id) else {
                throw StoreError.database("no run \(id)")
            }
            run = found
            objects = try session.store.runObjects(run: id)
            calls = try session.store.callCount(run: id)
        } catch {
            if case .database("no run \(id)") = error {
                throw ShellError(.usage, "no run \(id)", hint: "'runs' lists the runs")
            }
            throw ShellError(error)
        }
        func changes(_ text: String?) -> JSONValue { text.flatMap { try? JSONValue.parse(Data($0.utf8)) } ?? .null }
        if session.format(for: invocation) == .json {
            guard case var .object(fields) = RunSummary.json(run, calls: calls) else { return .done }
            fields += [("full", .bool(run.full)), ("resumed_from", run.resumedFrom.map { .int(Int($0)) } ?? .null),
                       ("message", run.message.map(JSONValue.string) ?? .null),
                       ("unchanged", .int(run.unchanged)), ("archived", .int(run.archived)), ("removed", .int(run.removed)),
                       ("details", changes(run.details)),
                       ("objects", .array(objects.map { object in
                           .object([("object", .string(object.object)), ("read", .int(object.read)),
                                    ("created", .int(object.created)), ("updated", .int(object.updated)),
                                    ("deleted", .int(object.deleted)), ("total", object.total.map(JSONValue.int) ?? .null),
                                    ("planned_calls", object.plannedCalls.map(JSONValue.int) ?? .null),
                                    ("calls", object.calls.map(JSONValue.int) ?? .null), ("done", .bool(object.done)),
                                    ("method", object.method.map(JSONValue.string) ?? .null),
                                    ("fallback", object.fallback.map(JSONValue.string) ?? .null),
                                    ("schema_changes", changes(object.schemaChanges))])
                       }))]
            session.io.stdout.write(JSONValue.object(fields).prettyPrinted() + "\n")
            return .done
        }
        var text = "run \(run.id): \(run.job) of \(run.org), \(run.status.rawValue)\(run.full ? " (full)" : "")\n"
        text += "started \(RunControl.format(run.startedAt))"
        text += run.finishedAt.map { ", finished \(RunControl.format($0)) (\(Int($0.timeIntervalSince(run.startedAt).rounded())) s)" } ?? ""
        text += "\n"
        if let from = run.resumedFrom { text += "resumed the checkpoints of run \(from)\n" }
        if let message = run.message { text += "\(message)\n" }
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
            let change = changes(object.schemaChanges)
            if change != .null { text += "\(object.object) describe changes: \(ImportJob.describeChanges(change))\n" }
        }
        session.say(text)
        return .done
    }

    static let imported = CommandSpec(
        "imported", group: group, usage: "imported [OBJECT ID]",
        summary: "what the import stored: per object records, deleted, last run and cursor; or one record in its combined view",
        details: """
            The combined view of a lead or contact carries its account's fields (Account); an opportunity's also the
            account's contacts (Account.Contacts); an account lists its contacts and opportunities.
            """,
        examples: ["imported", "imported Contact 0035g0000000S4dAAE --json"],
        arguments: [.choices(ImportJob.defaultObjects), .none],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(0...2)
            let org = try session.currentOrg()
            if invocation.positionals.count == 1 {
                throw ShellError.usage("imported: name the object and the record id", usage: invocation.usage)
            }
            if invocation.positionals.count == 2 {
                let object = invocation.positionals[0]
                guard let name = ImportQuery.object(named: object) else {
                    throw ShellError.usage("imported: '\(Invocation.excerpt(object))' is not one of \(objectList)", usage: invocation.usage)
                }
                let id = invocation.positionals[1]
                let record: JSONValue?
                do throws(EngineError) { record = try LocalViews.combined(org: org.alias, id: id, object: name, store: session.store) } catch {
                    throw ShellError(error)
                }
                guard let record else {
                    throw ShellError(.failure, "no \(name) \(Invocation.excerpt(id)) in the local store of \(org.alias)",
                                     hint: "'sync import' fetches the org's records; 'local \"SELECT Id FROM \(name) LIMIT 5\"' lists some")
                }
                switch session.format(for: invocation) {
                case .json: session.io.stdout.write(record.prettyPrinted() + "\n")
                case .csv, .table:
                    let pairs = RecordFlattening.flatten(record)
                    let table = Table(columns: ["field", "value"], rows: pairs.map { [.string($0.0), $0.1] })
                    if session.format(for: invocation) == .csv {
                        session.io.stdout.write(table.csv())
                    } else {
                        session.say(table.rendered(width: session.io.terminalWidth()))
                    }
                }
                return .done
            }
            let counts: [String: LocalObjectCounts]
            let states: [ImportObjectState]
            do throws(StoreError) {
                counts = try session.store.localCounts(org: org.alias)
                states = try session.store.importStates(org: org.alias)
            } catch { throw ShellError(error) }
            var entries: [(String, JSONValue)] = []
            var rows: [[JSONValue]] = []
            for object in ImportJob.defaultObjects {
                let state = states.first { $0.object == object }
                let last = state?.lastRun.flatMap { (try? session.store.run($0)) ?? nil }
                let count = counts[object] ?? LocalObjectCounts(records: 0, deleted: 0)
                let cursor: JSONValue = state.map { state in
                    .object([("since", RunControl.json(state.phase != nil ? state.passLower : state.watermark)),
                             ("phase", state.phase.map(JSONValue.string) ?? .null),
                             ("system_modstamp", state.cursorStamp.map(JSONValue.string) ?? .null),
                             ("id", state.cursorID.map(JSONValue.string) ?? .null),
                             ("bulk_job", state.bulkJob.map(JSONValue.string) ?? .null)])
                } ?? .null
                entries.append((object, .object([("records", .int(count.records)), ("deleted", .int(count.deleted)),
                                                 ("last_run", last.map(RunSummary.brief) ?? .null), ("cursor", cursor)])))
                let cursorText: String
                if let state, let phase = state.phase {
                    cursorText = "\(phase) after \(state.cursorStamp ?? "the start") \(state.cursorID ?? "")"
                        + (state.bulkJob.map { " (query job \($0))" } ?? "")
                } else if let since = state?.watermark {
                    cursorText = "next run from \(RunControl.format(since))"
                } else {
                    cursorText = "never imported"
                }
                rows.append([.string(object), .int(count.records), .int(count.deleted),
                             last.map { .string("\($0.id) \(RunControl.format($0.finishedAt ?? $0.startedAt))") } ?? .null,
                             .string(cursorText.trimmingCharacters(in: .whitespaces))])
            }
            if session.format(for: invocation) == .json {
                session.io.stdout.write(JSONValue.object(entries).prettyPrinted() + "\n")
                return .done
            }
            session.emit(Table(columns: ["object", "records", "deleted", "last_run", "cursor"], rows: rows), for: invocation)
            return .done
        })

    static let local = CommandSpec(
        "local", group: group, usage: "local SQL [--limit N]",
        summary: "read-only SQL over the imported records of the current org",
        details: """
            Views: \(LocalViews.viewNames.joined(separator: ", ")), one column per field (combined views add
            "Account.Field" columns, opportunity_combined also "Account.Contacts"). Deleted records are left out.
            Only one read-only statement runs (SELECT or WITH); the connection refuses changes. At most --limit
            rows are printed (default 10000).
            """,
        examples: ["local 'SELECT Name, Email FROM Contact LIMIT 5'",
                   "local 'SELECT \"Account.Name\", COUNT(*) FROM contact_combined GROUP BY 1 ORDER BY 2 DESC' --csv"],
        options: [.value("limit", "N", "print at most N rows (default 10000)")],
        arguments: [.none],
        tabular: true,
        handler: { invocation, session in
            guard !invocation.positionals.isEmpty else {
                throw ShellError.usage("local: missing SQL", usage: invocation.usage)
            }
            let sql = invocation.positionals.joined(separator: " ")
            let limit = try invocation.integer("limit", in: 1...10_000_000) ?? 10_000
            let org = try session.currentOrg()
            let views: LocalViewSet
            do throws(EngineError) { views = try LocalViews.views(org: org.alias, store: session.store) } catch { throw ShellError(error) }
            let result: LocalQueryResult
            let truncated: Bool
            do throws(StoreError) {
                (result, truncated, _) = try session.store.localQuery(sql, views: views, limit: limit,
                                                                      shouldStop: { sfsh_take_sigint() != 0 })
            } catch {
                throw ShellError(.usage, "local: \(error.description.replacingOccurrences(of: "the sfsh database failed: ", with: ""))",
                                 hint: "views: \(LocalViews.viewNames.joined(separator: ", ")); only SELECT/WITH")
            }
            let rows = result.rows.map { row in
                row.map { value -> JSONValue in
                    switch value {
                    case .null: .null
                    case let .integer(number): .int(Int(number))
                    case let .real(number): .double(number)
                    case let .text(text): .string(text)
                    case let .blob(data): .string(data.base64EncodedString())
                    }
                }
            }
            session.emit(Table(columns: result.columns, rows: rows), for: invocation)
            if truncated { session.note("only the first \(limit) rows; --limit N for more") }
            return .done
        })
}

/// The progress line of a running job: rewritten in place on a terminal's
/// stderr, absent in scripts and with --json.
final class ProgressLine: @unchecked Sendable {
    let session: ShellSession
    let enabled: Bool
    private let lock = NSLock()
    private var shown = false

    init(session: ShellSession, enabled: Bool) {
        self.session = session
        self.enabled = enabled
    }

    /// The latest progress of each object, in the order they first reported (the import reads two at a time).
    private var objects: [SyncProgress] = []

    func show(_ progress: SyncProgress) {
        guard enabled else { return }
        lock.withLock {
            if let index = objects.firstIndex(where: { $0.object == progress.object }) {
                objects[index] = progress
            } else {
                objects.append(progress)
            }
            var text = Self.line(objects, calls: progress.calls)
            // One terminal line, or "\r" would not go back to its start.
            if let width = session.io.terminalWidth(), width > 1, text.count >= width { text = String(text.prefix(width - 2)) + "…" }
            session.io.stderr.write("\r\u{1B}[K" + text)
            shown = true
        }
    }

    /// `Lead: 200/250 · Contact: 4000/25000 records, 7 calls, 3100 rec/s, ETA 6s`.
    static func line(_ objects: [SyncProgress], calls: Int) -> String {
        var text = objects.map { progress in
            "\(progress.object): \(progress.done)" + (progress.total.map { "/\($0)" } ?? "")
        }.joined(separator: " · ")
        text += " records, \(calls) calls, \(Int(objects.reduce(0) { $0 + $1.rate }.rounded())) rec/s"
        let etas = objects.compactMap(\.eta)
        if !etas.isEmpty, etas.count == objects.count { text += ", ETA \(duration(etas.max() ?? 0))" }
        return text
    }

    func note(_ text: String) {
        lock.withLock {
            if shown { session.io.stderr.write("\r\u{1B}[K"); shown = false }
            session.io.stderr.write("note: " + TerminalText.sanitize(text) + "\n")
        }
    }

    func finish() {
        lock.withLock {
            if shown { session.io.stderr.write("\r\u{1B}[K"); shown = false }
        }
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total / 3600)h\(String(format: "%02d", total / 60 % 60))m"
    }
}
