import SyncEngine
import SalesforceModel
public import JSON
import Foundation
import Salesforce
import Store

// What the session prints: data on stdout in the invocation's format, notes and errors on stderr.

extension ShellSession {
    // MARK: Output

    /// The format a command prints in: its own flag, else the `format` setting.
    public func format(for invocation: Invocation) -> OutputFormat {
        if invocation.has("json") { return .json }
        if invocation.has("csv") { return .csv }
        return OutputFormat(rawValue: setting("format") ?? "") ?? .table
    }

    /// Prints tabular data in the invocation's format.
    public func emit(_ table: Table, for invocation: Invocation) {
        switch format(for: invocation) {
        case .table: say(table.rendered(width: io.terminalWidth()))
        case .json: io.stdout.write(table.json.prettyPrinted() + "\n")
        case .csv: io.stdout.write(table.csv())
        }
    }

    /// Prints a table whose JSON and CSV keep typed columns while the terminal
    /// table shows a friendlier form.
    public func emit(_ table: Table, for invocation: Invocation, tableOverride: (Table) -> Table) {
        if format(for: invocation) == .table {
            say(tableOverride(table).rendered(width: io.terminalWidth()))
        } else {
            emit(table, for: invocation)
        }
    }

    /// Prints a document: JSON in `--json`, else the human text.
    public func emit(_ value: JSONValue, human: String, for invocation: Invocation) {
        if format(for: invocation) == .json {
            io.stdout.write(value.prettyPrinted() + "\n")
        } else if !human.isEmpty {
            say(human.hasSuffix("\n") ? human : human + "\n")
        }
    }

    /// Human text for stdout: org data in it (names, tags, notes) is shown escaped, never obeyed by the terminal.
    public func say(_ text: String) {
        io.stdout.write(TerminalText.sanitizeLines(text))
    }

    /// A remark for the user (progress, notes): always stderr.
    public func note(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let body = (text.hasSuffix("\n") ? lines.dropLast() : lines[...]).map { TerminalText.sanitize(String($0)) }
        io.stderr.write(body.joined(separator: "\n") + "\n")
    }

    /// Whether to colour what goes to stderr.
    var colorsStderr: Bool {
        if let noColor = io.environment["NO_COLOR"], !noColor.isEmpty { return false }
        switch setting("color") {
        case "always": return true
        case "never": return false
        default: return io.stderrIsTerminal && io.environment["TERM"] != "dumb"
        }
    }

    /// Prints an error (and keeps it in the home for `bundle`: the command's name, never its line).
    func report(_ error: ShellError, location: String?, json: Bool, command: String? = nil) {
        let name = command.map { word in
            word == "(unreadable line)" || word.count <= 40 && word.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") })
                ? word.lowercased() : "(not a command)"
        } ?? "sfsh"
        try? store.recordShellError(ShellErrorRecord(at: Date(), org: currentOrgAlias, command: name, status: Int(error.status.rawValue),
                                                     message: error.message, hint: error.hint))
        if json {
            io.stderr.write(error.json.serialized() + "\n")
            return
        }
        let place = location.map { "\(TerminalText.sanitize($0)): " } ?? ""
        let label = colorsStderr ? "\u{1B}[1;31merror:\u{1B}[0m" : "error:"
        // Messages carry text from servers and users: control characters are shown, never obeyed.
        var text = "sfsh: \(place)\(label) \(TerminalText.sanitize(error.message))\n"
        if let hint = error.hint {
            text += hint.split(separator: "\n", omittingEmptySubsequences: false).map { "  \(TerminalText.sanitize(String($0)))\n" }.joined()
        }
        io.stderr.write(text)
    }
}
