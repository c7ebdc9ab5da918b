import SyncEngine
import Foundation
import JSON
import Store
import SupportBundle

/// `bundle` and `bundle show FILE` (issue 24): a support bundle that carries no secret, and what it holds.
enum BundleCommand {
    static let spec = CommandSpec(
        "bundle", group: "preflight",
        usage: "bundle [--org A] [--out FILE] [--runs N] [--include-records N] | bundle show FILE",
        summary: "a support bundle of the org and this home, with no secret in it (a zip); 'bundle show' reads one",
        details: """
            One zip archive (written by ZIPFoundation) with manifest.json first: what each file holds and what was
            redacted. It carries sfsh's version and platform; the org's facts (edition, API version, limits, the
            user's permissions check reads, active duplicate rules); check's results; the describes of the objects
            the jobs use (Lead, Contact, Opportunity, Account, Note, User); every setting and mapping; schedules, job
            states and leases; the last N runs (default 20) with their counts, errors, fallbacks and describe changes;
            the ledger summed per source and hour over 7 days; the last 50 errors the shell printed.
            Never a token, password, client secret, key, session id or cookie: they are left out or replaced by
            [redacted], and email addresses anywhere are hashed. No record value unless --include-records N, which
            adds N records per object with names, emails, phones, addresses and free text replaced by keyed hashes
            (the same value hashes the same within the bundle, so joins still show; the key is not kept).
            'sfsim --from-bundle FILE' and 'sfsh --demo --from-bundle FILE' replay the org's shape offline.
            """,
        examples: ["bundle", "bundle --out acme.zip --runs 50", "bundle --include-records 5", "bundle show acme.zip",
                   "bundle show acme.zip --json"],
        options: [.value("org", "ALIAS", "the org to bundle (default: the current org)", completion: .orgAlias),
                  .value("out", "FILE", "where to write it (default: sfsh-bundle-ALIAS-TIME.zip here)"),
                  .value("runs", "N", "how many of the last runs (default 20)"),
                  .value("include-records", "N", "add N sample records per object, their text hashed (default 0)")],
        arguments: [.none],
        handler: { invocation, session in
            if invocation.positionals.first == "show" {
                try invocation.expectArguments(2...2)
                return try show(invocation.positionals[1], invocation: invocation, session: session)
            }
            try invocation.expectArguments(0...0)
            let runs = try invocation.integer("runs", in: 0...10_000) ?? 20
            let records = try invocation.integer("include-records", in: 0...2_000) ?? 0
            let previous = session.orgOverride
            if let alias = invocation.value("org") {
                _ = try session.org(named: alias)
                session.orgOverride = alias
            }
            defer { session.orgOverride = previous }
            let org = session.currentOrgAlias == nil ? nil : try session.currentOrg()
            let now = session.clock.now()
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd-HHmmss"
            let path = invocation.value("out") ?? "sfsh-bundle-\(org?.alias ?? "home")-\(formatter.string(from: now)).zip"
            var contents = BundleContents(session: session, org: org, runs: runs, records: records)
            await contents.gather()
            let manifest = contents.manifest(at: now)
            // The manifest first, as a reader expects.
            var ordered = BundleArchive()
            ordered.add(BundleArchive.manifestName, json: manifest)
            for file in contents.archive.files { ordered.add(file.name, file.data) }
            let url = URL(fileURLWithPath: path)
            do { try ordered.write(to: url, modified: now) } catch let error as BundleError { throw ShellError(.failure, error.message) }
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            session.emit(.object([("bundle", .string(url.path)), ("files", .int(ordered.files.count)), ("bytes", .int(size)),
                                  ("missing", manifest["missing"] ?? .array([]))]),
                         human: "wrote \(url.path): \(ordered.files.count) files, \(size) bytes\n"
                            + (manifest["missing"]?.arrayValue ?? []).compactMap(\.stringValue).map { "  not included: \($0)\n" }.joined(),
                         for: invocation)
            return .done
        })

    /// `bundle show FILE`: the summary a specialist reads first, then every file with what it holds and what was
    /// redacted; `--json`: the manifest.
    static func show(_ path: String, invocation: Invocation, session: ShellSession) throws(ShellError) -> CommandOutcome {
        let manifest: JSONValue
        do { manifest = try BundleManifest.read(try BundleArchive.read(URL(fileURLWithPath: path))) } catch {
            throw ShellError(.failure, error.message)
        }
        var text = "support bundle \(path)\n"
        text += "made \(manifest["created_at"]?.stringValue ?? "?") by sfsh \(manifest["sfsh"]?["version"]?.stringValue ?? "?")"
            + " on \(manifest["sfsh"]?["platform"]?.stringValue ?? "?")\n"
        if case let .object(summary)? = manifest["summary"] {
            text += "summary:\n"
            for (key, value) in summary {
                let shown: String
                switch value {
                case let .string(string): shown = string
                case let .array(items): shown = items.compactMap(\.stringValue).joined(separator: ", ")
                case let .object(pairs): shown = pairs.map { "\($0.0) \($0.1.stringValue ?? $0.1.serialized())" }.joined(separator: ", ")
                default: shown = value.serialized()
                }
                text += "  \(key): \(TerminalText.sanitize(shown))\n"
            }
        }
        for missing in manifest["missing"]?.arrayValue ?? [] {
            text += "  not included: \(TerminalText.sanitize(missing.stringValue ?? ""))\n"
        }
        if let redaction = manifest["redaction"]?.stringValue { text += "redaction: \(TerminalText.sanitize(redaction))\n" }
        text += "files:\n"
        for file in manifest["files"]?.arrayValue ?? [] {
            text += "  \(TerminalText.sanitize(file["name"]?.stringValue ?? "?")): \(TerminalText.sanitize(file["holds"]?.stringValue ?? ""))\n"
            for redacted in file["redacted"]?.arrayValue ?? [] {
                text += "      redacted: \(TerminalText.sanitize(redacted.stringValue ?? ""))\n"
            }
        }
        session.emit(manifest, human: text, for: invocation)
        return .done
    }
}
