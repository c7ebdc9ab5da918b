import SyncEngine
import SalesforceModel
import Foundation
import JSON
import Store
import SyncRules

/// `profiles import FILE`, `audiences`.
enum ProfileCommands {
    static let profiles = CommandSpec(
        "profiles", group: "local data", usage: "profiles import FILE",
        summary: "local profiles for the Lead export",
        examples: [],
        subcommands: [
            CommandSpec(
                "import", group: "local data", usage: "profiles import FILE",
                summary: "import profiles from JSON Lines, upserting by id; bad lines are reported by number and skipped whole",
                details: """
                    One profile a line: {"id", "attributes": {...}, "audiences": [...], "content_affinity": {"topic": score},
                    "scores": {"name": number}}. Attribute values are strings, numbers, booleans, {"$date": "YYYY-MM-DD"} or
                    {"$datetime": "ISO 8601"}. Good lines are imported together; a bad line is never half imported. Exits 1
                    when any line was bad.
                    """,
                examples: ["profiles import profiles.jsonl"],
                arguments: [.file],
                handler: { invocation, session in
                    try invocation.expectArguments(1...1)
                    let path = invocation.positionals[0]
                    let data = try session.readFile(path)
                    // A later line with the same id wins, keeping the first line's place.
                    var rowsByID: [String: Store.ProfileRow] = [:]
                    var order: [String] = []
                    var bad: [(Int, String)] = []
                    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                    for (index, raw) in lines.enumerated() {
                        let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                        if line.isEmpty { continue }
                        do throws(Profile.FormatError) {
                            let profile = try Profile.parse(line)
                            if rowsByID[profile.id] == nil { order.append(profile.id) }
                            rowsByID[profile.id] = Store.ProfileRow(id: profile.id, body: profile.json.serialized(),
                                                                    audiences: profile.audiences)
                        } catch {
                            bad.append((index + 1, error.message))
                        }
                    }
                    let rows = order.compactMap { rowsByID[$0] }
                    let created: Int
                    do throws(StoreError) { created = try session.store.upsertProfiles(rows, at: session.clock.now()) } catch { throw ShellError(error) }
                    for (line, message) in bad.prefix(50) { session.note("\(path):\(line): \(message)") }
                    if bad.count > 50 { session.note("… and \(bad.count - 50) more bad lines") }
                    session.emit(.object([("imported", .int(rows.count)), ("created", .int(created)),
                                          ("updated", .int(rows.count - created)),
                                          ("bad_lines", .array(bad.map { .object([("line", .int($0.0)), ("error", .string($0.1))]) }))]),
                                 human: "imported \(rows.count) profile\(rows.count == 1 ? "" : "s") (\(created) new, \(rows.count - created) updated)"
                                     + (bad.isEmpty ? "" : "; \(bad.count) bad line\(bad.count == 1 ? "" : "s") skipped"),
                                 for: invocation)
                    if !bad.isEmpty { throw ReportedFailure(status: .failure) }
                    return .done
                }),
        ])

    static let audiences = CommandSpec(
        "audiences", group: "local data", usage: "audiences",
        summary: "the audiences of the local profiles with their member counts (* marks those in lytics.audiences)",
        examples: ["audiences", "audiences --csv"],
        tabular: true,
        handler: { invocation, session in
            try invocation.expectArguments(0...0)
            let counts: [(audience: String, members: Int)]
            do throws(StoreError) { counts = try session.store.audienceCounts() } catch { throw ShellError(error) }
            let selected = Set(SettingSpec.listItems(session.setting("lytics.audiences") ?? ""))
            session.emit(Table(columns: ["audience", "members", "selected"], rows: counts.map {
                [.string($0.audience), .int($0.members), .bool(selected.contains($0.audience))]
            }), for: invocation)
            if counts.isEmpty && session.format(for: invocation) == .table { session.note("no profiles yet: profiles import FILE") }
            return .done
        })
}
