import SyncEngine
import JSON
import SyncRules

// `estimate import`'s last part: what the import's extra passes (issue 23) cost once the initial import is done.

extension EstimateCommands {
    /// The `passes` object of `estimate import --json`: the schedules, each object's calls of one Id listing and one
    /// formula refresh, their sums, and a week's calls (null when a pass runs every run).
    static func upkeepJSON(_ upkeep: PassUpkeep) -> JSONValue {
        .object([
            ("formula_refresh", .string(upkeep.formulaRefresh.rawValue)),
            ("reconcile_deletes", .string(upkeep.reconcileDeletes.rawValue)),
            ("objects", .object(upkeep.objects.map { entry in
                (entry.object, .object([("reconcile", .int(entry.reconcile)), ("refresh", .int(entry.refresh))]))
            })),
            ("reconcile", .int(upkeep.reconcile)),
            ("refresh", .int(upkeep.refresh)),
            ("calls_per_week", upkeep.callsPerWeek.map(JSONValue.int) ?? .null),
        ])
    }

    /// The same for people: one line a pass, one for the week.
    static func upkeepText(_ upkeep: PassUpkeep) -> String {
        var text = "after it, the extra passes of the incremental runs, when due (lytics.reconcile_deletes, lytics.formula_refresh):\n"
        func perObject(_ calls: (PassUpkeep.Object) -> Int) -> String {
            upkeep.objects.map { "\($0.object) \(calls($0))" }.joined(separator: ", ")
        }
        if upkeep.reconcileDeletes == .off {
            text += "  delete reconciliation: off\n"
        } else {
            text += "  delete reconciliation (\(upkeep.reconcileDeletes.rawValue)): \(plural(upkeep.reconcile, "call")) to list every Id ("
                + perObject(\.reconcile) + "); 1 getDeleted call an object instead when nothing was purged since the last\n"
        }
        if upkeep.formulaRefresh == .off {
            text += "  formula refresh: off\n"
        } else {
            text += "  formula refresh (\(upkeep.formulaRefresh.rawValue)): at most \(plural(upkeep.refresh, "call")) ("
                + perObject(\.refresh) + "), only for objects with formula fields\n"
        }
        if let week = upkeep.callsPerWeek {
            text += "  a week: at most \(plural(week, "call")) (a purge every week)\n"
        } else {
            text += "  a week: the calls above times the runs a week (a pass runs every run)\n"
        }
        return text
    }
}
