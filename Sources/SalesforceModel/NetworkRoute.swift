import Foundation

/// How a request to a URL leaves this machine, as libcurl decides it from the environment: through the proxy
/// its scheme's variable names (`https_proxy`/`HTTPS_PROXY` for https, only lower-case `http_proxy` for http,
/// else `all_proxy`/`ALL_PROXY`), unless `no_proxy`/`NO_PROXY` lists the host (a name, a domain suffix, or `*`).
public enum NetworkRoute: Equatable, Sendable {
    case direct
    /// The proxy (its user and password hidden) and the variable it came from.
    case proxy(url: String, variable: String)
    /// A proxy is set, but `no_proxy` lists the host.
    case bypassed(variable: String)

    public static func route(for url: String, environment: [String: String]) -> NetworkRoute {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased() else { return .direct }
        let names = scheme == "https" ? ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
            : ["http_proxy", "all_proxy", "ALL_PROXY"]
        guard let variable = names.first(where: { !(environment[$0] ?? "").isEmpty }), let proxy = environment[variable] else {
            return .direct
        }
        let skip = (environment["no_proxy"] ?? environment["NO_PROXY"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        for entry in skip {
            let name = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            if entry == "*" || bare == name || bare.hasSuffix("." + name) { return .bypassed(variable: variable) }
        }
        return .proxy(url: redacted(proxy), variable: variable)
    }

    /// A proxy URL with its user and password hidden.
    static func redacted(_ proxy: String) -> String {
        guard let at = proxy.lastIndex(of: "@") else { return proxy }
        let start = proxy.range(of: "://")?.upperBound ?? proxy.startIndex
        guard start < at else { return proxy }
        return String(proxy[..<start]) + "(credentials hidden)@" + String(proxy[proxy.index(after: at)...])
    }

    /// One line for `check`.
    public var description: String {
        switch self {
        case .direct: "direct (no proxy variable applies)"
        case let .proxy(url, variable): "through \(url) (\(variable))"
        case let .bypassed(variable): "direct: no_proxy lists the host (\(variable) is set)"
        }
    }
}
