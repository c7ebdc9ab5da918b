import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The loopback listener of the web-server flow (RFC 8252 §7.3): Hummingbird on 127.0.0.1, answering
/// `GET /OAuth2/Callback?code=…&state=…` (or `?error=…`) once, telling the browser it may close the tab.
public final class LoopbackCallback: @unchecked Sendable {
    /// What came back to the redirect URI.
    public enum Outcome: Sendable, Equatable {
        case code(String, state: String?)
        case error(String, description: String?, state: String?)
    }

    public let port: Int
    private let task: Task<Void, any Error>
    private let lock = NSLock()
    private var outcome: Outcome?
    private var waiters: [CheckedContinuation<Outcome, Never>] = []

    /// `http://localhost:PORT/OAuth2/Callback`, as the connected app's callback URL lists it.
    public var redirectURI: String { "http://localhost:\(port)/OAuth2/Callback" }

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    public enum StartError: Error, CustomStringConvertible {
        case couldNotListen(port: Int)
        public var description: String {
            switch self {
            case let .couldNotListen(port):
                "cannot listen on 127.0.0.1:\(port) for the login's callback (in use?); pass --port N, or --port 0 for any free port"
            }
        }
    }

    /// Listens on 127.0.0.1:`port` (0: any free port).
    public static func start(port: Int) async throws -> LoopbackCallback {
        let box = Box()
        let router = Router()
        router.get("/OAuth2/Callback") { request, _ -> Response in
            let query = request.uri.queryParameters
            let state = query["state"].map(String.init)
            let outcome: Outcome
            if let code = query["code"] {
                outcome = .code(String(code), state: state)
            } else {
                outcome = .error(query["error"].map(String.init) ?? "invalid_request",
                                 description: query["error_description"].map(String.init), state: state)
            }
            box.callback?.deliver(outcome)
            let text: String
            if case .code = outcome {
                text = "sfsh: the login went through. You can close this tab and go back to the terminal."
            } else {
                text = "sfsh: the login did not go through. The terminal says why."
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        let bound: Int
        let task: Task<Void, any Error>
        do {
            (bound, task) = try await LoopbackServer.start(port: port, responder: router.buildResponder(), label: "sfsh-login-callback")
        } catch {
            throw StartError.couldNotListen(port: port)
        }
        let callback = LoopbackCallback(port: bound, task: task)
        box.callback = callback
        return callback
    }

    /// The first answer that reached the redirect URI, when one has.
    public var received: Outcome? { lock.withLock { outcome } }

    /// Waits for the answer.
    public func wait() async -> Outcome {
        await withCheckedContinuation { continuation in
            let now = lock.withLock { () -> Outcome? in
                if let outcome { return outcome }
                waiters.append(continuation)
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    func deliver(_ value: Outcome) {
        let woken = lock.withLock { () -> [CheckedContinuation<Outcome, Never>] in
            guard outcome == nil else { return [] }
            outcome = value
            defer { waiters = [] }
            return waiters
        }
        for waiter in woken { waiter.resume(returning: value) }
    }

    /// Stops listening and frees the port.
    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// Lets the route reach the listener made after it.
    private final class Box: @unchecked Sendable {
        var callback: LoopbackCallback?
    }
}
