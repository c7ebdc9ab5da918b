import Foundation
import Store
import Testing
@testable import SyncEngine

@Suite struct SyncSettingsTests {
    func store() throws -> Store {
        try Store(home: SfshHome(path: NSTemporaryDirectory() + "sfsh-engine-" + UUID().uuidString))
    }

    @Test func separateBudgetsPerDirectionWithTheLegacyKeyAsTheirDefault() throws {
        let store = try store()
        var settings = try SyncSettings.load(from: store, scope: "prod")
        #expect(settings.importBudget == nil && settings.exportBudget == nil && settings.levitateBudget == nil)
        #expect(settings.notes.isEmpty)

        try store.setSetting("lytics.max_daily_calls", to: "5000", scope: "prod")
        settings = try SyncSettings.load(from: store, scope: "prod")
        #expect(settings.budget(for: .import) == 5000)
        #expect(settings.budget(for: .export) == 5000)
        #expect(settings.notes.count == 1)
        #expect(settings.notes.first?.contains("lytics.import_max_daily_calls") == true)

        try store.setSetting("lytics.import_max_daily_calls", to: "700", scope: "prod")
        try store.setSetting("lytics.export_max_daily_calls", to: "300", scope: "prod")
        try store.setSetting("levitate.max_daily_calls", to: "90", scope: "prod")
        settings = try SyncSettings.load(from: store, scope: "prod")
        #expect(settings.budget(for: .import) == 700)
        #expect(settings.budget(for: .export) == 300)
        #expect(settings.budget(for: .contacts) == 90)
        #expect(settings.budget(for: .writeback) == 90)
        #expect(settings.notes.isEmpty)
        // Another org's scope is its own.
        #expect(try SyncSettings.load(from: store, scope: "sandbox").importBudget == nil)
    }

    @Test func typeListsComeFromTheRules() {
        #expect(SyncSettings.spec("levitate.tag_fields")?.kind == .fields(object: "Contact", types: ["picklist", "multipicklist", "boolean", "string"]))
        #expect(SyncSettings.spec("lytics.more_fields")?.kind
            == .pairs(object: "Lead", types: ["boolean", "double", "currency", "percent", "int", "string", "textarea",
                                              "email", "phone", "url", "picklist", "date", "datetime"]))
    }
}
