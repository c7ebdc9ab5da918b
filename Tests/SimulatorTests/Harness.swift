import TestSupport
import SalesforceModel
import Foundation
import JSON
import Salesforce
@testable import Simulator

/// An org served on a real loopback socket, and a raw HTTP client for it.
struct SimHarness: Stoppable {
    let server: SimServer
    let transport = CurlTransport()
    var org: Org { server.org }
    var base: String { server.baseURL }
    var token: String { org.adminAccessToken }

    static func start(clock: SimulatedClock = SimulatedClock(),
                      _ configure: (inout OrgConfiguration) -> Void = { _ in }) async throws -> SimHarness {
        var configuration = OrgConfiguration()
        configuration.contacts = 120
        configuration.leads = 60
        configuration.accounts = 20
        configuration.opportunities = 30
        configuration.inMemory = true
        configuration.controlEnabled = true
        configure(&configuration)
        let org = try Org(configuration: configuration, clock: clock)
        return SimHarness(server: try await SimServer.start(org: org))
    }

    struct Answer {
        let status: Int
        let headers: HTTPResponse
        let json: JSONValue

        func header(_ name: String) -> String? { headers.header(name) }
        /// The body as it came over the wire (keys in the order sfsim wrote them).
        var raw: String { String(decoding: headers.body, as: UTF8.self) }
        var errorCode: String? { json.arrayValue?.first?["errorCode"]?.stringValue }
        var message: String? { json.arrayValue?.first?["message"]?.stringValue }
    }

    /// Calls `path` (under `/services/data/v59.0/` unless it starts with `/`).
    func call(_ method: String = "GET", _ path: String, json body: JSONValue? = nil, form: [(String, String)]? = nil,
              csv: String? = nil, token: String? = nil, headers: [(String, String)] = []) async throws -> Answer {
        let url = path.hasPrefix("/") ? base + path : base + "/services/data/v59.0/" + path
        var all = headers
        if path.hasPrefix("/_sfsim"), !headers.contains(where: { $0.0 == "X-Sfsim-Control" }) {
            all.append(("X-Sfsim-Control", org.controlToken))
        }
        if let token = token ?? (path.hasPrefix("/services/oauth2/token") ? nil : self.token) {
            all.append(("Authorization", "Bearer \(token)"))
        }
        var data: Data?
        if let body {
            data = Data(body.serialized().utf8)
            all.append(("Content-Type", "application/json"))
        } else if let csv {
            data = Data(csv.utf8)
            all.append(("Content-Type", "text/csv"))
        } else if let form {
            data = Data(FormCoding.encode(form).utf8)
            all.append(("Content-Type", "application/x-www-form-urlencoded"))
        }
        let response = try await transport.send(HTTPRequest(method: method, url: url, headers: all, body: data))
        let json = response.body.isEmpty ? JSONValue.null : (try? JSONValue.parse(response.body)) ?? .string(String(decoding: response.body, as: UTF8.self))
        return Answer(status: response.status, headers: response, json: json)
    }

    func query(_ soql: String, all: Bool = false, token: String? = nil, batchSize: Int? = nil) async throws -> Answer {
        let encoded = soql.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        return try await call("GET", "\(all ? "queryAll" : "query")?q=\(encoded)", token: token,
                              headers: batchSize.map { [("Sforce-Query-Options", "batchSize=\($0)")] } ?? [])
    }

    func stop() async { await server.stop() }
}

extension JSONValue {
    var records: [JSONValue] { self["records"]?.arrayValue ?? [] }
}
