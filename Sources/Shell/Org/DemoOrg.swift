/// A simulated org the shell can start for `--demo` and `login --demo`. The shell knows only this seam;
/// the executable hands it sfsim's (`SfshDemo`), so the shell does not depend on the simulator.
public protocol DemoOrg: AnyObject, Sendable {
    /// Where it listens: its login and instance URL.
    var baseURL: String { get }
    var clientID: String { get }
    var clientSecret: String { get }
    /// Approves a pending device code as the demo admin (the person at the browser).
    func approveDevice(userCode: String) -> Bool
    func stop() async
}

/// Starts a demo org (once per process).
public typealias DemoOrgStarter = @Sendable () async throws -> any DemoOrg
