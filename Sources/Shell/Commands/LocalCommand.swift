import SalesforceModel
import Foundation
import JSON
import Salesforce
import Store
import SyncEngine
import SyncRules

// `local`: read-only SQL over the current org's imported records (Store.localQuery).

extension SyncCommands {
    static let local = CommandSpec(
        "local", group: group, usage: "local SQL [--limit N]",
        summary: "read-only SQL over the imported records of the current org",
        details: """
            Views: \(LocalViews.viewNames.joined(separator: ", ")), one column per field (combined views add
            "Account.Field" columns, opportunity_combined also "Account.Contacts"). Deleted records are left out.
            Only one read-only statement runs (SELECT or WITH); the connection refuses changes. At most --limit
            rows are printed (default 10000).
            """,
        examples: ["local 'SELECT Name, Email FROM Contact LIMIT 5'",
                   "local 'SELECT \"Account.Name\", COUNT(*) FROM contact_combined GROUP BY 1 ORDER BY 2 DESC' --csv"],
        options: [.value("limit", "N", "print at most N rows (default 10000)")],
        arguments: [.none],
        tabular: true,
        handler: { invocation, session in
            guard !invocation.positionals.isEmpty else {
                throw ShellError.usage("local: missing SQL", usage: invocation.usage)
            }
            let sql = invocation.positionals.joined(separator: " ")
            let limit = try invocation.integer("limit", in: 1...10_000_000) ?? 10_000
            let org = try session.currentOrg()
            let views: LocalViewSet
            do throws(EngineError) { views = try LocalViews.views(org: org.alias, store: session.store) } catch { throw ShellError(error) }
            let result: LocalQueryResult
            let truncated: Bool
            do throws(StoreError) {
                (result, truncated, _) = try session.store.localQuery(sql, views: views, limit: limit,
                                                                      shouldStop: session.interruption.take)
            } catch {
                throw ShellError(.usage, "local: \(error.message)",
                                 hint: "views: \(LocalViews.viewNames.joined(separator: ", ")); only SELECT/WITH")
            }
            let rows = result.rows.map { row in
                row.map { value -> JSONValue in
                    switch value {
                    case .null: .null
                    case let .integer(number): .int(Int(number))
                    case let .real(number): .double(number)
                    case let .text(text): .string(text)
                    case let .blob(data): .string(data.base64EncodedString())
                    }
                }
            }
            session.emit(Table(columns: result.columns, rows: rows), for: invocation)
            if truncated { session.note("only the first \(limit) rows; --limit N for more") }
            return .done
        })
}
