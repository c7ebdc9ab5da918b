import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncEngine
import SyncRules

// `sync import`: options to ImportOptions, the plan and the report as text.

extension SyncCommands {
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
}
