import SalesforceModel
import Foundation
import JSON
import Testing
@testable import Salesforce

#if canImport(Glibc)
import Glibc
#endif

/// A loopback HTTP server that answers GETs on kept-alive connections and
/// drops every POST unanswered after reading it (as a server that crashed
/// after acting would), counting the POSTs it read.
final class DroppingServer: @unchecked Sendable {
    private let listener: Int32
    let port: Int
    private let lock = NSLock()
    private var posts = 0

    var postsReceived: Int { lock.withLock { posts } }

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }
                Thread.detachNewThread { self.serve(connection) }
            }
        }
    }

    func stop() { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    private func serve(_ connection: Int32) {
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            // One request: the head, then Content-Length bytes of body.
            var headEnd: Int?
            while headEnd == nil {
                if let range = pending.firstRange(of: Array("\r\n\r\n".utf8)) { headEnd = range.upperBound; break }
                let count = read(connection, &buffer, buffer.count)
                guard count > 0 else { close(connection); return }
                pending += buffer[0..<count]
            }
            let head = String(decoding: pending[0..<headEnd!], as: UTF8.self)
            let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            while pending.count < headEnd! + length {
                let count = read(connection, &buffer, buffer.count)
                guard count > 0 else { close(connection); return }
                pending += buffer[0..<count]
            }
            pending.removeFirst(headEnd! + length)
            if head.hasPrefix("POST") {
                lock.withLock { posts += 1 }
                var linger = linger(l_onoff: 1, l_linger: 0)  // a reset, as a crashed server's
                setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
                close(connection)
                return
            }
            let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
            _ = answer.withCString { write(connection, $0, strlen($0)) }
        }
    }
}

/// Issue 11: a create is sent once, whatever happens to its connection.
@Suite(.serialized) struct FreshConnectionTests {
    @Test func libcurlResendsOnADeadReusedConnectionButNotOnAFreshOne() async throws {
        let server = try DroppingServer()
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"
        let transport = CurlTransport()
        // What libcurl does by itself: a GET leaves a connection to reuse; a POST on it that dies unanswered is re-sent.
        _ = try await transport.send(HTTPRequest(url: base + "/warm"))
        _ = try? await transport.send(HTTPRequest(method: "POST", url: base + "/create", body: Data("{}".utf8)))
        let resent = server.postsReceived
        #expect(resent == 2, "libcurl re-sent the POST \(resent - 1) time(s)")
        // On a connection of its own, the POST is sent once and the failure is reported.
        _ = try await transport.send(HTTPRequest(url: base + "/warm"))
        let failure = await #expect(throws: TransportError.self) {
            try await transport.send(HTTPRequest(method: "POST", url: base + "/create", body: Data("{}".utf8), freshConnection: true))
        }
        #expect(failure != nil)
        #expect(server.postsReceived == resent + 1)
    }

    @Test func theClientSendsCreatesOnFreshConnectionsAndDoesNotRetryThem() async throws {
        let server = try DroppingServer()
        defer { server.stop() }
        let client = try SalesforceClient(credentials: Credentials(instanceURL: "http://127.0.0.1:\(server.port)", accessToken: "t"),
                                          transport: CurlTransport(),
                                          retry: RetryPolicy(attempts: 4, baseDelay: 0.001, maxDelay: 0.002))
        _ = try await client.limits()  // a GET: keeps a connection alive
        let error = await #expect(throws: SalesforceError.self) {
            try await client.create("Lead", fields: .object([("LastName", .string("Once"))]))
        }
        #expect(error?.kind == .unavailable)
        #expect(server.postsReceived == 1)
    }
}
