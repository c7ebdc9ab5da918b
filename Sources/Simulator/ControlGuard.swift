import Foundation
import JSON

/// Who may drive `/_sfsim/…`: a request on a loopback host name, from no web
/// page of another origin, carrying the control token in `X-Sfsim-Control`.
/// Without it a web page could reach the control through the browser (DNS
/// rebinding gets past "it listens on 127.0.0.1"; a cross-origin `text/plain`
/// POST needs no preflight) and mint View-All-Data tokens with `/_sfsim/users`.
enum ControlGuard {
    static let header = "x-sfsim-control"

    /// Nil when the request may go on, else the answer that refuses it.
    static func refusal(_ request: SimRequest, token: String) -> SimResponse? {
        guard let host = request.headers["host"], isLoopback(authority: host) else {
            return refuse(403, "the sfsim control answers only on a loopback host name (127.0.0.1, localhost, [::1])")
        }
        if let origin = request.headers["origin"],
           !(URLComponents(string: origin)?.host.map(isLoopbackHost) ?? false) {
            return refuse(403, "the sfsim control refuses requests from web pages of other origins")
        }
        guard let given = request.headers[header], constantTimeEqual(given, token) else {
            return refuse(401, "the sfsim control needs the X-Sfsim-Control header with the control_token sfsim printed at start")
        }
        return nil
    }

    static func refuse(_ status: Int, _ message: String) -> SimResponse {
        .json(.array([.object([("message", .string(message)), ("errorCode", .string("SFSIM_CONTROL_REFUSED"))])]),
              status: status)
    }

    /// `127.0.0.1:8080`, `localhost`, `[::1]:9`: a loopback host with an optional port.
    static func isLoopback(authority: String) -> Bool {
        var host = Substring(authority)
        if host.hasPrefix("[") {
            guard let end = host.firstIndex(of: "]") else { return false }
            host = host[host.index(after: host.startIndex)..<end]
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        return isLoopbackHost(String(host))
    }

    static func isLoopbackHost(_ host: String) -> Bool {
        let lowered = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if lowered == "localhost" || lowered == "::1" { return true }
        let parts = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
