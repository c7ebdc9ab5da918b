import SyncEngine
import SalesforceModel
import CEditLine
import Foundation

/// The interactive reader: libedit with emacs keys, `~/.editrc`, history
/// recall and TAB completion. Used only when stdin and stdout are terminals.
public final class EditLineReader: LineReader {
    private var editor: OpaquePointer?
    private let completer: Completer
    private let history: HistoryFile
    private let historyLimit: @Sendable () -> Int

    /// Creates the editor and loads the saved history. Nil when libedit cannot
    /// start (the caller falls back to plain lines).
    public init?(completer: Completer, history: HistoryFile, historyLimit: @escaping @Sendable () -> Int) {
        self.completer = completer
        self.history = history
        self.historyLimit = historyLimit
        sfsh_install_sigint_handler()
        let context = Unmanaged.passUnretained(completer).toOpaque()
        guard let editor = sfsh_editor_create("sfsh", context, { el, _ in
            guard let el, let context = sfsh_editor_context(el) else { return UInt8(CC_ERROR) }
            let completer = Unmanaged<Completer>.fromOpaque(context).takeUnretainedValue()
            return EditLineReader.complete(el, completer)
        }) else { return nil }
        self.editor = editor
        sfsh_editor_history_set_size(editor, Int32(clamping: max(1, historyLimit())))
        for entry in history.load() {
            sfsh_editor_history_add(editor, entry)
        }
    }

    deinit {
        sfsh_editor_destroy(editor)
    }

    public var isInteractive: Bool { true }

    public func readLine(prompt: String) -> LineInput {
        sfsh_editor_set_prompt(editor, prompt)
        _ = sfsh_take_sigint()
        var count: Int32 = 0
        guard let raw = sfsh_editor_gets(editor, &count) else {
            if count < 0 && (errno == EINTR || sfsh_take_sigint() != 0) {
                sfsh_editor_reset_line(editor)
                FileHandle.standardOutput.write(Data("^C\n".utf8))
                return .interrupted
            }
            FileHandle.standardOutput.write(Data("\n".utf8))
            return .end
        }
        var line = String(decoding: UnsafeRawBufferPointer(start: raw, count: Int(count)), as: UTF8.self)
        if line.hasSuffix("\n") { line.removeLast() }
        return .line(line)
    }

    public func readSecret(prompt: String) -> String? {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        let isTerminal = tcgetattr(STDIN_FILENO, &saved) == 0
        if isTerminal {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ICANON)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer {
            if isTerminal { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
            FileHandle.standardError.write(Data("\n".utf8))
        }
        _ = sfsh_take_sigint()
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = read(STDIN_FILENO, &byte, 1)
            if n == 1 {
                if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
                bytes.append(byte)
            } else if n < 0 && errno == EINTR && sfsh_take_sigint() == 0 {
                continue
            } else {
                return nil  // Ctrl-C, Ctrl-D or an error: cancelled
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func remember(_ line: String) {
        sfsh_editor_history_add(editor, line)
        history.append(line, limit: historyLimit())
    }

    /// The TAB handler: completes the word before the cursor; when several
    /// candidates remain and share nothing more, lists them.
    private static func complete(_ el: OpaquePointer, _ completer: Completer) -> UInt8 {
        guard let info = sfsh_el_line(el)?.pointee else { return UInt8(CC_ERROR) }
        let length = info.cursor - info.buffer
        let before = String(decoding: UnsafeRawBufferPointer(start: info.buffer, count: length), as: UTF8.self)
        let result = completer.complete(before)
        if !result.insertion.isEmpty {
            if result.deleteCount > 0 { sfsh_el_deletestr(el, Int32(result.deleteCount)) }
            sfsh_el_insertstr(el, result.insertion)
            return UInt8(CC_REFRESH)
        }
        if result.candidates.count > 1 {
            let listing = "\n" + Completer.columns(result.candidates, width: TerminalSize.columns() ?? 80)
            FileHandle.standardOutput.write(Data(listing.utf8))
            return UInt8(CC_REDISPLAY)
        }
        return UInt8(CC_ERROR)
    }
}

/// The terminal's size.
public enum TerminalSize {
    /// Columns of the terminal on stdout, else `COLUMNS`, else nil.
    public static func columns() -> Int? {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            return Int(size.ws_col)
        }
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let value = Int(text), value > 0 {
            return value
        }
        return nil
    }
}
