import Foundation

/// Parses SOQL text into a `SOQLQuery`, failing the way Salesforce does:
/// `MALFORMED_QUERY` with "unexpected token: X" for syntax errors.
public struct SOQLParser {
    enum Kind: Equatable {
        case word, string, number, dateValue, symbol, end
    }

    struct Token: Equatable {
        var kind: Kind
        var text: String
        var row: Int
        var column: Int

        var upper: String { text.uppercased() }
    }

    let source: String
    var tokens: [Token] = []
    var index = 0
    var depth = 0

    /// Salesforce's limit on the length of a SOQL statement.
    public static let longestStatement = 100_000
    /// How deep parentheses and NOT may nest (each level is a level of recursion here and in the compiler).
    static let deepestNesting = 100

    public static func parse(_ text: String) throws(SOQLError) -> SOQLQuery {
        guard text.utf8.count <= longestStatement else {
            throw SOQLError(code: "MALFORMED_QUERY",
                            message: "SOQL statements can not be longer than \(longestStatement) characters")
        }
        var parser = SOQLParser(source: text)
        try parser.tokenize()
        return try parser.query()
    }

    init(source: String) { self.source = source }

    // MARK: Tokens

    mutating func tokenize() throws(SOQLError) {
        let chars = Array(source)
        var i = 0
        var row = 1
        var lineStart = 0
        func isWordChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." }
        while i < chars.count {
            let c = chars[i]
            let column = i - lineStart + 1
            if c == "\n" {
                row += 1
                i += 1
                lineStart = i
                continue
            }
            if c.isWhitespace { i += 1; continue }
            if c == "'" {
                var value = ""
                i += 1
                var closed = false
                while i < chars.count {
                    let d = chars[i]
                    if d == "\\", i + 1 < chars.count {
                        let e = chars[i + 1]
                        switch e {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        case "r": value.append("\r")
                        case "b": value.append("\u{8}")
                        case "f": value.append("\u{C}")
                        default: value.append(e)
                        }
                        i += 2
                        continue
                    }
                    if d == "'" { closed = true; i += 1; break }
                    value.append(d)
                    i += 1
                }
                guard closed else {
                    throw SOQLError(code: "MALFORMED_QUERY", message: "line \(row):\(column) no viable alternative at character '''")
                }
                tokens.append(Token(kind: .string, text: value, row: row, column: column))
                continue
            }
            if c.isNumber || ((c == "-" || c == "+") && i + 1 < chars.count && chars[i + 1].isNumber) {
                var j = i + 1
                while j < chars.count, chars[j].isNumber || chars[j] == "." { j += 1 }
                // Date and date-time literals start like numbers: 2024-01-31, 2024-01-31T10:00:00Z.
                if j - i == 4, j < chars.count, chars[j] == "-", c != "-", c != "+" {
                    var k = j
                    while k < chars.count, chars[k].isNumber || "-T:.Z+".contains(chars[k]) {
                        if (chars[k] == "+" || chars[k] == "-") && k + 1 < chars.count && !chars[k + 1].isNumber { break }
                        k += 1
                    }
                    tokens.append(Token(kind: .dateValue, text: String(chars[i..<k]), row: row, column: column))
                    i = k
                    continue
                }
                tokens.append(Token(kind: .number, text: String(chars[i..<j]), row: row, column: column))
                i = j
                continue
            }
            if c.isLetter || c == "_" {
                var j = i + 1
                while j < chars.count, isWordChar(chars[j]) { j += 1 }
                tokens.append(Token(kind: .word, text: String(chars[i..<j]), row: row, column: column))
                i = j
                continue
            }
            let two = i + 1 < chars.count ? String([c, chars[i + 1]]) : ""
            if ["!=", "<>", "<=", ">="].contains(two) {
                tokens.append(Token(kind: .symbol, text: two == "<>" ? "!=" : two, row: row, column: column))
                i += 2
                continue
            }
            if "=<>(),:".contains(c) {
                tokens.append(Token(kind: .symbol, text: String(c), row: row, column: column))
                i += 1
                continue
            }
            throw SOQLError(code: "MALFORMED_QUERY", message: "line \(row):\(column) no viable alternative at character '\(c)'")
        }
        tokens.append(Token(kind: .end, text: "<EOF>", row: row, column: chars.count - lineStart + 1))
    }

    var current: Token { tokens[index] }

    mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    func unexpected(_ token: Token) -> SOQLError {
        SOQLError(code: "MALFORMED_QUERY", message: "unexpected token: \(token.kind == .string ? "'\(token.text)'" : token.text)")
    }

    mutating func expectKeyword(_ keyword: String) throws(SOQLError) {
        guard current.kind == .word, current.upper == keyword else { throw unexpected(current) }
        _ = advance()
    }

    mutating func expectSymbol(_ symbol: String) throws(SOQLError) {
        guard current.kind == .symbol, current.text == symbol else { throw unexpected(current) }
        _ = advance()
    }

    func isKeyword(_ keyword: String) -> Bool { current.kind == .word && current.upper == keyword }

    static let reserved: Set<String> = ["SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "ORDER", "BY", "LIMIT",
                                        "OFFSET", "LIKE", "IN", "INCLUDES", "EXCLUDES", "NULL", "TRUE", "FALSE",
                                        "ASC", "DESC", "NULLS", "FIRST", "LAST", "GROUP", "HAVING"]

    mutating func path() throws(SOQLError) -> Located<[String]> {
        let token = current
        guard token.kind == .word, !Self.reserved.contains(token.upper) else { throw unexpected(token) }
        _ = advance()
        let parts = token.text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.contains(where: \.isEmpty) else { throw unexpected(token) }
        return Located(value: parts, row: token.row, column: token.column)
    }

    // MARK: Grammar

    /// A query; `nested`: a parent-to-child subquery, which ends at its `)`.
    mutating func query(nested: Bool = false) throws(SOQLError) -> SOQLQuery {
        try expectKeyword("SELECT")
        var items: [SelectItem] = []
        repeat {
            if isKeyword("COUNT"), tokens[index + 1].text == "(" {
                _ = advance()
                try expectSymbol("(")
                if current.text == ")" {
                    _ = advance()
                    items.append(.count(nil))
                } else {
                    let field = try path()
                    try expectSymbol(")")
                    items.append(.count(field))
                }
            } else if current.text == "(", !nested {
                _ = advance()
                items.append(.subquery(try query(nested: true)))
                try expectSymbol(")")
            } else {
                items.append(.field(try path()))
            }
            guard current.text == "," else { break }
            _ = advance()
        } while true
        if items.contains(.count(nil)) && items.count > 1 { throw unexpected(current) }
        try expectKeyword("FROM")
        let objectToken = current
        guard objectToken.kind == .word, !Self.reserved.contains(objectToken.upper),
              nested || !objectToken.text.contains(".") else { throw unexpected(objectToken) }
        _ = advance()
        var query = SOQLQuery(select: items, object: Located(value: objectToken.text, row: objectToken.row,
                                                             column: objectToken.column))
        if isKeyword("WHERE") {
            _ = advance()
            query.condition = try orExpression()
        }
        if isKeyword("GROUP") || isKeyword("HAVING") {
            throw SOQLError(code: "MALFORMED_QUERY", message: "sfsim does not support GROUP BY or HAVING")
        }
        if isKeyword("ORDER") {
            _ = advance()
            try expectKeyword("BY")
            repeat {
                var item = OrderItem(path: try path(), descending: false, nullsLast: false)
                if isKeyword("ASC") { _ = advance() } else if isKeyword("DESC") { _ = advance(); item.descending = true }
                if isKeyword("NULLS") {
                    _ = advance()
                    if isKeyword("FIRST") { _ = advance(); item.nullsLast = false } else {
                        try expectKeyword("LAST")
                        item.nullsLast = true
                    }
                } else {
                    // Salesforce: nulls first ascending, last descending.
                    item.nullsLast = item.descending
                }
                query.orderBy.append(item)
                guard current.text == "," else { break }
                _ = advance()
            } while true
        }
        if isKeyword("LIMIT") {
            _ = advance()
            query.limit = try wholeNumber()
        }
        if isKeyword("OFFSET") {
            _ = advance()
            query.offset = try wholeNumber()
        }
        guard nested ? current.text == ")" : current.kind == .end else { throw unexpected(current) }
        return query
    }

    mutating func wholeNumber() throws(SOQLError) -> Int {
        let token = current
        guard token.kind == .number, let value = Int(token.text), value >= 0 else { throw unexpected(token) }
        _ = advance()
        return value
    }

    mutating func orExpression() throws(SOQLError) -> SOQLCondition {
        var terms = [try andExpression()]
        while isKeyword("OR") {
            _ = advance()
            terms.append(try andExpression())
        }
        return Self.balanced(terms[...], SOQLCondition.or)
    }

    mutating func andExpression() throws(SOQLError) -> SOQLCondition {
        var terms = [try notExpression()]
        while isKeyword("AND") {
            _ = advance()
            terms.append(try notExpression())
        }
        return Self.balanced(terms[...], SOQLCondition.and)
    }

    /// A chain `a AND b AND c …` as a balanced tree: the same meaning (AND and OR
    /// associate), but logarithmic depth, so long chains cannot exhaust the stack.
    static func balanced(_ terms: ArraySlice<SOQLCondition>, _ join: (SOQLCondition, SOQLCondition) -> SOQLCondition) -> SOQLCondition {
        if terms.count == 1 { return terms[terms.startIndex] }
        let middle = terms.startIndex + terms.count / 2
        return join(balanced(terms[..<middle], join), balanced(terms[middle...], join))
    }

    mutating func notExpression() throws(SOQLError) -> SOQLCondition {
        let nested = isKeyword("NOT") || (current.text == "(" && current.kind == .symbol)
        if nested {
            depth += 1
            guard depth <= Self.deepestNesting else {
                throw SOQLError(code: "MALFORMED_QUERY", message: "line \(current.row):\(current.column) conditions nest deeper than \(Self.deepestNesting) levels")
            }
        }
        defer { if nested { depth -= 1 } }
        if isKeyword("NOT") {
            _ = advance()
            return .not(try notExpression())
        }
        if current.text == "(" && current.kind == .symbol {
            _ = advance()
            let inner = try orExpression()
            try expectSymbol(")")
            return inner
        }
        return try predicate()
    }

    mutating func predicate() throws(SOQLError) -> SOQLCondition {
        let field = try path()
        if isKeyword("NOT") {
            _ = advance()
            try expectKeyword("IN")
            return .inList(field, try literalList(), negated: true)
        }
        if isKeyword("IN") {
            _ = advance()
            return .inList(field, try literalList(), negated: false)
        }
        if isKeyword("INCLUDES") || isKeyword("EXCLUDES") {
            let excludes = advance().upper == "EXCLUDES"
            let values = try literalList()
            var strings: [String] = []
            for value in values {
                guard case let .string(text) = value else {
                    throw SOQLError(code: "MALFORMED_QUERY", message: "INCLUDES and EXCLUDES take quoted strings")
                }
                strings.append(text)
            }
            return .includes(field, strings, excludes: excludes)
        }
        if isKeyword("LIKE") {
            _ = advance()
            return .compare(field, .like, try literal())
        }
        let token = current
        guard token.kind == .symbol, let op = ComparisonOperator(rawValue: token.text) else { throw unexpected(token) }
        _ = advance()
        return .compare(field, op, try literal())
    }

    mutating func literalList() throws(SOQLError) -> [SOQLLiteral] {
        try expectSymbol("(")
        var values: [SOQLLiteral] = []
        repeat {
            values.append(try literal())
            guard current.text == "," else { break }
            _ = advance()
        } while true
        try expectSymbol(")")
        return values
    }

    static let dateLiterals: Set<String> = ["TODAY", "YESTERDAY", "TOMORROW", "LAST_WEEK", "THIS_WEEK", "NEXT_WEEK",
                                            "LAST_MONTH", "THIS_MONTH", "NEXT_MONTH", "LAST_YEAR", "THIS_YEAR",
                                            "NEXT_YEAR"]
    /// The largest N of the `_N_DAYS` and `_N_MONTHS` literals: about the 2,300 years Salesforce's dates span.
    static let longestDaySpan = 840_000
    static let longestMonthSpan = 27_600

    static let dateLiteralsWithN: Set<String> = ["LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "LAST_N_MONTHS",
                                                 "NEXT_N_MONTHS"]

    mutating func literal() throws(SOQLError) -> SOQLLiteral {
        let token = advance()
        switch token.kind {
        case .string: return .string(token.text)
        case .number:
            guard let value = Double(token.text) else { throw unexpected(token) }
            return .number(value)
        case .dateValue:
            if let date = Self.normalizeDate(token.text) { return .date(date) }
            if let dateTime = Self.normalizeDateTime(token.text) { return .dateTime(dateTime) }
            throw SOQLError(code: "MALFORMED_QUERY", message: "line \(token.row):\(token.column) invalid date: \(token.text)")
        case .word:
            switch token.upper {
            case "NULL": return .null
            case "TRUE": return .boolean(true)
            case "FALSE": return .boolean(false)
            case _ where Self.dateLiterals.contains(token.upper): return .dateLiteral(token.upper, nil)
            case _ where Self.dateLiteralsWithN.contains(token.upper):
                try expectSymbol(":")
                let number = current
                let n = try wholeNumber()
                // Salesforce's dates run from 1700 to 4000: an N beyond that span names no date.
                let limit = token.upper.hasSuffix("MONTHS") ? Self.longestMonthSpan : Self.longestDaySpan
                guard n <= limit else {
                    throw SOQLError(code: "MALFORMED_QUERY",
                                    message: "line \(number.row):\(number.column) \(token.upper):\(number.text) is out of range (at most \(limit))")
                }
                return .dateLiteral(token.upper, n)
            default: throw unexpected(token)
            }
        default: throw unexpected(token)
        }
    }

    static func normalizeDate(_ text: String) -> String? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        return text
    }

    /// Accepts `YYYY-MM-DDThh:mm:ss[.sss](Z|±hh:mm|±hhmm)` and returns it in UTC as Salesforce prints it.
    static func normalizeDateTime(_ text: String) -> String? {
        guard let date = SimDates.parseDateTime(text) else { return nil }
        return SimDates.format(date)
    }
}
