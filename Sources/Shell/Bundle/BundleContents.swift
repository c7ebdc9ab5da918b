import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SupportBundle
import SyncRules
import Crypto

/// What `bundle` gathers (issue 24), file by file, each scrubbed (`Redaction`) before it is added: the org's facts and
/// shape, `check`'s results, settings without secrets, schedules and leases, the last runs, the ledger summed per
/// source and hour, the last errors the shell printed, and — only when asked — sample records with their text hashed.
struct BundleContents {
    /// The objects whose describes a bundle carries: those the jobs read or write, and User (the owner map's).
    static let objects = ImportJob.defaultObjects + ["Note", "User"]

    let session: ShellSession
    let org: OrgRecord?
    let runs: Int
    let records: Int
    /// A keyed hash whose key is never written: the same value hashes the same within the bundle, and no one can
    /// test a guess against it.
    let hashKey = SymmetricKey(size: .bits256)
    private(set) var archive = BundleArchive()
    /// One entry a file: `{"name", "holds", "redacted"}`.
    private(set) var entries: [JSONValue] = []
    /// What could not be had, and why.
    private(set) var missing: [String] = []
    private(set) var facts: [(String, JSONValue)] = []

    init(session: ShellSession, org: OrgRecord?, runs: Int, records: Int) {
        self.session = session
        self.org = org
        self.runs = runs
        self.records = records
    }

    func hash(_ value: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: hashKey)
        return "h:" + code.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Adds `json`, scrubbed, as `name`.
    mutating func add(_ name: String, _ json: JSONValue, holds: String, redacted: [String]) {
        archive.add(name, json: Redaction.scrub(json, hash: hash))
        entries.append(.object([("name", .string(name)), ("holds", .string(holds)),
                                ("redacted", .array(redacted.map(JSONValue.string)))]))
    }

    mutating func gather() async {
        gatherSettings()
        guard let org else {
            missing.append("no org selected: the bundle holds the home's settings only")
            gatherErrors()
            return
        }
        await gatherOrg(org)
        await gatherCheck()
        await gatherDescribes()
        gatherJobs(org)
        gatherRuns(org)
        gatherLedger(org)
        gatherErrors()
        if records > 0 { await gatherRecords() }
    }

    // MARK: The org

    mutating func gatherOrg(_ org: OrgRecord) async {
        var pairs: [(String, JSONValue)] = [
            ("alias", .string(org.alias)), ("instance_host", .string(URL(string: org.instanceURL)?.host ?? "")),
            ("org_id", org.orgID.map(JSONValue.string) ?? .null), ("user_id", org.userID.map(JSONValue.string) ?? .null),
            ("username", org.username.map { .string(hash($0)) } ?? .null), ("login_flow", org.flow.map(JSONValue.string) ?? .null),
            ("api_version", .string(org.apiVersion)),
        ]
        guard let client = try? session.client(for: org) else { return }
        do {
            let page = try await client.query("SELECT Id, OrganizationType FROM Organization")
            let edition = page.records.first?["OrganizationType"] ?? .null
            pairs.append(("edition", edition))
            facts.append(("edition", edition))
        } catch { missing.append("the org's edition: \(error.description)") }
        do {
            let page = try await client.query("SELECT PermissionsApiEnabled, PermissionsViewAllData FROM UserPermissionAccess")
            pairs.append(("permissions", page.records.first.map { record in
                .object([("PermissionsApiEnabled", record["PermissionsApiEnabled"] ?? .null),
                         ("PermissionsViewAllData", record["PermissionsViewAllData"] ?? .null)])
            } ?? .null))
        } catch { missing.append("the user's permissions: \(error.description)") }
        do {
            let page = try await client.query("SELECT DeveloperName, SobjectType FROM DuplicateRule WHERE IsActive = true")
            pairs.append(("duplicate_rules", .array(page.records.map { record in
                .object([("DeveloperName", record["DeveloperName"] ?? .null), ("SobjectType", record["SobjectType"] ?? .null)])
            })))
        } catch { missing.append("the active duplicate rules: \(error.description)") }
        do {
            let limits = try await client.json("GET", "limits")
            pairs.append(("limits", limits))
            facts.append(("daily_api_max", limits["DailyApiRequests"]?["Max"] ?? .null))
        } catch { missing.append("the org's limits: \(error.description)") }
        facts.insert(("org", .string(org.alias)), at: 0)
        facts.append(("api_version", .string(org.apiVersion)))
        add("org.json", .object(pairs), holds: "the org's facts: edition, API version, limits, the user's permissions that check reads, active duplicate rules",
            redacted: ["access token, refresh token, client id and secret, key paths: left out", "username: hashed"])
    }

    mutating func gatherCheck() async {
        do {
            let items = try await CheckCommand.run(scope: nil, session)
            let json = JSONValue.array(items.map { item in
                .object([("check", .string(item.name)), ("status", .string(item.status.rawValue)),
                         ("detail", .string(item.detail)), ("fix", .string(item.fix))])
            })
            add("check.json", json, holds: "check's results, item by item", redacted: [])
            facts.append(("check", .object(["pass", "fail", "unknown"].map { status in
                (status, .int(items.filter { $0.status.rawValue == status }.count))
            })))
        } catch { missing.append("check: \(error.message)") }
    }

    mutating func gatherDescribes() async {
        var described: [String] = []
        var custom = 0
        for object in Self.objects {
            do {
                let describe = try await session.describe(object)
                guard let body = session.cachedDescribeBody(object), let json = try? JSONValue.parse(body) else { continue }
                add("describes/\(object).json", json, holds: "the describe of \(object) (its shape: fields, types, flags, picklists)",
                    redacted: [])
                described.append(object)
                custom += describe.fields.filter { $0.name.hasSuffix("__c") }.count
            } catch { missing.append("the describe of \(object): \(error.message)") }
        }
        facts.append(("objects", .array(described.map(JSONValue.string))))
        facts.append(("custom_fields", .int(custom)))
    }

    // MARK: The home

    mutating func gatherSettings() {
        let secretKeys = Set(SettingsRegistry.all.filter(\.secret).map(\.key))
        // The home's settings, then the org's (which win for it).
        var scopes = [("home", Store.defaultScope)]
        if let org { scopes.append(("org", org.alias)) }
        var redacted: [String] = []
        let json = JSONValue.object(scopes.map { name, scope in
            let values = (try? session.store.settings(scope: scope)) ?? [:]
            return (name, .object(values.keys.sorted().map { key in
                guard secretKeys.contains(key) || Redaction.isSecretKey(key) else { return (key, .string(values[key] ?? "")) }
                redacted.append(key)
                return (key, .string(Redaction.marker))
            }))
        })
        add("settings.json", json, holds: "every setting and mapping: the home's (home) and the org's (org)",
            redacted: redacted.isEmpty ? [] : ["secret settings: " + Set(redacted).sorted().joined(separator: ", ")])
    }

    mutating func gatherJobs(_ org: OrgRecord) {
        guard let settings = try? SyncSettings.load(from: session.store, scope: org.alias) else {
            missing.append("the jobs' settings could not be read")
            return
        }
        let statuses = (try? JobStatus.all(org: org.alias, store: session.store, clock: session.clock, settings: settings)) ?? []
        let leases = JobKind.allCases.compactMap { job in (try? session.store.lease(org: org.alias, job: job.rawValue)) ?? nil }
        let schedules: [(String, JSONValue)] = JobKind.allCases.map { ($0.rawValue, .string((settings.schedules[$0] ?? .off).rawValue)) }
        let leaseRows: [JSONValue] = leases.map { lease in
            var pairs: [(String, JSONValue)] = [("job", .string(lease.job)), ("host", .string(lease.host)), ("pid", .int(Int(lease.pid)))]
            pairs.append(("acquired_at", RunControl.json(lease.acquiredAt)))
            pairs.append(("expires_at", RunControl.json(lease.expiresAt)))
            pairs.append(("run", lease.runID.map { .int(Int($0)) } ?? .null))
            return .object(pairs)
        }
        add("jobs.json", .object([("schedules", .object(schedules)), ("status", .array(statuses.map(\.json))), ("leases", .array(leaseRows))]),
            holds: "each job's schedule, state (paused, running, next run) and lease", redacted: ["lease tokens: left out"])
    }

    mutating func gatherRuns(_ org: OrgRecord) {
        let found = (try? session.store.runs(org: org.alias, limit: runs)) ?? []
        // The export's failed and parked profiles, by the run that last tried them: Salesforce's code and message.
        let failures = (try? session.store.exportStates(org: org.alias, outcomes: ["failed", ExportProfileState.parked],
                                                         limit: 1_000_000)) ?? []
        let byRun = Dictionary(grouping: failures.filter { $0.runID != nil }, by: { $0.runID ?? 0 })
        let json = JSONValue.array(found.map { run in
            let objects = (try? session.store.runObjects(run: run.id)) ?? []
            let calls = (try? session.store.callCount(run: run.id)) ?? 0
            guard case var .object(pairs) = SyncCommands.detailJSON(run, objects: objects, calls: calls) else { return .null }
            let grouped = Dictionary(grouping: byRun[run.id] ?? [], by: { "\($0.errorCode ?? "")\u{1}\($0.reason ?? "")" })
            pairs.append(("failures", .array(grouped.keys.sorted().map { key in
                let first = grouped[key]?.first
                return .object([("code", first?.errorCode.map(JSONValue.string) ?? .null),
                                ("message", first?.reason.map(JSONValue.string) ?? .null),
                                ("outcome", first?.outcome.map(JSONValue.string) ?? .null), ("profiles", .int(grouped[key]?.count ?? 0))])
            })))
            return .object(pairs)
        })
        add("runs.json", json, holds: "the last \(runs) runs: counts per object, errors, the export's failures (Salesforce's code and message, profiles counted), fallbacks, describe changes",
            redacted: [])
        facts.append(("runs", .object([("count", .int(found.count)),
                                       ("failed", .int(found.filter { $0.status.rawValue == "failed" }.count)),
                                       ("last", found.first.map { .string("\($0.job) \($0.status.rawValue)") } ?? .null)])))
    }

    mutating func gatherLedger(_ org: OrgRecord) {
        let since = session.clock.now().addingTimeInterval(-7 * 86_400)
        let rows = (try? session.store.ledgerHours(since: since, org: org.alias)) ?? []
        add("ledger.json", .array(rows.map { row in
            .object([("source", .string(row.source)), ("hour", RunControl.json(row.hour)), ("calls", .int(row.calls)),
                     ("failed", .int(row.failed))])
        }), holds: "the API calls of the last 7 days, summed per source and hour", redacted: ["paths and query strings: left out"])
        facts.append(("calls_7d", .int(rows.reduce(0) { $0 + $1.calls })))
    }

    mutating func gatherErrors() {
        let errors = (try? session.store.shellErrors(limit: 50)) ?? []
        add("errors.json", .array(errors.map { error in
            .object([("at", RunControl.json(error.at)), ("org", error.org.map(JSONValue.string) ?? .null),
                     ("command", .string(error.command)), ("status", .int(error.status)), ("message", .string(error.message)),
                     ("hint", error.hint.map(JSONValue.string) ?? .null)])
        }), holds: "the last 50 errors the shell printed, newest first", redacted: ["the command lines: only each command's name is kept"])
        facts.append(("errors", .int(errors.count)))
    }

    // MARK: Sample records

    mutating func gatherRecords() async {
        guard let org, let client = try? session.client(for: org) else { return }
        for object in ImportJob.defaultObjects {
            guard let describe = try? await session.describe(object) else { continue }
            let fields = ImportQuery.fields(of: describe)
            let types = Dictionary(describe.fields.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
            do {
                let page = try await client.query("SELECT \(fields.joined(separator: ", ")) FROM \(object) ORDER BY Id LIMIT \(records)")
                add("records/\(object).json", .array(page.records.map { Redaction.record($0, types: types, hash: hash) }),
                    holds: "\(page.records.count) sample \(object) records (--include-records \(records))",
                    redacted: ["names, emails, phones, addresses and free text: hashed (kept: ids, flags, numbers, dates, picklists)"])
            } catch { missing.append("sample \(object) records: \(error.description)") }
        }
    }

    /// The manifest: what the bundle is, what each file holds and what was redacted, and the summary `bundle show`
    /// prints first.
    func manifest(at date: Date) -> JSONValue {
        .object([
            ("format", .string(BundleManifest.format)), ("format_version", .int(BundleManifest.version)),
            ("created_at", RunControl.json(date)),
            ("sfsh", .object([("version", .string(ClientIdentity.version)), ("platform", .string(Self.platform))])),
            ("options", .object([("runs", .int(runs)), ("include_records", .int(records))])),
            ("redaction", .string(Self.redaction)),
            ("summary", .object(facts)),
            ("missing", .array(missing.map { .string(Redaction.scrub($0, hash: hash)) })),
            ("files", .array(entries)),
        ])
    }

    /// What every file went through, besides what its own entry says.
    static let redaction = "every file: email addresses replaced by keyed hashes, and token-shaped text (access tokens, "
        + "Bearer values, JWTs, sfdx auth URLs, long opaque keys) replaced by [redacted]; the hash key is not kept"

    static var platform: String {
        #if os(Linux)
        let system = "Linux"
        #else
        let system = "macOS"
        #endif
        #if arch(x86_64)
        let machine = "x86_64"
        #elseif arch(arm64)
        let machine = "arm64"
        #else
        let machine = "other"
        #endif
        return "\(system) \(machine), \(ProcessInfo.processInfo.operatingSystemVersionString)"
    }
}
