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

    // MARK: Bulk API 2.0

    /// How a run writes its Leads: sObject Collections (`rest`) or Bulk API 2.0 ingest jobs (`bulk`).
    public enum Method: String, Sendable {
        case rest, bulk
    }

    /// Rows of one ingest job: about 50 MB of CSV for Leads of ordinary width, well under Salesforce's 100 MB upload.
    public static let ingestJobRows = 100_000
    /// Polls an ingest job is expected to need (the engine waits 1, 2, 4 … s between them).
    public static let ingestExpectedPolls = 4
    /// Calls of one ingest job: create, upload, close, its polls, and its three result files.
    public static let ingestJobCalls = 6 + ingestExpectedPolls

    /// Ingest jobs for `rows` records of one operation.
    public static func ingestJobs(rows: Int) -> Int { (rows + ingestJobRows - 1) / ingestJobRows }

    /// Calls to write `creates` (inserts or upserts) and `updates` through ingest jobs, one job kind each.
    public static func bulkWriteCalls(creates: Int, updates: Int) -> Int {
        (ingestJobs(rows: creates) + ingestJobs(rows: updates)) * ingestJobCalls
    }

    /// A Bulk lookup's query job: three short columns a row, so 100,000 rows (about 8 MB) a result chunk.
    public static let bulkLookupShape = Estimates.BulkShape(chunkSize: 100_000, expectedPolls: 2)

    /// Calls of a Bulk lookup: one `COUNT()` of the Leads with an email, then a query job reading them all.
    public static func bulkLookupCalls(leads: Int) -> Int { 1 + bulkLookupShape.calls(records: leads) }

    /// Whether the Bulk lookup of `leads` Leads costs fewer calls than `inCalls` `IN` lookups.
    public static func bulkLookupPays(leads: Int, inCalls: Int) -> Bool { bulkLookupCalls(leads: leads) < inCalls }

    /// The Bulk lookup: every Lead with an email (the oldest of each email is kept, as `lookupQuery` orders them).
    public static let bulkLookupQuery = "SELECT Id, Email, CreatedDate FROM Lead WHERE Email != null"
    public static let bulkLookupCount = "SELECT COUNT() FROM Lead WHERE Email != null"

    /// Calls of the `IN` lookups of `chunks`.
    public static func lookupCalls(_ chunks: [Chunk], composite: Bool) -> Int {
        chunks.reduce(0) { total, chunk in
            total + (chunk.lookups.isEmpty ? 0 : lookupCalls(queries: lookupQueries(chunk.lookups, composite: composite).count, composite: composite))
        }
    }

    /// Whether a Bulk lookup is worth counting the org's Leads for: it costs fewer calls than the `IN` lookups even
    /// when the org's Leads fit one result chunk.
    public static func bulkLookupMayPay(inCalls: Int) -> Bool { inCalls > bulkLookupCalls(leads: 0) }

    /// Every call of a run that writes through Bulk, in order: the lookups (`IN` queries, or — `leads` counted and
    /// cheaper — the count and a Bulk query of the org's `leads` Leads; a count that did not pay is a call too), then
    /// the ingest jobs (inserts and upserts, then updates).
    public static func plannedBulk(_ chunks: [Chunk], composite: Bool, leads: Int?) -> [Estimates.PlannedCall] {
        let inCalls = lookupCalls(chunks, composite: composite)
        var calls: [Estimates.PlannedCall] = []
        func add(_ kind: Estimates.PlannedCall.Kind, _ count: Int) {
            calls += Array(repeating: Estimates.PlannedCall(object: "Lead", kind: kind, records: 0), count: count)
        }
        if let leads, bulkLookupPays(leads: leads, inCalls: inCalls) {
            add(.count, 1)
            add(.job, 1)
            add(.poll, bulkLookupShape.expectedPolls)
            add(.chunk, bulkLookupCalls(leads: leads) - 2 - bulkLookupShape.expectedPolls)
        } else {
            if leads != nil { add(.count, 1) }
            add(.lookup, inCalls)
        }
        add(.create, ingestJobs(rows: chunks.reduce(0) { $0 + $1.creates }) * ingestJobCalls)
        add(.update, ingestJobs(rows: chunks.reduce(0) { $0 + $1.updates }) * ingestJobCalls)
        return calls
    }

    /// The calls of a run by `method` (`leads`: the org's Leads when counted, for Bulk).
    public static func planned(_ chunks: [Chunk], composite: Bool, method: Method, leads: Int?) -> [Estimates.PlannedCall] {
        method == .bulk ? plannedBulk(chunks, composite: composite, leads: leads) : planned(chunks, composite: composite)
    }

    /// The number of calls a Bulk run makes (`plannedBulk`).
    public static func bulkCount(_ chunks: [Chunk], composite: Bool, leads: Int?) -> Int {
        plannedBulk(chunks, composite: composite, leads: leads).count
    }

    /// Whether Bulk can cost fewer calls than collections for an audience of `profiles` at all (the lookups are the
    /// same `IN` queries either way until a Bulk lookup may pay, which takes far more profiles than this): below it a
    /// run need not count its writes to choose.
    public static func bulkMayPay(profiles: Int, composite: Bool) -> Bool {
        // Creates and updates in separate collections cost at most one call more than all of them as creates.
        writeCalls(creates: profiles, updates: 0, composite: composite) + 1 > ingestJobCalls
    }

    /// The method of a run: forced, or (`nil`) Bulk when it costs fewer calls than collections.
    public static func method(_ chunks: [Chunk], composite: Bool, leads: Int?, forced: Method?) -> Method {
        if let forced { return forced }
        return bulkCount(chunks, composite: composite, leads: leads) < count(chunks, composite: composite) ? .bulk : .rest
    }
}
