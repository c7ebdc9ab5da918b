import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules


// The export's dry run: the describe and the email lookups (its only calls), then the rules and ExportCalls.

extension ExportJob {
    // MARK: Dry run

    /// What a run would do: the describe and the email lookups (its only calls), then the rules.
    public func plan() async throws(EngineError) -> ExportPlan {
        try validate()
        let client = try connector.client(for: org, source: JobKind.export.ledgerSource + " --dry-run")
        let before = (try? store.ledgerCount(since: .distantPast, org: org.alias, source: JobKind.export.ledgerSource + " --dry-run")) ?? 0
        let describe = try await DescribeCache(store: store, clock: clock).describe("Lead", org: org.alias, client: client)
        var composite = options.composite
        var plan = ExportPlan(org: org.alias)
        do {
            let rules = settings.lytics.assignmentRule == .noRule ? nil : try await Self.assignmentRules(client: client)
            plan.assignment = LeadAssignment.resolve(settings.lytics.assignmentRule, rules: rules)
        } catch {
            throw EngineError(error, doing: "read the Lead assignment rules")
        }
        var writerOf: [String: String] = [:]
        var last: String?
        var chunks: [ExportCalls.Chunk] = []
        while true {
            let chunk: [String]
            do { chunk = try store.profileBodies(inAny: settings.lytics.audiences, after: last, limit: Self.chunkSize) } catch {
                throw EngineError(error)
            }
            var candidates = try candidates(chunk)
            guard let lastID = candidates.last?.profile.id else { break }
            last = lastID
            let found: [String: String]
            do { found = try await lookUp(emailsToLookUp(candidates), client: client, composite: &composite) } catch {
                throw EngineError(error, doing: "look up Leads by email")
            }
            try decide(&candidates, found: found, describe: describe, writerOf: &writerOf)
            var creates = 0
            var updates = 0
            for candidate in candidates {
                switch candidate.decision {
                case let .skip(reason): plan.skipped[Self.reasonKey(reason), default: 0] += 1
                case .unchanged: plan.unchanged += 1
                case .parked: plan.parked += 1
                case .create: creates += 1
                case .upsert:
                    creates += 1
                    plan.upsert += 1
                case .update: updates += 1
                }
            }
            plan.create += creates
            plan.update += updates
            chunks.append(ExportCalls.Chunk(lookups: emailsToLookUp(candidates), creates: creates, updates: updates))
            if chunk.count < Self.chunkSize { break }
        }
        // What a run would spend: the same rule `estimate export` uses (lookups and writes).
        plan.plannedCalls = ExportCalls.count(chunks, composite: composite)
        // Upserts name the active rule by its Id: the run reads the rules once before the first.
        if plan.upsert > 0 && settings.lytics.assignmentRule == .active { plan.plannedCalls += 1 }
        let after = (try? store.ledgerCount(since: .distantPast, org: org.alias, source: JobKind.export.ledgerSource + " --dry-run")) ?? 0
        plan.calls = after - before
        return plan
    }

    /// Skip reasons are counted by kind: the profile named in a shared-email skip is left out.
    static func reasonKey(_ reason: String) -> String {
        reason.hasPrefix("shares its email with profile") ? "shares an email with another profile" : reason
    }
}
