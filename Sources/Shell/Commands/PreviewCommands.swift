import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

/// `preview contact`, `preview lead`: one record through the rules, every output with its reason.
enum PreviewCommands {
    static let spec = CommandSpec(
        "preview", group: "preview", usage: "preview contact ID|--file F | preview lead PROFILE|--file F",
        summary: "show how one Contact maps (tags, key facts, owner…) or how one profile becomes a Lead payload",
        examples: [],
        subcommands: [contact, lead])

    static let contact = CommandSpec(
        "contact", group: "preview", usage: "preview contact ID|--file F [--describe FILE]",
        summary: "one Contact through the levitate rules: each output with the field and rule behind it",
        details: "With an ID, fetches the Contact with the fields the rules need (1 call). --file reads a Contact in REST record shape; --describe reads a Contact describe, so no org is needed.",
        examples: ["preview contact 0035g0000000S4dAAE", "preview contact --file contact.json --describe contact-describe.json --json"],
        options: [.value("file", "F", "a Contact record (REST JSON shape)", completion: .file),
                  .value("describe", "FILE", "a Contact describe (JSON)", completion: .file)],
        arguments: [.none],
        handler: { invocation, session in
            try invocation.expectArguments(0...1)
            let file = invocation.value("file")
            guard (file == nil) != invocation.positionals.isEmpty else {
                throw ShellError.usage("give a Contact ID or --file F (one of them)", usage: invocation.usage)
            }
            let record: JSONValue
            let describe: SObjectDescribe
            let settings = try session.levitateSettings()
            if let file {
                record = try session.readJSONFile(file, what: "contact")
                guard case .object = record else { throw ShellError(.failure, "contact \(file) must hold one JSON object (a Contact record)") }
                describe = try await session.describeForRules("Contact", file: invocation.value("describe"))
            } else {
                describe = try await session.describeForRules("Contact", file: invocation.value("describe"))
                let id = invocation.positionals[0]
                guard id.allSatisfy({ $0.isLetter || $0.isNumber }), id.count == 15 || id.count == 18 else {
                    throw ShellError.usage("'\(Invocation.excerpt(id))' is not a record id", usage: invocation.usage)
                }
                let fields = ContactMapping.fieldsNeeded(describe: describe, settings: settings)
                let (_, client) = try session.currentClient()
                let page = try await session.salesforce("preview contact") { () async throws(SalesforceError) in
                    try await client.query("SELECT \(fields.joined(separator: ", ")) FROM Contact WHERE Id = '\(id)'")
                }
                guard let found = page.records.first else {
                    throw ShellError(.failure, "no Contact \(id) (or this user cannot see it)")
                }
                record = found
            }
            let mapped: ContactMapping.Contact
            do throws(RuleError) { mapped = try ContactMapping.map(record: record, describe: describe, settings: settings) } catch {
                throw ShellError(.failure, error.message, hint: "fix the setting (set \(error.setting) …) or the describe")
            }
            session.emit(mapped.json, human: human(mapped), for: invocation)
            for warning in mapped.warnings where session.format(for: invocation) != .json { session.note("warning: \(warning)") }
            return .done
        })

    static func human(_ contact: ContactMapping.Contact) -> String {
        let table = Table(columns: ["output", "value", "from", "why"], rows: contact.trace.map { entry in
            [.string(entry.output), entry.value, .string(entry.source), .string(entry.rule)]
        }, keep: [0, 1])
        var text = table.rendered(width: TerminalSize.columns())
        text += "tags: \(contact.tags.joined(separator: " | "))\n"
        if contact.archived { text += "the contact is archived\n" }
        if contact.removed { text += "the contact is removed\n" }
        return text
    }

    static let lead = CommandSpec(
        "lead", group: "preview", usage: "preview lead PROFILE|--file F [--describe FILE] [--offline]",
        summary: "one profile through the lytics rules: create, update or skip, the payload, skipped fields and why",
        details: "With an org, looks up an existing Lead by email (1 call) unless --offline; a Lead remembered from an earlier export wins. --file reads a profile in the import shape; --describe a Lead describe. Names the assignment rule a create would run (lytics.assignment_rule; 1 call to read the org's rules).",
        examples: ["preview lead u123", "preview lead --file profile.json --describe lead-describe.json --json"],
        options: [.value("file", "F", "a profile (import shape, one JSON object)", completion: .file),
                  .value("describe", "FILE", "a Lead describe (JSON)", completion: .file),
                  .flag("offline", "do not look the Lead up in the org")],
        arguments: [.none],
        handler: { invocation, session in
            try invocation.expectArguments(0...1)
            let file = invocation.value("file")
            guard (file == nil) != invocation.positionals.isEmpty else {
                throw ShellError.usage("give a profile id or --file F (one of them)", usage: invocation.usage)
            }
            let profile: Profile
            if let file {
                let value = try session.readJSONFile(file, what: "profile")
                do throws(Profile.FormatError) { profile = try Profile.parse(value) } catch {
                    throw ShellError(.failure, "profile \(file): \(error.message)")
                }
            } else {
                let id = invocation.positionals[0]
                let body: String?
                do throws(StoreError) { body = try session.store.profileBody(id: id) } catch { throw ShellError(error) }
                guard let body, let parsed = try? Profile.parse(body) else {
                    throw ShellError(.failure, "no local profile '\(Invocation.excerpt(id))'", hint: "profiles import FILE")
                }
                profile = parsed
            }
            let describe = try await session.describeForRules("Lead", file: invocation.value("describe"))
            let settings = try session.lyticsSettings()
            var existing: String?
            // The assignment rule created Leads run: looked up in the org unless offline or none runs.
            var rules: [LeadAssignment.Rule]?
            if session.currentOrgAlias != nil, !invocation.has("offline"), settings.assignmentRule != .noRule {
                let (_, client) = try session.currentClient()
                rules = try await session.salesforce("read the Lead assignment rules") { () async throws(SalesforceError) in
                    try await ExportJob.assignmentRules(client: client)
                }
            }
            let assignment = LeadAssignment.resolve(settings.assignmentRule, rules: rules)
            if let alias = session.currentOrgAlias {
                existing = (try? session.store.exportedLead(org: alias, profileID: profile.id)) ?? nil
                if existing == nil, !invocation.has("offline"),
                   case let .string(email)? = profile.attributes[settings.emailAttribute], !email.isEmpty {
                    let (_, client) = try session.currentClient()
                    // The export's rule: the oldest Lead with the email (CreatedDate, then Id).
                    let page = try await session.salesforce("look up the Lead") { () async throws(SalesforceError) in
                        try await client.query("SELECT Id FROM Lead WHERE Email = \(SOQLText.literal(email.trimmingBlanks)) ORDER BY CreatedDate, Id LIMIT 1")
                    }
                    existing = page.records.first?["Id"]?.stringValue
                }
            }
            let result: LeadPayload.Result
            do throws(RuleError) { result = try LeadPayload.build(profile: profile, describe: describe, settings: settings, existingLeadID: existing) } catch {
                throw ShellError(.failure, error.message, hint: "fix the setting (set \(error.setting) …) or the describe")
            }
            guard case var .object(json) = result.json else { return .done }
            json.append(("assignment_rule", assignment.json))
            let ruleLine = switch result.action {
            case .create: "assignment rule: \(assignment.note)\n"
            case .upsert: "assignment rule: \(assignment.note) — if the upsert creates the Lead; none if it updates one\n"
            case .update: "assignment rule: none on an update (Sforce-Auto-Assign: FALSE)\n"
            case .skip: ""
            }
            session.emit(.object(json), human: human(result) + ruleLine, for: invocation)
            return .done
        })

    static func human(_ result: LeadPayload.Result) -> String {
        var text = "action: \(result.action.rawValue)"
        if let id = result.leadID { text += " Lead \(id)" }
        if let reason = result.reason { text += " — \(reason)" }
        text += "\n"
        if !result.payload.isEmpty {
            text += Table(columns: ["field", "value"], rows: result.payload.map { [.string($0.0), $0.1] }, keep: [0])
                .rendered(width: TerminalSize.columns())
        }
        for skipped in result.skippedFields { text += "skipped \(skipped.field): \(skipped.reason)\n" }
        text += "why:\n"
        for entry in result.trace {
            text += "  \(entry.output) ← \(entry.source): \(entry.rule)\n"
        }
        return text
    }
}
