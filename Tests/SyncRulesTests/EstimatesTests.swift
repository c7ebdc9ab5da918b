import Testing
import SalesforceModel
@testable import SyncRules

@Suite struct EstimatesTests {
    @Test(arguments: [
        // (total, other, per direction, setting)
        (100_000, 20_000, 40_000.0, 40_000),   // a documented-style example
        (15_000, 0, 7_500.0, 7_500),           // Developer Edition, nothing else
        (15_001, 0, 7_500.5, 7_500),           // odd remainder: rounded down
        (2, 1, 0.5, 0),                        // boundary: one call left
        (100_000, 99_999, 0.5, 0),
    ])
    func allotment(total: Int, other: Int, perDirection: Double, setting: Int) throws {
        let result = try Estimates.allotment(total: total, other: other)
        #expect(result.perDirection == perDirection)
        #expect(result.setting == setting)
    }

    @Test(arguments: [(0, 0, "total"), (-5, 0, "total"), (100, -1, "other"), (100, 100, "other"), (100, 150, "other")])
    func allotmentRefusesBadInput(total: Int, other: Int, option: String) {
        let error = #expect(throws: Estimates.InputError.self) { try Estimates.allotment(total: total, other: other) }
        #expect(error?.option == option)
    }

    @Test(arguments: [
        (10_000 + 20_000 + 5_000 + 5_000, 10_000, 4.0),
        (0, 1_000, 0.0),
        (1, 3, 1.0 / 3.0),
    ])
    func documentedImportDays(records: Int, calls: Int, days: Double) throws {
        #expect(try Estimates.documentedImportDays(records: records, callsPerDay: calls) == days)
    }

    @Test func zeroCallsIsRefused() {
        #expect(throws: Estimates.InputError.self) { try Estimates.documentedImportDays(records: 5, callsPerDay: 0) }
        #expect(throws: Estimates.InputError.self) { try Estimates.simulate([] as [Estimates.PlannedCall], budget: 0, latency: 1) }
    }

    @Test func importCallsAreDescribesCountsAndPages() throws {
        let calls = try Estimates.importCalls(counts: [("Lead", 4001), ("Contact", 0), ("Opportunity", 2000)], pageSize: 2000)
        #expect(calls.count == (2 + 3) + (2 + 1) + (2 + 1))
        #expect(calls.filter { $0.kind == .page }.map(\.records) == [2000, 2000, 1, 0, 2000])
        #expect(try Estimates.importCalls(counts: [("Lead", 10)], pageSize: 3).filter { $0.kind == .page }.count == 4)
        #expect(throws: Estimates.InputError.self) { try Estimates.importCalls(counts: [("Lead", 1)], pageSize: 2001) }
        #expect(throws: Estimates.InputError.self) { try Estimates.importCalls(counts: [("Lead", -1)]) }
    }

    @Test(arguments: [
        // (records, page size, auto reads through Bulk): after the first page, a job (1 + 2 polls + chunks)
        // must cost fewer calls than the remaining pages.
        (0, 2000, false),
        (2_000, 2000, false),
        (10_000, 2000, false),      // 8,000 more: 4 pages vs 1 + 2 + 1
        (10_001, 2000, true),       // 8,001 more: 5 pages vs 4
        (200_000, 2000, true),
        (1_000, 200, false),        // 800 more: 4 pages vs 4
        (1_001, 200, true),
    ])
    func autoChoosesBulkWhenItCostsFewerCalls(records: Int, pageSize: Int, bulk: Bool) {
        #expect(Estimates.autoChoosesBulk(records: records, pageSize: pageSize) == bulk)
    }

    @Test(arguments: [
        // (records, method, pages, jobs, polls, chunks, records per chunk call)
        (100_000, Estimates.ReadMethod.bulk, 0, 1, 2, 4, [25_000, 25_000, 25_000, 25_000]),
        (100_001, .bulk, 0, 1, 2, 5, [25_000, 25_000, 25_000, 25_000, 1]),
        (0, .bulk, 0, 1, 2, 1, [0]),
        (52_000, .auto, 1, 1, 2, 2, [25_000, 25_000]),
        (9_000, .auto, 5, 0, 0, 0, []),
        (9_000, .rest, 5, 0, 0, 0, []),
    ])
    func bulkPlans(records: Int, method: Estimates.ReadMethod, pages: Int, jobs: Int, polls: Int, chunks: Int,
                   chunkRecords: [Int]) throws {
        let calls = try Estimates.importCalls(counts: [("Contact", records)], countCalls: false, method: method)
        func count(_ kind: Estimates.PlannedCall.Kind) -> Int { calls.filter { $0.kind == kind }.count }
        #expect(count(.describe) == 1)
        #expect(count(.page) == pages)
        #expect(count(.job) == jobs && count(.poll) == polls && count(.chunk) == chunks)
        #expect(calls.filter { $0.kind == .chunk }.map(\.records) == chunkRecords)
        // Every record is brought by exactly one call.
        #expect(calls.reduce(0) { $0 + $1.records } == records)
    }

    @Test func bulkMeetsTenCallsPerHundredThousandRecords() {
        #expect(Estimates.BulkShape.standard.calls(records: 100_000) <= 10)
        #expect(Estimates.pageCount(records: 100_000, pageSize: 2000) == 50)
    }

    @Test func withinTheBudgetThereIsNoPause() throws {
        let calls = try Estimates.importCalls(counts: [("Lead", 10_000)])
        let result = try Estimates.simulate(calls, budget: 100, latency: 1)
        #expect(result.calls == 7 && result.pauses == 0)
        #expect(result.days == 7.0 / 86_400)
        #expect(result.schedule == [Estimates.Day(day: 1, calls: 7, records: 10_000)])
    }

    @Test func aBudgetSmallerThanOneObjectsPagesPausesFromTheMomentItRunsOut() throws {
        // 12 calls, 5 a day, 60 s each: 5 calls (300 s), pause 24 h from then, 5 more, pause, 2 more.
        let calls = try Estimates.importCalls(counts: [("Lead", 20_000)])
        #expect(calls.count == 12)
        let result = try Estimates.simulate(calls, budget: 5, latency: 60)
        #expect(result.pauses == 2)
        #expect(result.schedule.map(\.calls) == [5, 5, 2])
        #expect(result.schedule.map(\.records) == [6_000, 10_000, 4_000])
        // Each pause starts when the budget ran out, so days drift later than whole days.
        let expected = (12 * 60 + 2 * 86_400) / 86_400.0
        #expect(abs(result.days - expected) < 1e-9)
        // The documented formula says 20 000 / 5 = 4000 days: it counts records, not calls.
        #expect(try Estimates.documentedImportDays(records: 20_000, callsPerDay: 5) == 4000)
    }

    @Test func zeroRecordsStillCostDescribeCountAndOnePage() throws {
        let result = try Estimates.simulate(try Estimates.importCalls(counts: [("Lead", 0), ("Contact", 0)]),
                                            budget: 10, latency: 1)
        #expect(result.calls == 6)
        #expect(result.schedule == [Estimates.Day(day: 1, calls: 6, records: 0)])
    }

}

/// Issue 19: one rule for the export's calls (the estimate, the dry run and the run's plan).
@Suite struct ExportCallsTests {
    static func emails(_ count: Int) -> [String] { (0..<count).map { "p\($0)@x.test" } }

    @Test(arguments: [
        // (creates, updates, composite, write calls)
        (0, 0, true, 0), (1, 0, true, 1), (200, 0, true, 1), (201, 0, true, 1), (1000, 0, true, 1), (1001, 0, true, 2),
        (3000, 0, true, 3), (3000, 0, false, 15), (200, 1, false, 2), (200, 1, true, 1), (1000, 1, true, 2),
    ])
    func writes(creates: Int, updates: Int, composite: Bool, calls: Int) {
        #expect(ExportCalls.writeCalls(creates: creates, updates: updates, composite: composite) == calls)
    }

    @Test(arguments: [
        // (queries, composite, calls)
        (0, true, 0), (1, true, 1), (5, true, 1), (6, true, 2), (6, false, 6),
    ])
    func lookups(queries: Int, composite: Bool, calls: Int) {
        #expect(ExportCalls.lookupCalls(queries: queries, composite: composite) == calls)
    }

    @Test func aChunkLooksUpThenWrites() {
        let chunk = ExportCalls.Chunk(lookups: Self.emails(3000), creates: 3000, updates: 0)
        let calls = ExportCalls.planned([chunk], composite: true)
        #expect(calls.map(\.kind) == [.lookup, .create, .create, .create])
        // Without composite each query goes in its URL (12,000 bytes encoded), each collection on its own.
        let plain = ExportCalls.planned([chunk], composite: false)
        #expect(plain.filter { $0.kind == .create }.count == 15)
        #expect(plain.filter { $0.kind == .lookup }.count == ExportCalls.lookupQueries(Self.emails(3000), composite: false).count)
        #expect(ExportCalls.lookupQueries(Self.emails(3000), composite: false).allSatisfy {
            FormEncoding.encode([("q", $0)]).utf8.count <= ExportCalls.lookupEncodedLength + 2
        })
        #expect(ExportCalls.planned([ExportCalls.Chunk(lookups: [], creates: 0, updates: 0)], composite: true).isEmpty)
    }
}

/// Issue 9: estimates of absurd sizes answer (or refuse) at once, without a value per page.
@Suite struct HugeEstimateTests {
    @Test func aHundredBillionLeadsAreCountedArithmetically() throws {
        let plan = try Estimates.importPlan(counts: [("Lead", 100_000_000_000), ("Contact", 1), ("Opportunity", 0), ("Account", 0)])
        #expect(plan.count == 12)
        #expect(plan.first { $0.kind == .page && $0.object == "Lead" }?.calls == 50_000_000)
        let result = try Estimates.simulate(plan, budget: 40_000_000, latency: 0.001)
        #expect(result.calls == 50_000_011)
        #expect(result.pauses == 1)
        #expect(result.schedule.map(\.calls).reduce(0, +) == 50_000_011)
        #expect(result.schedule.map(\.records).reduce(0, +) == 100_000_000_001)
    }

    @Test func absurdInputsAreRefusedWithTheOptionNamed() {
        #expect(throws: Estimates.InputError.self) { try Estimates.importPlan(counts: [("Lead", Int.max)]) }
        let plan = (try? Estimates.importPlan(counts: [("Lead", 1000)])) ?? []
        for latency in [1e30, -1, .nan, .infinity] {
            let error = #expect(throws: Estimates.InputError.self) { try Estimates.simulate(plan, budget: 1, latency: latency) }
            #expect(error?.option == "latency")
        }
        // A million pauses would be a schedule no one reads: refused, not computed.
        let big = (try? Estimates.importPlan(counts: [("Lead", 1_000_000_000)], pageSize: 1)) ?? []
        let error = #expect(throws: Estimates.InputError.self) { try Estimates.simulate(big, budget: 1, latency: 1) }
        #expect(error?.message.contains("more than 100000 days") == true)
    }

    @Test(arguments: [(5, 60.0), (3, 0.0), (1000, 100.0), (7, 20_000.0), (2, 86_400.0)])
    func segmentsAgreeWithCallByCall(budget: Int, latency: Double) throws {
        let calls = try Estimates.importCalls(counts: [("Lead", 9_001), ("Contact", 15), ("Opportunity", 4_000)], pageSize: 1000)
        let plan = try Estimates.importPlan(counts: [("Lead", 9_001), ("Contact", 15), ("Opportunity", 4_000)], pageSize: 1000)
        let one = try Estimates.simulate(calls, budget: budget, latency: latency)
        let other = try Estimates.simulate(plan, budget: budget, latency: latency)
        #expect(one == other)
        #expect(one.schedule.map(\.records).reduce(0, +) == 13_016)
    }
}

/// Issue 19: one ETA rule for every job's progress line (there were four).
@Suite struct JobProgressTests {
    @Test(arguments: [
        // (done, total, elapsed, eta)
        (0, 100, 10.0, nil), (50, 100, 10.0, 10.0), (100, 100, 10.0, 0.0), (120, 100, 10.0, 0.0),
        (10, nil, 5.0, nil), (0, 0, 0.0, 0.0), (1, 3, 0.0, 0.002),
    ] as [(Int, Int?, Double, Double?)])
    func eta(done: Int, total: Int?, elapsed: Double, expected: Double?) {
        #expect(JobProgress.eta(done: done, total: total, elapsed: elapsed) == expected)
    }

    @Test func rate() {
        #expect(JobProgress.rate(done: 50, elapsed: 10) == 5)
        #expect(JobProgress.rate(done: 5, elapsed: 0) == 5_000)
    }
}
