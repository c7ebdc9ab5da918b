import Foundation

/// The write-back rule (SPEC §6.1): a local activity becomes a Salesforce
/// `Note` on its contact: `Title` at most 80 characters naming the kind and the
/// subject, `Body` at most 32,000 characters, cut with a marker.
///
/// Lengths are counted as Salesforce counts them (UTF-16 code units), and a
/// cut never splits a character.
public enum ActivityNote {
    /// The activity kinds, in the order they are listed.
    public static let kinds = ["note", "email", "call", "card", "text"]
    public static let titleLimit = 80
    public static let bodyLimit = 32_000

    /// How a kind is named in a Note's title.
    public static func label(_ kind: String) -> String {
        switch kind {
        case "note": "Note"
        case "email": "Email"
        case "call": "Call"
        case "card": "Handwritten card"
        case "text": "Text message"
        default: kind.capitalized
        }
    }

    public struct Note: Sendable, Equatable {
        public var title: String
        public var body: String
        /// Whether the title or the body had to be cut.
        public var titleCut: Bool
        public var bodyCut: Bool
    }

    /// The Note of an activity. Without a subject the title names the kind and the
    /// text's first line.
    public static func note(kind: String, subject: String?, text: String) -> Note {
        let subjectText = subject?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let firstLine = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let topic = subjectText.isEmpty ? firstLine : subjectText
        let fullTitle = topic.isEmpty ? label(kind) : "\(label(kind)): \(topic)"
        let (title, titleCut) = cut(fullTitle, limit: titleLimit, marker: "...")
        let marker = "\n[cut by sfsh: the activity is \(text.utf16.count) characters long; Salesforce keeps \(bodyLimit)]"
        let (body, bodyCut) = cut(text, limit: bodyLimit, marker: marker)
        return Note(title: title, body: body, titleCut: titleCut, bodyCut: bodyCut)
    }

    /// `text` if it fits in `limit` UTF-16 code units, else its longest prefix of whole
    /// characters that fits with `marker` after it.
    public static func cut(_ text: String, limit: Int, marker: String) -> (String, Bool) {
        guard text.utf16.count > limit else { return (text, false) }
        let room = limit - marker.utf16.count
        var kept = ""
        var used = 0
        for character in text {
            let size = character.utf16.count
            if used + size > room { break }
            kept.append(character)
            used += size
        }
        return (kept + marker, true)
    }
}
