public import Foundation

/// Salesforce's date-times as text: read in every form its answers use (`2024-05-01T09:00:00.000+0000`, `…Z`,
/// `…+00:00`, with or without milliseconds), written in the form its URLs take (`2024-05-01T09:00:00Z`).
public enum DateTimeText {
    /// The date of `text`; nil when it is not a date-time.
    public static func parse(_ text: String) -> Date? {
        var text = text
        if text.count > 5, let sign = text.dropLast(4).last, sign == "+" || sign == "-", text.suffix(4).allSatisfy(\.isNumber) {
            text.insert(":", at: text.index(text.endIndex, offsetBy: -2))
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// `date` in whole seconds, UTC (`2024-05-01T09:00:00Z`), seconds rounded down.
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)))
    }
}
