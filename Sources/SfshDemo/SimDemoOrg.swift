public import Shell
public import Simulator
import Foundation

/// sfsim as the shell's demo org: a fresh seeded org in memory on 127.0.0.1.
public final class SimDemoOrg: DemoOrg {
    public let server: SimServer

    public init(server: SimServer) {
        self.server = server
    }

    /// The starter `sfsh --demo` uses: seed 42, in memory.
    public static let starter: DemoOrgStarter = starter(shape: nil)

    /// The starter of `sfsh --demo --from-bundle FILE`, the bundle read now (a bundle that cannot be read is said at once).
    public static func starter(bundle path: String) throws -> DemoOrgStarter {
        starter(shape: try OrgShape.read(URL(fileURLWithPath: path)))
    }

    /// The starter of a demo org with the shape of a support bundle's org.
    public static func starter(shape: OrgShape?) -> DemoOrgStarter {
        {
            var configuration = OrgConfiguration()
            configuration.seed = 42
            configuration.inMemory = true
            if let shape { configuration.apply(shape) }
            return SimDemoOrg(server: try await SimServer.start(org: try Org(configuration: configuration)))
        }
    }

    public var baseURL: String { server.baseURL }
    public var clientID: String { server.org.configuration.clientID }
    public var clientSecret: String { server.org.configuration.clientSecret }
    public func approveDevice(userCode: String) -> Bool { server.org.approveDevice(userCode: userCode) }
    public func stop() async { await server.stop() }
}
