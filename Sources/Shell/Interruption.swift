import CEditLine

/// Ctrl-C as commands and jobs see it: injected into the session, so no handler reads a C global.
/// `take` answers whether it was pressed and clears it (a command stops once); `isPending` only looks
/// (a request in flight aborts, and the command still sees it at its next check).
public struct Interruption: Sendable {
    public let take: @Sendable () -> Bool
    public let isPending: @Sendable () -> Bool

    public init(take: @escaping @Sendable () -> Bool, isPending: @escaping @Sendable () -> Bool) {
        self.take = take
        self.isPending = isPending
    }

    /// Never interrupted (tests, scripts without a terminal).
    public static let never = Interruption(take: { false }, isPending: { false })

    /// SIGINT, as the terminal's line reader installs its handler for it.
    public static let sigint = Interruption(take: { sfsh_take_sigint() != 0 }, isPending: { sfsh_sigint_pending() != 0 })
}
