public import Shell
public import Simulator

/// sfsim as the shell's demo org: a fresh seeded org in memory on 127.0.0.1.
public final class SimDemoOrg: DemoOrg {
    public let server: SimServer

    public init(server: SimServer) {
        self.server = server
    }

    /// The starter `sfsh --demo` uses: seed 42, in memory.
    public static let starter: DemoOrgStarter = {
        var configuration = OrgConfiguration()
        configuration.seed = 42
        configuration.inMemory = true
        return SimDemoOrg(server: try await SimServer.start(org: try Org(configuration: configuration)))
    }

    public var baseURL: String { server.baseURL }
    public var clientID: String { server.org.configuration.clientID }
    public var clientSecret: String { server.org.configuration.clientSecret }
    public func approveDevice(userCode: String) -> Bool { server.org.approveDevice(userCode: userCode) }
    public func stop() async { await server.stop() }
}
