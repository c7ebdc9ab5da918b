import Foundation
import SyncEngine

/// Which words of a command line carry a secret (SPEC §4.2), judged from the
/// lexed words whatever the command is (a typo of it included), so a line that
/// carries one is never saved to history and its secret never echoed in an error.
enum SecretWords {
    /// Options whose value is a secret. `--password` is a flag of `login` (the
    /// password is prompted for), but a word typed after it is taken as one.
    static let options: Set<String> = ["--token", "--password", "--client-secret", "--secret", "--refresh-token"]

    /// The secret values in one command's words.
    static func values(in words: [String]) -> [String] {
        var secrets: [String] = []
        let secretSettings = Set(SettingsRegistry.all.filter(\.secret).map(\.key))
        for (index, word) in words.enumerated() {
            let lowered = word.lowercased()
            if let equals = lowered.firstIndex(of: "="), options.contains(String(lowered[..<equals])) {
                let value = String(word[word.index(after: equals)...])
                if !value.isEmpty { secrets.append(value) }
                continue
            }
            let takesValue = options.contains(lowered) || (index > 0 && secretSettings.contains(lowered))
            guard takesValue, index + 1 < words.count else { continue }
            let next = words[index + 1]
            if !next.hasPrefix("--") || next.count > 2 && !next.dropFirst(2).allSatisfy({ $0.isLetter || $0 == "-" }) {
                secrets.append(next)
            }
        }
        // A word shaped like a Salesforce access token is a secret wherever it is typed (`login 00D…!…`), and so
        // is an sfdx auth URL (`force://…`, it carries a refresh token).
        secrets += words.filter { isTokenShaped($0) || $0.lowercased().contains("force://") }
        return secrets.filter { !$0.isEmpty }
    }

    /// `00D` + the org id's 12 or 15 characters + `!` + the session part (as Salesforce issues access tokens),
    /// alone or after `=`.
    static func isTokenShaped(_ word: String) -> Bool {
        let text = word.split(separator: "=", maxSplits: 1).last.map(Substring.init) ?? Substring(word)
        guard text.hasPrefix("00D"), let bang = text.firstIndex(of: "!") else { return false }
        let orgPart = text[text.index(text.startIndex, offsetBy: 3)..<bang]
        let session = text[text.index(after: bang)...]
        return (12...15).contains(orgPart.count) && orgPart.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
            && session.count >= 20 && session.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_") }
    }

    /// The secret values anywhere on a line (every command of it), lexed leniently.
    static func values(inLine line: String) -> [String] {
        Lexer.splitLenient(line).flatMap(values(in:))
    }
}

extension ShellError {
    /// The error with every secret value replaced, so no message repeats one.
    func redacting(_ secrets: [String]) -> ShellError {
        guard !secrets.isEmpty else { return self }
        func clean(_ text: String) -> String {
            secrets.sorted { $0.count > $1.count }.reduce(text) { text, secret in
                text.replacingOccurrences(of: secret, with: "(redacted)")
                    .replacingOccurrences(of: Invocation.excerpt(secret), with: "(redacted)")
            }
        }
        var copy = self
        copy.message = clean(message)
        copy.hint = hint.map(clean)
        return copy
    }
}
