import ArgumentParser
import Foundation
import SalesforceModel
import Shell
import SfshDemo

/// Options that mean the same before or after a subcommand (`sfsh --home DIR daemon` = `sfsh daemon --home DIR`),
/// as `git -C DIR status` users expect.
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where the database and history live (default: $SFSH_HOME, else ~/.sfsh).", valueName: "DIR"))
    var home: String?

    @Option(name: .customLong("ca-bundle"),
            help: ArgumentHelp("Trust the CAs in FILE (PEM) instead of the system's, e.g. a corporate proxy's (default: $SFSH_CA_BUNDLE).",
                               valueName: "FILE"))
    var caBundle: String?
}

/// The `sfsh` command line: the shell itself, and `daemon`. All the work happens in the Shell library.
struct SfshArguments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfsh",
        abstract: "A shell for Salesforce integrations.",
        discussion: """
            Interactive when stdin and stdout are terminals; otherwise reads commands from stdin.
            'sfsh daemon [--once] [--json]' runs every org's scheduled jobs instead (see 'sfsh daemon --help').
            Exit codes: 0 ok, 1 a command failed, 2 usage error, 3 authentication,
            4 API limit or budget exhausted, 5 network or Salesforce unavailable.
            """,
        version: "sfsh \(ClientIdentity.version)",
        subcommands: [DaemonArguments.self])

    @OptionGroup var globals: GlobalOptions

    @Option(name: [.customShort("f"), .customLong("file")], help: ArgumentHelp("Run the commands in FILE, then exit.", valueName: "FILE"))
    var files: [String] = []

    @Option(name: [.customShort("c"), .customLong("command")], help: ArgumentHelp("Run these commands (separated by ';' or newlines), then exit.", valueName: "COMMANDS"))
    var commands: [String] = []

    @Flag(help: "Go on after a failed command (default: stop at the first, like set -e).")
    var keepGoing = false

    @Option(help: ArgumentHelp("The org alias to use for this invocation.", valueName: "ALIAS"))
    var org: String?

    @Flag(help: "Start a simulated org (sfsim) inside sfsh and log into it as 'demo': try everything without a real org.")
    var demo = false

    @Option(name: .customLong("from-bundle"),
            help: ArgumentHelp("With --demo: the demo org has the shape of the org in this support bundle ('bundle').", valueName: "FILE"))
    var fromBundle: String?
}

/// `sfsh daemon`: runs every org's scheduled jobs in the foreground.
struct DaemonArguments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run every org's scheduled jobs when they are due ('schedule' sets them).",
        discussion: """
            Logs one line per event to stderr (job started, finished with counts and calls, paused until, failed,
            refused). SIGINT/SIGTERM: no job starts after them; a running one stops at its next checkpoint and its
            run is marked interrupted; exit 0. --once runs what is due now and exits (1 when a job failed).
            """)

    @OptionGroup var globals: GlobalOptions

    @Flag(help: "Run what is due now, then exit (for cron or a systemd timer).")
    var once = false

    @Flag(help: "Log JSON lines instead of text.")
    var json = false
}

let parsed: any ParsableCommand
do {
    parsed = try SfshArguments.parseAsRoot(Array(CommandLine.arguments.dropFirst()))
} catch {
    let message = SfshArguments.fullMessage(for: error)
    if SfshArguments.exitCode(for: error) == .success {
        print(message)
        exit(0)
    }
    FileHandle.standardError.write(Data("sfsh: \(message)\n".utf8))
    exit(2)
}
umask(0o077)
let environment = ProcessInfo.processInfo.environment
switch parsed {
case let daemon as DaemonArguments:
    var options = DaemonOptions()
    options.home = daemon.globals.home
    options.caBundle = daemon.globals.caBundle
    options.once = daemon.once
    options.json = daemon.json
    exit(await DaemonLauncher.run(options, environment: environment))
case let shell as SfshArguments:
    var options = LaunchOptions()
    options.files = shell.files
    options.commands = shell.commands
    options.keepGoing = shell.keepGoing
    options.home = shell.globals.home
    options.caBundle = shell.globals.caBundle
    options.org = shell.org
    options.demo = shell.demo
    options.demoStarter = SimDemoOrg.starter
    if let bundle = shell.fromBundle {
        guard shell.demo else {
            FileHandle.standardError.write(Data("sfsh: --from-bundle replays a bundle's org as the demo org: add --demo\n".utf8))
            exit(2)
        }
        do { options.demoStarter = try SimDemoOrg.starter(bundle: bundle) } catch {
            FileHandle.standardError.write(Data("sfsh: --from-bundle: \(error)\n".utf8))
            exit(1)
        }
    }
    exit(await Launcher.run(options, environment: environment))
default:
    // argument-parser's own commands (`help`, `--help` on a subcommand) print and exit themselves.
    var command = parsed
    do { try command.run() } catch { SfshArguments.exit(withError: error) }
    exit(0)
}
