import Foundation

/// The estimates of SPEC §7: the documented formulas, exactly, and sfsh's own
/// figure from the calls it will really make and a simulation of its pause rule.
public enum Estimates {
    /// Why an estimate cannot be computed, naming the input at fault.
    public struct InputError: Error, Equatable, Sendable {
        public let option: String
        public let message: String
    }

    // MARK: Allotment

    public struct Allotment: Equatable, Sendable {
        public let total: Int
        public let other: Int
        /// (total − other) / 2, possibly with a half.
        public let perDirection: Double
        /// The whole number to enter as the maximum daily API calls (rounded down).
        public let setting: Int
    }

    /// Allotment per direction = (Total Daily API Calls Allowed − Daily API Calls For Other Integrations) / 2.
    public static func allotment(total: Int, other: Int) throws(InputError) -> Allotment {
        guard total > 0 else { throw InputError(option: "total", message: "--total must be a positive whole number") }
        guard other >= 0 else { throw InputError(option: "other", message: "--other must not be negative") }
        guard other < total else {
            throw InputError(option: "other", message: "--other (\(other)) must be less than --total (\(total)): nothing would be left for sfsh")
        }
        let remaining = total - other
        return Allotment(total: total, other: other, perDirection: Double(remaining) / 2, setting: remaining / 2)
    }

    // MARK: Import

    /// Initial import days = (leads + contacts + opportunities + accounts) / daily calls for the import.
    public static func documentedImportDays(records: Int, callsPerDay: Int) throws(InputError) -> Double {
        guard records >= 0 else { throw InputError(option: "records", message: "record counts must not be negative") }
        guard callsPerDay > 0 else { throw InputError(option: "calls", message: "--calls must be at least 1") }
        return Double(records) / Double(callsPerDay)
    }

    /// One API call the engine will make, with the records it brings back.
    public struct PlannedCall: Equatable, Sendable {
        public enum Kind: String, Sendable {
            case describe, count, page, deletes, lookup, create, update
            /// The import's extra passes: formula fields read again, the Id listing of a delete reconciliation.
            case refresh, reconcile
            /// Bulk API 2.0: creating a query job, polling it, one chunk of its result.
            case job, poll, chunk
        }
        public let object: String
        public let kind: Kind
        public let records: Int
    }

    /// A run of identical calls: `calls` calls of one kind for one object, each
    /// bringing `recordsPerCall` records except the last, which brings `lastRecords`.
    /// The plan of a big import is a few segments, however many pages it has.
    public struct Segment: Equatable, Sendable {
        public let object: String
        public let kind: PlannedCall.Kind
        public let calls: Int
        public let recordsPerCall: Int
        public let lastRecords: Int

        public init(object: String, kind: PlannedCall.Kind, calls: Int, recordsPerCall: Int = 0, lastRecords: Int = 0) {
            self.object = object
            self.kind = kind
            self.calls = calls
            self.recordsPerCall = recordsPerCall
            self.lastRecords = lastRecords
        }

        /// Records brought by the first `count` calls of the segment.
        func records(first count: Int) -> Int {
            guard count > 0 else { return 0 }
            return count >= calls ? (calls - 1) * recordsPerCall + lastRecords : count * recordsPerCall
        }

        var records: Int { records(first: calls) }
    }

    /// The largest record count an estimate takes (far above any org), so sums cannot overflow.
    public static let largestCount = 1_000_000_000_000

    /// How the import reads an object's records.
    public enum ReadMethod: String, Sendable, CaseIterable {
        /// REST query pages: ⌈records / page size⌉ calls.
        case rest
        /// A Bulk API 2.0 query job: create + polls + ⌈records / chunk size⌉ result chunks.
        case bulk
        /// A first REST page (which brings the count), then whichever of the two costs fewer calls for the rest.
        case auto
    }

    /// The shape of a Bulk API 2.0 read: rows per result chunk (`maxRecords`)
    /// and the polls a job is expected to need before it completes.
    public struct BulkShape: Equatable, Sendable {
        public var chunkSize: Int
        public var expectedPolls: Int

        public init(chunkSize: Int = 25_000, expectedPolls: Int = 2) {
            self.chunkSize = chunkSize
            self.expectedPolls = expectedPolls
        }

        public static let standard = BulkShape()

        /// Calls of a Bulk read of `records`: 1 create + the polls + ⌈records / chunk size⌉ chunks (at least one).
        public func calls(records: Int) -> Int { 1 + expectedPolls + pageCount(records: records, pageSize: chunkSize) }
    }

    /// How `auto` reads `records` records: after the first REST page, Bulk when a
    /// job for the rest costs fewer calls than the remaining pages.
    public static func autoChoosesBulk(records: Int, pageSize: Int, bulk: BulkShape = .standard) -> Bool {
        let rest = records - pageSize
        guard rest > 0 else { return false }
        return bulk.calls(records: rest) < pageCount(records: rest, pageSize: pageSize)
    }

    /// The plan of one object's records: REST pages, a Bulk job, or (`auto`) what the import chooses after its first REST page.
    static func recordSegments(object: String, records: Int, pageSize: Int, method: ReadMethod,
                               bulk: BulkShape) -> [Segment] {
        func pages(_ records: Int) -> Segment {
            let pages = pageCount(records: records, pageSize: pageSize)
            return Segment(object: object, kind: .page, calls: pages, recordsPerCall: pageSize,
                           lastRecords: records - (pages - 1) * pageSize)
        }
        func job(_ records: Int) -> [Segment] {
            let chunks = pageCount(records: records, pageSize: bulk.chunkSize)
            return [Segment(object: object, kind: .job, calls: 1),
                    Segment(object: object, kind: .poll, calls: bulk.expectedPolls),
                    Segment(object: object, kind: .chunk, calls: chunks, recordsPerCall: bulk.chunkSize,
                            lastRecords: records - (chunks - 1) * bulk.chunkSize)]
        }
        switch method {
        case .rest: return [pages(records)]
        case .bulk: return job(records)
        case .auto:
            guard autoChoosesBulk(records: records, pageSize: pageSize, bulk: bulk) else { return [pages(records)] }
            return [Segment(object: object, kind: .page, calls: 1, lastRecords: pageSize)] + job(records - pageSize)
        }
    }

    /// The plan of an import, in order: for each object a describe, a count
    /// (when `countCalls`), its records — ⌈records / page size⌉ query pages (at
    /// least one), or a Bulk API 2.0 job (see `ReadMethod`) — and for an
    /// incremental run one `queryAll` page for the deletes.
    public static func importPlan(counts: [(object: String, records: Int)], pageSize: Int = 2000,
                                  countCalls: Bool = true, deleteQueries: Bool = false,
                                  method: ReadMethod = .rest, bulk: BulkShape = .standard) throws(InputError) -> [Segment] {
        guard (1...2000).contains(pageSize) else {
            throw InputError(option: "page-size", message: "--page-size must be from 1 to 2000 (Salesforce's maximum)")
        }
        var segments: [Segment] = []
        for (object, records) in counts {
            guard records >= 0 else {
                throw InputError(option: object.lowercased(), message: "the count of \(object) must not be negative")
            }
            guard records <= largestCount else {
                throw InputError(option: object.lowercased(), message: "the count of \(object) must be at most \(largestCount)")
            }
            segments.append(Segment(object: object, kind: .describe, calls: 1))
            if countCalls { segments.append(Segment(object: object, kind: .count, calls: 1)) }
            segments += recordSegments(object: object, records: records, pageSize: pageSize, method: method, bulk: bulk)
            if deleteQueries { segments.append(Segment(object: object, kind: .deletes, calls: 1)) }
        }
        return segments
    }

    /// The calls of an import, one by one (see `importPlan`).
    public static func importCalls(counts: [(object: String, records: Int)], pageSize: Int = 2000,
                                   countCalls: Bool = true, deleteQueries: Bool = false,
                                   method: ReadMethod = .rest, bulk: BulkShape = .standard)
        throws(InputError) -> [PlannedCall]
    {
        try importPlan(counts: counts, pageSize: pageSize, countCalls: countCalls, deleteQueries: deleteQueries,
                       method: method, bulk: bulk)
            .flatMap { segment in
                (0..<segment.calls).map { index in
                    PlannedCall(object: segment.object, kind: segment.kind,
                                records: index == segment.calls - 1 ? segment.lastRecords : segment.recordsPerCall)
                }
            }
    }

    /// Query pages for `records` rows: ⌈records / page size⌉, at least one (an empty answer is a call too).
    public static func pageCount(records: Int, pageSize: Int) -> Int {
        guard records > 0, pageSize > 0 else { return 1 }
        return records / pageSize + (records % pageSize == 0 ? 0 : 1)
    }

    /// One day of a simulated run.
    public struct Day: Equatable, Sendable {
        public let day: Int
        public let calls: Int
        public let records: Int
    }

    public struct Simulation: Equatable, Sendable {
        public let calls: Int
        /// Elapsed time from the first call to the end of the last, in days.
        public let days: Double
        /// Days with at least one call (day 1 starts with the first call).
        public let schedule: [Day]
        /// How many times the budget ran out and the job paused 24 h.
        public let pauses: Int
    }

    /// The longest schedule an estimate lays out, in days.
    public static let longestSchedule = 100_000

    /// Simulates the engine's pause rule: calls go one after another, each
    /// taking `latency` seconds; before each call the calls of the last 24 h
    /// (rolling) are counted, and at the budget the job pauses 24 h from that moment.
    public static func simulate(_ calls: [PlannedCall], budget: Int, latency: Double) throws(InputError) -> Simulation {
        try simulate(calls.map { Segment(object: $0.object, kind: $0.kind, calls: 1, lastRecords: $0.records) },
                     budget: budget, latency: latency)
    }

    /// The same rule over segments, worked out burst by burst instead of call by
    /// call: when `budget` calls take less than 24 h, the job makes `budget`
    /// calls, pauses 24 h from the moment the next would go over, and starts the
    /// next burst with an empty window; when they take 24 h or more, the window
    /// never holds `budget` calls and the job never pauses.
    public static func simulate(_ segments: [Segment], budget: Int, latency: Double) throws(InputError) -> Simulation {
        guard budget > 0 else { throw InputError(option: "calls", message: "--calls must be at least 1") }
        guard latency >= 0, latency.isFinite, latency <= window else {
            throw InputError(option: "latency", message: "--latency must be a number of seconds from 0 to \(Int(window))")
        }
        // Prefix sums of calls and records, for the records of any range of calls.
        var callEnds: [Int] = []
        var recordEnds: [Int] = []
        var total = 0
        var records = 0
        for segment in segments {
            let (calls, overflow) = total.addingReportingOverflow(segment.calls)
            guard !overflow, calls <= largestCount else {
                throw InputError(option: "calls", message: "the plan has more than \(largestCount) calls")
            }
            total = calls
            records += segment.records
            callEnds.append(total)
            recordEnds.append(records)
        }
        func recordsBefore(_ call: Int) -> Int {
            // The first segment that ends after `call`.
            var low = 0
            var high = callEnds.count
            while low < high {
                let middle = (low + high) / 2
                if callEnds[middle] <= call { low = middle + 1 } else { high = middle }
            }
            guard low < segments.count else { return records }
            let start = low == 0 ? 0 : callEnds[low - 1]
            return (low == 0 ? 0 : recordEnds[low - 1]) + segments[low].records(first: call - start)
        }
        var perDay: [(day: Int, calls: Int, records: Int)] = []
        func add(from first: Int, to end: Int, startingAt time: Double) throws(InputError) {
            // Calls first..<end, one every `latency` seconds from `time`, split at midnights.
            var call = first
            var now = time
            while call < end {
                let day = Int(now / window)
                let midnight = Double(day + 1) * window
                let fit = latency == 0 ? end - call : max(1, Int(((midnight - now) / latency).rounded(.up)))
                let upTo = min(end, call + fit)
                if let last = perDay.last, last.day == day + 1 {
                    perDay[perDay.count - 1].calls += upTo - call
                    perDay[perDay.count - 1].records += recordsBefore(upTo) - recordsBefore(call)
                } else {
                    guard perDay.count < longestSchedule else {
                        throw InputError(option: "calls", message: "the run would take more than \(longestSchedule) days; check the numbers")
                    }
                    perDay.append((day + 1, upTo - call, recordsBefore(upTo) - recordsBefore(call)))
                }
                now += Double(upTo - call) * latency
                call = upTo
            }
        }
        let burst = Double(budget) * latency
        var end = 0.0
        var pauses = 0
        if burst >= window || total <= budget {
            try add(from: 0, to: total, startingAt: 0)
            end = Double(total) * latency
        } else {
            var call = 0
            var start = 0.0
            while call < total {
                let upTo = min(total, call + budget)
                try add(from: call, to: upTo, startingAt: start)
                end = start + Double(upTo - call) * latency
                call = upTo
                if call < total {
                    pauses += 1
                    start = end + window
                }
            }
        }
        let schedule = perDay.map { Day(day: $0.day, calls: $0.calls, records: $0.records) }
        return Simulation(calls: total, days: end / window, schedule: schedule, pauses: pauses)
    }

    static let window = 86_400.0

}
