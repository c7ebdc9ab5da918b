import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

/// `map`, `unmap`, `show mapping`, and reading the rule settings of the current scope.
enum MappingCommands {
    static let ownerPrefix = SyncSettings.ownerPrefix

    static let map = CommandSpec(
        "map", group: "settings", usage: "map owner \"SALESFORCE USER\" LOCAL_USER | map lead ATTRIBUTE FIELD",
        summary: "map a Salesforce owner to a local user, or a profile attribute to a Lead field",
        details: """
            Owners are matched by Salesforce user name or Id; unmapped owners are reported, never guessed.
            Lead fields are checked against the Lead describe when an org is selected (the type must be one the
            export can write); they are stored in lytics.more_fields. Both live in the current org's scope.
            """,
        examples: ["map owner \"Jordan Reyes\" jordan@example.com", "map lead lifetime_value Lifetime_Value__c"],
        subcommands: [
            CommandSpec("owner", group: "settings", usage: "map owner \"SALESFORCE USER\" LOCAL_USER",
                        summary: "assign a Salesforce owner's contacts to a local user",
                        examples: ["map owner \"Jordan Reyes\" jordan"], arguments: [.none, .none],
                        handler: { invocation, session in
                            try invocation.expectArguments(2...2)
                            let (salesforce, local) = (invocation.positionals[0].trimmingBlanks, invocation.positionals[1].trimmingBlanks)
                            guard !salesforce.isEmpty, !local.isEmpty else {
                                throw ShellError.usage("map owner needs a Salesforce user and a local user", usage: invocation.usage)
                            }
                            do throws(StoreError) { try session.store.setSetting(ownerPrefix + salesforce, to: local, scope: session.mappingScope) } catch {
                                throw ShellError(error)
                            }
                            return .done
                        }),
            CommandSpec("lead", group: "settings", usage: "map lead ATTRIBUTE FIELD",
                        summary: "write a profile attribute into a Lead field on export",
                        examples: ["map lead visits Visits__c"], arguments: [.none, .none],
                        handler: { invocation, session in
                            try invocation.expectArguments(2...2)
                            let attribute = invocation.positionals[0]
                            guard let spec = SettingsRegistry.spec("lytics.more_fields") else {
                                throw ShellError.failure("lytics.more_fields is not a setting")
                            }
                            var pairs = SettingSpec.listItems(session.setting("lytics.more_fields") ?? "")
                                .filter { !$0.hasPrefix(attribute + "=") }
                            pairs.append("\(attribute)=\(invocation.positionals[1])")
                            let describe = await session.describeIfAvailable("Lead")
                            if describe == nil {
                                session.note("not checked now (no Lead describe: no org selected or unreachable); it is checked when used")
                            }
                            let value = try session.normalized(spec, pairs.joined(separator: ","), describe: describe)
                            try session.storeSetting(spec.key, value)
                            return .done
                        }),
        ])

    static let unmap = CommandSpec(
        "unmap", group: "settings", usage: "unmap owner \"SALESFORCE USER\" | unmap lead ATTRIBUTE",
        summary: "remove an owner or Lead field mapping",
        examples: ["unmap owner \"Jordan Reyes\"", "unmap lead visits"],
        subcommands: [
            CommandSpec("owner", group: "settings", usage: "unmap owner \"SALESFORCE USER\"", summary: "forget an owner mapping",
                        examples: ["unmap owner \"Jordan Reyes\""], arguments: [.none],
                        handler: { invocation, session in
                            try invocation.expectArguments(1...1)
                            let removed: Bool
                            do throws(StoreError) { removed = try session.store.removeSetting(ownerPrefix + invocation.positionals[0], scope: session.mappingScope) } catch {
                                throw ShellError(error)
                            }
                            guard removed else {
                                throw ShellError.usage("no owner mapping for '\(Invocation.excerpt(invocation.positionals[0]))'", usage: invocation.usage)
                            }
                            return .done
                        }),
            CommandSpec("lead", group: "settings", usage: "unmap lead ATTRIBUTE", summary: "stop writing an attribute to a Lead field",
                        examples: ["unmap lead visits"], arguments: [.none],
                        handler: { invocation, session in
                            try invocation.expectArguments(1...1)
                            let attribute = invocation.positionals[0]
                            let pairs = SettingSpec.listItems(session.setting("lytics.more_fields") ?? "")
                            let kept = pairs.filter { !$0.hasPrefix(attribute + "=") }
                            guard kept.count < pairs.count else {
                                throw ShellError.usage("no Lead mapping for '\(Invocation.excerpt(attribute))'", usage: invocation.usage)
                            }
                            if kept.isEmpty { try session.removeSetting("lytics.more_fields") } else {
                                try session.storeSetting("lytics.more_fields", kept.joined(separator: ","))
                            }
                            return .done
                        }),
        ])

    static let showMapping = CommandSpec(
        "mapping", group: "settings", usage: "show mapping",
        summary: "the owner map, the Lead field map and the rule settings of the current org",
        examples: ["show mapping", "show mapping --json"],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            var rows: [[JSONValue]] = []
            for (salesforce, local) in try session.levitateSettings().ownerMap.sorted(by: { $0.key < $1.key }) {
                rows.append([.string("owner"), .string(salesforce), .string(local)])
            }
            for pair in try session.lyticsSettings().moreFields {
                rows.append([.string("lead"), .string(pair.attribute), .string(pair.field)])
            }
            for spec in SettingsRegistry.all where spec.scope == .org && spec.key != "lytics.more_fields" {
                if let value = session.setting(spec.key) {
                    rows.append([.string("setting"), .string(spec.key), .string(value)])
                }
            }
            session.emit(Table(columns: ["kind", "from", "to"], rows: rows), for: invocation)
            if session.format(for: invocation) == .table {
                session.note("scope: \(session.currentOrgAlias.map { "org \($0)" } ?? "default (no org selected)")")
            }
            return .done
        })
}

extension ShellSession {
    /// Where mappings are kept: the current org, else the default scope.
    var mappingScope: String { currentOrgAlias ?? Store.defaultScope }

    /// The typed sync settings of the current org (or the default scope), as the engine reads them.
    func syncSettings() throws(ShellError) -> SyncSettings {
        do { return try SyncSettings.load(from: store, scope: mappingScope) } catch { throw ShellError(error) }
    }

    func levitateSettings() throws(ShellError) -> ContactMapping.Settings { try syncSettings().levitate }

    func lyticsSettings() throws(ShellError) -> LeadPayload.Settings { try syncSettings().lytics }

    /// Reads a JSON file given to a command, naming the file when it is not JSON.
    func readJSONFile(_ path: String, what: String) throws(ShellError) -> JSONValue {
        let data = try readFile(path, what: what)
        do { return try JSONValue.parse(data) } catch {
            throw ShellError(.failure, "\(what) \(path) is not valid JSON", hint: "it must hold one JSON \(what == "describe" ? "describe body" : "object")")
        }
    }

    /// A describe for the rules: from --describe FILE, else the current org (cache or one call).
    func describeForRules(_ object: String, file: String?) async throws(ShellError) -> SObjectDescribe {
        if let file {
            let data = try readFile(file, what: "describe")
            guard (try? JSONValue.parse(data)) != nil else {
                throw ShellError(.failure, "describe \(file) is not valid JSON", hint: "pass the body of GET /sobjects/\(object)/describe")
            }
            let parsed: SObjectDescribe
            do { parsed = try SObjectDescribe.parse(data) } catch {
                throw ShellError(.failure, "describe \(file) is not a describe: \(error.message)",
                                 hint: "pass the body of GET /sobjects/\(object)/describe (name and fields are needed)")
            }
            guard parsed.name.lowercased() == object.lowercased() else {
                throw ShellError(.failure, "describe \(file) describes \(parsed.name), not \(object)")
            }
            return parsed
        }
        guard currentOrgAlias != nil else {
            throw ShellError(.usage, "no \(object) describe: pass --describe FILE (a describe JSON) or log into an org")
        }
        return try await describe(object)
    }
}
