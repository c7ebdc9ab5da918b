import Foundation
import HTTPTypes
import Hummingbird
import JSON
import LoopbackHTTP
import NIOCore

/// The request context: Hummingbird's, plus the channel (to drop connections
/// as an injected fault) and a larger upload limit (collections of long text).
struct SimContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    var maxUploadSize: Int { 64 * 1024 * 1024 }
}

/// sfsim served over HTTP on 127.0.0.1 (Hummingbird). Start it in-process for
/// tests and `sfsh --demo`, or through the `sfsim` executable.
public final class SimServer: Sendable {
    public let org: Org
    public let port: Int
    private let task: Task<Void, any Error>

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(org: Org, port: Int, task: Task<Void, any Error>) {
        self.org = org
        self.port = port
        self.task = task
    }

    /// Starts serving `org` on 127.0.0.1:`port` (0 picks a free port) and
    /// returns once it listens. `log` gets one line per request.
    public static func start(org: Org, port: Int = 0, log: (@Sendable (String) -> Void)? = nil) async throws -> SimServer {
        let responder = CallbackResponder<SimContext> { request, context in
            let started = ContinuousClock.now
            var body = Data()
            for try await buffer in request.body {
                body.append(contentsOf: buffer.readableBytesView)
                guard body.count <= context.maxUploadSize else { throw HTTPError(.contentTooLarge) }
            }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            // HTTP/1.1's Host header arrives as the request's authority.
            if headers["host"] == nil, let authority = request.head.authority { headers["host"] = authority }
            let rawPath = request.uri.path
            let simRequest = SimRequest(method: request.method.rawValue,
                                        path: rawPath.removingPercentEncoding ?? rawPath,
                                        query: request.uri.query.map(FormCoding.decode) ?? [],
                                        headers: headers, body: body)
            let answer = await org.handle(simRequest)
            if let log {
                let elapsed = ContinuousClock.now - started
                let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
                log("\(simRequest.method) \(rawPath) \(answer.status) \(String(format: "%.1f", ms))ms")
            }
            if answer.dropConnection {
                // Promise a body, send a few bytes, then cut the connection: the
                // client sees a dropped connection mid-response (and cannot
                // quietly resend, as it would for a connection closed before any answer).
                return Response(status: .ok, headers: [.contentType: "application/json;charset=UTF-8"],
                                body: ResponseBody(contentLength: 4096) { writer in
                                    try await writer.write(ByteBuffer(string: "{\"totalSize\":"))
                                    context.channel.close(promise: nil)
                                    throw CancellationError()
                                })
            }
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
            }
            return Response(status: HTTPResponse.Status(code: answer.status), headers: fields,
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        let bound: Int
        let task: Task<Void, any Error>
        do { (bound, task) = try await LoopbackServer.start(port: port, responder: responder, label: "sfsim") } catch {
            throw SimServerError.couldNotListen(port: port)
        }
        org.baseURL = "http://127.0.0.1:\(bound)"
        return SimServer(org: org, port: bound, task: task)
    }

    /// Stops serving and waits until the socket is closed.
    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

public enum SimServerError: Error, CustomStringConvertible {
    case couldNotListen(port: Int)

    public var description: String {
        switch self {
        case let .couldNotListen(port): "sfsim could not listen on 127.0.0.1:\(port)"
        }
    }
}
