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
            var describe: SObjectDescribe
            let settings = session.levitateSettings()
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
        details: "With an org, looks up an existing Lead by email (1 call) unless --offline; a Lead remembered from an earlier export wins. --file reads a profile in the import shape; --describe a Lead describe.",
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
            let settings = session.lyticsSettings()
            var existing: String?
            if let alias = session.currentOrgAlias {
                existing = (try? session.store.exportedLead(org: alias, profileID: profile.id)) ?? nil
                if existing == nil, !invocation.has("offline"),
                   case let .string(email)? = profile.attributes[settings.emailAttribute], !email.isEmpty {
                    let (_, client) = try session.currentClient()
                    let escaped = email.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
                    let page = try await session.salesforce("look up the Lead") { () async throws(SalesforceError) in
                        try await client.query("SELECT Id FROM Lead WHERE Email = '\(escaped)' ORDER BY CreatedDate LIMIT 1")
                    }
                    existing = page.records.first?["Id"]?.stringValue
                }
            }
            let result: LeadPayload.Result
            do throws(RuleError) { result = try LeadPayload.build(profile: profile, describe: describe, settings: settings, existingLeadID: existing) } catch {
                throw ShellError(.failure, error.message, hint: "fix the setting (set \(error.setting) …) or the describe")
            }
            session.emit(result.json, human: human(result), for: invocation)
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

/// `estimate export`: members, creates, updates, skips, calls and days, offline.
enum ExportEstimate {
    static func run(_ invocation: Invocation, _ session: ShellSession) async throws(ShellError) -> CommandOutcome {
        let settings = session.lyticsSettings()
        guard !settings.audiences.isEmpty else {
            throw ShellError.usage("no audiences selected: set lytics.audiences A,B first", usage: invocation.usage)
        }
        let budget = try EstimateCommands.number(invocation, "calls", required: false)
            ?? session.setting("lytics.max_daily_calls").flatMap(Int.init)
        guard let budget else {
            throw ShellError.usage("--calls is required (or set lytics.max_daily_calls)", usage: invocation.usage)
        }
        guard budget > 0 else { throw ShellError.usage("--calls must be at least 1", usage: invocation.usage) }
        let describe = try await session.describeForRules("Lead", file: invocation.value("describe"))
        let bodies: [String]
        do throws(StoreError) { bodies = try session.store.profileBodies(inAny: settings.audiences) } catch { throw ShellError(error) }
        var creates = 0, updates = 0, skips = 0
        var reasons: [String: Int] = [:]
        for body in bodies {
            guard let profile = try? Profile.parse(body) else { continue }
            let remembered = session.currentOrgAlias.flatMap { (try? session.store.exportedLead(org: $0, profileID: profile.id)) ?? nil }
            let result: LeadPayload.Result
            do throws(RuleError) { result = try LeadPayload.build(profile: profile, describe: describe, settings: settings, existingLeadID: remembered) } catch {
                throw ShellError(.failure, error.message, hint: "fix the setting (set \(error.setting) …)")
            }
            switch result.action {
            case .create: creates += 1
            case .update: updates += 1
            case .skip:
                skips += 1
                reasons[result.reason ?? "?", default: 0] += 1
            }
        }
        // Members without a remembered Lead are looked up by email first (200 a query).
        let calls = Estimates.exportCalls(lookups: creates, creates: creates, updates: updates)
        let simulation: Estimates.Simulation
        do throws(Estimates.InputError) { simulation = try Estimates.simulate(calls, budget: budget, latency: 1) } catch {
            throw EstimateCommands.usageError(error, invocation)
        }
        let days = Double(calls.count) / Double(budget)
        let document: JSONValue = .object([
            ("members", .int(bodies.count)), ("create", .int(creates)), ("update", .int(updates)), ("skip", .int(skips)),
            ("calls", .int(calls.count)), ("days", .double(max(days, simulation.days))),
            ("skip_reasons", .object(reasons.keys.sorted().map { ($0, .int(reasons[$0]!)) })),
        ])
        var human = "\(bodies.count) unique members of \(settings.audiences.joined(separator: ", ")) (overlap counted once)\n"
        human += "create \(creates), update \(updates), skip \(skips)\n"
        for reason in reasons.keys.sorted() { human += "  skipped: \(reason) × \(reasons[reason]!)\n" }
        human += "\(calls.count) calls (email lookups and creates in batches of 200, updates in collections of 200)"
        human += " at \(budget) a day: \(EstimateCommands.format(max(days, simulation.days))) days\n"
        human += "creates are counted before lookups: a lookup that finds a Lead turns a create into an update"
        session.emit(document, human: human, for: invocation)
        return .done
    }
}
