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
        var shapes: [ExportCalls.Chunk] = []
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
            shapes.append(chunkShape(candidates))
            if chunk.count < Self.chunkSize { break }
        }
        // What a run would spend, by the method it would choose: the same rule `estimate export` uses.
        let choice: (method: ExportCalls.Method, leads: Int?)
        do { choice = try await chooseMethod(shapes, composite: composite, client: client) } catch {
            throw EngineError(error, doing: "count the org's Leads")
        }
        plan.method = choice.method
        plan.plannedCalls = ExportCalls.planned(chunks, composite: composite, method: choice.method, leads: choice.leads).count
        // Upserts name the active rule by its Id, and Bulk jobs of creates carry it: the run reads the rules once.
        let namesRule = choice.method == .bulk ? plan.create > 0 : plan.upsert > 0
        if namesRule && settings.lytics.assignmentRule == .active { plan.plannedCalls += 1 }
        let after = (try? store.ledgerCount(since: .distantPast, org: org.alias, source: JobKind.export.ledgerSource + " --dry-run")) ?? 0
        plan.calls = after - before
        return plan
    }

    // MARK: Method

    /// A chunk's work as the method is chosen from it, before any lookup: its emails to look up, its creates (a
    /// profile whose email found a Lead counts as one: the run chooses before it looks) and its updates of remembered Leads.
    func chunkShape(_ candidates: [Candidate]) -> ExportCalls.Chunk {
        var creates = 0
        var updates = 0
        for candidate in candidates {
            switch candidate.decision {
            case .create, .upsert: creates += 1
            case let .update(leadID, _, _):
                if leadID == candidate.state.leadID { updates += 1 } else { creates += 1 }
            case .skip, .parked, .unchanged: break
            }
        }
        return ExportCalls.Chunk(lookups: emailsToLookUp(candidates), creates: creates, updates: updates)
    }

    /// How a run over `chunks` writes: forced by `--bulk`/`--rest`, else Bulk when its jobs cost fewer calls. The org's
    /// Leads are counted (1 call) only when a Bulk lookup might cost fewer calls than the `IN` queries; `leads` is that count.
    func chooseMethod(_ chunks: [ExportCalls.Chunk], composite: Bool,
                      client: SalesforceClient) async throws(SalesforceError) -> (method: ExportCalls.Method, leads: Int?) {
        if options.method == .rest { return (.rest, nil) }
        var leads: Int?
        let inCalls = ExportCalls.lookupCalls(chunks, composite: composite)
        if ExportCalls.bulkLookupMayPay(inCalls: inCalls)
            && (options.method == .bulk || ExportCalls.bulkCount(chunks, composite: composite, leads: 0) < ExportCalls.count(chunks, composite: composite)) {
            leads = try await client.query(ExportCalls.bulkLookupCount).totalSize
        }
        return (ExportCalls.method(chunks, composite: composite, leads: leads, forced: options.method), leads)
    }

    /// Skip reasons are counted by kind: the profile named in a shared-email skip is left out.
    static func reasonKey(_ reason: String) -> String {
        reason.hasPrefix("shares its email with profile") ? "shares an email with another profile" : reason
    }
}
