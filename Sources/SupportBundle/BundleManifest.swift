public import JSON

/// The manifest every bundle opens with (`manifest.json`): `{"format", "format_version", "created_at", "sfsh":
/// {"version", "platform"}, "options", "summary", "missing", "files": [{"name", "holds", "redacted"}]}`.
public enum BundleManifest {
    public static let format = "sfsh-support-bundle"
    public static let version = 1

    /// The bundle's manifest, checked to be one this sfsh reads.
    public static func read(_ archive: BundleArchive) throws(BundleError) -> JSONValue {
        guard let manifest = try archive.json(BundleArchive.manifestName), manifest["format"] == .string(format) else {
            throw BundleError("not an sfsh support bundle (its manifest names no \(format))")
        }
        guard let found = manifest["format_version"]?.intValue, found <= version else {
            throw BundleError("the bundle's format version \(manifest["format_version"]?.serialized() ?? "?") is newer than this sfsh reads (\(version))")
        }
        return manifest
    }
}
