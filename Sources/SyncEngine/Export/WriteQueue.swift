import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncRules


/// The records waiting to be written, in order: taken from the front in O(1); records that go
/// again are put back in front of the rest; records found late (duplicate-rule matches) join the end.
struct WriteQueue<Item> {
    private var items: [Item] = []
    private var head = 0
    private var again: [Item] = []

    init(_ items: [Item]) { self.items = items }

    var isEmpty: Bool { again.isEmpty && head >= items.count }
    var count: Int { again.count + items.count - head }
    var first: Item? { again.first ?? (head < items.count ? items[head] : nil) }

    mutating func removeFirst() -> Item {
        if !again.isEmpty { return again.removeFirst() }
        head += 1
        return items[head - 1]
    }

    mutating func putBack(_ returned: [Item]) { again.insert(contentsOf: returned, at: 0) }
    mutating func append(_ item: Item) { items.append(item) }
}

extension ExportProfileState {
    /// Records the intent to write: the run and time, the email it is settled by if its answer is lost, the payload's hash.
    mutating func markIntent(run: Int64, at now: Date, email: String?, hash: String) {
        intentRun = run
        intentAt = now
        intentEmail = email
        intentHash = hash
    }

    /// Settles a write that reached its Lead: `leadID` is the profile's, with the email and payload hash written,
    /// `created` or `updated` by this run, its failures in a row forgotten and its intent cleared.
    mutating func written(leadID: String, email: String?, hash: String?, created: Bool, run: Int64, at now: Date) {
        self.leadID = leadID
        self.email = email
        payloadHash = hash
        outcome = created ? "created" : "updated"
        attempts = 0
        reason = nil
        errorCode = nil
        runID = run
        at = now
        clearIntent()
    }

    mutating func clearIntent() {
        intentRun = nil
        intentAt = nil
        intentEmail = nil
        intentHash = nil
        bulkJob = nil
    }
}
