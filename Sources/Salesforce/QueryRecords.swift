public import SalesforceModel
import Foundation
public import JSON

/// The records of a query, fetched a page at a time as they are consumed.
public struct QueryRecords: AsyncSequence, Sendable {
    public typealias Element = JSONValue
    let client: SalesforceClient
    let soql: String
    let all: Bool
    let batchSize: Int?

    public struct AsyncIterator: AsyncIteratorProtocol {
        let source: QueryRecords
        var buffer: [JSONValue] = []
        var index = 0
        var next: String?
        var started = false
        var paging: QueryPaging?
        /// The query's totalSize, known after the first page.
        public private(set) var totalSize: Int?

        public mutating func next() async throws(SalesforceError) -> JSONValue? {
            while index >= buffer.count {
                let page: QueryPage
                if !started {
                    started = true
                    page = try await source.client.query(source.soql, all: source.all, batchSize: source.batchSize)
                    totalSize = page.totalSize
                    paging = QueryPaging(totalSize: page.totalSize)
                } else if let url = next {
                    page = try await source.client.nextPage(url, batchSize: source.batchSize)
                } else {
                    return nil
                }
                buffer = page.records
                index = 0
                next = try paging?.next(after: page)
                if buffer.isEmpty && next == nil { return nil }
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: self) }
}
