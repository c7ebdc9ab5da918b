import Foundation
import GRDB

/// Every migration of the home's database, oldest first. A migration once shipped never changes;
/// a change of schema is a new one.
extension Store {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1_settings") { db in
            try db.create(table: "setting") { t in
                t.column("scope", .text).notNull()
                t.column("key", .text).notNull()
                t.column("value", .text).notNull()
                t.primaryKey(["scope", "key"])
            }
        }
        migrator.registerMigration("v2_orgs_ledger_describe") { db in
            try db.create(table: "org") { t in
                t.primaryKey("alias", .text)
                t.column("instance_url", .text).notNull()
                t.column("login_url", .text).notNull()
                t.column("org_id", .text)
                t.column("user_id", .text)
                t.column("username", .text)
                t.column("access_token", .text).notNull()
                t.column("refresh_token", .text)
                t.column("client_id", .text)
                t.column("client_secret", .text)
                t.column("api_version", .text).notNull()
                t.column("created_at", .double).notNull()
                t.column("last_used_at", .double)
            }
            try db.create(table: "ledger") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .double).notNull().indexed()
                t.column("org", .text).notNull()
                t.column("source", .text).notNull()
                t.column("method", .text).notNull()
                t.column("path", .text).notNull()
                t.column("status", .integer).notNull()
                t.column("duration_ms", .double).notNull()
                t.column("usage_used", .integer)
                t.column("usage_max", .integer)
            }
            try db.create(table: "describe_cache") { t in
                t.column("org", .text).notNull()
                t.column("object", .text).notNull()
                t.column("body", .blob).notNull()
                t.column("fetched_at", .double).notNull()
                t.column("last_modified", .text)
                t.primaryKey(["org", "object"])
            }
        }
        migrator.registerMigration("v3_profiles") { db in
            try db.create(table: "profile") { t in
                t.primaryKey("id", .text)
                t.column("body", .text).notNull()
                t.column("imported_at", .double).notNull()
            }
            try db.create(table: "profile_audience") { t in
                t.column("profile_id", .text).notNull().references("profile", onDelete: .cascade)
                t.column("audience", .text).notNull().indexed()
                t.primaryKey(["profile_id", "audience"])
            }
            try db.create(table: "lead_export") { t in
                t.column("org", .text).notNull()
                t.column("profile_id", .text).notNull()
                t.column("lead_id", .text).notNull()
                t.primaryKey(["org", "profile_id"])
            }
        }
        registerSyncMigrations(&migrator)
        return migrator
    }

    static func registerSyncMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4_sync") { db in
            // The budget gate counts one job's calls in a rolling window: an index, not a scan.
            try db.alter(table: "ledger") { t in t.add(column: "run_id", .integer) }
            try db.create(index: "ledger_org_source_at", on: "ledger", columns: ["org", "source", "at"])
            try db.create(index: "ledger_run", on: "ledger", columns: ["run_id"])

            try db.create(table: "sync_job") { t in
                t.column("org", .text).notNull()
                t.column("job", .text).notNull()
                t.column("paused_until", .double)
                t.column("pause_reason", .text)
                t.primaryKey(["org", "job"])
            }
            try db.create(table: "sync_run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("org", .text).notNull()
                t.column("job", .text).notNull()
                t.column("status", .text).notNull()
                t.column("full", .boolean).notNull().defaults(to: false)
                t.column("started_at", .double).notNull()
                t.column("finished_at", .double)
                t.column("pid", .integer)
                t.column("host", .text)
                t.column("resumed_from", .integer)
                t.column("read", .integer).notNull().defaults(to: 0)
                t.column("created", .integer).notNull().defaults(to: 0)
                t.column("updated", .integer).notNull().defaults(to: 0)
                t.column("deleted", .integer).notNull().defaults(to: 0)
                t.column("failed", .integer).notNull().defaults(to: 0)
                t.column("skipped", .text).notNull().defaults(to: "{}")
                t.column("planned_calls", .integer)
                t.column("message", .text)
                t.column("details", .text)
            }
            try db.create(index: "sync_run_org_job", on: "sync_run", columns: ["org", "job", "id"])
            try db.create(table: "sync_run_object") { t in
                t.column("run_id", .integer).notNull().references("sync_run", onDelete: .cascade)
                t.column("object", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("read", .integer).notNull().defaults(to: 0)
                t.column("created", .integer).notNull().defaults(to: 0)
                t.column("updated", .integer).notNull().defaults(to: 0)
                t.column("deleted", .integer).notNull().defaults(to: 0)
                t.column("total", .integer)
                t.column("planned_calls", .integer)
                t.column("calls", .integer)
                t.column("schema_changes", .text)
                t.column("done", .boolean).notNull().defaults(to: false)
                t.primaryKey(["run_id", "object"])
            }
            try db.create(table: "import_object") { t in
                t.column("org", .text).notNull()
                t.column("object", .text).notNull()
                t.column("watermark", .double)
                t.column("pass_started_at", .double)
                t.column("pass_run", .integer)
                t.column("pass_lower", .double)
                t.column("pass_full", .boolean).notNull().defaults(to: false)
                t.column("phase", .text)
                t.column("cursor_stamp", .text)
                t.column("cursor_id", .text)
                t.column("field_types", .text)
                t.column("last_run", .integer)
                t.primaryKey(["org", "object"])
            }
            try db.create(table: "local_record") { t in
                t.column("org", .text).notNull()
                t.column("object", .text).notNull()
                t.column("id", .text).notNull()
                t.column("system_modstamp", .text).notNull()
                t.column("is_deleted", .boolean).notNull().defaults(to: false)
                t.column("account_id", .text)
                t.column("body", .text).notNull()
                t.column("run_id", .integer)
                t.column("seen_run", .integer)
                t.primaryKey(["org", "object", "id"])
            }
            try db.execute(sql: """
                CREATE INDEX local_record_account ON local_record(org, account_id) WHERE account_id IS NOT NULL
                """)
        }
        migrator.registerMigration("v5_job_lease") { db in
            // One job of one org runs in one process at a time: the holder renews its lease while it runs.
            try db.create(table: "job_lease") { t in
                t.column("org", .text).notNull()
                t.column("job", .text).notNull()
                t.column("host", .text).notNull()
                t.column("pid", .integer).notNull()
                t.column("token", .text).notNull()
                t.column("acquired_at", .double).notNull()
                t.column("expires_at", .double).notNull()
                t.column("run_id", .integer)
                t.primaryKey(["org", "job"])
            }
        }
        migrator.registerMigration("v6_export_levitate") { db in
            // Counts of the export and the contact pull besides read/created/updated/deleted.
            try db.alter(table: "sync_run") { t in
                t.add(column: "unchanged", .integer).notNull().defaults(to: 0)
                t.add(column: "archived", .integer).notNull().defaults(to: 0)
                t.add(column: "removed", .integer).notNull().defaults(to: 0)
            }
            // Per profile and org: the Lead it is exported to, what was last written, how the
            // last run ended for it, and an unsettled create (intent) until its answer is recorded.
            try db.create(table: "export_profile") { t in
                t.column("org", .text).notNull()
                t.column("profile_id", .text).notNull()
                t.column("lead_id", .text)
                t.column("email", .text)
                t.column("payload_hash", .text)
                t.column("outcome", .text)
                t.column("reason", .text)
                t.column("error_code", .text)
                t.column("run_id", .integer)
                t.column("at", .double)
                t.column("intent_run", .integer)
                t.column("intent_at", .double)
                t.column("intent_email", .text)
                t.column("intent_hash", .text)
                t.primaryKey(["org", "profile_id"])
            }
            try db.execute(sql: """
                INSERT INTO export_profile (org, profile_id, lead_id) SELECT org, profile_id, lead_id FROM lead_export
                """)
            try db.drop(table: "lead_export")
            try db.execute(sql: "CREATE INDEX export_profile_intent ON export_profile(org) WHERE intent_run IS NOT NULL")

            // The relationship-marketing contacts pulled from Salesforce, as the rules mapped them.
            try db.create(table: "levitate_contact") { t in
                t.column("org", .text).notNull()
                t.column("id", .text).notNull()
                t.column("name", .text).notNull()
                t.column("company", .text)
                t.column("owner", .text)
                t.column("archived", .boolean).notNull().defaults(to: false)
                t.column("system_modstamp", .text).notNull()
                t.column("body", .text).notNull()
                t.column("synced_at", .double).notNull()
                t.column("run_id", .integer)
                t.column("seen_run", .integer)
                t.primaryKey(["org", "id"])
            }
            // Local activities and their write-back as Notes.
            try db.create(table: "activity") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("org", .text).notNull()
                t.column("contact_id", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("subject", .text)
                t.column("text", .text).notNull()
                t.column("created_at", .double).notNull()
                t.column("state", .text).notNull().defaults(to: "pending")
                t.column("note_id", .text)
                t.column("error_code", .text)
                t.column("reason", .text)
                t.column("run_id", .integer)
                t.column("written_at", .double)
                t.column("intent_run", .integer)
                t.column("intent_at", .double)
            }
            try db.create(index: "activity_org_state", on: "activity", columns: ["org", "state"])
        }
        migrator.registerMigration("v7_bulk_import") { db in
            // A pass read through a Bulk API 2.0 query job: the job and the locator of the next chunk to store.
            try db.alter(table: "import_object") { t in
                t.add(column: "bulk_job", .integer)
                t.add(column: "bulk_locator", .text)
            }
            // How a run read each object (`rest` or `bulk`), and why it fell back to REST.
            try db.alter(table: "sync_run_object") { t in
                t.add(column: "method", .text)
                t.add(column: "fallback", .text)
            }
        }
        migrator.registerMigration("v8_login_flow") { db in
            // How the org was logged into (device, password, web, jwt, client_credentials, token, sfdx_url, demo):
            // it decides how the engine renews the session with no person there. NULL: a login from before it was kept.
            // A JWT bearer login renews itself by signing a new assertion: the key's path and the audience it used.
            try db.alter(table: "org") { t in
                t.add(column: "flow", .text)
                t.add(column: "jwt_key_path", .text)
                t.add(column: "jwt_audience", .text)
            }
        }
        migrator.registerMigration("v9_export_parked") { db in
            // A profile's failed writes in a row; at lytics.max_attempts its outcome becomes `parked` and it is not
            // sent again until `exports retry`. A run counts the parked profiles it held back or parked.
            try db.alter(table: "export_profile") { t in t.add(column: "attempts", .integer).notNull().defaults(to: 0) }
            try db.alter(table: "sync_run") { t in t.add(column: "parked", .integer).notNull().defaults(to: 0) }
        }
        migrator.registerMigration("v10_export_bulk") { db in
            // A Bulk API 2.0 ingest job of the export, from the intent to create it (no job id yet) through its upload
            // to the transaction that settles its results and deletes the row; and the job each profile rides.
            try db.create(table: "export_bulk_job") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("org", .text).notNull().indexed()
                t.column("job_id", .text)
                t.column("operation", .text).notNull()
                t.column("external_id_field", .text)
                t.column("phase", .text).notNull()
                t.column("run_id", .integer)
                t.column("at", .double).notNull()
            }
            try db.alter(table: "export_profile") { t in t.add(column: "bulk_job", .integer) }
        }
        migrator.registerMigration("v11_formula_refresh") { db in
            // When an object's formula fields were last read again and its Ids last reconciled with the org's, and how
            // many stored values a run refreshed.
            try db.alter(table: "import_object") { t in
                t.add(column: "formula_refreshed_at", .double)
                t.add(column: "deletes_reconciled_at", .double)
            }
            try db.alter(table: "sync_run_object") { t in t.add(column: "refreshed", .integer).notNull().defaults(to: 0) }
            // A cached describe's ETag: revalidated by it as well as by Last-Modified (whole seconds).
            try db.alter(table: "describe_cache") { t in t.add(column: "etag", .text) }
        }
        migrator.registerMigration("v12_shell_errors") { db in
            // The last errors the shell printed (a support bundle carries them): the command's name, never its line.
            try db.create(table: "shell_error") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .double).notNull()
                t.column("org", .text)
                t.column("command", .text).notNull()
                t.column("status", .integer).notNull()
                t.column("message", .text).notNull()
                t.column("hint", .text)
            }
        }
    }
}
