import Foundation
import Testing
@testable import Store

@Suite struct StoreTests {
    func temporaryPath() -> String { NSTemporaryDirectory() + "sfsh-store-" + UUID().uuidString }

    func mode(_ path: String) -> UInt16 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.posixPermissions] as? NSNumber)?.uint16Value ?? 0
    }

    @Test func createsAPrivateHomeAndDatabase() throws {
        let home = SfshHome(path: temporaryPath() + "/nested/home")
        let store = try Store(home: home)
        #expect(mode(home.path) == 0o700)
        #expect(mode(home.databasePath) == 0o600)
        #expect(try store.appliedMigrations() == ["v1_settings", "v2_orgs_ledger_describe", "v3_profiles", "v4_sync", "v5_job_lease", "v6_export_levitate", "v7_bulk_import", "v8_login_flow", "v9_export_parked", "v10_export_bulk", "v11_formula_refresh", "v12_shell_errors"])
    }

    @Test func refusesAHomeOthersCanRead() throws {
        let path = temporaryPath()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let error = #expect(throws: StoreError.self) { try Store(home: SfshHome(path: path)) }
        #expect(error?.description.contains("fix it with: chmod 700 \(path)") == true)
    }

    @Test func refusesADatabaseOthersCanRead() throws {
        let home = SfshHome(path: temporaryPath())
        _ = try Store(home: home)
        chmod(home.databasePath, 0o644)
        let error = #expect(throws: StoreError.self) { try Store(home: home) }
        #expect(error?.description.contains("chmod 600") == true)
    }

    @Test func settingsAreScoped() throws {
        let store = try Store(home: SfshHome(path: temporaryPath()))
        try store.setSetting("format", to: "json", scope: "")
        try store.setSetting("format", to: "csv", scope: "demo")
        try store.setSetting("format", to: "table", scope: "demo")
        #expect(try store.setting("format", scope: "") == "json")
        #expect(try store.settings(scope: "demo") == ["format": "table"])
        #expect(try store.removeSetting("format", scope: "demo"))
        #expect(try !store.removeSetting("format", scope: "demo"))
    }

    /// Issue 25: a store opened at first use reads the home's settings without opening (no WAL set-up write,
    /// migration check or checkpoint), and opens as usual when it has to.
    @Test func settingsAreReadWithoutOpeningTheStore() throws {
        let home = SfshHome(path: temporaryPath())
        let fresh = try Store(home: home, openNow: false)
        #expect(!FileManager.default.fileExists(atPath: home.databasePath))
        #expect(try fresh.settingsWithoutOpening(scope: "") == [:])  // no database yet: it is created and migrated
        #expect(fresh.isOpen)
        try fresh.setSetting("format", to: "json", scope: "")
        try fresh.setSetting("format", to: "csv", scope: "demo")

        let later = try Store(home: home, openNow: false)
        let before = try Data(contentsOf: URL(fileURLWithPath: home.databasePath))
        #expect(try later.settingsWithoutOpening(scope: "") == ["format": "json"])
        #expect(try later.settingsWithoutOpening(scope: "demo") == ["format": "csv"])
        #expect(!later.isOpen)
        #expect(try Data(contentsOf: URL(fileURLWithPath: home.databasePath)) == before)
        #expect(mode(home.databasePath + "-shm") & 0o077 == 0)
        #expect(try later.setting("format", scope: "") == "json")  // any other read opens it
        #expect(later.isOpen)
        #expect(try later.appliedMigrations().count == 12)
    }

    /// Issue 25: a database that cannot be read fails the first use that needs it, saying why, not the opening.
    @Test func aBrokenDatabaseFailsItsFirstUse() throws {
        let home = SfshHome(path: temporaryPath())
        try FileManager.default.createDirectory(atPath: home.path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        _ = FileManager.default.createFile(atPath: home.databasePath, contents: Data(repeating: 0x41, count: 8192),
                                       attributes: [.posixPermissions: 0o600])
        let store = try Store(home: home, openNow: false)
        let error = #expect(throws: StoreError.self) { try store.settingsWithoutOpening(scope: "") }
        #expect(error?.description.contains("not a database") == true)
        #expect(throws: StoreError.self) { try store.orgs() }
        #expect(throws: StoreError.self) { try Store(home: home) }
    }

    /// Issue 24: a bundle's ledger, summed per source and hour.
    @Test func theLedgerSumsPerSourceAndHour() throws {
        let store = try Store(home: SfshHome(path: temporaryPath()))
        let hour = Date(timeIntervalSince1970: 1_800_000_000 - 1_800_000_000.truncatingRemainder(dividingBy: 3600))
        for (offset, source, status) in [(10.0, "import", 200), (20, "import", 503), (30, "check", 200), (3_700, "import", 0),
                                         (3_800, "import", 200)] {
            try store.record(LedgerEntry(at: hour.addingTimeInterval(offset), org: "a", source: source, method: "GET",
                                         path: "/x", status: status, durationMS: 1))
        }
        try store.record(LedgerEntry(at: hour, org: "b", source: "import", method: "GET", path: "/x", status: 200, durationMS: 1))
        let rows = try store.ledgerHours(since: hour.addingTimeInterval(-1), org: "a")
        #expect(rows.map(\.source) == ["check", "import", "import"])
        #expect(rows.map(\.hour) == [hour, hour, hour.addingTimeInterval(3600)])
        #expect(rows.map(\.calls) == [1, 2, 2] && rows.map(\.failed) == [0, 1, 1])
    }

    /// Issue 24: the errors the shell printed, the last 200 kept, newest first.
    @Test func shellErrorsKeepTheLastTwoHundred() throws {
        let store = try Store(home: SfshHome(path: temporaryPath()))
        for index in 0..<205 {
            try store.recordShellError(ShellErrorRecord(at: Date(timeIntervalSince1970: Double(index)), org: index % 2 == 0 ? "a" : nil,
                                                        command: "check", status: 1, message: "failure \(index)", hint: nil))
        }
        let kept = try store.shellErrors(limit: 1_000)
        #expect(kept.count == Store.keptShellErrors)
        #expect(kept.first?.message == "failure 204" && kept.last?.message == "failure 5")
        #expect(try store.shellErrors(limit: 3).map(\.message) == ["failure 204", "failure 203", "failure 202"])
    }

    @Test func resolvesTheHome() {
        #expect(SfshHome.resolve(option: "/x/", environment: ["SFSH_HOME": "/y"]).path == "/x")
        #expect(SfshHome.resolve(option: nil, environment: ["SFSH_HOME": "/y"]).path == "/y")
        #expect(SfshHome.resolve(option: nil, environment: ["HOME": "/home/u"]).path == "/home/u/.sfsh")
    }
}
