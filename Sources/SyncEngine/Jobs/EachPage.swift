import SalesforceModel
import Foundation
import Salesforce
import JSON
import Store

extension RunContext {
    /// Runs `soql` and hands `body` every page in order (a page is committed by `body` before the next is fetched),
    /// checkpointing after each, until the last page or until `stop` says so after a page; returns the calls made.
    /// The back-fill of new fields reads this way, and the extra passes (`eachRecord`) through REST.
    func eachPage(_ soql: String, object: String, batchSize: Int? = nil, doing: String,
                  stop: (QueryPage) -> Bool = { _ in false }, _ body: (QueryPage) async throws -> Void) async throws -> Int {
        var calls = 1
        var page: QueryPage
        do { page = try await client.query(soql, batchSize: batchSize) } catch { throw JobStop.salesforce(error, doing: doing) }
        var paging = QueryPaging(totalSize: page.totalSize)
        var seen = 0
        while true {
            try await body(page)
            seen += page.records.count
            try checkpoint(object: object, done: seen, total: page.totalSize)
            if stop(page) { return calls }
            let next: String?
            do { next = try paging.next(after: page) } catch { throw JobStop.salesforce(error, doing: doing) }
            guard let next else { return calls }
            do { page = try await client.nextPage(next) } catch { throw JobStop.salesforce(error, doing: doing) }
            calls += 1
        }
    }
}
