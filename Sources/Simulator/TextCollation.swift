import Foundation
import GRDB

/// How sfsim compares text as SOQL does: without case, for every script, not
/// only ASCII (SQLite's NOCASE folds A–Z alone, so `ünï@` and `ÜNÏ@` were two
/// people). Ordering is by the case-folded text's UTF-8 bytes; ASCII pairs, by
/// far the most common, are compared in place without allocating.
enum TextCollation {
    static let name = "SFSIM_NOCASE"

    static let collation = DatabaseCollation(name) { left, right in compare(left, right) }

    static func compare(_ left: String, _ right: String) -> ComparisonResult {
        var a = left.utf8.makeIterator()
        var b = right.utf8.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return .orderedSame
            case (nil, _): return .orderedAscending
            case (_, nil): return .orderedDescending
            case let (x?, y?):
                if x >= 0x80 || y >= 0x80 { return slow(left, right) }
                let lx = (0x41...0x5A).contains(x) ? x | 0x20 : x
                let ly = (0x41...0x5A).contains(y) ? y | 0x20 : y
                if lx != ly { return lx < ly ? .orderedAscending : .orderedDescending }
            }
        }
    }

    /// Any non-ASCII text: the case-folded forms (final sigma as sigma, the Kelvin sign as k), byte by byte;
    /// folding is context-free and folds ASCII as the fast path does, so both paths make one order.
    static func slow(_ left: String, _ right: String) -> ComparisonResult {
        let l = Array(left.folding(options: .caseInsensitive, locale: nil).utf8)
        let r = Array(right.folding(options: .caseInsensitive, locale: nil).utf8)
        if l == r { return .orderedSame }
        return l.lexicographicallyPrecedes(r) ? .orderedAscending : .orderedDescending
    }
}
