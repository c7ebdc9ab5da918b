import Foundation
import GRDB

/// A SOQL query translated to SQL over the org's tables, with what is needed
/// to turn each row back into a Salesforce record.
struct CompiledQuery {
    /// A relationship joined in: `Account` of Contact, `Account.Owner`, …
    struct Join {
        let path: [String]  // canonical relationship names
        let object: ObjectDef
        let alias: String
    }

    /// One selected value: the joins leading to it (none for the queried object) and the field.
    struct Output {
        let joins: [Join]
        let field: FieldDef
        let object: ObjectDef
        /// Column prefix of the field's table in the result row, e.g. `t_` or `j1_`.
        let prefix: String
    }

    let object: ObjectDef
    var outputs: [Output] = []
    var joins: [Join] = []
    var selectColumns: [String] = []
    var fromSQL = ""
    var whereSQL = ""
    var arguments: [DatabaseValueConvertible?] = []
    var orderSQL = ""
    var limit: Int?
    var offset: Int?
    var isCount = false
    /// `COUNT(field)`: answered as one AggregateResult row.
    var countField: FieldDef?
    /// Parent-to-child subqueries, each answered per parent row under its relationship name.
    var children: [Child] = []

    struct Child {
        /// The relationship name as the describe lists it (`Contacts`).
        let key: String
        /// How many of the parent's outputs come before it in the select list.
        let position: Int
        /// The child's query, and its field that points at the parent.
        let query: CompiledQuery
        let parentField: String
    }
}

/// What the compiler needs to know about who asks and when.
struct QueryContext {
    let userID: String
    let viewAllData: Bool
    let includeDeleted: Bool
    let now: Date
}

struct SOQLCompiler {
    let source: String
    let schema: (String) -> ObjectDef?
    let context: QueryContext
    private var joins: [String: CompiledQuery.Join] = [:]
    private var joinOrder: [CompiledQuery.Join] = []

    init(source: String, schema: @escaping (String) -> ObjectDef?, context: QueryContext) {
        self.source = source
        self.schema = schema
        self.context = context
    }

    /// Salesforce's caret message: the row of the query, a caret under the column.
    func located(_ row: Int, _ column: Int, _ message: String) -> String {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let line = row - 1 < lines.count ? String(lines[row - 1]) : source
        return "\n\(line)\n\(String(repeating: " ", count: max(0, column - 1)))^\nERROR at Row:\(row):Column:\(column)\n\(message)"
    }

    func noSuchColumn<T>(_ path: Located<T>, name: String, object: String) -> APIError {
        APIError(status: 400, code: "INVALID_FIELD", message: located(path.row, path.column,
            "No such column '\(name)' on entity '\(object)'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."))
    }

    mutating func compile(_ query: SOQLQuery) throws(APIError) -> CompiledQuery {
        guard let object = schema(query.object.value), object.queryable else {
            throw APIError(status: 400, code: "INVALID_TYPE", message: located(query.object.row, query.object.column,
                "sObject type '\(query.object.value)' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."))
        }
        var compiled = CompiledQuery(object: object)
        var seen: Set<String> = []
        for item in query.select {
            switch item {
            case .count(nil):
                compiled.isCount = true
            case let .count(path?):
                let output = try resolve(path, from: object)
                compiled.countField = output.field
                compiled.outputs.append(output)
            case let .subquery(child):
                compiled.children.append(try subquery(child, of: object, position: compiled.outputs.count))
            case let .field(path):
                let output = try resolve(path, from: object)
                let key = (output.joins.map { $0.path.joined(separator: ".") }.last.map { $0 + "." } ?? "") + output.field.name
                guard seen.insert(key.lowercased()).inserted else {
                    throw APIError.malformedQuery("duplicate field selected: \(path.value.joined(separator: "."))")
                }
                compiled.outputs.append(output)
            }
        }
        var conditions: [String] = []
        var arguments: [DatabaseValueConvertible?] = []
        if object.field("IsDeleted") != nil && !context.includeDeleted { conditions.append("t.\"IsDeleted\" = 0") }
        if object.name == "UserPermissionAccess" {
            conditions.append("t.UserId = ?")
            arguments.append(context.userID)
        }
        if !context.viewAllData, object.field("OwnerId") != nil, object.name != "Note" {
            conditions.append("t.\"OwnerId\" = ?")
            arguments.append(context.userID)
        }
        if let condition = query.condition {
            let (sql, args) = try self.condition(condition, object: object)
            conditions.append("(\(sql))")
            arguments += args
        }
        var orders: [String] = []
        for item in query.orderBy {
            let output = try resolve(item.path, from: object)
            let column = "\(output.prefix.dropLast()).\"\(output.field.name)\""
            // Ids sort as they compare (case-sensitively), so `ORDER BY Id` and `Id > '…'` agree, as in Salesforce.
            let collate = output.field.type.isText && output.field.type != .id && output.field.type != .reference
                ? " COLLATE \(TextCollation.name)" : ""
            orders.append("\(column)\(collate) \(item.descending ? "DESC" : "ASC") NULLS \(item.nullsLast ? "LAST" : "FIRST")")
        }
        compiled.joins = joinOrder
        var fromSQL = "FROM \"\(object.name)\" t"
        for join in joinOrder {
            // resolve() added every prefix of a path before the path itself, so the parent is known.
            let parentPath = Array(join.path.dropLast())
            let parent = parentPath.isEmpty ? nil : joins[parentPath.joined(separator: ".").lowercased()]
            let parentObject = parent?.object ?? object
            guard let name = join.path.last, let field = parentObject.relationship(name) else {
                throw APIError.malformedQuery("cannot join \(join.path.joined(separator: "."))")
            }
            fromSQL += " LEFT JOIN \"\(join.object.name)\" \(join.alias) ON \(join.alias).Id = \(parent?.alias ?? "t").\"\(field.name)\""
        }
        compiled.fromSQL = fromSQL
        compiled.whereSQL = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        compiled.arguments = arguments
        compiled.orderSQL = orders.joined(separator: ", ")
        compiled.limit = query.limit
        compiled.offset = query.offset
        compiled.isCount = query.isCount
        // Each output column is read as <alias>_<Field>; each join's Id as <alias>_Id.
        var columns = ["t.rowid AS \"_rowid\"", "t.Id AS \"t_Id\""]
        for join in joinOrder { columns.append("\(join.alias).Id AS \"\(join.alias)_Id\"") }
        for output in compiled.outputs {
            let alias = String(output.prefix.dropLast())
            let parts = output.field.type == .address
                ? output.object.fields.filter { $0.compoundFieldName == output.field.name } : [output.field]
            for part in parts where part.name != "Id" {
                columns.append("\(alias).\"\(part.name)\" AS \"\(output.prefix)\(part.name)\"")
            }
        }
        var distinct = Set<String>()
        compiled.selectColumns = columns.filter { distinct.insert($0).inserted }
        return compiled
    }

    /// Resolves `Account.Owner.Name` from `object`, adding the joins it needs.
    mutating func resolve(_ path: Located<[String]>, from object: ObjectDef) throws(APIError) -> CompiledQuery.Output {
        var current = object
        var chain: [CompiledQuery.Join] = []
        var names: [String] = []
        var parts = path.value
        // A path may start with the object's own name: Contact.Name.
        if parts.count > 1, parts[0].lowercased() == object.name.lowercased(), object.relationship(parts[0]) == nil {
            parts.removeFirst()
        }
        for relationship in parts.dropLast() {
            guard let reference = current.relationship(relationship), let target = target(of: reference) else {
                throw APIError(status: 400, code: "INVALID_FIELD", message: located(path.row, path.column,
                    "Didn't understand relationship '\(relationship)' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."))
            }
            names.append(reference.relationshipName ?? relationship)
            let key = names.joined(separator: ".").lowercased()
            if let existing = joins[key] {
                chain.append(existing)
            } else {
                let join = CompiledQuery.Join(path: names, object: target, alias: "j\(joins.count + 1)")
                joins[key] = join
                joinOrder.append(join)
                chain.append(join)
            }
            current = target
        }
        guard let last = parts.last else { throw APIError.malformedQuery(located(path.row, path.column, "empty field path")) }
        guard let field = current.field(last) else {
            throw noSuchColumn(path, name: last, object: current.name)
        }
        return CompiledQuery.Output(joins: chain, field: field, object: current,
                                    prefix: (chain.last?.alias ?? "t") + "_")
    }

    func target(of reference: FieldDef) -> ObjectDef? {
        let name = reference.referenceTo.contains("User") ? "User" : reference.referenceTo.first
        return name.flatMap(schema)
    }

    mutating func condition(_ condition: SOQLCondition, object: ObjectDef) throws(APIError) -> (String, [DatabaseValueConvertible?]) {
        switch condition {
        case let .and(a, b):
            let (l, la) = try self.condition(a, object: object)
            let (r, ra) = try self.condition(b, object: object)
            return ("(\(l) AND \(r))", la + ra)
        case let .or(a, b):
            let (l, la) = try self.condition(a, object: object)
            let (r, ra) = try self.condition(b, object: object)
            return ("(\(l) OR \(r))", la + ra)
        case let .not(inner):
            let (sql, args) = try self.condition(inner, object: object)
            return ("NOT COALESCE(\(sql), 0)", args)
        case let .compare(path, op, literal):
            let output = try resolve(path, from: object)
            return try comparison(output, path: path, op, literal)
        case let .inList(path, literals, negated):
            let output = try resolve(path, from: object)
            let column = columnSQL(output)
            var values: [DatabaseValueConvertible?] = []
            for literal in literals {
                guard let value = try plainValue(literal, for: output.field, path: path) else {
                    throw APIError.malformedQuery("IN does not take null")
                }
                values.append(value)
            }
            let collate = output.field.type.isText && output.field.type != .id && output.field.type != .reference
                ? " COLLATE \(TextCollation.name)" : ""
            let list = Array(repeating: "?", count: values.count).joined(separator: ", ")
            return negated ? ("(\(column) IS NULL OR \(column)\(collate) NOT IN (\(list)))", values)
                : ("\(column)\(collate) IN (\(list))", values)
        case let .includes(path, terms, excludes):
            let output = try resolve(path, from: object)
            guard output.field.type == .multipicklist else {
                throw APIError.malformedQuery(located(path.row, path.column,
                    "\(excludes ? "excludes" : "includes") operator is only valid on multi-select picklist fields"))
            }
            let column = columnSQL(output)
            let any = terms.map { _ in "sfsim_includes(\(column), ?)" }.joined(separator: " OR ")
            let sql = excludes ? "(\(column) IS NULL OR NOT (\(any)))" : "(\(column) IS NOT NULL AND (\(any)))"
            return (sql, terms)
        }
    }

    func columnSQL(_ output: CompiledQuery.Output) -> String {
        "\(output.prefix.dropLast()).\"\(output.field.name)\""
    }

    func typeError(_ field: FieldDef, _ path: Located<[String]>, _ expected: String) -> APIError {
        APIError.malformedQuery(located(path.row, path.column,
            "value of filter criterion for field '\(field.name)' must be of type \(expected) and should not be enclosed in quotes"))
    }

    /// A literal as the stored value for `field` (nil for null).
    func plainValue(_ literal: SOQLLiteral, for field: FieldDef, path: Located<[String]>) throws(APIError) -> DatabaseValueConvertible? {
        switch (field.type, literal) {
        case (_, .null): return nil
        case (.boolean, .boolean(let b)): return b ? 1 : 0
        case (.boolean, _): throw typeError(field, path, "boolean")
        case (.int, .number(let n)), (.double, .number(let n)), (.currency, .number(let n)), (.percent, .number(let n)):
            return n
        case (.int, _), (.double, _), (.currency, _), (.percent, _): throw typeError(field, path, "double")
        case (.date, .date(let d)): return d
        case (.date, _): throw typeError(field, path, "date")
        case (.datetime, .dateTime(let d)): return d
        case (.datetime, _): throw typeError(field, path, "dateTime")
        case (.id, .string(let s)), (.reference, .string(let s)):
            return RecordID.normalize(s) ?? s
        case (_, .string(let s)): return s
        default:
            throw APIError.malformedQuery(located(path.row, path.column,
                "value of filter criterion for field '\(field.name)' must be of type string and should be enclosed in quotes"))
        }
    }

    /// The [start, end) range a date literal covers, as stored values for the field's type.
    func range(of name: String, _ n: Int?, for field: FieldDef) throws(APIError) -> (String, String) {
        let today = SimDates.day(context.now, plus: 0)
        let calendar = SimDates.calendar
        let start: Date
        let end: Date
        // The parser bounds N, so these dates exist; a calendar that still says no is a bad literal, not a crash.
        let outOfRange = APIError.malformedQuery("\(name)\(n.map { ":\($0)" } ?? "") is out of range")
        func month(_ delta: Int) throws(APIError) -> Date {
            guard let first = calendar.date(from: calendar.dateComponents([.year, .month], from: today)),
                  let date = calendar.date(byAdding: .month, value: delta, to: first) else { throw outOfRange }
            return date
        }
        func year(_ delta: Int) throws(APIError) -> Date {
            guard let first = calendar.date(from: calendar.dateComponents([.year], from: today)),
                  let date = calendar.date(byAdding: .year, value: delta, to: first) else { throw outOfRange }
            return date
        }
        func week(_ delta: Int) throws(APIError) -> Date {
            guard let first = calendar.date(from: calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: today)),
                  let date = calendar.date(byAdding: .day, value: 7 * delta, to: first) else { throw outOfRange }
            return date
        }
        switch name {
        case "TODAY": (start, end) = (today, SimDates.day(today, plus: 1))
        case "YESTERDAY": (start, end) = (SimDates.day(today, plus: -1), today)
        case "TOMORROW": (start, end) = (SimDates.day(today, plus: 1), SimDates.day(today, plus: 2))
        case "LAST_N_DAYS": (start, end) = (SimDates.day(today, plus: -(n ?? 0)), SimDates.day(today, plus: 1))
        case "NEXT_N_DAYS": (start, end) = (SimDates.day(today, plus: 1), SimDates.day(today, plus: (n ?? 0) + 1))
        case "N_DAYS_AGO": (start, end) = (SimDates.day(today, plus: -(n ?? 0)), SimDates.day(today, plus: -(n ?? 0) + 1))
        case "THIS_WEEK": (start, end) = (try week(0), try week(1))
        case "LAST_WEEK": (start, end) = (try week(-1), try week(0))
        case "NEXT_WEEK": (start, end) = (try week(1), try week(2))
        case "THIS_MONTH": (start, end) = (try month(0), try month(1))
        case "LAST_MONTH": (start, end) = (try month(-1), try month(0))
        case "NEXT_MONTH": (start, end) = (try month(1), try month(2))
        case "LAST_N_MONTHS": (start, end) = (try month(-(n ?? 0)), try month(0))
        case "NEXT_N_MONTHS": (start, end) = (try month(1), try month((n ?? 0) + 1))
        case "THIS_YEAR": (start, end) = (try year(0), try year(1))
        case "LAST_YEAR": (start, end) = (try year(-1), try year(0))
        case "NEXT_YEAR": (start, end) = (try year(1), try year(2))
        default: throw APIError.malformedQuery("unexpected token: \(name)")
        }
        if field.type == .date { return (SimDates.formatDate(start), SimDates.formatDate(end)) }
        return (SimDates.format(start), SimDates.format(end))
    }

    func comparison(_ output: CompiledQuery.Output, path: Located<[String]>, _ op: ComparisonOperator,
                    _ literal: SOQLLiteral) throws(APIError) -> (String, [DatabaseValueConvertible?]) {
        let column = columnSQL(output)
        let field = output.field
        if case let .dateLiteral(name, n) = literal {
            guard field.type == .date || field.type == .datetime else { throw typeError(field, path, "string") }
            let (start, end) = try range(of: name, n, for: field)
            switch op {
            case .equal: return ("(\(column) >= ? AND \(column) < ?)", [start, end])
            case .notEqual: return ("(\(column) IS NULL OR \(column) < ? OR \(column) >= ?)", [start, end])
            case .less: return ("\(column) < ?", [start])
            case .lessOrEqual: return ("\(column) < ?", [end])
            case .greater: return ("\(column) >= ?", [end])
            case .greaterOrEqual: return ("\(column) >= ?", [start])
            case .like: throw APIError.malformedQuery("invalid operator on date field: LIKE")
            }
        }
        if op == .like {
            guard field.type.isText, case let .string(pattern) = literal else {
                throw APIError.malformedQuery(located(path.row, path.column,
                    "invalid operator on field '\(field.name)': LIKE is only valid on text fields"))
            }
            return ("\(column) LIKE ? ESCAPE '\\'", [pattern])
        }
        guard let value = try plainValue(literal, for: field, path: path) else {
            switch op {
            case .equal: return ("\(column) IS NULL", [])
            case .notEqual: return ("\(column) IS NOT NULL", [])
            default: throw APIError.malformedQuery("invalid operator with null: \(op.rawValue)")
            }
        }
        let collate = field.type.isText && field.type != .id && field.type != .reference ? " COLLATE \(TextCollation.name)" : ""
        if op == .notEqual { return ("(\(column) IS NULL OR \(column)\(collate) != ?)", [value]) }
        return ("\(column)\(collate) \(op.rawValue) ?", [value])
    }
}

extension SOQLCompiler {
    /// A parent-to-child subquery: FROM names one of the parent's child relationships (as its describe lists
    /// them); the child query is compiled on its own, to be run per parent.
    func subquery(_ query: SOQLQuery, of parent: ObjectDef, position: Int) throws(APIError) -> CompiledQuery.Child {
        // `FROM Account.Contacts` names the relationship through the parent's own name.
        var relationship = query.object.value
        if let dot = relationship.lastIndex(of: "."), relationship[..<dot].lowercased() == parent.name.lowercased() {
            relationship = String(relationship[relationship.index(after: dot)...])
        }
        guard let (child, field, name) = StandardObjects.childRelationship(of: parent, named: relationship) else {
            throw APIError(status: 400, code: "INVALID_TYPE", message: located(query.object.row, query.object.column,
                "Didn't understand relationship '\(query.object.value)' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."))
        }
        guard !query.select.contains(where: { if case .subquery = $0 { true } else { false } }) else {
            throw APIError.malformedQuery("Nesting of semi join sub-selects is not supported")
        }
        var childQuery = query
        childQuery.object.value = child.name
        var compiler = SOQLCompiler(source: source, schema: schema, context: context)
        return CompiledQuery.Child(key: name, position: position, query: try compiler.compile(childQuery), parentField: field.name)
    }
}
