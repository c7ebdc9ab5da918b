/// The parsed form of a SOQL query (the subset of SPEC §8).
public struct SOQLQuery: Sendable, Equatable {
    public var select: [SelectItem]
    public var object: Located<String>
    public var condition: SOQLCondition?
    public var orderBy: [OrderItem] = []
    public var limit: Int?
    public var offset: Int?

    /// Whether this is `SELECT COUNT() FROM …`.
    public var isCount: Bool { select == [.count(nil)] }
}

/// A value with where it was in the text (row and column from 1), for errors.
public struct Located<Value: Sendable & Equatable>: Sendable, Equatable {
    public var value: Value
    public var row: Int
    public var column: Int
}

public enum SelectItem: Sendable, Equatable {
    /// A field or a parent path such as `Account.Owner.Name`.
    case field(Located<[String]>)
    /// `COUNT()` (nil) or `COUNT(field)`.
    case count(Located<[String]>?)
    /// `(SELECT … FROM Contacts …)`: a parent-to-child subquery, FROM naming the child relationship.
    case subquery(SOQLQuery)
}

public struct OrderItem: Sendable, Equatable {
    public var path: Located<[String]>
    public var descending: Bool
    public var nullsLast: Bool
}

public indirect enum SOQLCondition: Sendable, Equatable {
    case and(SOQLCondition, SOQLCondition)
    case or(SOQLCondition, SOQLCondition)
    case not(SOQLCondition)
    case compare(Located<[String]>, ComparisonOperator, SOQLLiteral)
    case inList(Located<[String]>, [SOQLLiteral], negated: Bool)
    case includes(Located<[String]>, [String], excludes: Bool)
}

public enum ComparisonOperator: String, Sendable, Equatable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case like = "LIKE"
}

public enum SOQLLiteral: Sendable, Equatable {
    case string(String)
    case number(Double)
    case boolean(Bool)
    case null
    /// `YYYY-MM-DD`
    case date(String)
    /// A date-time normalised to UTC, `YYYY-MM-DDTHH:MM:SS.sss+0000`.
    case dateTime(String)
    /// `TODAY`, `LAST_N_DAYS:7` and the like.
    case dateLiteral(String, Int?)
}

/// A query the simulator rejects, with Salesforce's error code and message.
public struct SOQLError: Error, Sendable, Equatable {
    public let code: String
    public let message: String
}
