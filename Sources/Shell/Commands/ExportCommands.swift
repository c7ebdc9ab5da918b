import SalesforceModel
import Foundation
import JSON
import Store
import SyncEngine
import SyncRules

/// `sync export` and `exports`: the lead export and what it did to each profile.
enum ExportCommands {
    static let export = CommandSpec(
        "export", group: SyncCommands.group, usage: "sync export [--full] [--dry-run] [--force] [--rest|--bulk] [--no-composite]",
        summary: "export the members of lytics.audiences as Leads: create, update or skip each, exactly once",
        details: """
            Every local profile in any of lytics.audiences (counted once) goes through the same rules as
            'preview lead'. A profile's Lead is the one remembered from an earlier export, else the oldest Lead
            with its email (looked up in batches: thousands of emails per call). Creates and updates go in
            sObject Collections of 200, five to a /composite call (1,000 records a call); an org without
            /composite gets one collection per call. When Bulk API 2.0 ingest jobs cost fewer calls (thousands of
            writes: one job of up to 100,000 Leads is about ten calls), the run writes through them instead, and
            looks existing Leads up with one Bulk query when that beats the IN queries; --rest or --bulk decide.
            A job's id and the profiles it carries are recorded before its upload: a run killed at any step
            resumes it (an Open job is aborted, a closed one settled from its results, a job created but never
            recorded is found among the user's open jobs and aborted). DUPLICATES_DETECTED on a create updates the matched Lead
            instead. Profiles that share an email share one Lead (the first profile writes it). A payload equal to
            the one last written is not sent again (--full sends every payload).
            With lytics.match_field (a Lead External ID holding the profile id) a profile without a remembered
            Lead is upserted by that key instead: no lookups, and no re-run can duplicate it.
            lytics.assignment_rule (active, none or a rule's Id; default active) chooses the Lead assignment
            rule Salesforce runs on created Leads; updates never run one. --dry-run names it.
            Exactly once: creates are recorded before they are sent; a create whose answer was lost (a kill, a
            dropped connection, a 5xx) is settled by email before it is sent again.
            Failures keep Salesforce's code and message and are retried by the next run; 'exports --failed' and
            'exports --skipped' list them with the reason. --dry-run makes only the describe, the rules and the lookups.
            The budget is lytics.export_max_daily_calls: at it, or at the org's limit, the run pauses (exit 4).
            Exit codes: 0 succeeded, 4 paused, 1 failed, 5 Salesforce unreachable after retries.
            """,
        examples: ["sync export", "sync export --dry-run", "sync export --bulk --json", "exports --failed"],
        options: [.flag("full", "send every payload, even unchanged ones"),
                  .flag("dry-run", "look up and decide; write nothing"),
                  .flag("force", "run although the job is paused"),
                  .flag("rest", "write through sObject Collections"),
                  .flag("bulk", "write through Bulk API 2.0 ingest jobs"),
                  .flag("no-composite", "one collection of 200 per call instead of five per /composite call")],
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            var options = ExportOptions()
            options.full = invocation.has("full")
            options.force = invocation.has("force")
            options.composite = !invocation.has("no-composite")
            switch (invocation.has("rest"), invocation.has("bulk")) {
            case (true, true): throw ShellError.usage("--rest and --bulk exclude each other", usage: invocation.usage)
            case (true, false): options.method = .rest
            case (false, true): options.method = .bulk
            case (false, false): options.method = nil
            }
            return try await JobCommand.run(invocation, session, job: { ExportJob($0, options: options) },
                                            plan: human, report: human)
        })

    static func skippedText(_ skipped: [String: Int]) -> String {
        skipped.keys.sorted().map { "  \($0): \(skipped[$0] ?? 0)\n" }.joined()
    }

    static func human(_ report: ExportReport) -> String {
        var text = "run \(report.runID) \(report.status.rawValue): \(report.created) created, \(report.updated) updated, "
            + "\(report.unchanged) unchanged, \(report.skipped.values.reduce(0, +)) skipped, \(report.failed) failed, "
            + "\(report.parked) parked; "
            + "\(report.calls) call\(report.calls == 1 ? "" : "s") (planned \(report.plannedCalls))"
            + (report.method == .bulk ? " through Bulk API 2.0" : "") + "\n"
        if !report.skipped.isEmpty { text += "skipped:\n" + skippedText(report.skipped) }
        if report.parked > 0 { text += "\(report.parked) parked profile\(report.parked == 1 ? " is" : "s are") not sent until 'exports retry' ('exports --parked' lists them)\n" }
        if !report.failures.isEmpty {
            text += "failed (retried by the next run, parked after lytics.max_attempts in a row; 'exports --failed' lists all):\n"
            for state in report.failures {
                text += "  \(state.profileID): \(state.errorCode ?? "?") \(state.reason ?? "")\(state.isParked ? " — parked" : "")\n"
            }
        }
        if let until = report.pausedUntil { text += "paused until \(RunControl.format(until))\n" }
        return text
    }

    static func human(_ plan: ExportPlan) -> String {
        var text = "a run would create \(plan.create), update \(plan.update), leave \(plan.unchanged) unchanged and skip "
            + "\(plan.skipped.values.reduce(0, +))\(plan.parked > 0 ? " (and hold back \(plan.parked) parked)" : ""), in about \(plan.plannedCalls) call\(plan.plannedCalls == 1 ? "" : "s")"
            + (plan.method == .bulk ? " through Bulk API 2.0 ingest jobs" : " through sObject Collections") + "; "
            + "this dry run made \(plan.calls) (describe, assignment rules and email lookups)\n"
            + "assignment rule: \(plan.assignment.note)\n"
        if !plan.skipped.isEmpty { text += "skipped:\n" + skippedText(plan.skipped) }
        return text
    }

    static let exports = CommandSpec(
        "exports", group: SyncCommands.group,
        usage: "exports [PROFILE] [--failed] [--skipped] [--parked] [--limit N] | exports retry PROFILE…|--all",
        summary: "what the lead export did to each profile: its Lead, last outcome, and why it was skipped, failed or parked",
        details: """
            One line per exported profile of the current org: the Lead, the last outcome (created, updated,
            unchanged, skipped, failed, parked), the reason (a skip's, or Salesforce's code and message), the
            failed writes in a row (attempts) and the run. With PROFILE, that profile alone, including a create
            sent but not settled yet. A profile whose write fails lytics.max_attempts times in a row (default 5)
            is parked with its last error and not sent again until 'exports retry PROFILE…' or
            'exports retry --all' releases it for the next run.
            """,
        examples: ["exports --failed", "exports u123 --json", "exports --skipped --csv", "exports --parked", "exports retry --all"],
        options: [.flag("failed", "only profiles whose last write failed"), .flag("skipped", "only skipped profiles"),
                  .flag("parked", "only parked profiles"), .flag("all", "with retry: every parked profile"),
                  .value("limit", "N", "at most N rows (default 1000)")],
        arguments: [.none],
        tabular: true,
        handler: { invocation, session in
            if invocation.positionals.first?.lowercased() == "retry" { return try retry(invocation, session) }
            try invocation.expectArguments(0...1)
            guard !invocation.has("all") else { throw ShellError.usage("--all goes with 'exports retry'", usage: invocation.usage) }
            let org = try session.currentOrg()
            var outcomes: [String] = []
            if invocation.has("failed") { outcomes.append("failed") }
            if invocation.has("skipped") { outcomes.append("skipped") }
            if invocation.has("parked") { outcomes.append(ExportProfileState.parked) }
            let limit = try invocation.integer("limit", in: 1...10_000_000) ?? 1000
            var states: [ExportProfileState]
            do throws(StoreError) {
                if let profile = invocation.positionals.first {
                    states = try session.store.exportState(org: org.alias, profileID: profile).map { [$0] } ?? []
                } else {
                    states = try session.store.exportStates(org: org.alias, outcomes: outcomes.isEmpty ? nil : outcomes, limit: limit)
                }
            } catch { throw ShellError(error) }
            if let profile = invocation.positionals.first, states.isEmpty {
                throw ShellError(.failure, "profile '\(Invocation.excerpt(profile))' was never exported to \(org.alias)",
                                 hint: "'preview lead \(Invocation.excerpt(profile))' shows what an export would do")
            }
            let rows = states.map { state -> [JSONValue] in
                [.string(state.profileID), state.leadID.map(JSONValue.string) ?? .null, state.outcome.map(JSONValue.string) ?? .null,
                 state.errorCode.map(JSONValue.string) ?? .null, state.reason.map(JSONValue.string) ?? .null,
                 .int(state.attempts), state.runID.map { .int(Int($0)) } ?? .null,
                 state.at.map { .string(RunControl.format($0)) } ?? .null,
                 state.isUnsettled ? .string("create sent in run \(state.intentRun ?? 0), not settled") : .null]
            }
            session.emit(Table(columns: ["profile", "lead_id", "outcome", "error_code", "reason", "attempts", "run", "at", "pending"],
                               rows: rows, keep: [0, 2]), for: invocation)
            return .done
        })

    /// `exports retry PROFILE…|--all`: parked profiles go again in the next export.
    static func retry(_ invocation: Invocation, _ session: ShellSession) throws(ShellError) -> CommandOutcome {
        let profiles = Array(invocation.positionals.dropFirst())
        guard profiles.isEmpty == invocation.has("all") else {
            throw ShellError.usage("give the parked profiles to retry or --all (one of them)", usage: "exports retry PROFILE…|--all")
        }
        let org = try session.currentOrg()
        let released: [String]
        do throws(StoreError) {
            released = try session.store.retryParked(org: org.alias, profileIDs: profiles.isEmpty ? nil : profiles)
        } catch { throw ShellError(error) }
        let missing = profiles.filter { !released.contains($0) }
        if !missing.isEmpty, released.isEmpty {
            throw ShellError(.failure, "no parked profile \(missing.map { "'\(Invocation.excerpt($0))'" }.joined(separator: ", ")) in \(org.alias)",
                             hint: "'exports --parked' lists them")
        }
        let text = released.isEmpty ? "no profile is parked in \(org.alias)\n"
            : "\(released.count) parked profile\(released.count == 1 ? "" : "s") will be sent again by the next 'sync export'"
                + (missing.isEmpty ? "" : "; not parked: \(missing.map { Invocation.excerpt($0) }.joined(separator: ", "))") + "\n"
        session.emit(.object([("org", .string(org.alias)), ("released", .array(released.map(JSONValue.string))),
                              ("not_parked", .array(missing.map(JSONValue.string)))]), human: text, for: invocation)
        return .done
    }
}
