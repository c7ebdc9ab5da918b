/// Following a query's pages safely: a server that never says `done` (a
/// `nextRecordsUrl` that repeats, or more records than the `totalSize` it
/// announced) is a protocol violation, not a reason to loop forever.
public struct QueryPaging: Sendable {
    public let totalSize: Int
    public private(set) var received = 0
    private var seen: Set<String> = []

    public init(totalSize: Int) {
        self.totalSize = totalSize
    }

    /// Counts `page` and answers the URL of the page after it, nil when the query is done.
    public mutating func next(after page: QueryPage) throws(SalesforceError) -> String? {
        try next(records: page.records.count, done: page.done, nextRecordsUrl: page.nextRecordsUrl)
    }

    public mutating func next(records: Int, done: Bool, nextRecordsUrl: String?) throws(SalesforceError) -> String? {
        received += records
        if received > totalSize {
            throw SalesforceError(kind: .protocolViolation,
                                  message: "the server sent \(received) records for a query it said has \(totalSize); stopped reading it")
        }
        guard !done, let url = nextRecordsUrl else { return nil }
        guard seen.insert(url).inserted else {
            throw SalesforceError(kind: .protocolViolation,
                                  message: "the server sent the same next page twice (\(url.split(separator: "?").first ?? "")); stopped reading it")
        }
        return url
    }
}
