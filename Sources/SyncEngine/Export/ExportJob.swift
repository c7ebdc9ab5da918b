public import SalesforceModel
import Foundation
public import JSON
public import Salesforce
public import Store
public import SyncRules

/// What `sync export` is asked to do.
public struct ExportOptions: Sendable {
    /// Send every payload again, even one equal to what was last written.
    public var full = false
    /// Run even while the job is paused (the budget still applies).
    public var force = false
    /// Pack subrequests into `/composite` calls (up to 1,000 records a call); off,
    /// or when the org refuses `/composite`, each collection is a call of its own.
    public var composite = true
    /// Collections (`--rest`) or Bulk API 2.0 ingest jobs (`--bulk`); nil: Bulk when its jobs cost fewer calls.
    public var method: ExportCalls.Method?

    public init() {}
}

/// The outcome of an export run, as `sync export` prints it.
public struct ExportReport: Sendable {
    /// The run, how it ended and what it spent (`runID`, `status`, `calls` … read through it).
    public var outcome: RunOutcome
    public var created = 0
    public var updated = 0
    public var unchanged = 0
    public var skipped: [String: Int] = [:]
    public var failed = 0
    /// Profiles held back as parked (failed lytics.max_attempts times in a row), those this run parked included.
    public var parked = 0
    public var plannedCalls = 0
    /// How the run wrote its Leads (nil: it wrote none).
    public var method: ExportCalls.Method?
    /// The profiles that failed in this run, with Salesforce's code and message (the first few).
    public var failures: [ExportProfileState] = []

    /// `{"run", "job": "export", "org", "status", "created", "updated", "unchanged", "skipped": {reason: count},
    /// "failed", "parked", "calls", "planned_calls", "paused_until"}`.
    public var json: JSONValue {
        .object([
            ("run", .int(Int(runID))), ("job", .string("export")), ("org", .string(org)), ("status", .string(status.rawValue)),
            ("created", .int(created)), ("updated", .int(updated)), ("unchanged", .int(unchanged)),
            ("skipped", .object(skipped.keys.sorted().map { ($0, .int(skipped[$0] ?? 0)) })),
            ("failed", .int(failed)), ("parked", .int(parked)), ("calls", .int(calls)), ("planned_calls", .int(plannedCalls)),
            ("method", method.map { .string($0.rawValue) } ?? .null), ("paused_until", RunControl.json(pausedUntil)),
        ])
    }
}

/// What a dry run found: what each profile would get, and the calls.
public struct ExportPlan: Sendable {
    public var org: String
    /// Creates, upserts among them (`lytics.match_field`: created, or the Lead holding the profile id updated).
    public var create = 0
    public var upsert = 0
    public var update = 0
    public var unchanged = 0
    public var skipped: [String: Int] = [:]
    /// Parked profiles a run would hold back.
    public var parked = 0
    public var plannedCalls = 0
    /// How a run would write: collections or Bulk API 2.0 ingest jobs.
    public var method = ExportCalls.Method.rest
    /// Calls the dry run itself spent (describe, assignment rules and email lookups).
    public var calls = 0
    /// The assignment rule created Leads would run.
    public var assignment = LeadAssignment.resolve(.active, rules: nil)

    public var json: JSONValue {
        .object([
            ("job", .string("export")), ("org", .string(org)), ("dry_run", .bool(true)),
            ("create", .int(create)), ("upsert", .int(upsert)), ("update", .int(update)), ("unchanged", .int(unchanged)),
            ("skipped", .object(skipped.keys.sorted().map { ($0, .int(skipped[$0] ?? 0)) })), ("parked", .int(parked)),
            ("planned_calls", .int(plannedCalls)), ("method", .string(method.rawValue)), ("calls", .int(calls)),
            ("assignment_rule", assignment.json),
        ])
    }
}

/// The lead export of SPEC §6.2: every local profile in `lytics.audiences`
/// becomes a Lead payload (the same `LeadPayload.build` `preview lead` runs),
/// created or updated in sObject Collections packed into Composite calls.
///
/// Exactly once: a profile's create is recorded as an intent (in the store,
/// committed) before the call that carries it is sent, and settled in the
/// transaction that records the answer. A create whose answer is lost (the
/// process killed, the connection dropped, a 5xx) stays unsettled; before any
/// of those profiles is created again, the engine waits for the lost request
/// to land and looks its email up: a Lead found is adopted, never duplicated.
/// Creates never ride a reused connection (libcurl could resend them).
public final class ExportJob: SyncJob {
    public static let configuration = JobConfiguration(kind: .export,
                                                       resumeHint: "the next 'sync export' settles what was sent and goes on")
    public let environment: JobEnvironment
    let options: ExportOptions

    public init(_ environment: JobEnvironment, options: ExportOptions) {
        self.environment = environment
        self.options = options
    }

    public var force: Bool { options.force }

    // MARK: Decisions (shared by the run and the dry run)

    /// One profile selected for export, with what the rules decided for it.
    struct Candidate {
        var profile: Profile
        var state: ExportProfileState
        /// The profile's email as a match key (EmailKey: trimmed, case-folded; Salesforce matches emails without case).
        var emailKey: String?
        var decision: Decision = .skip("not decided")
    }

    enum Decision {
        case skip(String)
        /// Failed lytics.max_attempts times in a row: held back until `exports retry`.
        case parked
        case unchanged
        case create(payload: JSONValue, hash: String)
        /// By `lytics.match_field`: created, or the Lead already holding the profile id updated.
        case upsert(payload: JSONValue, hash: String)
        case update(leadID: String, payload: JSONValue, hash: String)
    }

    /// Profiles per chunk (ExportCalls).
    static let chunkSize = ExportCalls.chunkSize

    /// Profiles (JSON bodies) with their stored state, in profile id order.
    func candidates(_ bodies: [String]) throws(EngineError) -> [Candidate] {
        let parsed = bodies.compactMap { try? Profile.parse($0) }
        let states: [String: ExportProfileState]
        do { states = try store.exportStates(org: org.alias, profileIDs: parsed.map(\.id)) } catch { throw EngineError(error) }
        return parsed.map { profile in
            let state = states[profile.id] ?? ExportProfileState(org: org.alias, profileID: profile.id)
            return Candidate(profile: profile, state: state, emailKey: Self.emailKey(profile, settings.lytics))
        }
    }

    static func emailKey(_ profile: Profile, _ settings: LeadPayload.Settings) -> String? {
        guard case let .string(text)? = profile.attributes[settings.emailAttribute] else { return nil }
        return EmailKey.key(text)
    }

    /// The rules for every candidate; `found` maps emails to the Lead the lookup found.
    /// Profiles that share an email share one Lead: the first that has a payload writes it,
    /// the others are skipped naming it (Salesforce's duplicate rules do not compare the
    /// records of one request with each other).
    func decide(_ candidates: inout [Candidate], found: [String: String], describe: SObjectDescribe,
                writerOf: inout [String: String]) throws(EngineError) {
        for index in candidates.indices {
            var candidate = candidates[index]
            if candidate.state.isParked {
                candidates[index].decision = .parked
                continue
            }
            let existing = candidate.state.leadID ?? candidate.emailKey.flatMap { found[$0] }
            let result: LeadPayload.Result
            do { result = try LeadPayload.build(profile: candidate.profile, describe: describe, settings: settings.lytics,
                                                existingLeadID: existing) } catch {
                throw EngineError(.failure, error.message, hint: "fix the setting (set \(error.setting) …)")
            }
            if result.action == .skip {
                candidate.decision = .skip(result.reason ?? "skipped")
                candidates[index] = candidate
                continue
            }
            let key = candidate.emailKey ?? "lead:" + (existing ?? candidate.profile.id)
            if let writer = writerOf[key] {
                candidate.decision = .skip("shares its email with profile \(writer), whose Lead it shares")
                candidates[index] = candidate
                continue
            }
            writerOf[key] = candidate.profile.id
            let payload = JSONValue.object(result.payload)
            let hash = stableHash(payload.serialized())
            if result.action == .upsert {
                candidate.decision = .upsert(payload: payload, hash: hash)
            } else if let leadID = result.leadID {
                let same = !options.full && leadID == candidate.state.leadID && hash == candidate.state.payloadHash
                candidate.decision = same ? .unchanged : .update(leadID: leadID, payload: payload, hash: hash)
            } else {
                candidate.decision = .create(payload: payload, hash: hash)
            }
            candidates[index] = candidate
        }
    }

    /// The emails that need a lookup: profiles with no remembered Lead that are not parked (none when the export
    /// upserts by `lytics.match_field`).
    func emailsToLookUp(_ candidates: [Candidate]) -> [String] {
        guard settings.lytics.matchField == nil else { return [] }
        var seen = Set<String>()
        return candidates.compactMap { candidate in
            guard candidate.state.leadID == nil, !candidate.state.isParked, let key = candidate.emailKey, seen.insert(key).inserted else { return nil }
            return key
        }
    }

    // MARK: Lookups

    /// The org's Lead assignment rules (one query).
    public static func assignmentRules(client: SalesforceClient) async throws(SalesforceError) -> [LeadAssignment.Rule] {
        try await client.query(LeadAssignment.rulesQuery).records.compactMap { record in
            guard let id = record["Id"]?.stringValue else { return nil }
            return LeadAssignment.Rule(id: id, name: record["Name"]?.stringValue ?? id, active: record["Active"]?.boolValue ?? false)
        }
    }

    /// The oldest Lead of each email (by CreatedDate, then Id), many emails per
    /// query and up to 5 queries per composite call.
    func lookUp(_ emails: [String], client: SalesforceClient, composite: inout Bool) async throws(SalesforceError) -> [String: String] {
        guard !emails.isEmpty else { return [:] }
        let queries = ExportCalls.lookupQueries(emails, composite: composite)
        var found: [String: String] = [:]
        func take(_ records: [JSONValue]) {
            for record in records {
                guard let id = record["Id"]?.stringValue, let email = record["Email"]?.stringValue.flatMap(EmailKey.key) else { continue }
                if found[email] == nil { found[email] = id }
            }
        }
        var pages: [QueryPage] = []
        if composite {
            var index = 0
            while index < queries.count {
                let group = Array(queries[index..<min(index + SalesforceClient.compositeHeavyLimit, queries.count)])
                let subrequests = group.enumerated().map { SalesforceClient.querySubrequest($1, referenceID: "lookup\($0)") }
                let answers: [CompositeSubresponse]
                do { answers = try await client.composite(subrequests, idempotent: true) } catch {
                    guard CompositeRefusal.isRefusal(error) else { throw error }
                    composite = false
                    return try await lookUp(emails, client: client, composite: &composite)
                }
                for answer in answers {
                    if let error = answer.error { throw error }
                    pages.append(try QueryPage.parse(answer.body))
                }
                index += group.count
            }
        } else {
            for soql in queries { pages.append(try await client.query(soql)) }
        }
        for page in pages {
            take(page.records)
            var paging = QueryPaging(totalSize: page.totalSize)
            var next = try paging.next(after: page)
            while let url = next {
                let more = try await client.nextPage(url)
                take(more.records)
                next = try paging.next(after: more)
            }
        }
        return found
    }
}
