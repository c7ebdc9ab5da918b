import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store

/// `check [levitate|lytics]`: the prerequisites of SPEC §4.3, each pass, fail
/// or unknown, with the fix.
enum CheckCommand {
    struct Item {
        enum Status: String { case pass, fail, unknown }
        var name: String
        var status: Status
        var detail: String
        var fix: String

        var row: [JSONValue] { [.string(name), .string(status.rawValue), .string(detail), .string(fix)] }
    }

    static let apiEditions = ["Enterprise Edition", "Unlimited Edition", "Developer Edition", "Performance Edition"]

    static let spec = CommandSpec(
        "check", group: "preflight", usage: "check [levitate|lytics]",
        summary: "check the org and user against each integration's prerequisites, with the fix for each failure",
        details: """
            Common: the edition includes API access, the user has API Enabled, the login has a refresh token, the daily
            API budget fits the org's DailyApiRequests. levitate: the user can see all contacts, mapped fields exist
            with the right types. lytics: the Lead fields the export writes are long text areas of 32,768, an active
            Lead duplicate rule exists, lytics.match_field (if set) is a unique External ID the user can write. Exits 1 when an item fails.
            """,
        examples: ["check", "check lytics", "check levitate --json"],
        arguments: [.choices(["levitate", "lytics"])],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(0...1)
            let scope = invocation.positionals.first?.lowercased()
            if let scope, scope != "levitate", scope != "lytics" {
                throw ShellError.usage("check: unknown integration '\(Invocation.excerpt(scope))'", usage: invocation.usage)
            }
            let items = try await run(scope: scope, session)
            let table = Table(columns: ["check", "status", "detail", "fix"], rows: items.map(\.row))
            if session.format(for: invocation) == .table {
                session.say(items.map { item in
                    var text = "\(item.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))\(item.name)"
                    if !item.detail.isEmpty { text += ": \(TerminalText.sanitize(item.detail))" }
                    if !item.fix.isEmpty && item.status != .pass { text += "\n        fix: \(item.fix)" }
                    return text + "\n"
                }.joined())
            } else {
                session.emit(table, for: invocation)
            }
            let failed = items.filter { $0.status == .fail }
            if !failed.isEmpty {
                throw ReportedFailure(status: .failure, note: "\(failed.count) of \(items.count) checks failed")
            }
            return .done
        })

    static func run(scope: String?, _ session: ShellSession) async throws(ShellError) -> [Item] {
        let (org, client) = try session.currentClient()
        var items: [Item] = []

        // Edition: the Organization row; an org without API access refuses the query itself.
        do {
            let page = try await client.query("SELECT Id, OrganizationType FROM Organization")
            let edition = page.records.first?["OrganizationType"]?.stringValue ?? "?"
            if apiEditions.contains(edition) {
                items.append(Item(name: "edition has API access", status: .pass, detail: edition, fix: ""))
            } else if edition == "Professional Edition" {
                items.append(Item(name: "edition has API access", status: .pass,
                                  detail: "Professional Edition answers API calls, so it has the API add-on", fix: ""))
            } else {
                items.append(Item(name: "edition has API access", status: .fail, detail: edition,
                                  fix: "API access needs Enterprise, Unlimited, Developer or Performance Edition (or Professional with the API add-on)"))
            }
        } catch where error.code == "API_DISABLED_FOR_ORG" {
            items.append(Item(name: "edition has API access", status: .fail, detail: error.description,
                              fix: "buy the API add-on (Professional Edition) or use an edition with API access"))
        } catch where error.code == "API_CURRENTLY_DISABLED" {
            items.append(Item(name: "edition has API access", status: .unknown, detail: "the user cannot call the API",
                              fix: "see 'user has API Enabled'"))
            items.append(Item(name: "user has API Enabled", status: .fail, detail: error.description,
                              fix: "give the user the API Enabled permission (profile or permission set)"))
        } catch {
            throw ShellError(error, doing: "check")
        }

        var viewAll: Bool?
        if !items.contains(where: { $0.name == "user has API Enabled" }) {
            do {
                let page = try await client.query("SELECT PermissionsApiEnabled, PermissionsViewAllData FROM UserPermissionAccess")
                let row = page.records.first
                let api = row?["PermissionsApiEnabled"]?.boolValue
                viewAll = row?["PermissionsViewAllData"]?.boolValue
                items.append(Item(name: "user has API Enabled", status: api == true ? .pass : api == false ? .fail : .unknown,
                                  detail: org.username ?? "", fix: api == true ? "" : "give the user the API Enabled permission"))
            } catch {
                items.append(Item(name: "user has API Enabled", status: .unknown, detail: error.description,
                                  fix: "check the user's profile for API Enabled"))
            }
        }
        // The way out: a proxy (from the environment, as libcurl reads it) and the CAs trusted.
        let route = NetworkRoute.route(for: org.instanceURL, environment: session.io.environment)
        items.append(Item(name: "network route", status: .pass,
                          detail: route.description + "; TLS trusts " + (session.caBundle.map { "the CA bundle \($0)" } ?? "the system's CAs"),
                          fix: ""))
        let flow = org.flow ?? "an earlier"
        if org.refreshToken != nil {
            items.append(Item(name: "refresh token (offline access)", status: .pass,
                              detail: "\(flow) login with a refresh token: it renews its session unattended", fix: ""))
        } else if org.flow == "client_credentials" || org.flow == "jwt" {
            items.append(Item(name: "refresh token (offline access)", status: .pass,
                              detail: "\(flow) login: a new token is minted when the session expires, unattended", fix: ""))
        } else {
            items.append(Item(name: "refresh token (offline access)", status: .fail,
                              detail: "\(flow) login without a refresh token: it cannot renew its session unattended",
                              fix: "log in with --client-credentials (headless) or the device flow (the connected app needs the refresh_token / offline access scope)"))
        }

        // Without API access nothing else can be asked: the rest is unknown, with the reason.
        if let blocked = items.first(where: { $0.status == .fail && ($0.name == "edition has API access" || $0.name == "user has API Enabled") }) {
            var names = ["daily API budget"]
            if scope == nil || scope == "levitate" { names.insert(contentsOf: ["levitate: user sees all contacts", "levitate: mapped fields"], at: 0) }
            if scope == nil || scope == "lytics" { names.insert(contentsOf: ["lytics: Lead export fields", "lytics: active Lead duplicate rule"], at: names.count - 1) }
            for name in names {
                items.append(Item(name: name, status: .unknown, detail: "cannot be checked without API access",
                                  fix: "fix '\(blocked.name)' first"))
            }
            return items
        }
        if scope == nil || scope == "levitate" {
            items.append(viewAll == true
                ? Item(name: "levitate: user sees all contacts", status: .pass, detail: "View All Data", fix: "")
                : Item(name: "levitate: user sees all contacts", status: viewAll == false ? .fail : .unknown,
                       detail: "without View All Data only the contacts visible to this user sync",
                       fix: "grant View All Data, or accept that only visible contacts sync"))
            items += try await mappedFields(session)
        }
        if scope == nil || scope == "lytics" {
            items += try await lyticsItems(session, client)
        }
        items.append(try await budget(session, client, scope: scope))
        return items
    }

    /// Each configured levitate field exists on Contact with an allowed type.
    static func mappedFields(_ session: ShellSession) async throws(ShellError) -> [Item] {
        let configured = session.fieldSettings(prefix: "levitate.")
        guard !configured.isEmpty else {
            return [Item(name: "levitate: mapped fields", status: .pass, detail: "no Contact fields mapped beyond the defaults", fix: "")]
        }
        let contact = try await session.describe("Contact")
        return configured.map { key, field, allowed in
            guard let described = contact.field(field) else {
                return Item(name: "levitate: \(key) = \(field)", status: .fail, detail: "Contact has no field \(field)",
                            fix: "'fields Contact' lists the fields; set \(key) to one of them")
            }
            guard allowed.contains(described.type) else {
                return Item(name: "levitate: \(key) = \(field)", status: .fail, detail: "\(field) is \(described.type)",
                            fix: "\(key) takes \(allowed.joined(separator: ", ")) fields")
            }
            return Item(name: "levitate: \(key) = \(field)", status: .pass, detail: described.typeDescription, fix: "")
        }
    }

    static func lyticsItems(_ session: ShellSession, _ client: SalesforceClient) async throws(ShellError) -> [Item] {
        var items: [Item] = []
        let lead = try await session.describe("Lead")
        let targets: [(String, String, Bool)] = [
            ("audiences", session.orgSetting("lytics.audiences_field") ?? "Lytics_Audiences__c", true),
            ("content affinity", session.orgSetting("lytics.affinity_field") ?? "Lytics_Content_Affinity__c", false),
            ("scores", session.orgSetting("lytics.scores_field") ?? "Lytics_Scores__c", false),
        ]
        for (what, name, required) in targets {
            let label = "lytics: Lead.\(name) (\(what))"
            guard let field = lead.field(name) else {
                items.append(Item(name: label, status: required ? .fail : .unknown,
                                  detail: required ? "missing" : "missing (optional)",
                                  fix: "create a Long Text Area(32768) field \(name) on Lead"))
                continue
            }
            let ok = field.type == "textarea" && field.length >= 32768
            items.append(Item(name: label, status: ok ? .pass : .fail, detail: field.typeDescription,
                              fix: ok ? "" : "make \(name) a Long Text Area of 32,768 characters"))
        }
        if let match = session.orgSetting("lytics.match_field") { items.append(matchFieldItem(match, lead)) }
        do {
            let page = try await client.query("SELECT DeveloperName FROM DuplicateRule WHERE SobjectType = 'Lead' AND IsActive = true")
            let names = page.records.compactMap { $0["DeveloperName"]?.stringValue }
            items.append(names.isEmpty
                ? Item(name: "lytics: active Lead duplicate rule", status: .fail,
                       detail: "no active Lead duplicate rule: duplicates are possible",
                       fix: "activate a Lead duplicate rule matching on Email (Setup › Duplicate Rules)")
                : Item(name: "lytics: active Lead duplicate rule", status: .pass, detail: names.joined(separator: ", "), fix: ""))
        } catch {
            items.append(Item(name: "lytics: active Lead duplicate rule", status: .unknown, detail: error.description,
                              fix: "check Setup › Duplicate Rules"))
        }
        return items
    }

    /// `lytics.match_field`: an External ID on Lead, unique (or an upsert could match two Leads), that the user can
    /// write on create and update.
    static func matchFieldItem(_ name: String, _ lead: SObjectDescribe) -> Item {
        let label = "lytics: Lead.\(name) (match field)"
        guard let field = lead.field(name) else {
            return Item(name: label, status: .fail, detail: "missing",
                        fix: "create a Text(255) field \(name) on Lead marked External ID and Unique, or unset lytics.match_field")
        }
        var problems: [String] = []
        if !field.externalId { problems.append("not an External ID") }
        if !field.unique { problems.append("not unique") }
        if !field.createable || !field.updateable { problems.append("not writable by this user (field-level security)") }
        guard problems.isEmpty else {
            return Item(name: label, status: .fail, detail: problems.joined(separator: ", "),
                        fix: "mark \(field.name) External ID and Unique and give this user edit access, or unset lytics.match_field")
        }
        return Item(name: label, status: .pass, detail: "\(field.typeDescription), External ID, unique, writable", fix: "")
    }

    /// The configured daily budget (per direction) against DailyApiRequests.
    static func budget(_ session: ShellSession, _ client: SalesforceClient, scope: String?) async throws(ShellError) -> Item {
        let settings = try session.syncSettings()
        let importBudget = settings.importBudget
        let exportBudget = settings.exportBudget
        let limits: OrgLimits
        do { limits = try await client.limits() } catch {
            return Item(name: "daily API budget", status: .unknown, detail: error.description, fix: "run 'limits'")
        }
        guard let daily = limits["DailyApiRequests"] else {
            return Item(name: "daily API budget", status: .unknown, detail: "the org reports no DailyApiRequests", fix: "")
        }
        guard let importBudget, let exportBudget else {
            return Item(name: "daily API budget", status: .unknown,
                        detail: "DailyApiRequests max \(daily.max); no budget configured for "
                            + [importBudget == nil ? "the import" : nil, exportBudget == nil ? "the export" : nil]
                                .compactMap { $0 }.joined(separator: " and "),
                        fix: "see 'estimate allotment --total \(daily.max) --other N', then set "
                            + "lytics.import_max_daily_calls and lytics.export_max_daily_calls")
        }
        let fits = importBudget + exportBudget <= daily.max
        return Item(name: "daily API budget", status: fits ? .pass : .fail,
                    detail: "import \(importBudget) + export \(exportBudget) = \(importBudget + exportBudget) a day of \(daily.max)",
                    fix: fits ? "" : "lower lytics.import_max_daily_calls and lytics.export_max_daily_calls so they sum to at most \(daily.max)")
    }
}
