import Foundation
public import Simulator

/// Something a test starts and must stop: a simulated org, a harness around one.
public protocol Stoppable {
    func stop() async
}

extension SimServer: Stoppable {}

/// Runs `body`, then stops `resource` and waits for it — also when `body` throws — instead of a
/// fire-and-forget stop in a detached task, which outlives the test.
public func stopping<Resource: Stoppable, T>(_ resource: Resource, _ body: () async throws -> T) async rethrows -> T {
    do {
        let value = try await body()
        await resource.stop()
        return value
    } catch {
        await resource.stop()
        throw error
    }
}

/// A simulated org on a loopback socket for the length of `body`: in memory, the test control on, a clock
/// that moves only when the test moves it.
public func withSim<T>(clock: SimulatedClock = SimulatedClock(), _ configure: (inout OrgConfiguration) -> Void = { _ in },
                       _ body: (SimServer) async throws -> T) async throws -> T {
    var configuration = OrgConfiguration()
    configuration.inMemory = true
    configuration.controlEnabled = true
    configure(&configuration)
    let server = try await SimServer.start(org: try Org(configuration: configuration, clock: clock))
    return try await stopping(server) { try await body(server) }
}

/// Collects what a job, the daemon or a callback reports, from any thread.
public final class EventLog<Event: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [Event] = []

    public init() {}

    public func add(_ event: Event) { lock.withLock { events.append(event) } }
    public var all: [Event] { lock.withLock { events } }
}

/// Says true from the `after`-th question on (a Ctrl-C that arrives after some work).
public final class Countdown: @unchecked Sendable {
    private let lock = NSLock()
    private var left: Int

    public init(after: Int) { left = after }

    public func tick() -> Bool { lock.withLock { left -= 1; return left <= 0 } }
}
