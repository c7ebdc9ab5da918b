import TestSupport
import Foundation
import Testing
@testable import Simulator

/// sfsim's clock: a standing clock moves only when advanced; sleepers on either kind wake when
/// their deadline comes, by an advance or (running) by the passing of time; fault delays sleep on it.
@Suite struct SimulatedClockTests {
    @Test func aStandingClockStandsUntilItIsAdvanced() async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let clock = SimulatedClock.standing(at: start)
        #expect(clock.standsStill)
        #expect(clock.now() == start)
        try await Task.sleep(nanoseconds: 20_000_000)
        #expect(clock.now() == start)
        clock.advance(by: 86_400)
        #expect(clock.now() == start.addingTimeInterval(86_400))
        #expect(!SimulatedClock().standsStill)
    }

    /// (advances, then whether the sleeper has woken after each): a sleeper of 10 s wakes on the advance that reaches it.
    @Test(arguments: [([4.0, 5.0, 1.0], [false, false, true]), ([10.0], [true]), ([30.0], [true]), ([-5.0, 9.0, 6.0], [false, false, true])])
    func aSleeperWakesOnTheAdvanceThatReachesItsDeadline(advances: [Double], woken: [Bool]) async throws {
        let clock = SimulatedClock.standing(at: Date(timeIntervalSince1970: 0))
        let done = Signal()
        let sleeper = Task {
            try await clock.sleep(seconds: 10)
            done.raise()
        }
        for (advance, expected) in zip(advances, woken) {
            await clock.waitForSleeper()
            clock.advance(by: advance)
            if expected {
                await done.wait()
            } else {
                // The sleeper looks again and goes back to sleep.
                await clock.waitForSleeper()
            }
            #expect(done.isRaised == expected)
        }
        try await sleeper.value
    }

    @Test func aSleepWhoseDeadlineHasComeReturnsAtOnce() async throws {
        let clock = SimulatedClock.standing()
        try await clock.sleep(until: clock.now())
        try await clock.sleep(until: clock.now().addingTimeInterval(-1))
    }

    @Test func cancellingASleeperEndsItsSleepWithCancellationError() async throws {
        let clock = SimulatedClock.standing()
        let sleeper = Task { try await clock.sleep(seconds: 3_600) }
        await clock.waitForSleeper()
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        // Cancelled before it slept at all.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(seconds: 3_600)
        }
        await #expect(throws: CancellationError.self) { try await early.value }
    }

    @Test func aRunningClockWakesItsSleeperWhenTheTimeHasPassedOrOnAnAdvance() async throws {
        let clock = SimulatedClock()
        let before = Date()
        try await clock.sleep(seconds: 0.05)
        #expect(Date().timeIntervalSince(before) >= 0.05)
        let long = Task { try await clock.sleep(seconds: 3_600) }
        await clock.waitForSleeper()
        clock.advance(by: 3_600)
        try await long.value
    }

    @Test func aFaultDelayIsHeldUntilTheStandingClockMoves() async throws {
        let clock = SimulatedClock.standing()
        let sim = try await SimHarness.start(clock: clock)
        // Stopped when the body ends, and waited for, however it ends.
        func testBody() async throws {
            sim.org.injectFaults(script: [(.delay(seconds: 30), "/limits")])
            let answered = Signal()
            let call = Task {
                let answer = try await sim.call("GET", "limits")
                answered.raise()
                return answer.status
            }
            await clock.waitForSleeper()
            // Other requests are answered meanwhile (on a transport of their own); the delayed one is not.
            #expect(try await SimHarness(server: sim.server).call("GET", "sobjects").status == 200)
            #expect(!answered.isRaised)
            clock.advance(by: 29)
            await clock.waitForSleeper()
            #expect(!answered.isRaised)
            clock.advance(by: 1)
            #expect(try await call.value == 200)
        }
        try await stopping(sim, testBody)
    }
}

/// sfsim reads the `client` of `Sforce-Call-Options` into its call log, as Salesforce's event logs do.
@Suite struct CallOptionsTests {
    @Test(arguments: [
        ("client=sfsh/0.21.0", "sfsh/0.21.0"), ("client=caseSensitiveToken; defaultNamespace=battle", "caseSensitiveToken"),
        ("defaultNamespace=battle, client=SampleCaseSensitiveToken/100", "SampleCaseSensitiveToken/100"),
        ("Client = spaced ", "spaced"), ("defaultNamespace=battle", nil), ("client=", nil), ("", nil), ("client", nil),
    ] as [(String, String?)])
    func theClientOfAHeader(header: String, client: String?) {
        #expect(Org.callOptionsClient(header) == client)
    }
}
