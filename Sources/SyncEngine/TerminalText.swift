import SalesforceModel
import Foundation
import JSON

/// Width and cleaning of text for a terminal.
public enum TerminalText {
    /// Replaces control characters with visible escapes so one cell is one line, and bidi or
    /// zero-width characters with `<U+202E>`, so text reads as it is.
    public static func sanitize(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: TextSafety.mustEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case _ where TextSafety.isControl(scalar):
                out.append(contentsOf: String(format: "\\x%02X", scalar.value).unicodeScalars)
            case _ where TextSafety.isInvisible(scalar):
                out.append(contentsOf: String(format: "<U+%04X>", scalar.value).unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// `sanitize` line by line: the text's own line breaks stay, everything else is shown escaped.
    public static func sanitizeLines(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 != "\n" && TextSafety.mustEscape($0) }) else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { sanitize(String($0)) }
            .joined(separator: "\n")
    }

    public static func isControl(_ scalar: Unicode.Scalar) -> Bool { TextSafety.isControl(scalar) }

    /// Columns a string takes in a terminal: wide East Asian characters and
    /// emoji take two, combining marks none.
    public static func width(_ text: String) -> Int {
        text.reduce(0) { $0 + width(of: $1) }
    }

    public static func width(of character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        let v = first.value
        if character.unicodeScalars.count == 1 && first.properties.generalCategory == .nonspacingMark { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v)
        {
            return 2
        }
        return 1
    }

    /// Cuts `text` to at most `limit` columns, ending in `…` when cut.
    public static func truncate(_ text: String, to limit: Int) -> String {
        guard width(text) > limit else { return text }
        guard limit > 0 else { return "" }
        var out = ""
        var used = 0
        for character in text {
            let w = width(of: character)
            if used + w > limit - 1 { break }
            out.append(character)
            used += w
        }
        return out + "…"
    }
}
