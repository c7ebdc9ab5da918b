import SyncEngine
import SalesforceModel
import Foundation

/// A session's own current org: resolved from the home-wide choice once, then
/// changed only by this session (`use`, `login`, `logout`). Shared with the
/// completer on libedit's thread, hence the lock.
final class SessionOrg: @unchecked Sendable {
    private let lock = NSLock()
    private var resolved = false
    private var alias: String?

    /// The alias, reading it with `initial` the first time only.
    func resolve(_ initial: () -> String?) -> String? {
        lock.withLock {
            if !resolved {
                alias = initial()
                resolved = true
            }
            return alias
        }
    }

    func set(_ alias: String?) {
        lock.withLock {
            self.alias = alias
            resolved = true
        }
    }
}
