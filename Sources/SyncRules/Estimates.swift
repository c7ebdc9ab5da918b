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
        public enum Kind: String, Sendable { case describe, count, page, deletes, lookup, create, update }
        public let object: String
        public let kind: Kind
        public let records: Int
    }

    /// The calls of an import, in order: for each object a describe, a count
    /// (when `countCalls`), ⌈records / page size⌉ query pages (at least one),
    /// and for an incremental run one `queryAll` page for the deletes.
    public static func importCalls(counts: [(object: String, records: Int)], pageSize: Int = 2000,
                                   countCalls: Bool = true, deleteQueries: Bool = false)
        throws(InputError) -> [PlannedCall]
    {
        guard (1...2000).contains(pageSize) else {
            throw InputError(option: "page-size", message: "--page-size must be from 1 to 2000 (Salesforce's maximum)")
        }
        var calls: [PlannedCall] = []
        for (object, records) in counts {
            guard records >= 0 else {
                throw InputError(option: object.lowercased(), message: "the count of \(object) must not be negative")
            }
            calls.append(PlannedCall(object: object, kind: .describe, records: 0))
            if countCalls { calls.append(PlannedCall(object: object, kind: .count, records: 0)) }
            let pages = pageCount(records: records, pageSize: pageSize)
            for page in 0..<pages {
                calls.append(PlannedCall(object: object, kind: .page, records: max(0, min(pageSize, records - page * pageSize))))
            }
            if deleteQueries { calls.append(PlannedCall(object: object, kind: .deletes, records: 0)) }
        }
        return calls
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

    /// Simulates the engine's pause rule: calls go one after another, each
    /// taking `latency` seconds; before each call the calls of the last 24 h
    /// (rolling) are counted, and at the budget the job pauses 24 h from that moment.
    public static func simulate(_ calls: [PlannedCall], budget: Int, latency: Double) throws(InputError) -> Simulation {
        guard budget > 0 else { throw InputError(option: "calls", message: "--calls must be at least 1") }
        guard latency >= 0, latency.isFinite else {
            throw InputError(option: "latency", message: "--latency must be a number of seconds ≥ 0")
        }
        let window = 86_400.0
        var now = 0.0
        var recent: [Double] = []
        var head = 0
        var pauses = 0
        var perDay: [Int: (calls: Int, records: Int)] = [:]
        for call in calls {
            while head < recent.count && recent[head] <= now - window { head += 1 }
            if recent.count - head >= budget {
                now += window
                pauses += 1
                while head < recent.count && recent[head] <= now - window { head += 1 }
            }
            let day = Int(now / window) + 1
            perDay[day, default: (0, 0)].calls += 1
            perDay[day, default: (0, 0)].records += call.records
            recent.append(now)
            now += latency
        }
        let schedule = perDay.keys.sorted().map { Day(day: $0, calls: perDay[$0]!.calls, records: perDay[$0]!.records) }
        return Simulation(calls: calls.count, days: now / window, schedule: schedule, pauses: pauses)
    }

    // MARK: Export

    /// The calls of an export: lookups by email for members without a
    /// remembered Lead id (200 emails a query), then creates and updates in
    /// sObject Collections of 200.
    public static func exportCalls(lookups: Int, creates: Int, updates: Int) -> [PlannedCall] {
        func batches(_ count: Int) -> Int { (count + 199) / 200 }
        return Array(repeating: PlannedCall(object: "Lead", kind: .lookup, records: 0), count: batches(lookups))
            + Array(repeating: PlannedCall(object: "Lead", kind: .create, records: 0), count: batches(creates))
            + Array(repeating: PlannedCall(object: "Lead", kind: .update, records: 0), count: batches(updates))
    }
}
