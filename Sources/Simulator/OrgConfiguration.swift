public import Foundation

/// How a simulated org is set up.
public struct OrgConfiguration: Sendable {
    public var seed: UInt64 = 1
    public var contacts = 200
    public var leads = 200
    public var accounts = 50
    public var opportunities = 100
    /// `DailyApiRequests.Max`, over a rolling 24 h window.
    public var dailyLimit = 100_000
    /// `Organization.OrganizationType`.
    public var edition = "Enterprise Edition"
    /// For Professional Edition: whether the org bought the API add-on.
    public var apiAddOn = false
    /// The active Lead duplicate rule (matching email).
    public var leadDuplicateRule = true
    /// Serve `/_sfsim/` (clock, limits, faults, call log).
    public var controlEnabled = false
    /// What every `/_sfsim/…` request must carry in `X-Sfsim-Control`; random when nil.
    public var controlToken: String?
    /// How long an access token lives on the org's clock.
    public var sessionLifetime: TimeInterval = 2 * 3600
    /// Keep records in memory instead of a temporary file.
    public var inMemory = false
    /// Bulk API 2.0 query jobs: how long a job stays queued, then processing (plus 2 s a million rows), on the org's clock.
    public var bulkQueuedSeconds: TimeInterval = 0.2
    public var bulkProcessingSeconds: TimeInterval = 0.5
    public var clientID = "sfsim-connected-app"
    public var clientSecret = "sfsim-consumer-secret"
    public var adminUsername = "admin@sfsim.example.com"
    public var adminPassword = "sfsim-password"
    public var securityToken = "SFSIMTOKEN"
    /// A customer's org shape from a support bundle (`--from-bundle`): its objects and fields, sample records.
    public var shape: OrgShape?

    public init() {}

    /// Takes a bundle's shape: its objects and records, and its edition, daily API limit and Lead duplicate rule
    /// where the bundle saw them.
    public mutating func apply(_ shape: OrgShape) {
        self.shape = shape
        if let edition = shape.edition { self.edition = edition }
        if let limit = shape.dailyLimit, limit > 0 { dailyLimit = limit }
        if let rule = shape.leadDuplicateRule { leadDuplicateRule = rule }
    }
}

/// A user of the simulated org and what it may do.
public struct SimUser: Sendable {
    public var id: String
    public var username: String
    public var firstName: String
    public var lastName: String
    public var email: String
    public var password: String
    public var apiEnabled = true
    public var viewAllData = true
    public var active = true

    public var name: String { "\(firstName) \(lastName)" }
}
