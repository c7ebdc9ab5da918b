import JSON
import ArgumentParser
import Foundation
import Simulator

/// `sfsim`: a simulated Salesforce org on 127.0.0.1, for trying sfsh and for tests.
@main
struct SfsimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfsim",
        abstract: "A simulated Salesforce org that speaks the REST and OAuth wire protocol on 127.0.0.1.",
        discussion: """
            This is a LOCAL TEST ORG: its data is generated, its credentials are printed, and nothing
            leaves this machine. On start it prints one JSON line to stdout with instance_url,
            login_url, username, password, client_id, client_secret and access_token of the seeded
            admin user, then logs one line per request to stderr. Stop it with Ctrl-C.
            login_url is http://localhost:PORT, the login host (as login.salesforce.com); instance_url is
            http://127.0.0.1:PORT, the instance (My Domain) host: one server, told apart by the Host header.
            """)

    @Option(help: "Port on 127.0.0.1 (0 picks a free one).")
    var port = 0

    @Option(help: "Seed of the data generator: the same seed gives the same org.")
    var seed: UInt64 = 1

    @Option(help: "How many contacts to generate.")
    var contacts = 200

    @Option(help: "How many leads to generate.")
    var leads = 200

    @Option(help: "How many accounts to generate.")
    var accounts = 50

    @Option(help: "How many opportunities to generate.")
    var opportunities = 100

    @Option(name: .customLong("daily-limit"), help: "DailyApiRequests.Max over a rolling 24 h window.")
    var dailyLimit = 100_000

    @Option(help: "Organization.OrganizationType, e.g. 'Enterprise Edition', 'Professional Edition'.")
    var edition = "Enterprise Edition"

    @Flag(name: .customLong("api-addon"), help: "For Professional Edition: the org has the API add-on.")
    var apiAddOn = false

    @Flag(name: .customLong("no-duplicate-rule"), help: "Start without the active Lead duplicate rule.")
    var noDuplicateRule = false

    @Flag(help: "Serve the test control under /_sfsim/ (clock, limits, faults, call log).")
    var control = false

    @Option(name: .customLong("control-token"),
            help: "The value /_sfsim/ requests must carry in X-Sfsim-Control (default: random, printed as control_token).")
    var controlToken: String?

    @Flag(name: .customLong("clock-stands-still"),
          help: "The org's clock stands still until POST /_sfsim/clock/advance moves it (needs --control); fault delays wait on it.")
    var clockStandsStill = false

    @Flag(help: "Do not log requests.")
    var quiet = false

    @Option(name: .customLong("from-bundle"),
            help: "Replay a customer's org shape from an sfsh support bundle: its objects and fields, edition, daily limit, the user's permissions, duplicate rules and sample records (--contacts etc. still set how many are generated).")
    var fromBundle: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        if clockStandsStill && !control {
            throw ValidationError("--clock-stands-still needs --control: only POST /_sfsim/clock/advance moves the clock")
        }
        if let controlToken, controlToken.count < 16 || !controlToken.allSatisfy({ $0.isASCII && !$0.isWhitespace }) {
            throw ValidationError("--control-token must be at least 16 printable characters")
        }
        for (name, value) in [("contacts", contacts), ("leads", leads), ("accounts", accounts),
                              ("opportunities", opportunities), ("daily-limit", dailyLimit)] where value < 0 {
            throw ValidationError("--\(name) must not be negative")
        }
    }

    func run() async throws {
        var configuration = OrgConfiguration()
        configuration.seed = seed
        configuration.contacts = contacts
        configuration.leads = leads
        configuration.accounts = accounts
        configuration.opportunities = opportunities
        configuration.dailyLimit = dailyLimit
        configuration.edition = edition
        configuration.apiAddOn = apiAddOn
        configuration.leadDuplicateRule = !noDuplicateRule
        configuration.controlEnabled = control
        configuration.controlToken = controlToken
        if let fromBundle {
            let shape: OrgShape
            do { shape = try OrgShape.read(URL(fileURLWithPath: fromBundle)) } catch {
                throw ValidationError("--from-bundle: \(error)")
            }
            for skipped in shape.skipped { FileHandle.standardError.write(Data("sfsim: the bundle's \(skipped); left out\n".utf8)) }
            configuration.apply(shape)
        }
        let org = try Org(configuration: configuration, clock: clockStandsStill ? .standing(at: Date()) : SimulatedClock())
        var log: (@Sendable (String) -> Void)?
        if !quiet {
            log = { line in FileHandle.standardError.write(Data("sfsim: \(line)\n".utf8)) }
        }
        let server = try await SimServer.start(org: org, port: port, log: log)
        FileHandle.standardOutput.write(Data((server.startupInfo.serialized() + "\n").utf8))
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        var sources: [any DispatchSourceSignal] = []
        for signo in [SIGINT, SIGTERM] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo)
            source.setEventHandler { continuation.yield(signo) }
            source.resume()
            sources.append(source)
        }
        for await _ in signals { break }
        sources.forEach { $0.cancel() }
        await server.stop()
    }
}


