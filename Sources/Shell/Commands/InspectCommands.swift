import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store

/// `objects`, `describe`, `fields`, `query`, `get`, `count`, `limits`, `usage`.
enum InspectCommands {
    static let group = "inspect"
    static let all: [CommandSpec] = [objects, describe, fields, query, get, count, limits, usage]

    static func matches(_ name: String, _ pattern: String?) -> Bool {
        guard let pattern, !pattern.isEmpty else { return true }
        if pattern.contains("*") || pattern.contains("?") {
            return fnmatch(pattern.lowercased(), name.lowercased(), 0) == 0
        }
        return name.lowercased().contains(pattern.lowercased())
    }

    static let objects = CommandSpec(
        "objects", group: group, usage: "objects [PATTERN] [--custom] [--refresh]",
        summary: "list the org's sObjects (from the describe cache; fetched once)",
        details: "PATTERN is a substring or a glob (Acc*, *__c). The list is cached; --refresh asks Salesforce again (1 call).",
        examples: ["objects", "objects contact", "objects '*__c'"],
        options: [.flag("custom", "only custom objects"), .flag("refresh", "fetch the list again (1 call)")],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(0...1)
            let global = try await session.globalDescribe(refresh: invocation.has("refresh"))
            let rows = global.sobjects.filter { matches($0.name, invocation.positionals.first) }
                .filter { !invocation.has("custom") || $0.custom }
                .map { object -> [JSONValue] in
                    [.string(object.name), .string(object.label), .bool(object.custom), .bool(object.queryable),
                     object.keyPrefix.map(JSONValue.string) ?? .null]
                }
            session.emit(Table(columns: ["name", "label", "custom", "queryable", "key_prefix"], rows: rows), for: invocation)
            if session.format(for: invocation) == .table { session.note("\(rows.count) of \(global.sobjects.count) objects") }
            return .done
        })

    static func fieldRow(_ field: FieldDescribe) -> [JSONValue] {
        [.string(field.name), .string(field.label), .string(field.typeDescription), .bool(field.requiredOnCreate),
         .bool(field.custom), .bool(field.calculated),
         .string(field.picklistValues.map { entry in
             entry.label.map { label in label == entry.value ? label : "\(entry.value) (\(label))" } ?? entry.value
         }.joined(separator: "; "))]
    }

    static let fieldColumns = ["name", "label", "type", "required", "custom", "formula", "picklist_values"]

    static func fieldTable(_ fields: [FieldDescribe]) -> Table {
        Table(columns: fieldColumns, rows: fields.map(fieldRow))
    }

    /// The terminal form: yes/blank instead of true/false.
    static func friendly(_ table: Table) -> Table {
        Table(columns: ["name", "label", "type", "req", "custom", "formula", "picklist values"], rows: table.rows.map { row in
                  row.map { cell in
                      if case let .bool(flag) = cell { return .string(flag ? "yes" : "") }
                      return cell
                  }
              }, keep: [0, 2])
    }

    static let describe = CommandSpec(
        "describe", group: group, usage: "describe OBJECT [--json]",
        summary: "the fields of an sObject: name, label, type, required on create, custom, formula, picklist values",
        details: "The describe is cached and revalidated with If-Modified-Since (an unchanged object costs a 304). --json prints the raw describe.",
        examples: ["describe Contact", "describe Lead --csv", "describe Contact --json"],
        arguments: [.sObject],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(1...1)
            let object = invocation.positionals[0]
            let described = try await session.describe(object, revalidate: true)
            if session.format(for: invocation) == .json {
                let body = session.cachedDescribeBody(described.name).flatMap { try? JSONValue.parse($0) } ?? .null
                session.io.stdout.write(body.prettyPrinted() + "\n")
                return .done
            }
            session.emit(fieldTable(described.fields), for: invocation, tableOverride: friendly)
            if session.format(for: invocation) == .table {
                session.note("\(described.name) (\(described.label)): \(described.fields.count) fields")
            }
            return .done
        })

    static let fields = CommandSpec(
        "fields", group: group, usage: "fields OBJECT [--type T] [PATTERN]",
        summary: "the fields of an sObject, filtered by type and name",
        examples: ["fields Contact phone", "fields Contact --type date", "fields Lead 'Lytics*'"],
        options: [.value("type", "T", "only fields of this describe type (date, picklist, phone, …)",
                         completion: .choices(["address", "boolean", "currency", "date", "datetime", "double", "email",
                                               "id", "int", "multipicklist", "percent", "phone", "picklist",
                                               "reference", "string", "textarea", "url"]))],
        arguments: [.sObject, .field(sObjectArgument: 0)],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(1...2)
            let described = try await session.describe(invocation.positionals[0])
            let type = invocation.value("type")?.lowercased()
            let selected = described.fields.filter { field in
                (type == nil || field.type == type) && matches(field.name, invocation.positionals.dropFirst().first)
            }
            session.emit(fieldTable(selected), for: invocation, tableOverride: friendly)
            if session.format(for: invocation) == .table { session.note("\(selected.count) of \(described.fields.count) fields") }
            return .done
        })

    /// The field paths of a SELECT list, when it is plain fields (no subqueries or functions).
    static func selectedPaths(_ soql: String) -> [String]? {
        let scalars = soql.trimmingBlanks
        guard scalars.lowercased().hasPrefix("select"),
              let from = scalars.range(of: #"\s+from\s+"#, options: [.regularExpression, .caseInsensitive])
        else { return nil }
        let list = scalars[scalars.index(scalars.startIndex, offsetBy: 6)..<from.lowerBound]
        let paths = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard !paths.isEmpty, paths.allSatisfy({ !$0.isEmpty && !$0.contains("(") && !$0.contains(" ") }) else { return nil }
        return paths
    }

    static func isCountQuery(_ soql: String) -> Bool {
        soql.range(of: #"^\s*select\s+count\(\s*\)\s+from\s"#, options: [.regularExpression, .caseInsensitive]) != nil
    }

    static let query = CommandSpec(
        "query", group: group, usage: "query SOQL [--all] [--limit N] [--deleted]",
        summary: "run a SOQL query: the first page, and how many rows remain (--all: every page)",
        details: """
            A line starting with SELECT is a query too. Without --all only the first page (up to 2000 rows) is printed,
            and sfsh says how many rows remain and how many calls the rest would cost; --all follows every page
            (never silently capped); --limit N stops after N rows. Parent fields print as Account.Name. --deleted
            uses queryAll (deleted and archived rows too).
            """,
        examples: ["SELECT Id, Name, Account.Name FROM Contact LIMIT 5", "query 'SELECT COUNT() FROM Lead'",
                   "SELECT Id, Email FROM Lead --all --csv"],
        options: [.flag("all", "follow every page to the end"),
                  .value("limit", "N", "print at most N rows"),
                  .flag("deleted", "include deleted and archived rows (queryAll)"),
                  .value("batch-size", "N", "rows per page, 200–2000 (Sforce-Query-Options)")],
        arguments: [.none],
        tabular: true,
        handler: { invocation, session in
            guard !invocation.positionals.isEmpty else {
                throw ShellError.usage("query: missing SOQL", usage: invocation.usage)
            }
            let soql = invocation.positionals.joined(separator: " ")
            let limit = try invocation.integer("limit", in: 0...Int.max)
            let batchSize = try invocation.integer("batch-size", in: 200...2000)
            let (_, client) = try session.currentClient()
            let first = try await session.salesforce("query") { () async throws(SalesforceError) in
                try await client.query(soql, all: invocation.has("deleted"), batchSize: batchSize)
            }
            if isCountQuery(soql) {
                session.emit(Table(columns: ["count"], rows: [[.int(first.totalSize)]]), for: invocation)
                return .done
            }
            let wanted = limit ?? (invocation.has("all") ? Int.max : first.records.count)
            let format = session.format(for: invocation)
            let columns = selectedPaths(soql) ?? {
                var seen: [String] = []
                for record in first.records {
                    for (key, _) in RecordFlattening.flatten(record) where !seen.contains(key) { seen.append(key) }
                }
                return seen
            }()
            // CSV and JSON stream page by page, so --all over millions of rows keeps memory flat;
            // an aligned table needs every row first.
            let streaming = format != .table
            var stream = streaming ? RowStream(format: format, columns: columns, sink: session.io.stdout) : nil
            var buffered: [[JSONValue]] = []
            var delivered = 0
            func take(_ records: [JSONValue]) {
                for record in records.prefix(wanted - delivered) {
                    let row = columns.map { RecordFlattening.value(record, path: $0) }
                    if stream != nil { stream?.write(row) } else { buffered.append(row) }
                    delivered += 1
                }
            }
            take(first.records)
            var paging = QueryPaging(totalSize: first.totalSize)
            var next = try await session.salesforce("query") { () throws(SalesforceError) in try paging.next(after: first) }
            while delivered < wanted, let url = next {
                if session.interruption.take() {
                    stream?.finish()
                    throw ShellError(.failure, "interrupted after \(delivered) rows")
                }
                let page = try await session.salesforce("query") { () async throws(SalesforceError) in
                    try await client.nextPage(url, batchSize: batchSize)
                }
                take(page.records)
                next = try await session.salesforce("query") { () throws(SalesforceError) in try paging.next(after: page) }
            }
            if var stream { stream.finish() } else {
                session.emit(Table(columns: columns, rows: buffered), for: invocation)
            }
            let remaining = first.totalSize - delivered
            if remaining > 0 {
                let pageSize = max(first.records.count, 1)
                let calls = Int((Double(remaining) / Double(pageSize)).rounded(.up))
                session.note("\(delivered) of \(first.totalSize) rows; \(remaining) more (about \(calls) more call\(calls == 1 ? "" : "s")): add --all to fetch them")
            } else if format == .table {
                session.note("\(delivered) row\(delivered == 1 ? "" : "s")")
            }
            return .done
        })

    /// Writes CSV or a JSON array row by row.
    struct RowStream {
        let format: OutputFormat
        let columns: [String]
        let sink: any TextSink
        var count = 0
        var buffer = ""

        init(format: OutputFormat, columns: [String], sink: any TextSink) {
            self.format = format
            self.columns = columns
            self.sink = sink
            buffer = format == .csv ? columns.map(Table.csvField).joined(separator: ",") + "\n" : "["
        }

        mutating func write(_ row: [JSONValue]) {
            if format == .csv {
                buffer += row.map { Table.csvField($0.cellText) }.joined(separator: ",") + "\n"
            } else {
                buffer += (count == 0 ? "\n  " : ",\n  ") + JSONValue.object(Array(zip(columns, row))).serialized()
            }
            count += 1
            if buffer.utf8.count > 65_536 { flush() }
        }

        mutating func flush() {
            sink.write(buffer)
            buffer = ""
        }

        mutating func finish() {
            if format == .json { buffer += count == 0 ? "]\n" : "\n]\n" }
            flush()
        }
    }

    static let get = CommandSpec(
        "get", group: group, usage: "get OBJECT ID [--fields F,F…]",
        summary: "one record, every field (or the ones named)",
        examples: ["get Contact 0035g0000000S4dAAE", "get Lead 00Q5g0000000S4dAAE --fields Email,Company --json"],
        options: [.value("fields", "F,F…", "only these fields")],
        arguments: [.sObject, .none],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(2...2)
            let (_, client) = try session.currentClient()
            let fields = invocation.value("fields").map {
                $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
            let record = try await session.salesforce("get") { () async throws(SalesforceError) in
                try await client.record(invocation.positionals[0], id: invocation.positionals[1], fields: fields)
            }
            let pairs = RecordFlattening.flatten(record)
            switch session.format(for: invocation) {
            case .json: session.io.stdout.write(JSONValue.object(pairs).prettyPrinted() + "\n")
            case .csv: session.io.stdout.write(Table(columns: pairs.map(\.0), rows: [pairs.map(\.1)]).csv())
            case .table:
                session.say(Table(columns: ["field", "value"],
                                              rows: pairs.map { [.string($0.0), $0.1] }).rendered(width: session.io.terminalWidth()))
            }
            return .done
        })

    static let count = CommandSpec(
        "count", group: group, usage: "count OBJECT…",
        summary: "how many records each sObject has (SELECT COUNT(), one call each)",
        examples: ["count Lead Contact Opportunity Account"],
        arguments: [.sObject],
        tabular: true,
        handler: { invocation, session in
            guard !invocation.positionals.isEmpty else {
                throw ShellError.usage("count: name at least one object", usage: invocation.usage)
            }
            let (_, client) = try session.currentClient()
            var rows: [[JSONValue]] = []
            for object in invocation.positionals {
                guard object.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw ShellError.usage("'\(Invocation.excerpt(object))' is not an sObject name", usage: invocation.usage)
                }
                let page = try await session.salesforce("count \(object)") { () async throws(SalesforceError) in
                    try await client.query("SELECT COUNT() FROM \(object)")
                }
                rows.append([.string(object), .int(page.totalSize)])
            }
            session.emit(Table(columns: ["object", "count"], rows: rows), for: invocation)
            return .done
        })

    static let keyLimits = ["DailyApiRequests", "DailyBulkApiBatches", "DailyBulkV2QueryJobs", "DailyAsyncApexExecutions",
                            "DataStorageMB", "FileStorageMB", "SingleEmail", "MassEmail"]

    static let limits = CommandSpec(
        "limits", group: group, usage: "limits [--all]",
        summary: "the org's limits: DailyApiRequests used/max first, then the other key ones (--all: every limit)",
        examples: ["limits", "limits --all --csv"],
        options: [.flag("all", "every limit the org reports")],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            let (_, client) = try session.currentClient()
            let limits = try await session.salesforce("limits") { () async throws(SalesforceError) in
                try await client.limits()
            }
            let chosen = invocation.has("all") ? limits.limits : keyLimits.compactMap { limits[$0] }
            let rows = chosen.map { limit -> [JSONValue] in
                let percent = limit.max > 0 ? (Double(limit.used) / Double(limit.max) * 1000).rounded() / 10 : 0
                return [.string(limit.name), .int(limit.used), .int(limit.max), .int(limit.remaining), .double(percent)]
            }
            session.emit(Table(columns: ["limit", "used", "max", "remaining", "used_percent"], rows: rows), for: invocation)
            return .done
        })

    static let usage = CommandSpec(
        "usage", group: group, usage: "usage [--hours H]",
        summary: "API calls this sfsh home made, per org and command, over the rolling last 24 h, and the latest Sforce-Limit-Info",
        examples: ["usage", "usage --json"],
        options: [.value("hours", "H", "the window in hours (default 24)")],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            let hours = try invocation.integer("hours", in: 1...24 * 365) ?? 24
            let now = session.clock.now()
            let entries: [LedgerEntry]
            do throws(StoreError) { entries = try session.store.ledger(since: now.addingTimeInterval(-Double(hours) * 3600)) } catch {
                throw ShellError(error)
            }
            var order: [String] = []
            var counts: [String: (org: String, source: String, calls: Int, failed: Int)] = [:]
            for entry in entries {
                let key = entry.org + "\u{0}" + entry.source
                if counts[key] == nil { order.append(key) }
                var count = counts[key] ?? (entry.org, entry.source, 0, 0)
                count.calls += 1
                if !(200..<400).contains(entry.status) { count.failed += 1 }
                counts[key] = count
            }
            let rows = order.sorted().compactMap { key -> [JSONValue]? in
                counts[key].map { [.string($0.org), .string($0.source), .int($0.calls), .int($0.failed)] }
            }
            var latest: [(String, LedgerEntry)] = []
            for entry in entries.reversed() where entry.usageUsed != nil && !latest.contains(where: { $0.0 == entry.org }) {
                latest.append((entry.org, entry))
            }
            let formatter = ISO8601DateFormatter()
            let table = Table(columns: ["org", "command", "calls", "failed"], rows: rows)
            if session.format(for: invocation) == .json {
                let document: JSONValue = .object([
                    ("window_hours", .int(hours)),
                    ("calls", table.json),
                    ("total", .int(entries.count)),
                    ("latest_limit_info", .array(latest.map { org, entry in
                        .object([("org", .string(org)), ("used", entry.usageUsed.map(JSONValue.int) ?? .null), ("max", entry.usageMax.map(JSONValue.int) ?? .null),
                                 ("at", .string(formatter.string(from: entry.at)))])
                    })),
                ])
                session.io.stdout.write(document.prettyPrinted() + "\n")
                return .done
            }
            session.emit(table, for: invocation)
            if session.format(for: invocation) == .table {
                session.note("\(entries.count) call\(entries.count == 1 ? "" : "s") in the last \(hours) h")
                for (org, entry) in latest {
                    session.note("latest Sforce-Limit-Info for \(org): api-usage=\(entry.usageUsed ?? 0)/\(entry.usageMax ?? 0) at \(formatter.string(from: entry.at))")
                }
            }
            return .done
        })
}
