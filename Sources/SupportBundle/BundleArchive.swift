public import Foundation
public import JSON
import ZIPFoundation

/// Why a bundle could not be written or read.
public struct BundleError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// A support bundle's archive: named files (JSON, each compressed with deflate) in one zip, written and read by
/// ZIPFoundation in-process. Reading never extracts to disk: an entry's name is only a key, so a hostile archive's
/// `../` names reach nothing, and its sizes are bounded before anything is inflated.
public struct BundleArchive: Sendable {
    /// The file every bundle opens with: what each other file holds and what was redacted.
    public static let manifestName = "manifest.json"
    /// The most one entry (and the whole archive) may inflate to when read.
    public static let largestEntry = 256 << 20
    public static let largestArchive = 1 << 30

    public private(set) var files: [(name: String, data: Data)] = []

    public init() {}

    /// Adds (or replaces) a file.
    public mutating func add(_ name: String, _ data: Data) {
        files.removeAll { $0.name == name }
        files.append((name, data))
    }

    public mutating func add(_ name: String, json: JSONValue) { add(name, Data((json.prettyPrinted() + "\n").utf8)) }

    public func data(_ name: String) -> Data? { files.first { $0.name == name }?.data }

    /// The file `name` parsed as JSON; nil when it is absent.
    public func json(_ name: String) throws(BundleError) -> JSONValue? {
        guard let data = data(name) else { return nil }
        do { return try JSONValue.parse(data) } catch { throw BundleError("\(name) in the bundle is not JSON: \(error)") }
    }

    /// Writes the archive to `url` (mode 0600), through a temporary file renamed into place, so a failed write
    /// leaves no half archive.
    public func write(to url: URL, modified: Date) throws(BundleError) {
        var isDirectory: ObjCBool = false
        let directory = url.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue,
              FileManager.default.isWritableFile(atPath: directory.path) else {
            throw BundleError("cannot write \(url.path): \(directory.path) is not a directory you can write to")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).partial")
        try? FileManager.default.removeItem(at: temporary)
        do {
            let archive = try Archive(url: temporary, accessMode: .create)
            for (name, data) in files {
                try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), modificationDate: modified,
                                     permissions: 0o600, compressionMethod: .deflate) { position, size in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            }
            chmod(temporary.path, 0o600)
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            try FileManager.default.moveItem(at: temporary, to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw BundleError("cannot write \(url.path): \(error)")
        }
    }

    /// Reads every file of the archive at `url` into memory.
    public static func read(_ url: URL) throws(BundleError) -> BundleArchive {
        guard FileManager.default.isReadableFile(atPath: url.path) else { throw BundleError("\(url.path): no such file, or it cannot be read") }
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw BundleError("\(url.path) is not a support bundle (not a zip archive)")
        }
        var bundle = BundleArchive()
        var total = 0
        for entry in archive where entry.type == .file {
            let size = Int(clamping: entry.uncompressedSize)
            total += size
            guard size <= largestEntry, total <= largestArchive else {
                throw BundleError("\(url.path): \(entry.path) is larger than a support bundle's files may be")
            }
            var data = Data()
            data.reserveCapacity(size)
            do {
                _ = try archive.extract(entry) { chunk in
                    data.append(chunk)
                    if data.count > largestEntry { throw BundleError("\(entry.path) inflates past its stated size") }
                }
            } catch {
                throw BundleError("\(url.path): cannot read \(entry.path): \(error)")
            }
            bundle.add(entry.path, data)
        }
        guard bundle.data(manifestName) != nil else {
            throw BundleError("\(url.path) is not a support bundle (no \(manifestName))")
        }
        return bundle
    }
}
