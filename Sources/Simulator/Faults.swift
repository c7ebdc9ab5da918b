import Foundation
import JSON

/// A failure the test control can inject into REST calls.
public enum Fault: Sendable, Equatable {
    /// 500 UNKNOWN_EXCEPTION
    case serverError
    /// 503 SERVER_UNAVAILABLE
    case unavailable
    /// 400 UNABLE_TO_LOCK_ROW
    case lockRow
    /// Answer normally after a pause.
    case delay(seconds: Double)
    /// Close the connection without answering.
    case drop
    /// Do the work (a write is written), then close the connection without answering.
    case dropAfter
    /// Expire the caller's session: 401 INVALID_SESSION_ID now and after.
    case expireSession

    /// The longest delay the control accepts, in seconds.
    public static let longestDelay = 600.0

    /// Parses `{"kind": "delay", "seconds": 2}` and the like; nil for an unknown kind or a bad delay.
    init?(json: JSONValue) {
        switch json["kind"]?.stringValue {
        case "server_error", "500": self = .serverError
        case "unavailable", "503": self = .unavailable
        case "lock_row", "UNABLE_TO_LOCK_ROW": self = .lockRow
        case "delay", "timeout":
            let seconds = json["seconds"]?.doubleValue ?? 30
            // A delay is a pause before answering: finite, and short enough that a test still ends.
            guard seconds.isFinite, (0...Fault.longestDelay).contains(seconds) else { return nil }
            self = .delay(seconds: seconds)
        case "drop": self = .drop
        case "drop_after", "drop_after_write": self = .dropAfter
        case "expire_session", "expired_session": self = .expireSession
        default: return nil
        }
    }
}

/// Which faults to inject: a script consumed in order, and a random rate.
struct FaultPlan {
    struct Step {
        let fault: Fault
        /// Only requests whose path contains this (nil: any request).
        let pathContains: String?
    }

    var script: [Step] = []
    var rate = 0.0
    var kinds: [Fault] = []

    mutating func next(for path: String, random: inout SeededRandom) -> Fault? {
        if let index = script.firstIndex(where: { $0.pathContains.map(path.contains) ?? true }) {
            return script.remove(at: index).fault
        }
        guard rate > 0, !kinds.isEmpty, random.nextDouble() < rate else { return nil }
        return kinds[Int(random.next() % UInt64(kinds.count))]
    }
}

/// SplitMix64: small, fast and the same on every platform for a given seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }

    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    public mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }

    public mutating func chance(_ probability: Double) -> Bool { nextDouble() < probability }
}

extension Org {
    /// Applies a fault; nil means go on and answer normally.
    func apply(_ fault: Fault, request: SimRequest) async -> SimResponse? {
        switch fault {
        case .serverError:
            return .error(APIError(status: 500, code: "UNKNOWN_EXCEPTION",
                                   message: "An unexpected error occurred. Please include this ErrorId if you contact support: 1337-42 (sfsim fault)"))
        case .unavailable:
            return .error(APIError(status: 503, code: "SERVER_UNAVAILABLE",
                                   message: "Server is temporarily unavailable. Please try again later."))
        case .lockRow:
            return .error(APIError(status: 400, code: "UNABLE_TO_LOCK_ROW",
                                   message: "unable to obtain exclusive access to this record or 1 records: (sfsim fault)",
                                   fields: []))
        case let .delay(seconds):
            // On the org's clock: a standing clock holds the answer until the test moves it.
            try? await clock.sleep(seconds: seconds)
            return nil
        case .drop:
            var response = SimResponse(status: 500)
            response.dropConnection = true
            return response
        case .dropAfter:
            return nil
        case .expireSession:
            if let token = Self.bearerToken(request) { lock.withLock { accessTokens[token] = nil } }
            return .error(Self.invalidSession)
        }
    }
}
