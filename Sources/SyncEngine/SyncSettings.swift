import SalesforceModel
import Foundation
public import Store
public import SyncRules

/// The jobs the engine runs, each with the setting that holds its daily budget.
public enum JobKind: String, Sendable, CaseIterable {
    case `import`
    case export
    case contacts
    case writeback

    /// The setting of its maximum daily API calls (SPEC §6.4: import and export have separate budgets).
    public var budgetKey: String {
        switch self {
        case .import: "lytics.import_max_daily_calls"
        case .export: "lytics.export_max_daily_calls"
        case .contacts, .writeback: "levitate.max_daily_calls"
        }
    }

    /// The name calls are attributed to in the ledger: one budget, one name.
    public var ledgerSource: String {
        switch self {
        case .import: "sync import"
        case .export: "sync export"
        case .contacts, .writeback: "sync levitate"
        }
    }
}

/// The sync settings of one org, typed: the `levitate.*` and `lytics.*` keys of
/// SPEC §6.1–6.2 and the daily budgets. Read from the store, so the shell and
/// the daemon see the same values.
public struct SyncSettings: Sendable, Equatable {
    public var levitate: ContactMapping.Settings
    public var lytics: LeadPayload.Settings
    public var importBudget: Int?
    public var exportBudget: Int?
    public var levitateBudget: Int?
    public var keepUpdated: Bool
    /// Each job's schedule (`schedule.<job>`; before those existed, `lytics.keep_updated` and `lytics.run_hourly`).
    public var schedules: [JobKind: ScheduleKind] = [:]
    /// The activity kinds `sync writeback` writes (`levitate.writeback`: all, none, or a list).
    public var writebackKinds: [String] = ActivityNote.kinds
    /// Failed writes in a row after which an export profile is parked (`lytics.max_attempts`).
    public var exportMaxAttempts = 5
    /// When the import reads formula fields again (`lytics.formula_refresh`).
    public var formulaRefresh = PassSchedule.daily
    /// When the import reconciles the stored Ids with the org's (`lytics.reconcile_deletes`).
    public var reconcileDeletes = PassSchedule.weekly
    /// The same two passes of the contact pull (`levitate.formula_refresh`, `levitate.reconcile_deletes`).
    public var contactsFormulaRefresh = PassSchedule.daily
    public var contactsReconcileDeletes = PassSchedule.weekly
    /// Remarks for the user about how the settings were read (a retired key in use).
    public var notes: [String] = []

    public func budget(for job: JobKind) -> Int? {
        switch job {
        case .import: importBudget
        case .export: exportBudget
        case .contacts, .writeback: levitateBudget
        }
    }

    /// The key the legacy single budget lived under; it is the default of both lytics budgets.
    public static let legacyBudgetKey = "lytics.max_daily_calls"
    /// The prefix of the owner map's keys (`map owner`), in the org's scope.
    public static let ownerPrefix = "owner_map:"

    /// Reads the settings of `scope` (an org alias, or the default scope) from the store.
    public static func load(from store: Store, scope: String) throws(EngineError) -> SyncSettings {
        let stored: [String: String]
        let owners: [(String, String)]
        do {
            stored = try store.settings(scope: scope)
            owners = try store.settings(scope: scope, prefix: ownerPrefix)
        } catch { throw EngineError(error) }
        func value(_ key: String) -> String? { stored[key] ?? spec(key)?.defaultValue }
        func list(_ key: String) -> [String] { SettingSpec.listItems(value(key) ?? "") }
        func number(_ key: String) -> Int? { value(key).flatMap(Int.init) }

        let levitate = ContactMapping.Settings(
            nicknameField: value("levitate.nickname_field"), keyDates: list("levitate.key_dates"),
            tagFields: list("levitate.tag_fields"), optoutField: value("levitate.optout_field"),
            deceasedField: value("levitate.deceased_field"), removeDeceased: value("levitate.remove_deceased") == "on",
            ownerMap: Dictionary(owners.map { (String($0.0.dropFirst(ownerPrefix.count)), $0.1) },
                                 uniquingKeysWith: { _, last in last }))

        var lytics = LeadPayload.Settings()
        lytics.audiences = list("lytics.audiences")
        lytics.audiencesField = value("lytics.audiences_field") ?? lytics.audiencesField
        lytics.affinityField = value("lytics.affinity_field")
        lytics.scoresField = value("lytics.scores_field")
        lytics.unknownCompanyOK = value("lytics.unknown_company_ok") == "on"
        lytics.unknownLastNameOK = value("lytics.unknown_last_name_ok") == "on"
        lytics.emailAttribute = value("lytics.email_field") ?? lytics.emailAttribute
        lytics.firstNameAttribute = value("lytics.first_name_field") ?? lytics.firstNameAttribute
        lytics.lastNameAttribute = value("lytics.last_name_field") ?? lytics.lastNameAttribute
        lytics.companyAttribute = value("lytics.company_field") ?? lytics.companyAttribute
        lytics.moreFields = list("lytics.more_fields").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (attribute: parts[0], field: parts[1]) : nil
        }

        lytics.matchField = value("lytics.match_field")
        lytics.assignmentRule = value("lytics.assignment_rule").flatMap(LeadAssignment.Choice.init(setting:)) ?? .active

        let legacy = number(legacyBudgetKey)
        var settings = SyncSettings(
            levitate: levitate, lytics: lytics,
            importBudget: number(JobKind.import.budgetKey) ?? legacy,
            exportBudget: number(JobKind.export.budgetKey) ?? legacy,
            levitateBudget: number(JobKind.contacts.budgetKey),
            keepUpdated: value("lytics.keep_updated") == "on")
        for job in JobKind.allCases {
            if let stored = stored[job.scheduleKey].flatMap(ScheduleKind.init(rawValue:)), job.scheduleChoices.contains(stored) {
                settings.schedules[job] = stored
                continue
            }
            switch job {
            case .import: settings.schedules[job] = stored["lytics.run_hourly"] == "on" ? .hourly
                : stored["lytics.keep_updated"] == "on" ? .keepUpdated : .off
            case .export: settings.schedules[job] = stored["lytics.keep_updated"] == "on" ? .keepUpdated : .off
            case .contacts, .writeback: settings.schedules[job] = .off
            }
        }
        settings.exportMaxAttempts = number("lytics.max_attempts") ?? settings.exportMaxAttempts
        settings.formulaRefresh = value("lytics.formula_refresh").flatMap(PassSchedule.init(rawValue:)) ?? .daily
        settings.reconcileDeletes = value("lytics.reconcile_deletes").flatMap(PassSchedule.init(rawValue:)) ?? .weekly
        settings.contactsFormulaRefresh = value("levitate.formula_refresh").flatMap(PassSchedule.init(rawValue:)) ?? .daily
        settings.contactsReconcileDeletes = value("levitate.reconcile_deletes").flatMap(PassSchedule.init(rawValue:)) ?? .weekly
        settings.keepUpdated = settings.schedules[.export] == .keepUpdated || settings.schedules[.import] == .keepUpdated
        switch value("levitate.writeback")?.lowercased() ?? "all" {
        case "all": settings.writebackKinds = ActivityNote.kinds
        case "none", "": settings.writebackKinds = []
        case let chosen: settings.writebackKinds = ActivityNote.kinds.filter(Set(SettingSpec.listItems(chosen)).contains)
        }
        if let legacy, stored[JobKind.import.budgetKey] == nil || stored[JobKind.export.budgetKey] == nil {
            settings.notes.append("\(legacyBudgetKey) (\(legacy)) is the default of both \(JobKind.import.budgetKey) and "
                                  + "\(JobKind.export.budgetKey) now; set those to budget each direction on its own")
        }
        return settings
    }

    public static func spec(_ key: String) -> SettingSpec? {
        specs.first { $0.key == key.lowercased() }
    }

    /// The `levitate.*` and `lytics.*` settings, per org.
    public static let specs: [SettingSpec] = [
        SettingSpec("levitate.nickname_field", .field(object: "Contact", types: ContactMapping.nicknameTypes), scope: .org,
                    help: "Contact text field whose value, when present, replaces the first name"),
        SettingSpec("levitate.key_dates", .fields(object: "Contact", types: ContactMapping.keyDateTypes), scope: .org,
                    help: "Contact date fields shown as key facts (besides Birthdate)"),
        SettingSpec("levitate.tag_fields", .fields(object: "Contact", types: ContactMapping.tagTypes),
                    scope: .org, help: "Contact fields turned into tags (picklist, multipicklist, checkbox, text)"),
        SettingSpec("levitate.optout_field", .field(object: "Contact", types: ContactMapping.flagTypes), scope: .org,
                    help: "Contact checkbox or date that means unsubscribed (e.g. HasOptedOutOfEmail)"),
        SettingSpec("levitate.deceased_field", .field(object: "Contact", types: ContactMapping.flagTypes), scope: .org,
                    help: "Contact checkbox or date that means deceased (the contact is archived)"),
        SettingSpec("levitate.remove_deceased", .boolean, default: "off", scope: .org,
                    help: "remove deceased contacts instead of archiving them"),
        SettingSpec("levitate.writeback", .subset(["note", "email", "call", "card", "text"]), default: "all", scope: .org,
                    help: "activity kinds written back to Salesforce as Notes: all, none, or a list"),
        SettingSpec("levitate.formula_refresh", .choice(PassSchedule.formulaChoices.map(\.rawValue)), default: "daily", scope: .org,
                    help: "when the contact pull reads the mapped Contacts again to catch formula changes: off, daily, every-run"),
        SettingSpec("levitate.reconcile_deletes", .choice(PassSchedule.reconcileChoices.map(\.rawValue)), default: "weekly", scope: .org,
                    help: "when the contact pull lists the org's Contact Ids to archive purged ones: off, weekly, every-run"),
        SettingSpec("levitate.max_daily_calls", .integer(1...100_000_000), scope: .org,
                    help: "the contact pull's and write-back's maximum API calls in any 24 h"),

        SettingSpec("lytics.audiences", .list, scope: .org,
                    help: "audiences whose members are exported as Leads (overlap counted once)"),
        SettingSpec("lytics.audiences_field", .field(object: "Lead", types: LeadPayload.textTypes), default: "Lytics_Audiences__c",
                    scope: .org, help: "Lead text field that receives the member's audiences"),
        SettingSpec("lytics.affinity_field", .field(object: "Lead", types: LeadPayload.textTypes), scope: .org,
                    help: "Lead text field for the top 3 content affinities (optional)"),
        SettingSpec("lytics.scores_field", .field(object: "Lead", types: LeadPayload.textTypes), scope: .org,
                    help: "Lead text field for the scores (optional)"),
        SettingSpec("lytics.unknown_company_ok", .boolean, default: "off", scope: .org,
                    help: "create Leads without a company as 'Unknown'"),
        SettingSpec("lytics.unknown_last_name_ok", .boolean, default: "off", scope: .org,
                    help: "create Leads without a last name as 'Unknown'"),
        SettingSpec("lytics.email_field", .text, default: "email", scope: .org,
                    help: "profile attribute that feeds Lead.Email"),
        SettingSpec("lytics.first_name_field", .text, default: "first_name", scope: .org,
                    help: "profile attribute that feeds Lead.FirstName"),
        SettingSpec("lytics.last_name_field", .text, default: "last_name", scope: .org,
                    help: "profile attribute that feeds Lead.LastName"),
        SettingSpec("lytics.company_field", .text, default: "company", scope: .org,
                    help: "profile attribute that feeds Lead.Company"),
        SettingSpec("lytics.more_fields", .pairs(object: "Lead", types: LeadPayload.targetTypes), scope: .org,
                    help: "more attribute=LeadField pairs (see 'map lead')"),
        SettingSpec("lytics.match_field", .field(object: "Lead", types: ["string", "email", "int", "double"]), scope: .org,
                    help: "Lead External ID field holding the profile id: the export upserts by it (no email lookups)"),
        SettingSpec("lytics.assignment_rule", .choiceOrID(["active", "none"], keyPrefix: "01Q"), default: "active", scope: .org,
                    help: "the Lead assignment rule run on created Leads: active (the org's), none, or an AssignmentRule Id"),
        SettingSpec("lytics.max_attempts", .integer(1...1_000), default: "5", scope: .org,
                    help: "failed writes in a row after which a profile is parked until 'exports retry'"),
        SettingSpec("lytics.formula_refresh", .choice(PassSchedule.formulaChoices.map(\.rawValue)), default: "daily", scope: .org,
                    help: "when the import reads formula fields again (their changes move no SystemModstamp): off, daily, every-run"),
        SettingSpec("lytics.reconcile_deletes", .choice(PassSchedule.reconcileChoices.map(\.rawValue)), default: "weekly", scope: .org,
                    help: "when the import lists the org's Ids to find records purged from the Recycle Bin: off, weekly, every-run"),
        SettingSpec("lytics.import_max_daily_calls", .integer(1...100_000_000), scope: .org,
                    help: "the import's maximum API calls in any 24 h (default: lytics.max_daily_calls)"),
        SettingSpec("lytics.export_max_daily_calls", .integer(1...100_000_000), scope: .org,
                    help: "the export's maximum API calls in any 24 h (default: lytics.max_daily_calls)"),
        SettingSpec(legacyBudgetKey, .integer(1...100_000_000), scope: .org,
                    help: "the default of both lytics budgets (prefer the two settings above)"),
        SettingSpec("lytics.keep_updated", .boolean, default: "off", scope: .org,
                    help: "run the import and the export again 24 h after each run finishes (schedule import|export keep-updated)"),
        SettingSpec("lytics.run_hourly", .boolean, default: "off", scope: .org,
                    help: "run the import every hour instead (schedule import hourly)"),
    ] + JobKind.allCases.map { job in
        SettingSpec(job.scheduleKey, .choice(job.scheduleChoices.map(\.rawValue)), default: "off", scope: .org,
                    help: "when the \(job.rawValue) runs on its own ('schedule \(job.rawValue) …'; 'sfsh daemon' runs it)")
    }
}
