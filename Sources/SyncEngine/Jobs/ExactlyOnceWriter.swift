import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules

/// How one record is written: created (its intent committed first), updated by Id, or upserted by an External ID
/// field (idempotent by its key: no intent, sent again when its outcome is unknown).
enum WriteKind: Equatable {
    case create
    case update
    case upsert(field: String)
}

/// What an exactly-once writer writes: the export's Leads, the write-back's Notes. The target keeps its
/// records' states (intents, outcomes) and commits them; the writer decides what goes in each call and
/// how each answer, or the lack of one, settles.
protocol WriteTarget: AnyObject {
    associatedtype Item

    /// The sObject written ("Lead", "Note"): the collections' object, and the word in messages and progress.
    var object: String { get }
    /// The record as sent (an update carries its Id).
    func record(_ item: Item) -> JSONValue
    func kind(_ item: Item) -> WriteKind
    /// Commits the intent of these creates. Called before they are sent.
    func markIntents(_ creates: [Item], at now: Date) async throws
    /// Clears the intents of creates that were never sent.
    func clearIntents(_ creates: [Item]) async throws
    /// Commits the outcome of each answered record; returns the records to write again later (a create a
    /// duplicate rule matched, found by email and sent as an update).
    func settle(_ answered: [(item: Item, result: SaveResult)]) async throws -> [Item]
    /// Commits records that failed as a whole (their collection or their call was refused).
    func fail(_ items: [Item], code: String, message: String) async throws
    /// Records whose outcome is unknown: after `waitToSettle`, finds those that were written and commits
    /// them; returns the ones to send again.
    func reconcile(_ items: [Item]) async throws -> [Item]
    /// Headers of a collection of one kind (the export's `Sforce-Auto-Assign`).
    func headers(_ kind: WriteKind) -> [(String, String)]
}

extension WriteTarget {
    func headers(_ kind: WriteKind) -> [(String, String)] { [] }
    func isCreate(_ item: Item) -> Bool { kind(item) == .create }
}

/// The one exactly-once writer of the export and the write-back: a queue of records, calls of up to 5
/// collections of 200 (one collection without composite), the intent of each create committed before
/// it is sent (an upsert needs none: its key makes a second send update what the first created), each answer settled record by record, a call that failed classified (`WriteCallFailure`),
/// and an unknown outcome reconciled after the settle window (`SettleWindow`) before anything is sent again.
final class ExactlyOnceWriter<Target: WriteTarget> {
    /// Consecutive calls that may fail with an unknown outcome before the run gives up.
    static var failureLimit: Int { 4 }

    unowned let target: Target
    let context: RunContext
    /// Whether calls go through `/composite`; off for the rest of the run once the org refuses it.
    var composite: Bool
    var consecutiveFailures = 0
    /// Records settled so far (the target adds the ones it settles without a write) and the run's total: its progress.
    var done = 0
    var total = 0

    init(target: Target, context: RunContext, composite: Bool) {
        self.target = target
        self.context = context
        self.composite = composite
    }

    /// Writes `items` (creates before updates, as given), checkpointing after each call.
    func write(_ items: [Target.Item]) async throws {
        var queue = WriteQueue(items)
        while !queue.isEmpty {
            try await send(nextCall(&queue), queue: &queue)
            try context.checkpoint(object: target.object, done: done, total: total)
        }
    }

    /// The next call's collections: up to 5 of up to 200 records each (one without composite),
    /// each of one kind (creates, updates or upserts by one field), in queue order.
    func nextCall(_ queue: inout WriteQueue<Target.Item>) -> [[Target.Item]] {
        var groups: [[Target.Item]] = []
        let maxGroups = composite ? SalesforceClient.compositeHeavyLimit : 1
        while groups.count < maxGroups, let first = queue.first {
            let kind = target.kind(first)
            var group: [Target.Item] = []
            while group.count < SalesforceClient.collectionLimit, let next = queue.first, target.kind(next) == kind {
                group.append(queue.removeFirst())
            }
            groups.append(group)
        }
        return groups
    }

    /// One call: the intents, the request, and how its answer settles.
    func send(_ groups: [[Target.Item]], queue: inout WriteQueue<Target.Item>, single: Bool = false) async throws {
        let items = groups.flatMap { $0 }
        let records = groups.map { $0.map(target.record) }
        if composite && !single && records.joined().contains(where: { $0.serialized().contains("@{") }) {
            // `@{` would be read as a reference inside a composite request: each collection goes alone.
            for group in groups { try await send([group], queue: &queue, single: true) }
            return
        }
        let creates = items.filter(target.isCreate)
        if !creates.isEmpty { try await target.markIntents(creates, at: context.clock.now()) }
        let reference = target.object.lowercased() + "s"
        let subrequests = zip(groups, records).enumerated().map { index, pair in
            let kind = target.kind(pair.0[0])
            let referenceID = "\(reference)\(index)"
            switch kind {
            case .create, .update:
                return SalesforceClient.collection(kind == .create ? "POST" : "PATCH", object: target.object, records: pair.1,
                                                   referenceID: referenceID, headers: target.headers(kind))
            case let .upsert(field):
                return SalesforceClient.upsertCollection(object: target.object, field: field, records: pair.1,
                                                         referenceID: referenceID, headers: target.headers(kind))
            }
        }
        let answers: [CompositeSubresponse]
        do {
            answers = composite && !single ? try await context.client.composite(subrequests, idempotent: false)
                : [try await context.client.single(subrequests[0], idempotent: false)]
        } catch {
            try await failed(call: items, creates: creates, error: error, queue: &queue)
            return
        }
        consecutiveFailures = 0
        var answered: [(item: Target.Item, result: SaveResult)] = []
        var unknown: [Target.Item] = []
        for (group, answer) in zip(groups, answers) {
            if let error = answer.error {
                // The collection was refused as a whole: none of its records was written.
                try await target.fail(group, code: error.code ?? "HTTP_\(error.status)", message: error.message)
                done += group.count
                continue
            }
            guard let results = try? SaveResult.parseAll(answer.body, expected: group.count) else {
                unknown += group
                continue
            }
            answered += zip(group, results).map { (item: $0, result: $1) }
        }
        let later = try await target.settle(answered)
        done += answered.count - later.count
        for item in later { queue.append(item) }
        if !unknown.isEmpty {
            try await unknownOutcome(unknown, error: SalesforceError(kind: .protocolViolation, message: "a collection answer could not be read"),
                                     queue: &queue)
        }
    }

    /// A call failed as a whole. Refused before it was sent (budget, the org's limit, authentication) or
    /// rejected as a request: nothing was written. Otherwise the outcome is unknown: the creates are
    /// reconciled before they are sent again.
    func failed(call items: [Target.Item], creates: [Target.Item], error: SalesforceError,
                queue: inout WriteQueue<Target.Item>) async throws {
        if composite && CompositeRefusal.isRefusal(error) {
            composite = false
            context.environment.events(.note("this org refuses /composite; sending each collection of 200 as a call of its own"))
            try await target.clearIntents(creates)
            queue.putBack(items)
            return
        }
        switch WriteCallFailure(error) {
        case .notSent:
            try await target.clearIntents(creates)
            throw JobStop.salesforce(error, doing: "write \(target.object)s")
        case .unrecorded:
            throw JobStop.salesforce(error, doing: "write \(target.object)s")
        case .rejected:
            try await target.fail(items, code: error.code ?? "HTTP_\(error.status)", message: error.message)
            done += items.count
        case .unknown:
            try await unknownOutcome(items, error: error, queue: &queue)
        }
    }

    func unknownOutcome(_ items: [Target.Item], error: SalesforceError, queue: inout WriteQueue<Target.Item>) async throws {
        consecutiveFailures += 1
        let again = try await target.reconcile(items)
        done += items.count - again.count
        guard consecutiveFailures < Self.failureLimit else {
            throw JobStop.salesforce(error, doing: "write \(target.object)s (\(consecutiveFailures) calls in a row failed)")
        }
        context.environment.events(.note("a call failed (\(error.description)); \(items.count - again.count) of its \(items.count) \(target.object)s were found written, \(again.count) go again"))
        queue.putBack(again)
    }

    /// Waits until a write sent at `latest` (the newest intent) has had the settle window to land.
    func waitToSettle(since latest: Date?) async throws {
        guard let latest else { return }
        let clock = context.clock
        let since = clock.now().addingTimeInterval(-BudgetGate.window)
        let entries = (try? context.store.ledger(since: since, org: context.environment.org.alias, source: context.kind.ledgerSource)) ?? []
        let window = SettleWindow.seconds(postSeconds: entries.filter { $0.method == "POST" }.map { $0.durationMS / 1000 })
        let deadline = latest.addingTimeInterval(window)
        guard deadline > clock.now() else { return }
        do { try await clock.sleep(until: deadline) } catch { throw JobStop.interrupted }
    }
}
