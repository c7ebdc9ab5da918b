public import Foundation

/// Dates as Salesforce writes them: date-times in UTC with milliseconds and a
/// colon-less offset (`2011-07-07T00:37:00.000+0000`), dates as `YYYY-MM-DD`.
public enum SimDates {
    static let utc = TimeZone(secondsFromGMT: 0) ?? .current  // an offset of 0 always makes a zone

    static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        return calendar
    }

    public static func format(_ date: Date) -> String {
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var days = totalMillis / 86_400_000
        var millisOfDay = totalMillis % 86_400_000
        if millisOfDay < 0 {
            millisOfDay += 86_400_000
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        let seconds = millisOfDay / 1000
        var text = ""
        text.reserveCapacity(28)
        pad(&text, year, 4); text += "-"; pad(&text, month, 2); text += "-"; pad(&text, day, 2); text += "T"
        pad(&text, seconds / 3600, 2); text += ":"; pad(&text, seconds / 60 % 60, 2); text += ":"
        pad(&text, seconds % 60, 2); text += "."; pad(&text, millisOfDay % 1000, 3); text += "+0000"
        return text
    }

    public static func formatDate(_ date: Date) -> String {
        let days = Int64((date.timeIntervalSince1970 / 86_400).rounded(.down))
        let (year, month, day) = civil(fromDays: days)
        var text = ""
        pad(&text, year, 4); text += "-"; pad(&text, month, 2); text += "-"; pad(&text, day, 2)
        return text
    }

    private static func pad(_ text: inout String, _ value: Int64, _ width: Int) {
        let digits = String(value)
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }

    /// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's civil_from_days).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Parses `YYYY-MM-DDThh:mm[:ss[.fff]](Z|±hh:mm|±hhmm)`.
    public static func parseDateTime(_ text: String) -> Date? {
        let scalars = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= scalars.count else { return nil }
            var value = 0
            for byte in scalars[from..<from + count] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard scalars.count >= 16, let year = number(0, 4), scalars[4] == 45, let month = number(5, 2),
              scalars[7] == 45, let day = number(8, 2), scalars[10] == 84 || scalars[10] == 116,
              let hour = number(11, 2), scalars[13] == 58, let minute = number(14, 2)
        else { return nil }
        var index = 16
        var second = 0
        var fraction = 0.0
        if index < scalars.count, scalars[index] == 58 {
            guard let s = number(index + 1, 2) else { return nil }
            second = s
            index += 3
            if index < scalars.count, scalars[index] == 46 {
                index += 1
                var digits = 0
                var scale = 1.0
                while index < scalars.count, scalars[index] >= 48 && scalars[index] <= 57 {
                    scale /= 10
                    fraction += Double(scalars[index] - 48) * scale
                    digits += 1
                    index += 1
                }
                guard digits > 0 else { return nil }
            }
        }
        var offsetSeconds = 0
        if index < scalars.count {
            let sign = scalars[index]
            if sign == 90 || sign == 122 {  // Z
                index += 1
            } else if sign == 43 || sign == 45 {
                guard let hours = number(index + 1, 2) else { return nil }
                var minutesIndex = index + 3
                if minutesIndex < scalars.count, scalars[minutesIndex] == 58 { minutesIndex += 1 }
                guard let minutes = number(minutesIndex, 2) else { return nil }
                offsetSeconds = (hours * 3600 + minutes * 60) * (sign == 45 ? -1 : 1)
                index = minutesIndex + 2
            } else {
                return nil
            }
        } else {
            return nil  // Salesforce requires a zone
        }
        guard index == scalars.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
              second < 60 else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        components.hour = hour
        components.minute = minute
        components.second = second
        guard let base = calendar.date(from: components),
              calendar.component(.day, from: base) == day else { return nil }
        return base.addingTimeInterval(fraction - Double(offsetSeconds))
    }

    /// Parses `YYYY-MM-DD` (a real calendar day).
    public static func parseDate(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        guard (1...12).contains(month), let date = calendar.date(from: components),
              calendar.component(.day, from: date) == day else { return nil }
        return date
    }

    /// The start of the UTC day of `date`, moved by `days`.
    static func day(_ date: Date, plus days: Int) -> Date {
        // UTC has no daylight saving: a day is always 86,400 s, so this is plain arithmetic.
        let start = (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
        return Date(timeIntervalSince1970: start + Double(days) * 86_400)
    }
}
