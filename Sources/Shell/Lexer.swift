import SyncEngine
/// Splits shell input into commands and words (SPEC §3.2).
///
/// Words are separated by blanks; single quotes keep everything literally,
/// double quotes allow `\"`, `\\`, `\$` and `` \` `` escapes, a backslash
/// outside quotes escapes the next character. `#` at the start of a word
/// begins a comment, `;` separates commands. A command that starts with
/// `SELECT` (any case), or `query SELECT`, keeps its SOQL text verbatim up to
/// the first `;` outside a SOQL string, so quotes in the query survive;
/// trailing `--options` are peeled off it.
public enum Lexer {
    public struct Error: Swift.Error, Equatable, Sendable {
        public let message: String
    }

    /// Whether a physical line asks to be continued on the next one (it ends in
    /// an unescaped backslash).
    public static func continues(_ line: String) -> Bool {
        var count = 0
        for scalar in line.unicodeScalars.reversed() {
            guard scalar == "\\" else { break }
            count += 1
        }
        return count % 2 == 1
    }

    /// Removes the continuation backslash from a line that `continues`.
    public static func dropContinuation(_ line: String) -> String {
        var scalars = line.unicodeScalars
        scalars.removeLast()
        return String(scalars)
    }

    /// The commands of one logical line, each as its words. Empty commands
    /// (blank, comment-only, `;;`) are left out.
    public static func split(_ line: String) throws(Error) -> [[String]] {
        try split(line, lenient: false)
    }

    /// Like `split`, but an unterminated quote runs to the end of the line
    /// instead of failing: for deciding things about lines that may be malformed.
    public static func splitLenient(_ line: String) -> [[String]] {
        (try? split(line, lenient: true)) ?? []
    }

    private static func split(_ line: String, lenient: Bool) throws(Error) -> [[String]] {
        let scalars = Array(line.unicodeScalars)
        var commands: [[String]] = []
        var index = 0
        while index < scalars.count {
            index = skipBlanks(scalars, from: index)
            if let (query, next) = try rawQuery(scalars, from: index, lenient: lenient) {
                commands.append(query)
                index = next
                continue
            }
            let (words, next) = try words(scalars, from: index, lenient: lenient)
            if !words.isEmpty { commands.append(words) }
            index = next
        }
        return commands
    }

    private static func isBlank(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\n" || s == "\r"
    }

    private static func skipBlanks(_ s: [Unicode.Scalar], from start: Int) -> Int {
        var i = start
        while i < s.count, isBlank(s[i]) { i += 1 }
        return i
    }

    /// Reads words up to an unquoted `;`, the end, or a comment; returns the
    /// index after the separator.
    private static func words(_ s: [Unicode.Scalar], from start: Int, lenient: Bool) throws(Error) -> ([String], Int) {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        var inWord = false
        var i = start
        func finish() {
            if inWord { words.append(String(current)) }
            current = String.UnicodeScalarView()
            inWord = false
        }
        while i < s.count {
            let c = s[i]
            switch c {
            case _ where isBlank(c):
                finish()
                i += 1
            case ";":
                finish()
                return (words, i + 1)
            case "#" where !inWord:
                // A comment runs to the end of the line.
                return (words, s.count)
            case "\\":
                inWord = true
                if i + 1 < s.count {
                    current.append(s[i + 1])
                    i += 2
                } else {
                    i += 1
                }
            case "'":
                inWord = true
                i += 1
                let open = i
                while i < s.count, s[i] != "'" { i += 1 }
                current.append(contentsOf: s[open..<i])
                guard i < s.count || lenient else {
                    throw Error(message: "unterminated single quote (opened at column \(open))")
                }
                i += 1
            case "\"":
                inWord = true
                let open = i + 1
                i += 1
                while i < s.count, s[i] != "\"" {
                    if s[i] == "\\", i + 1 < s.count, "\"\\$`".unicodeScalars.contains(s[i + 1]) {
                        current.append(s[i + 1])
                        i += 2
                    } else {
                        current.append(s[i])
                        i += 1
                    }
                }
                guard i < s.count || lenient else {
                    throw Error(message: "unterminated double quote (opened at column \(open))")
                }
                i += 1
            default:
                inWord = true
                current.append(c)
                i += 1
            }
        }
        finish()
        return (words, i)
    }

    /// Recognises `SELECT …` and `query SELECT …` at `start`.
    private static func rawQuery(_ s: [Unicode.Scalar], from start: Int, lenient: Bool) throws(Error) -> ([String], Int)? {
        var i = start
        if startsWithKeyword(s, at: i, "query") {
            let afterQuery = skipBlanks(s, from: i + 5)
            guard afterQuery > i + 5, startsWithKeyword(s, at: afterQuery, "select") else { return nil }
            i = afterQuery
        } else if !startsWithKeyword(s, at: i, "select") {
            return nil
        }
        // SOQL strings are single-quoted with backslash escapes.
        var end = i
        var inString = false
        while end < s.count {
            let c = s[end]
            if inString {
                if c == "\\" { end += 1 } else if c == "'" { inString = false }
            } else if c == "'" {
                inString = true
            } else if c == ";" {
                break
            }
            end += 1
        }
        end = min(end, s.count)
        // An open SOQL string would swallow the rest of the line, `;` and all.
        if inString && !lenient {
            throw Error(message: "unterminated quote in the SOQL query (a SOQL string is 'text', with \\' for a quote inside)")
        }
        let text = String(String.UnicodeScalarView(s[i..<end]))
        let (soql, options) = peelOptions(text)
        return (["query", soql] + options, min(end + 1, s.count))
    }

    private static func startsWithKeyword(_ s: [Unicode.Scalar], at i: Int, _ keyword: String) -> Bool {
        let k = Array(keyword.unicodeScalars)
        guard i + k.count <= s.count else { return false }
        for (offset, expected) in k.enumerated() {
            guard s[i + offset].properties.lowercaseMapping == String(expected) else { return false }
        }
        return i + k.count == s.count || isBlank(s[i + k.count])
    }

    /// Splits trailing `--flag` and `--name VALUE` words off a SOQL text
    /// (SOQL itself never contains `--`); the SOQL keeps its own spacing.
    private static func peelOptions(_ text: String) -> (String, [String]) {
        let scalars = Array(text.unicodeScalars)
        var tokens: [Range<Int>] = []
        var i = 0
        while i < scalars.count {
            while i < scalars.count, isBlank(scalars[i]) { i += 1 }
            let begin = i
            while i < scalars.count, !isBlank(scalars[i]) { i += 1 }
            if i > begin { tokens.append(begin..<i) }
        }
        func word(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(scalars[r])) }
        var keep = tokens.count
        while keep > 0 {
            let last = word(tokens[keep - 1])
            if last.hasPrefix("--") {
                keep -= 1
            } else if keep >= 2, word(tokens[keep - 2]).hasPrefix("--"), !last.contains("'") {
                keep -= 2
            } else {
                break
            }
        }
        guard keep < tokens.count else { return (text.trimmingBlanks, []) }
        let cut = keep == 0 ? 0 : tokens[keep - 1].upperBound
        let soql = String(String.UnicodeScalarView(scalars[0..<cut])).trimmingBlanks
        return (soql, tokens[keep...].map(word))
    }
}

