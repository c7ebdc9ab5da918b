public import JSON

/// Why one output came out as it did: which source field, which rule, what value.
public struct TraceEntry: Sendable, Equatable {
    public var output: String
    /// The Salesforce field or profile attribute (or "—" for constants).
    public var source: String
    public var rule: String
    public var value: JSONValue

    public init(output: String, source: String, rule: String, value: JSONValue) {
        self.output = output
        self.source = source
        self.rule = rule
        self.value = value
    }

    public var json: JSONValue {
        .object([("output", .string(output)), ("source", .string(source)), ("rule", .string(rule)), ("value", value)])
    }
}

/// A configuration the rules cannot apply, naming the setting and field.
public struct RuleError: Error, Equatable, Sendable, CustomStringConvertible {
    public let setting: String
    public let field: String
    public let message: String

    public var description: String { message }
}
