import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncEngine
import SyncRules

/// `sync contacts`, `sync writeback`, `contacts`, `log`, `activities`: the
/// relationship-marketing side (SPEC §6.1).
enum LevitateCommands {
    static let all: [CommandSpec] = [contacts, log, activities]

    static let syncContacts = CommandSpec(
        "contacts", group: SyncCommands.group, usage: "sync contacts [--full] [--dry-run] [--force]",
        summary: "pull the Contacts the connected user can see into local relationship-marketing contacts",
        details: """
            Each Contact goes through the same rules as 'preview contact' (names with the nickname rule, address,
            phones with labels, title, company, key facts, tags, owner, unsubscribed, archived) and is stored
            locally. After the first run only what changed is read ((SystemModstamp, Id) cursor, checkpoint per
            page); a Contact deleted in Salesforce is archived locally; deceased contacts are archived, or removed
            with levitate.remove_deceased on. Owners the owner map does not map are reported. Mapped formula fields
            are warned about (Salesforce does not change SystemModstamp when only a formula changes) and read again
            when levitate.formula_refresh says (off|daily|every-run); Contacts purged from the Recycle Bin are archived
            when levitate.reconcile_deletes says (off|weekly|every-run). Nothing is
            written to Salesforce. --full reads everything again and archives the contacts no longer visible.
            --dry-run counts what a run would read (one COUNT() call; one more, and a getDeleted, when the extra
            passes are due) and the calls it would make.
            The budget is levitate.max_daily_calls (shared with 'sync writeback').
            Exit codes: 0 succeeded, 4 paused, 1 failed, 5 Salesforce unreachable after retries.
            """,
        examples: ["sync contacts", "sync contacts --json", "sync contacts --full"],
        options: [.flag("full", "read every visible Contact again"), .flag("dry-run", "count what a run would read; nothing stored"),
                  .flag("force", "run although the job is paused")],
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            var options = ContactsOptions()
            options.full = invocation.has("full")
            options.force = invocation.has("force")
            return try await JobCommand.run(invocation, session, job: { ContactsJob($0, options: options) },
                                            plan: \.text, report: human)
        })

    static func human(_ report: ContactsReport) -> String {
        var text = "run \(report.runID) \(report.status.rawValue): \(report.read) read, \(report.created) created, "
            + "\(report.updated) updated, \(report.archived) archived, \(report.removed) removed; \(report.calls) call\(report.calls == 1 ? "" : "s")\n"
        if !report.unmappedOwners.isEmpty {
            text += "owners not mapped (map owner \"<Salesforce user>\" <local user>): \(report.unmappedOwners.joined(separator: ", "))\n"
        }
        return text
    }

    static let syncWriteback = CommandSpec(
        "writeback", group: SyncCommands.group, usage: "sync writeback [--dry-run] [--force] [--no-composite]",
        summary: "write the local activities chosen by levitate.writeback as Notes on their contacts, each exactly once",
        details: """
            Each pending (or failed) activity of a kind levitate.writeback chooses (all, none, or a list of note, email,
            call, card, text) becomes a Note on its contact: ParentId the contact, Title (at most 80 characters)
            naming the kind and the subject, Body the text (at most 32,000 characters, cut with a marker). Notes go in
            collections of 200, five to a /composite call. Exactly once: each activity is marked before it is sent;
            one whose answer was lost is looked for among the contact's Notes before it is ever sent again.
            'activities' lists every activity with its state. The budget is levitate.max_daily_calls.
            """,
        examples: ["sync writeback", "sync writeback --dry-run", "sync writeback --json"],
        options: [.flag("dry-run", "list the Notes a run would create; no calls"), .flag("force", "run although the job is paused"),
                  .flag("no-composite", "one collection of 200 per call")],
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            var options = WritebackOptions()
            options.force = invocation.has("force")
            options.composite = !invocation.has("no-composite")
            let width = session.io.terminalWidth()
            return try await JobCommand.run(invocation, session, job: { WritebackJob($0, options: options) },
                                            plan: { human($0, width: width) }, report: human)
        })

    static func human(_ plan: WritebackPlan, width: Int?) -> String {
        var text = Table(columns: ["activity", "contact", "title", "body"], rows: plan.notes.map {
            [.int(Int($0.activity)), .string($0.contact), .string($0.title), .string("\($0.bodyLength) characters")]
        }).rendered(width: width)
        text += "a run would create \(plan.notes.count) Note\(plan.notes.count == 1 ? "" : "s") in about \(plan.plannedCalls) call\(plan.plannedCalls == 1 ? "" : "s")"
        if plan.unsettled > 0 { text += "; \(plan.unsettled) sent earlier are settled first" }
        return text + "\n" + ExportCommands.skippedText(plan.skipped)
    }

    static func human(_ report: WritebackReport) -> String {
        var text = "run \(report.runID) \(report.status.rawValue): \(report.created) Note\(report.created == 1 ? "" : "s") created, "
            + "\(report.skipped.values.reduce(0, +)) skipped, \(report.failed) failed; \(report.calls) call\(report.calls == 1 ? "" : "s")\n"
        text += ExportCommands.skippedText(report.skipped)
        if report.failed > 0 { text += "'activities' shows why each failed (retried by the next run)\n" }
        return text
    }

    // MARK: contacts

    /// A stored contact as `--json` shows it: the object `preview contact --json` prints, plus "id" and "synced_at".
    /// "archived" is the store's (archived by the mapping, or since: deleted in Salesforce, gone from a full pull),
    /// the one the list shows, not the mapping's of the last sync.
    static func json(_ row: LevitateContactRow) -> JSONValue {
        var mapped = (try? JSONValue.parse(Data(row.body.utf8)))?.objectValue ?? []
        mapped.removeAll { $0.0 == "id" || $0.0 == "synced_at" }
        if let index = mapped.firstIndex(where: { $0.0 == "archived" }) {
            mapped[index].1 = .bool(row.archived)
        } else {
            mapped.append(("archived", .bool(row.archived)))
        }
        return .object([("id", .string(row.id))] + mapped + [("synced_at", .string(RunControl.format(row.syncedAt)))])
    }

    static let contacts = CommandSpec(
        "contacts", group: "local data", usage: "contacts [PATTERN] [--limit N] | contacts show ID",
        summary: "the local relationship-marketing contacts (from 'sync contacts'): name, company, tags, owner, key facts",
        details: """
            PATTERN matches name, company, owner, tags or Id (case-insensitive). 'contacts show ID' shows one contact
            with the trace of its last sync (each output with the Salesforce field and rule behind it). --json gives
            the objects 'preview contact --json' prints, plus "id" (the Salesforce Id) and "synced_at".
            """,
        examples: ["contacts", "contacts acme", "contacts show 0035g0000000S4dAAE", "contacts --json"],
        options: [.value("limit", "N", "at most N contacts (default 1000)")],
        arguments: [.none],
        tabular: true,
        handler: { invocation, session in
            let org = try session.currentOrg()
            if invocation.positionals.first == "show" {
                try invocation.expectArguments(2...2)
                let id = invocation.positionals[1]
                let row: LevitateContactRow?
                do throws(StoreError) { row = try session.store.levitateContact(org: org.alias, id: id) } catch { throw ShellError(error) }
                guard let row else {
                    throw ShellError(.failure, "no local contact \(Invocation.excerpt(id)) in \(org.alias)",
                                     hint: "'sync contacts' pulls them; 'contacts' lists them")
                }
                let value = json(row)
                var text = "\(row.name) (\(row.id)), synced \(RunControl.format(row.syncedAt))\(row.archived ? ", archived" : "")\n"
                if let mapped = try? JSONValue.parse(Data(row.body.utf8)) {
                    let trace = mapped["trace"]?.arrayValue ?? []
                    text += Table(columns: ["output", "value", "from", "why"], rows: trace.map {
                        [$0["output"] ?? .null, $0["value"] ?? .null, $0["source"] ?? .null, $0["rule"] ?? .null]
                    }, keep: [0, 1]).rendered(width: session.io.terminalWidth())
                    text += "tags: \((mapped["tags"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " | "))\n"
                }
                session.emit(value, human: text, for: invocation)
                return .done
            }
            try invocation.expectArguments(0...1)
            let limit = try invocation.integer("limit", in: 1...10_000_000) ?? 1000
            let rows: [LevitateContactRow]
            do throws(StoreError) {
                rows = try session.store.levitateContacts(org: org.alias, pattern: invocation.positionals.first, limit: limit)
            } catch { throw ShellError(error) }
            if session.format(for: invocation) == .json {
                session.io.stdout.write(JSONValue.array(rows.map(json)).prettyPrinted() + "\n")
                return .done
            }
            let table = Table(columns: ["id", "name", "company", "tags", "owner", "key_facts", "archived"], rows: rows.map { row in
                let mapped = (try? JSONValue.parse(Data(row.body.utf8))) ?? .null
                let tags = (mapped["tags"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
                let facts = (mapped["key_facts"]?.arrayValue ?? []).map { "\($0["label"]?.stringValue ?? ""): \($0["date"]?.stringValue ?? "")" }
                    .joined(separator: ", ")
                let owner = mapped["owner"]?["local"]?.stringValue ?? row.owner.map { $0 + " (not mapped)" }
                return [.string(row.id), .string(row.name), row.company.map(JSONValue.string) ?? .null, .string(tags),
                        owner.map(JSONValue.string) ?? .null, .string(facts), .bool(row.archived)]
            }, keep: [0, 1])
            session.emit(table, for: invocation)
            return .done
        })

    // MARK: log, activities

    static let log = CommandSpec(
        "log", group: "local data", usage: "log note|email|call|card|text CONTACT TEXT… [--subject S]",
        summary: "record a local activity on a local contact (written back as a Note by 'sync writeback')",
        details: """
            CONTACT is a Salesforce Contact Id, or a name that matches exactly one local contact (quote names with
            spaces). Kinds: note, email, call (a logged phone call), card (a handwritten card), text (a text message).
            """,
        examples: ["log call \"Ada Lovelace\" Talked about the renewal --subject Renewal", "log note 0035g0000000S4dAAE Sent flowers"],
        options: [.value("subject", "S", "the subject (named in the Note's title)")],
        arguments: [.choices(ActivityNote.kinds), .none],
        handler: { invocation, session in
            guard invocation.positionals.count >= 3 else {
                throw ShellError.usage("log: give the kind, the contact and the text", usage: invocation.usage)
            }
            let kind = invocation.positionals[0].lowercased()
            guard ActivityNote.kinds.contains(kind) else {
                throw ShellError.usage("log: '\(Invocation.excerpt(kind))' is not one of \(ActivityNote.kinds.joined(separator: ", "))",
                                       usage: invocation.usage)
            }
            let org = try session.currentOrg()
            let who = invocation.positionals[1]
            let text = invocation.positionals.dropFirst(2).joined(separator: " ")
            guard !text.trimmingBlanks.isEmpty else { throw ShellError.usage("log: the text is empty", usage: invocation.usage) }
            let byID: LevitateContactRow?
            let named: [LevitateContactRow]
            var candidates: [LevitateContactRow] = []
            do throws(StoreError) {
                byID = try session.store.levitateContact(org: org.alias, id: who)
                named = byID == nil ? try session.store.levitateContacts(org: org.alias, named: who) : []
                if byID == nil && named.isEmpty { candidates = try session.store.levitateContacts(org: org.alias, pattern: who, limit: 10) }
            } catch { throw ShellError(error) }
            guard let contact = byID ?? (named.count == 1 ? named[0] : nil) else {
                let listed = named.isEmpty ? candidates : named
                throw ShellError.usage(
                    "log: '\(Invocation.excerpt(who))' \(named.isEmpty ? "is not the Id or the name of a local contact" : "names \(named.count) contacts")"
                        + (listed.isEmpty ? "" : "; candidates: " + listed.prefix(10).map { "\($0.name) (\($0.id))" }.joined(separator: ", ")),
                    usage: invocation.usage)
            }
            let subject = invocation.value("subject")
            let id: Int64
            do throws(StoreError) {
                id = try session.store.addActivity(org: org.alias, contactID: contact.id, kind: kind, subject: subject, text: text,
                                                   at: session.clock.now())
            } catch { throw ShellError(error) }
            let chosen = (try? session.syncSettings().writebackKinds.contains(kind)) ?? true
            session.emit(.object([("id", .int(Int(id))), ("contact", .string(contact.id)), ("kind", .string(kind)),
                                  ("state", .string(chosen ? "pending" : "not chosen"))]),
                         human: "activity \(id): \(kind) on \(contact.name) (\(contact.id))"
                             + (chosen ? ", written back by the next 'sync writeback'\n" : "; levitate.writeback does not choose \(kind), so it stays local\n"),
                         for: invocation)
            return .done
        })

    static let activities = CommandSpec(
        "activities", group: "local data", usage: "activities [--pending] [--limit N]",
        summary: "the local activities with their write-back state: pending, written (with the Note Id), failed (why), not chosen",
        examples: ["activities", "activities --pending --json"],
        options: [.flag("pending", "only the ones not written yet"), .value("limit", "N", "at most N (default 1000)")],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            let org = try session.currentOrg()
            let limit = try invocation.integer("limit", in: 1...10_000_000) ?? 1000
            let chosen = Set(try session.syncSettings().writebackKinds)
            let rows: [ActivityRecord]
            do throws(StoreError) {
                rows = try session.store.activities(org: org.alias, states: invocation.has("pending") ? [.pending, .failed] : nil, limit: limit)
            } catch { throw ShellError(error) }
            func state(_ activity: ActivityRecord) -> String {
                if activity.state != .written && !chosen.contains(activity.kind) { return "not chosen" }
                if activity.intentRun != nil { return "sending" }
                return activity.state.rawValue
            }
            let table = Table(columns: ["id", "contact", "kind", "subject", "state", "note_id", "reason", "created_at"], rows: rows.map { activity in
                [.int(Int(activity.id)), .string(activity.contactID), .string(activity.kind), activity.subject.map(JSONValue.string) ?? .null,
                 .string(state(activity)), activity.noteID.map(JSONValue.string) ?? .null,
                 activity.reason.map { .string((activity.errorCode.map { $0 + ": " } ?? "") + $0) } ?? .null,
                 .string(RunControl.format(activity.createdAt))]
            }, keep: [0, 4])
            session.emit(table, for: invocation)
            return .done
        })
}
