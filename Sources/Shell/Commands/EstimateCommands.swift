import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

/// `estimate allotment`, `estimate import`, `estimate export` (SPEC §7).
enum EstimateCommands {
    static let details = """
        The documented formulas (the integration's own doc), exactly:
          allotment per direction = (Total Daily API Calls Allowed − Daily API Calls For Other Integrations) / 2
            (halving leaves the same amount for the export; enter the whole number, rounded down)
          initial import days = (Leads + Contacts + Opportunities + Accounts) / Daily API Calls for the import
            (the doc warns this is slightly low: at the limit the import sleeps 24 h instead of resuming at the
            same time next day)
        sfsh's own figure counts calls, not records: a describe and a count per object plus ⌈records / page size⌉
        query pages (2000 rows a page), and simulates the pause rule (at the budget, pause 24 h from that moment)
        with a time per call (--latency, default 1 s). It differs because one call brings up to 2000 records, and
        because every pause pushes the rest of the run later. --live reads the numbers from the connected org and
        says how many calls that cost.
        """

    static let spec = CommandSpec(
        "estimate", group: "estimate", usage: "estimate allotment|import|export …",
        summary: "API allotments and initial import/export time: the documented formulas and sfsh's own estimate",
        details: details,
        examples: [],
        subcommands: [allotment, importSpec, export])

    static func number(_ invocation: Invocation, _ option: String, required: Bool = true) throws(ShellError) -> Int? {
        guard let text = invocation.value(option) else {
            if required { throw ShellError.usage("--\(option) is required", usage: invocation.usage) }
            return nil
        }
        let cleaned = text.replacingOccurrences(of: "_", with: "").replacingOccurrences(of: ",", with: "")
        guard let value = Int(cleaned) else {
            let tooBig = !cleaned.isEmpty && cleaned.allSatisfy(\.isNumber)
            throw ShellError.usage(tooBig ? "--\(option) must be at most \(Estimates.largestCount)"
                                          : "--\(option) must be a whole number, not '\(Invocation.excerpt(text))'",
                                   usage: invocation.usage)
        }
        guard value >= 0 else {
            throw ShellError.usage("--\(option) must not be negative (got \(value))", usage: invocation.usage)
        }
        guard value <= Estimates.largestCount else {
            throw ShellError.usage("--\(option) must be at most \(Estimates.largestCount) (got \(value))", usage: invocation.usage)
        }
        return value
    }

    static func usageError(_ error: Estimates.InputError, _ invocation: Invocation) -> ShellError {
        ShellError.usage(error.message, usage: invocation.usage)
    }

    /// `1 chunk`, `8 chunks`.
    static func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        if abs(value) < 0.01 { return String(format: "%g", value) }
        return String(format: "%.2f", value)
    }

    static let allotment = CommandSpec(
        "allotment", group: "estimate", usage: "estimate allotment --total N --other M [--live]",
        summary: "the daily API calls to give each direction: (total − other) / 2",
        examples: ["estimate allotment --total 100000 --other 20000", "estimate allotment --live --other 5000 --json"],
        options: [.value("total", "N", "Total Daily API Calls Allowed (DailyApiRequests.Max)"),
                  .value("other", "M", "Daily API calls other integrations use"),
                  .flag("live", "take --total from the connected org's DailyApiRequests.Max (1 call)")],
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            var total = try number(invocation, "total", required: !invocation.has("live"))
            guard let other = try number(invocation, "other") else {
                throw ShellError.usage("--other is required", usage: invocation.usage)
            }
            var liveCalls = 0
            if invocation.has("live") && total == nil {
                let (_, client) = try session.currentClient()
                let limits = try await session.salesforce("estimate allotment --live") { () async throws(SalesforceError) in
                    try await client.limits()
                }
                liveCalls = 1
                guard let max = limits["DailyApiRequests"]?.max else {
                    throw ShellError(.failure, "the org reports no DailyApiRequests limit")
                }
                total = max
            }
            let result: Estimates.Allotment
            guard let total else { throw ShellError.usage("--total is required (or --live)", usage: invocation.usage) }
            do throws(Estimates.InputError) { result = try Estimates.allotment(total: total, other: other) } catch {
                throw usageError(error, invocation)
            }
            var pairs: [(String, JSONValue)] = [
                ("total", .int(result.total)), ("other", .int(result.other)),
                ("per_direction", result.perDirection == result.perDirection.rounded() ? .int(Int(result.perDirection)) : .double(result.perDirection)),
                ("setting", .int(result.setting)),
            ]
            if invocation.has("live") { pairs.append(("live_calls", .int(liveCalls))) }
            var human = "(\(result.total) − \(result.other)) / 2 = \(format(result.perDirection)) calls a day for the import, and the same for the export\n"
            human += "set the maximum daily API calls to \(result.setting)"
            if invocation.has("live") { human += "\n(DailyApiRequests.Max \(result.total) read from the org: \(liveCalls) call)" }
            session.emit(.object(pairs), human: human, for: invocation)
            return .done
        })

    static let objectOptions: [(option: String, object: String)] = [
        ("leads", "Lead"), ("contacts", "Contact"), ("opportunities", "Opportunity"), ("accounts", "Account"),
    ]

    static let importSpec = CommandSpec(
        "import", group: "estimate",
        usage: "estimate import --leads A --contacts B --opportunities C --accounts D --calls K [--page-size P] [--latency S] [--live]",
        summary: "how long the initial import takes: the documented days, and sfsh's calls and day-by-day schedule (REST, and with Bulk API 2.0)",
        details: """
            Three figures: the documented one (records / daily calls), sfsh's calls through REST query pages alone
            (describe + count + ⌈records / page size⌉ per object, "engine"), and the calls 'sync import' makes by
            default ("bulk"): each object whose remaining records after the first page cost fewer calls as a Bulk
            API 2.0 query job (1 create + 2 expected polls + ⌈records / 25000⌉ result chunks) is read that way.
            Both are laid out day by day by the pause rule (24 h pause when the daily calls run out). Last, what
            each later incremental run's extra passes cost at the org's settings (lytics.reconcile_deletes: the Id
            listing, or 1 getDeleted call when nothing was purged; lytics.formula_refresh: at most every record's
            formulas), read as the import reads (pages, or a Bulk job when cheaper), and a week of them.
            """,
        examples: ["estimate import --leads 50000 --contacts 120000 --opportunities 30000 --accounts 20000 --calls 40000",
                   "estimate import --live --calls 40000 --json"],
        options: objectOptions.map { .value($0.option, "N", "how many \($0.object) records") } + [
            .value("calls", "K", "daily API calls allowed for the import (see 'estimate allotment')"),
            .value("page-size", "P", "rows per query page (default 2000)"),
            .value("latency", "S", "seconds per call in the simulation (default 1)"),
            .flag("live", "count the records in the connected org (/limits/recordCount, else SELECT COUNT())"),
        ],
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            let live = invocation.has("live")
            var counts: [String: Int] = [:]
            for (option, object) in objectOptions {
                if let value = try number(invocation, option, required: !live) { counts[object] = value }
            }
            guard let callsPerDay = try number(invocation, "calls") else {
                throw ShellError.usage("--calls is required", usage: invocation.usage)
            }
            guard callsPerDay > 0 else { throw ShellError.usage("--calls must be at least 1", usage: invocation.usage) }
            let pageSize = try number(invocation, "page-size", required: false) ?? 2000
            var latency = 1.0
            if let text = invocation.value("latency") {
                guard let value = Double(text), value >= 0, value.isFinite, value <= 86_400 else {
                    throw ShellError.usage("--latency must be a number of seconds from 0 to 86400, not '\(Invocation.excerpt(text))'",
                                           usage: invocation.usage)
                }
                latency = value
            }
            var liveCalls = 0
            if live {
                let missing = objectOptions.map(\.object).filter { counts[$0] == nil }
                let (_, client) = try session.currentClient()
                if !missing.isEmpty {
                    let found = try await session.salesforce("record counts") { () async throws(SalesforceError) in
                        try await client.recordCounts(missing)
                    }
                    liveCalls += 1
                    for object in missing { counts[object] = found[object] }
                    for object in missing where counts[object] == nil {
                        let page = try await session.salesforce("count \(object)") { () async throws(SalesforceError) in
                            try await client.query("SELECT COUNT() FROM \(object)")
                        }
                        liveCalls += 1
                        counts[object] = page.totalSize
                    }
                }
            }
            let ordered = objectOptions.map { (object: $0.object, records: counts[$0.object] ?? 0) }
            // Counts from the org are checked like typed ones (each ≤ largestCount, so the sum cannot overflow).
            for (object, count) in ordered where count < 0 || count > Estimates.largestCount {
                throw ShellError(.failure, "the org reported \(count) \(object) records, which cannot be right",
                                 hint: "give the counts with --leads/--contacts/--opportunities/--accounts")
            }
            let records = ordered.reduce(0) { $0 + $1.records }
            let documented: Double
            let simulation: Estimates.Simulation
            let bulkPlan: [Estimates.Segment]
            let bulkSimulation: Estimates.Simulation
            do throws(Estimates.InputError) {
                documented = try Estimates.documentedImportDays(records: records, callsPerDay: callsPerDay)
                let plan = try Estimates.importPlan(counts: ordered, pageSize: pageSize)
                simulation = try Estimates.simulate(plan, budget: callsPerDay, latency: latency)
                bulkPlan = try Estimates.importPlan(counts: ordered, pageSize: pageSize, method: .auto)
                bulkSimulation = try Estimates.simulate(bulkPlan, budget: callsPerDay, latency: latency)
            } catch { throw usageError(error, invocation) }
            // Per object: how the default import reads it and what that costs.
            let bulkObjects = ordered.map { entry -> (object: String, method: String, calls: [Estimates.PlannedCall.Kind: Int]) in
                var calls: [Estimates.PlannedCall.Kind: Int] = [:]
                for segment in bulkPlan where segment.object == entry.object { calls[segment.kind, default: 0] += segment.calls }
                return (entry.object, calls[.job] == nil ? "rest" : "bulk", calls)
            }
            var pairs: [(String, JSONValue)] = [
                ("records", .int(records)),
                ("calls_per_day", .int(callsPerDay)),
                ("documented_days", .double(documented)),
                ("engine", .object([
                    ("calls", .int(simulation.calls)),
                    ("days", .double(simulation.days)),
                    ("schedule", .array(simulation.schedule.map { day in
                        .object([("day", .int(day.day)), ("calls", .int(day.calls)), ("records", .int(day.records))])
                    })),
                ])),
                ("bulk", .object([
                    ("calls", .int(bulkSimulation.calls)),
                    ("days", .double(bulkSimulation.days)),
                    ("chunk_size", .int(Estimates.BulkShape.standard.chunkSize)),
                    ("expected_polls", .int(Estimates.BulkShape.standard.expectedPolls)),
                    ("objects", .object(bulkObjects.map { entry in
                        (entry.object, .object([
                            ("method", .string(entry.method)), ("pages", .int(entry.calls[.page] ?? 0)),
                            ("jobs", .int(entry.calls[.job] ?? 0)), ("polls", .int(entry.calls[.poll] ?? 0)),
                            ("chunks", .int(entry.calls[.chunk] ?? 0)),
                            ("calls", .int(entry.calls.values.reduce(0, +))),
                        ]))
                    })),
                    ("schedule", .array(bulkSimulation.schedule.map { day in
                        .object([("day", .int(day.day)), ("calls", .int(day.calls)), ("records", .int(day.records))])
                    })),
                ])),
            ]
            let settings = try session.syncSettings()
            let upkeep = PassUpkeep(counts: ordered, pageSize: pageSize, formulaRefresh: settings.formulaRefresh,
                                    reconcileDeletes: settings.reconcileDeletes)
            pairs.append(("passes", upkeepJSON(upkeep)))
            if live {
                pairs.insert(("counts", .object(ordered.map { ($0.object, .int($0.records)) })), at: 1)
                pairs.append(("live_calls", .int(liveCalls)))
            }
            var human = "records: " + ordered.map { "\($0.object) \($0.records)" }.joined(separator: ", ") + " = \(records)\n"
            human += "documented: \(records) / \(callsPerDay) = \(format(documented)) days (the doc says this is slightly low)\n"
            human += "sfsh: \(simulation.calls) calls (describe + count + ⌈records/\(pageSize)⌉ pages per object) at \(format(latency)) s each"
            human += simulation.pauses == 0
                ? ", no pause: \(format(simulation.days * 24)) h\n"
                : ", \(simulation.pauses) pause\(simulation.pauses == 1 ? "" : "s") of 24 h: \(format(simulation.days)) days\n"
            for day in simulation.schedule.prefix(10) {
                human += "  day \(day.day): \(day.calls) calls, \(day.records) records\n"
            }
            if simulation.schedule.count > 10 { human += "  … \(simulation.schedule.count - 10) more days (--json lists them)\n" }
            human += "sfsh with Bulk API 2.0 where it costs fewer calls (what 'sync import' does): \(bulkSimulation.calls) calls"
            human += bulkSimulation.pauses == 0
                ? ", no pause: \(format(bulkSimulation.days * 24)) h\n"
                : ", \(bulkSimulation.pauses) pause\(bulkSimulation.pauses == 1 ? "" : "s") of 24 h: \(format(bulkSimulation.days)) days\n"
            for entry in bulkObjects {
                let calls = entry.calls
                human += "  \(entry.object): " + (entry.method == "bulk"
                    ? "\(calls[.page] ?? 0) page + 1 job + \(plural(calls[.poll] ?? 0, "poll")) + \(plural(calls[.chunk] ?? 0, "chunk"))"
                    : "REST, " + plural(calls[.page] ?? 0, "page")) + " (+ describe, count)\n"
            }
            human += upkeepText(upkeep)
            if live { human += "(counts read from the org: \(liveCalls) call\(liveCalls == 1 ? "" : "s"))" }
            session.emit(.object(pairs), human: human, for: invocation)
            return .done
        })

    static let export = CommandSpec(
        "export", group: "estimate", usage: "estimate export [--calls K] [--rest|--bulk] [--no-composite]",
        summary: "the unique members of lytics.audiences, how many Leads would be created/updated/skipped, and the calls and days",
        details: """
            Reads the local profiles (profiles import) and applies the export rules offline. --calls defaults to
            lytics.export_max_daily_calls. The method is the run's: Bulk API 2.0 ingest jobs when they cost fewer
            calls than collections (--rest or --bulk decide); offline, lookups are counted as IN queries (a run that
            counts the org's Leads may read them with one Bulk query instead, for fewer calls).
            """,
        examples: ["estimate export", "estimate export --calls 20000 --json"],
        options: [.value("calls", "K", "daily API calls for the export (default: lytics.export_max_daily_calls)"),
                  .value("describe", "FILE", "a Lead describe (JSON), when no org is selected", completion: .file),
                  .flag("no-composite", "count as 'sync export --no-composite' sends: each query and collection a call"),
                  .flag("rest", "count collections, as 'sync export --rest'"),
                  .flag("bulk", "count ingest jobs, as 'sync export --bulk'")],
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            return try await ExportEstimate.run(invocation, session)
        })
}

/// `estimate export`: members, creates, updates, skips, calls and days, offline.
enum ExportEstimate {
    static func run(_ invocation: Invocation, _ session: ShellSession) async throws(ShellError) -> CommandOutcome {
        let sync = try session.syncSettings()
        let settings = sync.lytics
        guard !settings.audiences.isEmpty else {
            throw ShellError.usage("no audiences selected: set lytics.audiences A,B first", usage: invocation.usage)
        }
        let budget = try EstimateCommands.number(invocation, "calls", required: false)
            ?? sync.exportBudget
        guard let budget else {
            throw ShellError.usage("--calls is required (or set lytics.export_max_daily_calls)", usage: invocation.usage)
        }
        guard budget > 0 else { throw ShellError.usage("--calls must be at least 1", usage: invocation.usage) }
        let describe = try await session.describeForRules("Lead", file: invocation.value("describe"))
        let bodies: [String]
        do throws(StoreError) { bodies = try session.store.profileBodies(inAny: settings.audiences) } catch { throw ShellError(error) }
        var creates = 0, updates = 0, skips = 0
        var reasons: [String: Int] = [:]
        // Chunks as the export takes them (profiles by id, ExportCalls.chunkSize a chunk), so the count is the
        // dry run's: per chunk the emails without a remembered Lead are looked up, then creates and updates written.
        let profiles = bodies.compactMap { try? Profile.parse($0) }.sorted { $0.id < $1.id }
        var chunks: [ExportCalls.Chunk] = []
        for start in stride(from: 0, to: profiles.count, by: ExportCalls.chunkSize) {
            var chunk = ExportCalls.Chunk(lookups: [], creates: 0, updates: 0)
            var looked = Set<String>()
            for profile in profiles[start..<min(start + ExportCalls.chunkSize, profiles.count)] {
                let remembered = session.currentOrgAlias.flatMap { (try? session.store.exportedLead(org: $0, profileID: profile.id)) ?? nil }
                let result: LeadPayload.Result
                do throws(RuleError) { result = try LeadPayload.build(profile: profile, describe: describe, settings: settings, existingLeadID: remembered) } catch {
                    throw ShellError(.failure, error.message, hint: "fix the setting (set \(error.setting) …)")
                }
                // With lytics.match_field the export upserts by the profile id: no email is looked up.
                if remembered == nil, settings.matchField == nil, case let .string(email)? = profile.attributes[settings.emailAttribute],
                   let key = EmailKey.key(email), looked.insert(key).inserted {
                    chunk.lookups.append(key)
                }
                switch result.action {
                case .create, .upsert: chunk.creates += 1
                case .update: chunk.updates += 1
                case .skip:
                    skips += 1
                    reasons[result.reason ?? "?", default: 0] += 1
                }
            }
            creates += chunk.creates
            updates += chunk.updates
            chunks.append(chunk)
        }
        let composite = !invocation.has("no-composite")
        let forced: ExportCalls.Method?
        switch (invocation.has("rest"), invocation.has("bulk")) {
        case (true, true): throw ShellError.usage("--rest and --bulk exclude each other", usage: invocation.usage)
        case (true, false): forced = .rest
        case (false, true): forced = .bulk
        case (false, false): forced = nil
        }
        let method = ExportCalls.method(chunks, composite: composite, leads: nil, forced: forced)
        let calls = ExportCalls.planned(chunks, composite: composite, method: method, leads: nil)
        let simulation: Estimates.Simulation
        do throws(Estimates.InputError) { simulation = try Estimates.simulate(calls, budget: budget, latency: 1) } catch {
            throw EstimateCommands.usageError(error, invocation)
        }
        // Elapsed days by the pause rule (1 s a call), like the import's engine figure.
        let document: JSONValue = .object([
            ("members", .int(bodies.count)), ("create", .int(creates)), ("update", .int(updates)), ("skip", .int(skips)),
            ("calls", .int(calls.count)), ("method", .string(method.rawValue)), ("days", .double(simulation.days)),
            ("skip_reasons", .object(reasons.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
        ])
        var human = "\(bodies.count) unique members of \(settings.audiences.joined(separator: ", ")) (overlap counted once)\n"
        human += "create \(creates), update \(updates), skip \(skips)\n"
        for (reason, count) in reasons.sorted(by: { $0.key < $1.key }) { human += "  skipped: \(reason) × \(count)\n" }
        human += "\(calls.count) calls (email lookups, then " + (method == .bulk
            ? "Bulk API 2.0 ingest jobs of up to \(ExportCalls.ingestJobRows) Leads, about \(ExportCalls.ingestJobCalls) calls each)"
            : "creates and updates in collections of 200" + (composite ? ", five to a composite call)" : ")"))
        human += " at \(budget) a day: \(EstimateCommands.format(simulation.days)) days"
        human += simulation.pauses == 0 ? " (within one day's budget)\n" : " (\(simulation.pauses) pause\(simulation.pauses == 1 ? "" : "s") of 24 h)\n"
        human += "creates are counted before lookups: a lookup that finds a Lead turns a create into an update"
        session.emit(document, human: human, for: invocation)
        return .done
    }
}
