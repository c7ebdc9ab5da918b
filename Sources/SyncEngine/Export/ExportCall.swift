import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules


// One write call of an export run, and how its answer (or its failure) settles each record: created,
// updated, a duplicate turned into an update, failed, or unknown and reconciled by email later.

extension ExportRun {
    // MARK: One call

    func send(_ groups: [[WriteItem]], queue: inout WriteQueue<WriteItem>, single: Bool = false) async throws {
        let items = groups.flatMap { $0 }
        if composite && !single && !items.allSatisfy(\.compositeSafe) {
            for group in groups { try await send([group], queue: &queue, single: true) }
            return
        }
        let creates = items.filter(\.isCreate)
        // The intent: committed before the creates go out.
        if !creates.isEmpty {
            let now = clock.now()
            let marked = creates.compactMap { item -> ExportProfileState? in
                guard var state = states[item.profileID] else { return nil }
                state.intentRun = runID
                state.intentAt = now
                state.intentEmail = item.emailKey
                state.intentHash = item.hash
                return state
            }
            try await commit(marked, RunCounts())
        }
        let subrequests = groups.enumerated().map { index, group in
            SalesforceClient.collection(group[0].isCreate ? "POST" : "PATCH", object: "Lead",
                                        records: group.map { item in
                                            guard let leadID = item.leadID, case let .object(fields) = item.payload else { return item.payload }
                                            return .object([("Id", .string(leadID))] + fields)
                                        }, referenceID: "leads\(index)")
        }
        var answers: [CompositeSubresponse] = []
        do {
            if composite && !single {
                answers = try await client.composite(subrequests, idempotent: false)
            } else {
                // One collection, as a call of its own.
                answers = [try await client.single(subrequests[0], idempotent: false)]
            }
        } catch {
            if composite && ExportJob.compositeRefused(error) {
                composite = false
                job.events(.note("this org refuses /composite; sending each collection of 200 as a call of its own"))
                try await clearIntents(creates)
                queue.putBack(items)
                return
            }
            try await failed(call: groups, error: error, queue: &queue)
            return
        }
        consecutiveFailures = 0
        try await settle(groups, answers: answers, queue: &queue)
    }

    /// Records each record's result of a call that was answered.
    func settle(_ groups: [[WriteItem]], answers: [CompositeSubresponse], queue: inout WriteQueue<WriteItem>) async throws {
        var counts = RunCounts()
        var changed: [ExportProfileState] = []
        var duplicates: [WriteItem] = []
        var unknown: [WriteItem] = []
        let now = clock.now()
        for (group, answer) in zip(groups, answers) {
            if let error = answer.error {
                // The collection was refused as a whole: none of its records was written.
                for item in group {
                    changed.append(failure(item, code: error.code ?? "HTTP_\(error.status)", message: error.message, at: now))
                    counts.failed += 1
                }
                continue
            }
            let results: [SaveResult]
            do { results = try SaveResult.parseAll(answer.body, expected: group.count) } catch {
                unknown += group
                continue
            }
            for (item, result) in zip(group, results) {
                guard var state = states[item.profileID] else { continue }
                state.runID = runID
                state.at = now
                if result.success, let id = result.id ?? item.leadID {
                    state.leadID = id
                    state.email = item.emailKey
                    state.payloadHash = item.hash
                    state.outcome = item.isCreate ? "created" : "updated"
                    state.reason = nil
                    state.errorCode = nil
                    state.clearIntent()
                    if item.isCreate { counts.created += 1 } else { counts.updated += 1 }
                    changed.append(state)
                    continue
                }
                let error = result.errors.first ?? SaveResult.Failure(code: "UNKNOWN", message: "no error was given", fields: [])
                if item.isCreate && result.errors.contains(where: { $0.code == "DUPLICATES_DETECTED" }) {
                    // Not created: the duplicate rule matched an existing Lead; it is updated instead.
                    state.clearIntent()
                    changed.append(state)
                    duplicates.append(item)
                    continue
                }
                changed.append(failure(item, code: error.code, message: error.message + (error.fields.isEmpty ? "" : " (fields: \(error.fields.joined(separator: ", ")))"), at: now))
                counts.failed += 1
            }
        }
        done += groups.reduce(0) { $0 + $1.count } - duplicates.count - unknown.count
        try await commit(changed, counts)
        if !unknown.isEmpty {
            try await unknownOutcome(unknown, error: SalesforceError(kind: .protocolViolation, message: "a collection answer could not be read"),
                                     queue: &queue)
        }
        if !duplicates.isEmpty { try await updateDuplicates(duplicates, queue: &queue) }
    }

    /// A failed record: its code and message kept for `exports`, retried by the next run.
    func failure(_ item: WriteItem, code: String, message: String, at now: Date) -> ExportProfileState {
        var state = states[item.profileID] ?? ExportProfileState(org: orgAlias, profileID: item.profileID)
        state.outcome = "failed"
        state.reason = message
        state.errorCode = code
        state.runID = runID
        state.at = now
        state.clearIntent()
        // A Lead that is gone is looked up by email again next time.
        if ["ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND", "INVALID_ID_FIELD", "MALFORMED_ID"].contains(code),
           !item.isCreate {
            state.leadID = nil
            state.payloadHash = nil
        }
        return state
    }

    /// The duplicate rule refused creates: their Leads are found by email and updated.
    func updateDuplicates(_ items: [WriteItem], queue: inout WriteQueue<WriteItem>) async throws {
        let found: [String: String]
        do { found = try await job.lookUp(items.compactMap(\.emailKey), client: client, composite: &composite) } catch {
            throw JobStop.salesforce(error, doing: "look up the Leads a duplicate rule matched")
        }
        var missing: [ExportProfileState] = []
        var counts = RunCounts()
        for var item in items {
            if let key = item.emailKey, let id = found[key] {
                item.leadID = id
                queue.append(item)
            } else {
                missing.append(failure(item, code: "DUPLICATES_DETECTED",
                                       message: "the duplicate rule matched a Lead this user cannot see by email", at: clock.now()))
                counts.failed += 1
                done += 1
            }
        }
        try await commit(missing, counts)
    }

    /// A call failed as a whole. Refused before it was sent (budget, the org's limit,
    /// authentication) or rejected as a request: nothing was written. Otherwise the
    /// outcome is unknown: the creates are settled by email before they are sent again.
    func failed(call groups: [[WriteItem]], error: SalesforceError, queue: inout WriteQueue<WriteItem>) async throws {
        let items = groups.flatMap { $0 }
        let creates = items.filter(\.isCreate)
        switch WriteCallFailure(error) {
        case .notSent:
            try await clearIntents(creates)
            throw JobStop.salesforce(error, doing: "write Leads")
        case .unrecorded:
            throw JobStop.salesforce(error, doing: "write Leads")
        case .rejected:
            var counts = RunCounts()
            let now = clock.now()
            let marked = items.map { failure($0, code: error.code ?? "HTTP_\(error.status)", message: error.message, at: now) }
            counts.failed = items.count
            done += items.count
            try await commit(marked, counts)
        case .unknown:
            try await unknownOutcome(items, error: error, queue: &queue)
        }
    }

    func unknownOutcome(_ items: [WriteItem], error: SalesforceError, queue: inout WriteQueue<WriteItem>) async throws {
        consecutiveFailures += 1
        let creates = items.filter(\.isCreate)
        let pending = creates.compactMap { states[$0.profileID] }.filter(\.isUnsettled)
        let adopted = pending.isEmpty ? [] : try await reconcile(pending)
        let again = items.filter { !adopted.contains($0.profileID) }
        done += items.count - again.count
        guard consecutiveFailures < ExportJob.failureLimit else {
            throw JobStop.salesforce(error, doing: "write Leads (\(consecutiveFailures) calls in a row failed)")
        }
        job.events(.note("a call failed (\(error.description)); \(adopted.count) of its creates had landed, \(again.count) record\(again.count == 1 ? "" : "s") go again"))
        queue.putBack(again)
    }

    func clearIntents(_ items: [WriteItem]) async throws {
        let cleared = items.compactMap { item -> ExportProfileState? in
            guard var state = states[item.profileID], state.isUnsettled else { return nil }
            state.clearIntent()
            return state
        }
        try await commit(cleared, RunCounts())
    }

    /// Settles unsettled creates: waits for a lost request to land, then looks the emails
    /// up. A Lead found is the profile's (adopted, counted created); otherwise the create
    /// never happened and the intent is cleared. Returns the adopted profile ids.
    func reconcile(_ pending: [ExportProfileState]) async throws -> Set<String> {
        if let latest = pending.compactMap(\.intentAt).max() {
            let deadline = latest.addingTimeInterval(settleWindow(store: store, clock: clock, org: orgAlias, source: JobKind.export.ledgerSource))
            if deadline > clock.now() {
                do { try await clock.sleep(until: deadline) } catch { throw JobStop.interrupted }
            }
        }
        let emails = Array(Set(pending.compactMap(\.intentEmail))).sorted()
        let found: [String: String]
        do { found = try await job.lookUp(emails, client: client, composite: &composite) } catch {
            throw JobStop.salesforce(error, doing: "settle creates whose answer was lost (their emails are looked up before they are created again)")
        }
        var adopted = Set<String>()
        var counts = RunCounts()
        let now = clock.now()
        let changed = pending.map { original -> ExportProfileState in
            var state = original
            if let email = state.intentEmail, let id = found[email] {
                state.leadID = id
                state.email = email
                state.payloadHash = state.intentHash
                state.outcome = "created"
                state.reason = nil
                state.errorCode = nil
                state.runID = runID
                state.at = now
                adopted.insert(state.profileID)
                counts.created += 1
            }
            state.clearIntent()
            return state
        }
        try await commit(changed, counts)
        return adopted
    }

    /// Commits states and counts in one transaction, off the cooperative pool.
    func commit(_ changed: [ExportProfileState], _ counts: RunCounts) async throws {
        guard !changed.isEmpty || !counts.isEmpty else { return }
        let runID = self.runID
        try await context.commit { store in
            try store.transaction { tx in
                for state in changed { try tx.saveExportState(state) }
                if !counts.isEmpty { try tx.addRunCounts(run: runID, counts) }
            }
        }
        for state in changed { states[state.profileID] = state }
    }
}
