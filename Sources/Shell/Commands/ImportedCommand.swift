import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncEngine
import SyncRules

// `imported`: what the import keeps locally, per object, or one record in its combined view.

extension SyncCommands {
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
}
