/// The calls of a lead export (SPEC §6.2, §7), one rule for `estimate export`, `sync export --dry-run` and
/// the run's own plan. The audience goes a chunk of profiles at a time; per chunk, the emails without a
/// remembered Lead are looked up (SOQL `IN` lists up to a length, five queries to a composite call), then
/// creates and updates are written in sObject Collections of 200, five collections to a composite call.
public enum ExportCalls {
    /// Profiles per chunk: their lookups fit one composite call, and memory stays flat in the audience's size.
    public static let chunkSize = 5_000
    public static let collectionSize = 200
    /// Queries or collections in one composite call (Salesforce's limit for those subrequests).
    public static let perComposite = 5
    /// A lookup's SOQL length: well under Salesforce's 100,000 characters (in a composite body); without
    /// composite (a GET with the query in its URL) also its encoded length, under a URL's 16,384 bytes.
    public static let lookupLength = 60_000
    public static let lookupEncodedLength = 12_000

    /// One chunk's work: the emails it looks up, the creates and updates it writes.
    public struct Chunk: Sendable, Equatable {
        public var lookups: [String]
        public var creates: Int
        public var updates: Int

        public init(lookups: [String], creates: Int, updates: Int) {
            self.lookups = lookups
            self.creates = creates
            self.updates = updates
        }
    }

    public static func lookupQuery(_ list: String) -> String {
        "SELECT Id, Email, CreatedDate FROM Lead WHERE Email IN (\(list)) ORDER BY CreatedDate, Id"
    }

    /// The lookup queries of one chunk's emails.
    public static func lookupQueries(_ emails: [String], composite: Bool) -> [String] {
        SOQLText.chunkedIn(emails, limit: lookupLength, encodedLimit: composite ? nil : lookupEncodedLength, query: lookupQuery)
    }

    /// Calls for `queries` lookup queries (each answering in one page: at most 2,000 Leads).
    public static func lookupCalls(queries: Int, composite: Bool) -> Int {
        composite ? (queries + perComposite - 1) / perComposite : queries
    }

    /// Calls to write `creates` and `updates` records.
    public static func writeCalls(creates: Int, updates: Int, composite: Bool) -> Int {
        let collections = (creates + collectionSize - 1) / collectionSize + (updates + collectionSize - 1) / collectionSize
        return composite ? (collections + perComposite - 1) / perComposite : collections
    }

    /// Every call of an export of `chunks`, in order, as the estimate's simulation takes them.
    public static func planned(_ chunks: [Chunk], composite: Bool) -> [Estimates.PlannedCall] {
        var calls: [Estimates.PlannedCall] = []
        for chunk in chunks {
            let lookups = lookupCalls(queries: chunk.lookups.isEmpty ? 0 : lookupQueries(chunk.lookups, composite: composite).count,
                                      composite: composite)
            calls += Array(repeating: Estimates.PlannedCall(object: "Lead", kind: .lookup, records: 0), count: lookups)
            let createCalls = writeCalls(creates: chunk.creates, updates: 0, composite: composite)
            let all = writeCalls(creates: chunk.creates, updates: chunk.updates, composite: composite)
            calls += Array(repeating: Estimates.PlannedCall(object: "Lead", kind: .create, records: 0), count: createCalls)
            calls += Array(repeating: Estimates.PlannedCall(object: "Lead", kind: .update, records: 0), count: all - createCalls)
        }
        return calls
    }

    /// The number of calls `planned` makes.
    public static func count(_ chunks: [Chunk], composite: Bool) -> Int { planned(chunks, composite: composite).count }
}
