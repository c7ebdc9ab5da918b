/// Why the store could not be used, with what to do about it.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case homeNotPrivate(path: String, mode: UInt32, fix: String)
    case homeUnusable(path: String, reason: String)
    case database(String)

    public var description: String {
        switch self {
        case let .homeNotPrivate(path, mode, fix):
            return "refusing to use \(path): its mode is \(String(mode, radix: 8)), so other users can read it "
                + "and it holds OAuth tokens; fix it with: \(fix)"
        case let .homeUnusable(path, reason):
            return "cannot use the sfsh home \(path): \(reason); choose another with --home DIR or SFSH_HOME"
        case let .database(message):
            return "the sfsh database failed: \(message)"
        }
    }
}
