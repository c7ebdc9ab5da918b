import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

// The export as the exactly-once writer's target: how a Lead is sent, and how each answer (or its
// failure) settles a profile's state: created, updated, a duplicate turned into an update, failed, or
// unknown and reconciled by email.

extension ExportRun: WriteTarget {
    var object: String { "Lead" }

    func record(_ item: WriteItem) -> JSONValue {
        guard let leadID = item.leadID, case let .object(fields) = item.payload else { return item.payload }
        return .object([("Id", .string(leadID))] + fields)
    }

    func kind(_ item: WriteItem) -> WriteKind { item.kind }

    /// Created Leads run the chosen assignment rule; updated ones none (`LeadAssignment`).
    func headers(_ kind: WriteKind) -> [(String, String)] {
        switch kind {
        case .create: [LeadAssignment.createHeader(job.settings.lytics.assignmentRule)]
        case .update: [LeadAssignment.updateHeader]
        case .upsert: [upsertAssignment ?? LeadAssignment.updateHeader]
        }
    }

    func markIntents(_ creates: [WriteItem], at now: Date) async throws {
        let marked = creates.compactMap { item -> ExportProfileState? in
            guard var state = states[item.profileID] else { return nil }
            state.markIntent(run: runID, at: now, email: item.emailKey, hash: item.hash)
            return state
        }
        try await commit(marked, RunCounts())
    }

    func clearIntents(_ items: [WriteItem]) async throws {
        let cleared = items.compactMap { item -> ExportProfileState? in
            guard var state = states[item.profileID], state.isUnsettled else { return nil }
            state.clearIntent()
            return state
        }
        try await commit(cleared, RunCounts())
    }

    func settle(_ answered: [(item: WriteItem, result: SaveResult)]) async throws -> [WriteItem] {
        var counts = RunCounts()
        var changed: [ExportProfileState] = []
        var duplicates: [WriteItem] = []
        let now = clock.now()
        for (item, result) in answered {
            guard var state = states[item.profileID] else { continue }
            state.runID = runID
            state.at = now
            if result.success, let id = result.id ?? item.leadID {
                // An upsert says whether it created the Lead or updated the one holding the profile id.
                let created = item.isCreate || (item.upsertField != nil && item.leadID == nil && result.created == true)
                state.written(leadID: id, email: item.emailKey, hash: item.hash, created: created, run: runID, at: now)
                if created { counts.created += 1 } else { counts.updated += 1 }
                changed.append(state)
                continue
            }
            let error = result.errors.first ?? SaveResult.Failure(code: "UNKNOWN", message: "no error was given", fields: [])
            if item.leadID == nil && result.errors.contains(where: { $0.code == "DUPLICATES_DETECTED" }) {
                // Not created: the duplicate rule matched an existing Lead; it is updated instead.
                state.clearIntent()
                changed.append(state)
                duplicates.append(item)
                continue
            }
            let failed = failure(item, code: error.code, message: error.message, fields: error.fields, at: now)
            changed.append(failed)
            Self.count(failed, in: &counts)
        }
        try await commit(changed, counts)
        return duplicates.isEmpty ? [] : try await updateDuplicates(duplicates)
    }

    func fail(_ items: [WriteItem], code: String, message: String) async throws {
        var counts = RunCounts()
        let now = clock.now()
        let failed = items.map { failure($0, code: code, message: message, at: now) }
        for state in failed { Self.count(state, in: &counts) }
        try await commit(failed, counts)
    }

    /// A failure counts as failed, and as parked too when it was the last attempt.
    static func count(_ failed: ExportProfileState, in counts: inout RunCounts) {
        counts.failed += 1
        if failed.isParked { counts.parked += 1 }
    }

    func reconcile(_ items: [WriteItem]) async throws -> [WriteItem] {
        let pending = items.filter(\.isCreate).compactMap { states[$0.profileID] }.filter(\.isUnsettled)
        let adopted = pending.isEmpty ? [] : try await reconcile(pending)
        return items.filter { !adopted.contains($0.profileID) }
    }

    /// A failed record: its code and message kept for `exports`, retried by the next run — or, at the
    /// `lytics.max_attempts`th failure in a row, parked until `exports retry`.
    /// `fields`: the fields Salesforce named, kept in the reason.
    func failure(_ item: WriteItem, code: String, message: String, fields: [String] = [], at now: Date) -> ExportProfileState {
        var state = states[item.profileID] ?? ExportProfileState(org: orgAlias, profileID: item.profileID)
        state.attempts += 1
        state.outcome = state.attempts >= job.settings.exportMaxAttempts ? ExportProfileState.parked : "failed"
        state.reason = message + (fields.isEmpty ? "" : " (fields: \(fields.joined(separator: ", ")))")
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

    /// The duplicate rule refused creates: their Leads are found by email and returned, to be updated;
    /// one not found fails.
    func updateDuplicates(_ items: [WriteItem]) async throws -> [WriteItem] {
        let found: [String: String]
        do { found = try await job.lookUp(items.compactMap(\.emailKey), client: client, composite: &writer.composite) } catch {
            throw JobStop.salesforce(error, doing: "look up the Leads a duplicate rule matched")
        }
        var missing: [ExportProfileState] = []
        var updates: [WriteItem] = []
        var counts = RunCounts()
        for var item in items {
            if let key = item.emailKey, let id = found[key] {
                item.leadID = id
                updates.append(item)
            } else {
                let failed = failure(item, code: "DUPLICATES_DETECTED",
                                     message: "the duplicate rule matched a Lead this user cannot see by email", at: clock.now())
                missing.append(failed)
                Self.count(failed, in: &counts)
            }
        }
        try await commit(missing, counts)
        return updates
    }

    /// Settles unsettled creates: waits for a lost request to land, then looks the emails
    /// up. A Lead found is the profile's (adopted, counted created); otherwise the create
    /// never happened and the intent is cleared. Returns the adopted profile ids.
    func reconcile(_ pending: [ExportProfileState]) async throws -> Set<String> {
        try await writer.waitToSettle(since: pending.compactMap(\.intentAt).max())
        let emails = Array(Set(pending.compactMap(\.intentEmail))).sorted()
        let found: [String: String]
        do { found = try await job.lookUp(emails, client: client, composite: &writer.composite) } catch {
            throw JobStop.salesforce(error, doing: "settle creates whose answer was lost (their emails are looked up before they are created again)")
        }
        var adopted = Set<String>()
        var counts = RunCounts()
        let now = clock.now()
        let changed = pending.map { original -> ExportProfileState in
            var state = original
            if let email = state.intentEmail, let id = found[email] {
                state.written(leadID: id, email: email, hash: state.intentHash, created: true, run: runID, at: now)
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
