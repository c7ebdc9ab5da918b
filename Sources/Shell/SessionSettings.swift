public import SyncEngine
import SalesforceModel
import JSON
import Foundation
import Salesforce
import Store

// The session's settings: scoped per org, cached home-wide ones, checked against the describe when set.

extension ShellSession {
    // MARK: Settings

    /// The store scope a setting lives in: the home's, or the current org's
    /// (the default scope when no org is selected).
    public func scope(of spec: SettingSpec) -> String {
        spec.scope == .org ? (currentOrgAlias ?? Store.defaultScope) : Store.defaultScope
    }

    /// The stored value of a setting in its scope, if the user set one.
    public func storedSetting(_ key: String) -> String? {
        guard let spec = SettingsRegistry.spec(key) else { return settingsCache[key] }
        let scope = scope(of: spec)
        if scope == Store.defaultScope { return settingsCache[spec.key] }
        // Schedules and their lytics.* views read through the engine's one source of truth.
        if spec.key.hasPrefix("schedule.") || SyncSettings.scheduleAliases.contains(spec.key),
           let schedules = try? SyncSettings.load(from: store, scope: scope).schedules {
            let job = JobKind.allCases.first { $0.scheduleKey == spec.key }
            let value = job.map { schedules[$0]?.rawValue ?? "off" } ?? SyncSettings.aliasValue(spec.key, schedules: schedules)
            return value == spec.defaultValue && !isScheduleStored(scope: scope) ? nil : value
        }
        return (try? store.setting(spec.key, scope: scope)) ?? nil
    }

    /// Whether any schedule (or a setting it is read from) was set in `scope`.
    func isScheduleStored(scope: String) -> Bool {
        let keys = JobKind.allCases.map(\.scheduleKey) + SyncSettings.scheduleAliases
        return keys.contains { ((try? store.setting($0, scope: scope)) ?? nil) != nil }
    }

    /// The value of a setting: set by the user, else its default.
    public func setting(_ key: String) -> String? {
        storedSetting(key) ?? SettingsRegistry.spec(key)?.defaultValue
    }

    /// An org-scoped setting (`levitate.*`, `lytics.*`) of the current org.
    public func orgSetting(_ key: String) -> String? { setting(key) }

    public func isSettingSet(_ key: String) -> Bool { storedSetting(key) != nil }

    public func storeSetting(_ key: String, _ value: String) throws(ShellError) {
        let spec = SettingsRegistry.spec(key)
        let scope = spec.map(scope(of:)) ?? Store.defaultScope
        if SyncSettings.scheduleAliases.contains(key) {
            // lytics.keep_updated and lytics.run_hourly are views of the schedules: they write those.
            let current: [JobKind: ScheduleKind]
            do throws(EngineError) { current = try SyncSettings.load(from: store, scope: scope).schedules } catch { throw ShellError(error) }
            do {
                for (scheduleKey, scheduleValue) in SyncSettings.scheduleWrites(alias: key, value: value, current: current) {
                    try store.setSetting(scheduleKey, to: scheduleValue, scope: scope)
                }
                _ = try store.removeSetting(key, scope: scope)
            } catch { throw .failure(error.description) }
            return
        }
        do { try store.setSetting(key, to: value, scope: scope) } catch { throw .failure(error.description) }
        if scope == Store.defaultScope { settingsCache[key] = value }
    }

    @discardableResult
    public func removeSetting(_ key: String) throws(ShellError) -> Bool {
        let spec = SettingsRegistry.spec(key)
        let scope = spec.map(scope(of:)) ?? Store.defaultScope
        if SyncSettings.scheduleAliases.contains(key) {
            try storeSetting(key, "off")
            return true
        }
        do {
            let removed = try store.removeSetting(key, scope: scope)
            if scope == Store.defaultScope { settingsCache[key] = nil }
            return removed
        } catch { throw .failure(error.description) }
    }

    /// A value checked by its setting's rules (and the describe), as a shell error when refused.
    func normalized(_ spec: SettingSpec, _ raw: String, describe: SObjectDescribe?) throws(ShellError) -> String {
        do { return try spec.normalize(raw, describe: describe) } catch { throw ShellError(error) }
    }

    /// The field-valued settings under `prefix` that are set: (key, field, allowed types), one per field.
    func fieldSettings(prefix: String) -> [(String, String, [String])] {
        SettingsRegistry.all.filter { $0.key.hasPrefix(prefix) }.flatMap { spec -> [(String, String, [String])] in
            guard let value = setting(spec.key) else { return [] }
            switch spec.kind {
            case let .field(_, types): return [(spec.key, value, types)]
            case let .fields(_, types): return SettingSpec.listItems(value).map { (spec.key, $0, types) }
            case let .pairs(_, types):
                return SettingSpec.listItems(value).compactMap { pair in
                    pair.split(separator: "=", maxSplits: 1).last.map { (spec.key, String($0), types) }
                }
            default: return []
            }
        }
    }

    public var historyLimit: Int { Int(setting("history_size") ?? "") ?? 1000 }
}
