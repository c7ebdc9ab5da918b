import SalesforceModel
public import SyncEngine

/// The settings sfsh knows: the shell's own, then the engine's sync settings.
public enum SettingsRegistry {
    public static let all: [SettingSpec] = [
        SettingSpec("format", .choice(["table", "json", "csv"]), default: "table",
                    help: "default output format of data commands"),
        SettingSpec("color", .choice(["auto", "always", "never"]), default: "auto",
                    help: "colour on a terminal (NO_COLOR in the environment always turns it off)"),
        SettingSpec("history_size", .integer(0...100_000), default: "1000",
                    help: "how many lines the history file keeps"),
        SettingSpec("client_id", .text,
                    help: "connected app consumer key used by login"),
        SettingSpec("client_secret", .text, secret: true,
                    help: "connected app consumer secret (type 'set client_secret' to enter it unechoed)"),
    ] + SyncSettings.specs

    public static func spec(_ key: String) -> SettingSpec? {
        all.first { $0.key == key.lowercased() }
    }

    public static var keys: [String] { all.map(\.key) }
}
