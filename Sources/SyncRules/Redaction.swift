public import JSON
import Foundation

/// What a support bundle may carry (issue 24): no secret ever, and no record value unless asked for, then hashed.
/// Pure rules; the hash (a keyed HMAC, its key never written) is the caller's.
public enum Redaction {
    /// What a removed secret reads as.
    public static let marker = "[redacted]"

    /// Words in a setting's key that say its value is a secret (besides the settings declared secret).
    static let secretWords = ["secret", "token", "password", "passwd", "private", "apikey", "api_key", "session", "cookie",
                              "credential", "signature"]

    /// Whether a setting called `key` holds a secret by its name.
    public static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return secretWords.contains { lowered.contains($0) }
    }

    /// Describe types whose values a bundle's sample records keep as they are: ids, flags, numbers, dates and
    /// picklist choices (the org's shape). Every other value — names, emails, phones, addresses, free text — is
    /// hashed.
    static let keptTypes: Set<String> = ["id", "reference", "boolean", "int", "long", "double", "currency", "percent",
                                         "date", "datetime", "time", "picklist", "multipicklist"]

    public static func keepsValue(ofType type: String) -> Bool { keptTypes.contains(type) }

    /// A sample record as a bundle carries it: each field kept or hashed by its describe type (`types`; a field the
    /// describe does not show is hashed), `attributes` dropped, nulls kept, the text of a kept value scrubbed.
    public static func record(_ record: JSONValue, types: [String: String], hash: (String) -> String) -> JSONValue {
        guard case let .object(fields) = record else { return .null }
        return .object(fields.compactMap { name, value -> (String, JSONValue)? in
            guard name != "attributes" else { return nil }
            if value == .null { return (name, .null) }
            if let type = types[name], keepsValue(ofType: type) { return (name, scrub(value, hash: hash)) }
            if case let .string(text) = value { return (name, .string(hash(text))) }
            return (name, .string(hash(value.serialized())))
        })
    }

    /// Every string of `value` scrubbed (`scrub(_: String)`); keys are left alone.
    public static func scrub(_ value: JSONValue, hash: (String) -> String) -> JSONValue {
        switch value {
        case let .string(text): .string(scrub(text, hash: hash))
        case let .array(items): .array(items.map { scrub($0, hash: hash) })
        case let .object(pairs): .object(pairs.map { ($0.0, scrub($0.1, hash: hash)) })
        default: value
        }
    }

    /// `text` with what looks secret replaced by `[redacted]` — Salesforce access tokens (`00D…!…`), the word after
    /// `Bearer`, JWTs (`eyJ….eyJ….…`), sfdx auth URLs (`force://…`), and long opaque runs of mixed letters and
    /// digits (refresh tokens, keys) — and every email address replaced by its hash.
    public static func scrub(_ text: String, hash: (String) -> String) -> String {
        guard !text.isEmpty else { return text }
        let text = withoutQuotedValues(text)
        var out = ""
        var previous = ""
        for word in words(text) {
            if word.isSpace {
                out += word.text
                continue
            }
            var piece = word.text
            if previous.lowercased() == "bearer" || previous.lowercased() == "oauth" || isSecretShaped(piece) {
                piece = marker
            } else {
                piece = replacingEmails(piece, hash: hash)
            }
            previous = word.text
            out += piece
        }
        return out
    }

    /// Salesforce's messages that quote the value they refused, each followed by it (and then, for some, a closing
    /// ` (max length=…)` or the end of the message).
    static let valueQuotingPhrases = ["data value too large:", "bad value for restricted picklist field:", "invalid email address:",
                                      "value not of required type:", "invalid integer:", "invalid double:", "invalid date:",
                                      "invalid boolean:", "duplicate value found:"]

    /// `text` with the value a Salesforce message quotes cut out (`Company: data value too large: [value removed]
    /// (max length=255)`): a record value never rides into a bundle in an error.
    static func withoutQuotedValues(_ text: String) -> String {
        var text = text
        var searchStart = text.startIndex
        while let phrase = valueQuotingPhrases.lazy.compactMap({ phrase in
            text.range(of: phrase, options: .caseInsensitive, range: searchStart..<text.endIndex)
        }).min(by: { $0.lowerBound < $1.lowerBound }) {
            let rest = text[phrase.upperBound...]
            // The value runs to the closing ` (max length=…)`, the end of the line, or the end.
            let end = rest.range(of: " (max length")?.lowerBound ?? rest.firstIndex(of: "\n") ?? text.endIndex
            let replacement = " [value removed]"
            text.replaceSubrange(phrase.upperBound..<end, with: replacement)
            searchStart = text.index(phrase.upperBound, offsetBy: replacement.count)
        }
        return text
    }

    /// Whether a run of text without spaces is a secret by its shape.
    static func isSecretShaped(_ word: String) -> Bool {
        let text = trimmed(word)
        if text.lowercased().contains("force://") { return true }
        if let bang = text.firstIndex(of: "!"), text.hasPrefix("00D") || text.contains("=00D") {
            return text[text.index(after: bang)...].count >= 16
        }
        if text.contains("eyJ"), text.split(separator: ".", omittingEmptySubsequences: false).count == 3 { return true }
        // Long opaque runs: many letters of both cases and many digits, no path or field-name shape.
        var (upper, lower, digits, other) = (0, 0, 0, 0)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "A"..."Z": upper += 1
            case "a"..."z": lower += 1
            case "0"..."9": digits += 1
            case ".", "_", "-", "+", "=", "!": break
            default: other += 1
            }
        }
        return text.count >= 32 && other == 0 && upper >= 4 && lower >= 4 && digits >= 4 && !text.contains("__")
    }

    /// The word without the punctuation that may close a sentence or a quote around it.
    static func trimmed(_ word: String) -> String {
        String(word.drop { "\"'(<[{".contains($0) }.reversed().drop { "\"',;:)>]}.".contains($0) }.reversed())
    }

    static func replacingEmails(_ word: String, hash: (String) -> String) -> String {
        guard word.contains("@") else { return word }
        let core = trimmed(word)
        guard let at = core.firstIndex(of: "@"), at != core.startIndex else { return word }
        let domain = core[core.index(after: at)...]
        guard domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."),
              core.allSatisfy({ $0.isLetter || $0.isNumber || "._%+-@'".contains($0) }) else { return word }
        return word.replacingOccurrences(of: core, with: hash(core))
    }

    struct Word {
        let text: String
        let isSpace: Bool
    }

    /// `text` cut into runs of spaces and runs of everything else, in order.
    static func words(_ text: String) -> [Word] {
        var words: [Word] = []
        var current = ""
        var inSpace = false
        for character in text {
            let space = character.isWhitespace
            if !current.isEmpty && space != inSpace {
                words.append(Word(text: current, isSpace: inSpace))
                current = ""
            }
            inSpace = space
            current.append(character)
        }
        if !current.isEmpty { words.append(Word(text: current, isSpace: inSpace)) }
        return words
    }
}
