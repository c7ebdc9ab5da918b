import SalesforceModel
import Foundation
import Salesforce
import JSON
import Store

extension RunContext {
    /// Runs `soql` and hands `body` every page in order (a page is committed by `body` before the next is fetched),
    /// checkpointing after each; returns the calls made. The extra passes of the import and the contact pull (a
    /// back-fill of new fields, a formula refresh, the Id listing of a delete reconciliation) read this way.
    func eachPage(_ soql: String, object: String, batchSize: Int? = nil, doing: String,
                  _ body: (QueryPage) async throws -> Void) async throws -> Int {
        var calls = 1
        var page: QueryPage
        do { page = try await client.query(soql, batchSize: batchSize) } catch { throw JobStop.salesforce(error, doing: doing) }
        var paging = QueryPaging(totalSize: page.totalSize)
        var seen = 0
        while true {
            try await body(page)
            seen += page.records.count
            try checkpoint(object: object, done: seen, total: page.totalSize)
            let next: String?
            do { next = try paging.next(after: page) } catch { throw JobStop.salesforce(error, doing: doing) }
            guard let next else { return calls }
            do { page = try await client.nextPage(next) } catch { throw JobStop.salesforce(error, doing: doing) }
            calls += 1
        }
    }
}

extension RunContext {
    /// Which of `stored` the org no longer lists: every Id of `object` read (`SELECT Id`, every page), compared by
    /// their 15 case-sensitive characters. Only a whole list answers — a failed page throws — so a caller never marks
    /// records gone from a partial one. Returns the Ids gone and the calls made.
    func idsGone(_ stored: () throws(StoreError) -> [String], object: String, batchSize: Int? = nil,
                 doing: String) async throws -> (gone: [String], calls: Int) {
        var present = Set<String>()
        let calls = try await eachPage("SELECT Id FROM \(object)", object: object, batchSize: batchSize, doing: doing) { page in
            for record in page.records { if let id = record["Id"]?.stringValue { present.insert(String(id.prefix(15))) } }
        }
        let live: [String]
        do { live = try stored() } catch { throw JobStop.engine(EngineError(error)) }
        return (live.filter { !present.contains(String($0.prefix(15))) }, calls)
    }
}
