import SalesforceModel
import Foundation
import JSON
import Store
import SyncEngine

/// `schedule`: when each job runs on its own (SPEC §6.5).
enum ScheduleCommands {
    static let usage = "schedule | schedule import keep-updated|hourly|off | schedule export keep-updated|off | "
        + "schedule contacts every-12h|off | schedule writeback with-contacts|off  [--org ALIAS]"

    static let schedule = CommandSpec(
        "schedule", group: SyncCommands.group, usage: usage,
        summary: "every job of every org: its schedule, state, last and next run, calls in 24 h vs budget; or set one",
        details: """
            keep-updated: the next run is due 24 h after the previous run finished. hourly (import): every hour after
            the previous start; at the budget or the org's limit the job pauses 24 h and the schedule resumes after.
            every-12h (contacts): every 12 h after the previous start. with-contacts (writeback): right after each
            contacts run ('sync writeback' runs it on demand as well). A failed run is retried after 5 min, then
            10, 20, … up to the schedule's period. An interrupted run is resumed at once.
            The schedules are the settings schedule.<job> of each org; lytics.keep_updated (import and export
            keep-updated) and lytics.run_hourly (import hourly) are views of them and stay in step.
            'sfsh daemon' runs what is due.
            """,
        examples: ["schedule", "schedule import keep-updated", "schedule contacts every-12h --org prod", "schedule --json"],
        options: [.value("org", "ALIAS", "the org to set the schedule of (default: the current org)", completion: .orgAlias)],
        arguments: [.choices(JobKind.allCases.map(\.rawValue)), .choices(ScheduleKind.allCases.map(\.rawValue))],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(0...2)
            if invocation.positionals.count == 1 {
                throw ShellError.usage("schedule: name the job and its schedule", usage: usage)
            }
            if invocation.positionals.count == 2 {
                return try set(invocation: invocation, session: session)
            }
            let orgs: [OrgRecord]
            do throws(StoreError) { orgs = try session.store.orgs() } catch { throw ShellError(error) }
            var entries: [JobScheduleStatus] = []
            for org in orgs {
                do throws(EngineError) {
                    entries += try JobScheduleStatus.all(org: org.alias, store: session.store, clock: session.clock)
                } catch { throw ShellError(error) }
            }
            if session.format(for: invocation) == .json {
                session.io.stdout.write(JSONValue.array(entries.map(\.json)).prettyPrinted() + "\n")
                return .done
            }
            let rows = entries.map { entry -> [JSONValue] in
                let status = entry.status
                return [.string(status.org), .string(status.job.rawValue), .string(entry.schedule.rawValue),
                        .string(status.state + (status.pausedUntil.map { " until " + RunControl.format($0) } ?? "")),
                        status.lastRun.map { .string("\($0.id) \($0.status.rawValue) \(RunControl.format($0.finishedAt ?? $0.startedAt))") } ?? .null,
                        entry.next.map { .string(RunControl.format($0.due) + " (\($0.why))") } ?? .null,
                        .string("\(status.calls24h)/\(status.budget.map(String.init) ?? "–")")]
            }
            session.emit(Table(columns: ["org", "job", "schedule", "state", "last_run", "next_run", "calls_24h"], rows: rows,
                               keep: [0, 1, 2]), for: invocation)
            return .done
        })

    static func set(invocation: Invocation, session: ShellSession) throws(ShellError) -> CommandOutcome {
        let jobWord = invocation.positionals[0].lowercased()
        guard let job = JobKind(rawValue: jobWord) else {
            throw ShellError.usage("schedule: '\(Invocation.excerpt(jobWord))' is not a job (import, export, contacts, writeback)", usage: usage)
        }
        let kindWord = invocation.positionals[1].lowercased()
        guard let kind = ScheduleKind(rawValue: kindWord), job.scheduleChoices.contains(kind) else {
            throw ShellError.usage("schedule \(job.rawValue): '\(Invocation.excerpt(kindWord))' is not one of "
                                   + job.scheduleChoices.map(\.rawValue).joined(separator: ", "), usage: usage)
        }
        let alias: String
        if let named = invocation.value("org") {
            let known: Bool
            do throws(StoreError) { known = try session.store.org(named) != nil } catch { throw ShellError(error) }
            guard known else { throw ShellError(.usage, "no org '\(Invocation.excerpt(named))'", hint: "'orgs' lists them") }
            alias = named
        } else {
            alias = try session.currentOrg().alias
        }
        do { try session.store.setSetting(job.scheduleKey, to: kind.rawValue, scope: alias) } catch { throw ShellError(error) }
        let next: (due: Date, why: String)?
        do throws(EngineError) {
            next = try JobScheduleStatus.all(org: alias, store: session.store, clock: session.clock).first { $0.status.job == job }?.next
        } catch { throw ShellError(error) }
        session.emit(.object([("org", .string(alias)), ("job", .string(job.rawValue)), ("schedule", .string(kind.rawValue)),
                              ("next_run_at", RunControl.json(next?.due))]),
                     human: "\(job.rawValue) of \(alias): \(kind.rawValue)"
                         + (next.map { "; next run \(RunControl.format($0.due)) (\($0.why)); 'sfsh daemon' runs it" } ?? "") + "\n",
                     for: invocation)
        return .done
    }
}
