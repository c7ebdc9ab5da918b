import Foundation
import JSON

/// An `sf` CLI login as `sf org display --verbose` prints it: `force://CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN@INSTANCE`
/// (the secret may be empty; `force://REFRESH_TOKEN@INSTANCE` means the CLI's own app, `PlatformCLI`), the instance
/// without its scheme (https), or the JSON of `sf org display --verbose --json` holding it as `sfdxAuthUrl`.
public struct SfdxAuthURL: Sendable, Equatable {
    public var clientID: String
    public var clientSecret: String?
    public var refreshToken: String
    public var instanceURL: String

    /// The `sf` CLI's own connected app, when the URL names none.
    public static let cliClientID = "PlatformCLI"

    public init(clientID: String, clientSecret: String?, refreshToken: String, instanceURL: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.refreshToken = refreshToken
        self.instanceURL = instanceURL
    }

    /// Why a text is not an sfdx auth URL (never quoting its secret parts).
    public struct Invalid: Error, Equatable {
        public let reason: String
    }

    public static func parse(_ text: String) throws(Invalid) -> SfdxAuthURL {
        var url = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if url.hasPrefix("{") {
            guard let json = try? JSONValue.parse(Data(url.utf8)),
                  let found = json["result"]?["sfdxAuthUrl"]?.stringValue ?? json["sfdxAuthUrl"]?.stringValue else {
                throw Invalid(reason: "the JSON holds no sfdxAuthUrl (as 'sf org display --verbose --json' prints it)")
            }
            url = found.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard url.hasPrefix("force://") else {
            throw Invalid(reason: "an sfdx auth URL starts with force:// (force://CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN@INSTANCE)")
        }
        let body = url.dropFirst("force://".count)
        guard let at = body.lastIndex(of: "@") else { throw Invalid(reason: "the URL has no @INSTANCE after its credentials") }
        let credentials = body[..<at]
        let host = String(body[body.index(after: at)...])
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace }) else { throw Invalid(reason: "the instance after @ is empty") }
        let parts = credentials.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        let clientID: String
        let secret: String?
        let refresh: String
        switch parts.count {
        case 1: (clientID, secret, refresh) = (cliClientID, nil, parts[0])
        case 3: (clientID, secret, refresh) = (parts[0], parts[1].isEmpty ? nil : parts[1], parts[2])
        default: throw Invalid(reason: "the credentials must be CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN (the secret may be empty)")
        }
        guard !clientID.isEmpty else { throw Invalid(reason: "the client id is empty") }
        guard !refresh.isEmpty else { throw Invalid(reason: "the refresh token is empty") }
        // The CLI leaves the scheme off (https); one written out is kept (http is refused later but on loopback).
        let instance = host.contains("://") ? host : "https://" + host
        return SfdxAuthURL(clientID: clientID, clientSecret: secret, refreshToken: refresh,
                           instanceURL: instance.hasSuffix("/") ? String(instance.dropLast()) : instance)
    }
}
