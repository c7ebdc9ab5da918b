public import Foundation
public import Simulator
public import SyncEngine

/// The engine's clock in tests: sfsim's clock, read and slept on directly, so moving sfsim's clock
/// moves the engine's and wakes its sleepers at once (no polling), and a standing sfsim clock
/// holds the engine's sleeps until the test moves it.
public struct SimEngineClock: EngineClock {
    public let clock: SimulatedClock

    public init(_ clock: SimulatedClock) { self.clock = clock }

    public func now() -> Date { clock.now() }

    public func sleep(until deadline: Date) async throws { try await clock.sleep(until: deadline) }
}
