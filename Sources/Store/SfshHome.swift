import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The sfsh home directory: where the database and the history file live.
///
/// It is created 0700 and refused when group or others can read it, because it
/// holds OAuth tokens.
public struct SfshHome: Sendable, Equatable {
    public let path: String

    public var databasePath: String { path + "/sfsh.db" }
    public var historyPath: String { path + "/history" }

    /// The home named by `--home`, else `SFSH_HOME`, else `~/.sfsh`.
    public static func resolve(option: String?, environment: [String: String]) -> SfshHome {
        if let option, !option.isEmpty { return SfshHome(path: absolute(option)) }
        if let env = environment["SFSH_HOME"], !env.isEmpty { return SfshHome(path: absolute(env)) }
        let userHome = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return SfshHome(path: absolute(userHome + "/.sfsh"))
    }

    public init(path: String) {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed
    }

    /// Creates the directory (0700) if needed and checks that only its owner can read it.
    public func prepare() throws(StoreError) {
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else {
                throw .homeUnusable(path: path, reason: String(cString: strerror(errno)))
            }
            do {
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw .homeUnusable(path: path, reason: (error as NSError).localizedDescription)
            }
            chmod(path, 0o700)
            guard stat(path, &info) == 0 else {
                throw .homeUnusable(path: path, reason: String(cString: strerror(errno)))
            }
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .homeUnusable(path: path, reason: "it is not a directory")
        }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw .homeNotPrivate(path: path, mode: mode, fix: "chmod 700 \(Self.quoted(path))")
        }
        try Self.checkPrivateFile(databasePath)
        try Self.checkPrivateFile(historyPath)
    }

    /// Refuses an existing file that group or others can read.
    static func checkPrivateFile(_ file: String) throws(StoreError) {
        var info = stat()
        guard stat(file, &info) == 0 else { return }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw .homeNotPrivate(path: file, mode: mode, fix: "chmod 600 \(quoted(file))")
        }
    }

    static func quoted(_ path: String) -> String {
        path.contains(where: { " '\"$\\".contains($0) })
            ? "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'" : path
    }

    private static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "~" || path.hasPrefix("~/") {
            return NSHomeDirectory() + path.dropFirst()
        }
        return FileManager.default.currentDirectoryPath + "/" + path
    }
}
