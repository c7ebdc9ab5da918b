import SalesforceModel
public import Foundation

/// One HTTP request, as the client builds it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: Data?
    /// Seconds for the whole exchange.
    public var timeout: TimeInterval
    /// Send on a new connection. For requests that must not be sent twice: libcurl
    /// re-sends a request by itself when a reused connection dies before any answer
    /// byte (it cannot tell whether the server acted), but never on a fresh one.
    public var freshConnection: Bool
    /// The most the answer's body may hold, decompressed: larger answers are cut off and refused.
    public var maxResponseBytes: Int

    /// What a Salesforce REST answer can legitimately be: a describe of a wide object is a few MB, a
    /// query page at most 2,000 records (fewer when they are wide), an error a few KB.
    public static let restResponseLimit = 64 << 20

    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: Data? = nil,
                timeout: TimeInterval = 120, freshConnection: Bool = false, maxResponseBytes: Int = restResponseLimit) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.freshConnection = freshConnection
        self.maxResponseBytes = maxResponseBytes
    }
}

/// One HTTP response. Header names are kept lower-cased.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data

    public init(status: Int, headers: [(String, String)], body: Data) {
        self.status = status
        self.headers = headers.map { ($0.0.lowercased(), $0.1) }
        self.body = body
    }

    /// The last value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.last(where: { $0.0 == lowered })?.1
    }
}

/// Why a request got no HTTP response at all.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    case timedOut(url: String)
    /// Could not connect, or the connection dropped mid-exchange.
    case connection(url: String, reason: String)
    case invalidRequest(String)
    /// The server's certificate could not be verified (never retried: it will not verify next time either).
    case insecure(url: String, reason: String)
    /// The answer grew past the request's `maxResponseBytes` (decompressed), so it was cut off.
    case tooLarge(url: String, limit: Int)
    /// The server sent (almost) nothing for `seconds`: a stalled or dripping connection.
    case stalled(url: String, seconds: Int)
    /// Ctrl-C, or the task was cancelled, while the request was in flight.
    case interrupted(url: String)

    public var description: String {
        switch self {
        case let .timedOut(url): "timed out waiting for \(url)"
        case let .connection(url, reason): "network error talking to \(url): \(reason)"
        case let .invalidRequest(reason): "invalid request: \(reason)"
        case let .insecure(url, reason): "the TLS certificate of \(url) could not be verified: \(reason)"
        case let .tooLarge(url, limit):
            "the answer from \(url) is larger than \(limit >> 20) MB (decompressed), more than Salesforce sends for that request"
        case let .stalled(url, seconds): "\(url) sent almost nothing for \(seconds) s; gave up on it"
        case let .interrupted(url): "interrupted while waiting for \(url)"
        }
    }
}

/// Sends HTTP requests. The libcurl transport is the production one; tests may
/// put others in its place.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse
}

/// Counts the requests a piece of work sends, whatever client they go through:
/// bind one with `CallTally.$current.withValue(tally) { … }` and every request
/// sent in that task, or in tasks it starts, adds one (answered or not, as the
/// ledger counts them). Concurrent jobs use it to say what each part spent.
public final class CallTally: @unchecked Sendable {
    @TaskLocal public static var current: CallTally?

    private let lock = NSLock()
    private var calls = 0

    public init() {}

    public var count: Int { lock.withLock { calls } }

    func add() { lock.withLock { calls += 1 } }
}
