import ArgumentParser
import Foundation
import Shell

/// The `sfsh` command line. All the work happens in the Shell library.
struct SfshArguments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfsh",
        abstract: "A shell for Salesforce integrations.",
        discussion: """
            Interactive when stdin and stdout are terminals; otherwise reads commands from stdin.
            'sfsh daemon [--once] [--json]' runs every org's scheduled jobs instead (see 'sfsh daemon --help').
            Exit codes: 0 ok, 1 a command failed, 2 usage error, 3 authentication,
            4 API limit or budget exhausted, 5 network or Salesforce unavailable.
            """)

    @Option(name: [.customShort("f"), .customLong("file")], help: ArgumentHelp("Run the commands in FILE, then exit.", valueName: "FILE"))
    var files: [String] = []

    @Option(name: [.customShort("c"), .customLong("command")], help: ArgumentHelp("Run these commands (separated by ';' or newlines), then exit.", valueName: "COMMANDS"))
    var commands: [String] = []

    @Flag(help: "Go on after a failed command (default: stop at the first, like set -e).")
    var keepGoing = false

    @Option(help: ArgumentHelp("Where the database and history live (default: $SFSH_HOME, else ~/.sfsh).", valueName: "DIR"))
    var home: String?

    @Option(help: ArgumentHelp("The org alias to use for this invocation.", valueName: "ALIAS"))
    var org: String?

    @Flag(help: "Start a simulated org (sfsim) inside sfsh and log into it as 'demo': try everything without a real org.")
    var demo = false
}

/// `sfsh daemon`: runs every org's scheduled jobs in the foreground.
struct DaemonArguments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfsh daemon",
        abstract: "Run every org's scheduled jobs when they are due ('schedule' sets them).",
        discussion: """
            Logs one line per event to stderr (job started, finished with counts and calls, paused until, failed,
            refused). SIGINT/SIGTERM: no job starts after them; a running one stops at its next checkpoint and its
            run is marked interrupted; exit 0. --once runs what is due now and exits (1 when a job failed).
            """)

    @Flag(help: "Run what is due now, then exit (for cron or a systemd timer).")
    var once = false

    @Flag(help: "Log JSON lines instead of text.")
    var json = false

    @Option(help: ArgumentHelp("Where the database lives (default: $SFSH_HOME, else ~/.sfsh).", valueName: "DIR"))
    var home: String?
}

if CommandLine.arguments.dropFirst().first == "daemon" {
    let parsed: DaemonArguments
    do {
        parsed = try DaemonArguments.parse(Array(CommandLine.arguments.dropFirst(2)))
    } catch {
        let code = DaemonArguments.exitCode(for: error)
        let message = DaemonArguments.fullMessage(for: error)
        if code == .success {
            print(message)
            exit(0)
        }
        FileHandle.standardError.write(Data("sfsh daemon: \(message)\n".utf8))
        exit(2)
    }
    var daemonOptions = DaemonOptions()
    daemonOptions.home = parsed.home
    daemonOptions.once = parsed.once
    daemonOptions.json = parsed.json
    umask(0o077)
    exit(await DaemonLauncher.run(daemonOptions, environment: ProcessInfo.processInfo.environment))
}

let arguments: SfshArguments
do {
    arguments = try SfshArguments.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    let code = SfshArguments.exitCode(for: error)
    let message = SfshArguments.fullMessage(for: error)
    if code == .success {
        print(message)
        exit(0)
    }
    FileHandle.standardError.write(Data("sfsh: \(message)\n".utf8))
    exit(2)
}

var options = LaunchOptions()
options.files = arguments.files
options.commands = arguments.commands
options.keepGoing = arguments.keepGoing
options.home = arguments.home
options.org = arguments.org
options.demo = arguments.demo
umask(0o077)
let status = await Launcher.run(options, environment: ProcessInfo.processInfo.environment)
exit(status)
