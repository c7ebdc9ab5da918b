public import JSON

/// Which Lead assignment rule runs on the Leads the export creates (`lytics.assignment_rule`), as Salesforce
/// takes the choice: the REST API's `Sforce-Auto-Assign` header (absent or `TRUE`: the org's active rule, on
/// created *and updated* Leads; `FALSE`: none; a rule's Id: that rule, on created Leads) and a Bulk API 2.0
/// job's `assignmentRuleId` (that rule, active or not; without one, none runs).
///
/// sfsh's default is `active`, what the REST API does for a client that sends no header, and Bulk jobs get the
/// active rule's Id so both paths assign alike. Updates always carry `FALSE`: an export that refreshes a Lead's
/// audiences never takes it from the owner a rule or a person gave it.
public enum LeadAssignment {
    public enum Choice: Sendable, Equatable {
        case active
        /// `none`: no rule runs (not `.none`, which an optional would read as nil).
        case noRule
        case rule(String)

        /// `active`, `none`, or an AssignmentRule Id (15 or 18 letters and digits, key prefix `01Q`).
        public init?(setting: String) {
            switch setting.lowercased() {
            case "active": self = .active
            case "none": self = .noRule
            default:
                guard Self.isRuleID(setting) else { return nil }
                self = .rule(setting)
            }
        }

        public static func isRuleID(_ text: String) -> Bool {
            (text.count == 15 || text.count == 18) && text.hasPrefix("01Q") && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }

        public var setting: String {
            switch self {
            case .active: "active"
            case .noRule: "none"
            case let .rule(id): id
            }
        }
    }

    /// One of the org's Lead rules, as `rulesQuery` reads it.
    public struct Rule: Sendable, Equatable {
        public var id: String
        public var name: String
        public var active: Bool

        public init(id: String, name: String, active: Bool) {
            self.id = id
            self.name = name
            self.active = active
        }
    }

    public static let header = "Sforce-Auto-Assign"
    public static let rulesQuery = "SELECT Id, Name, Active FROM AssignmentRule WHERE SobjectType = 'Lead' ORDER BY Name, Id"

    /// The header a write of created Leads carries.
    public static func createHeader(_ choice: Choice) -> (String, String) {
        switch choice {
        case .active: (header, "TRUE")
        case .noRule: (header, "FALSE")
        case let .rule(id): (header, id)
        }
    }

    /// The header an upsert carries once the choice is resolved: the rule's Id (an Id runs on created Leads only,
    /// where `TRUE` would also run the active rule on the Leads the upsert updates), or `FALSE`.
    public static func upsertHeader(_ resolution: Resolution) -> (String, String) {
        (header, resolution.rule?.id ?? "FALSE")
    }

    /// The header a write of updated Leads carries: no rule runs on an update.
    public static let updateHeader = (header, "FALSE")

    /// What the choice means in this org: the rule that runs on created Leads, or why none does.
    public struct Resolution: Sendable, Equatable {
        public var choice: Choice
        public var rule: Rule?
        public var note: String

        public init(choice: Choice, rule: Rule?, note: String) {
            self.choice = choice
            self.rule = rule
            self.note = note
        }

        public var json: JSONValue { LeadAssignment.json(self) }
    }

    /// Resolves the choice against the org's Lead rules (`rules` nil: not looked up).
    public static func resolve(_ choice: Choice, rules: [Rule]?) -> Resolution {
        guard let rules else {
            let note = switch choice {
            case .active: "the org's active Lead assignment rule runs on created Leads (not looked up)"
            case .noRule: "no assignment rule runs: Leads keep the owner the export gives them"
            case let .rule(id): "assignment rule \(id) runs on created Leads (not looked up)"
            }
            return Resolution(choice: choice, rule: nil, note: note)
        }
        switch choice {
        case .noRule:
            return Resolution(choice: choice, rule: nil, note: "no assignment rule runs: Leads keep the owner the export gives them")
        case .active:
            guard let rule = rules.first(where: \.active) else {
                return Resolution(choice: choice, rule: nil, note: "the org has no active Lead assignment rule: Leads keep the owner the export gives them")
            }
            return Resolution(choice: choice, rule: rule, note: "'\(rule.name)' (\(rule.id), the active rule) runs on created Leads")
        case let .rule(id):
            guard let rule = rules.first(where: { sameID($0.id, id) }) else {
                return Resolution(choice: choice, rule: nil,
                                  note: "the org has no Lead assignment rule \(id) ('\(LeadAssignment.rulesQuery)' lists them)")
            }
            return Resolution(choice: choice, rule: rule,
                              note: "'\(rule.name)' (\(rule.id)\(rule.active ? ", the active rule" : ", inactive")) runs on created Leads")
        }
    }

    /// `{"setting", "id", "name", "active", "note"}` (`id`, `name`, `active` null when no rule runs or it was not looked up).
    public static func json(_ resolution: Resolution) -> JSONValue {
        .object([
            ("setting", .string(resolution.choice.setting)),
            ("id", resolution.rule.map { .string($0.id) } ?? .null),
            ("name", resolution.rule.map { .string($0.name) } ?? .null),
            ("active", resolution.rule.map { .bool($0.active) } ?? .null),
            ("note", .string(resolution.note)),
        ])
    }

    /// The `assignmentRuleId` of a Bulk job: the resolved rule's Id (none when no rule runs).
    public static func bulkRuleID(_ resolution: Resolution) -> String? { resolution.rule?.id }

    /// 15- and 18-character Ids of one record are one Id.
    static func sameID(_ a: String, _ b: String) -> Bool { a.prefix(15) == b.prefix(15) }
}
