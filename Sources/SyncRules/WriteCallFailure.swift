public import SalesforceModel

/// What a write call that failed as a whole left behind: the one rule the export and the write-back
/// settle their intents by.
public enum WriteCallFailure: Sendable, Equatable {
    /// Refused before it was sent (budget, the org's limit, authentication, a refused URL, a certificate
    /// that does not verify, Ctrl-C before an answer): nothing was written; the intents are cleared and the run stops.
    case notSent
    /// Sent and answered, but the answer could not be recorded: the intents stay for the next run.
    case unrecorded
    /// Rejected as a request (a 4xx that is not transient): none of its records was written; each fails.
    case rejected
    /// Anything else (5xx, dropped connection, timeout, an unreadable answer): the outcome is unknown.
    case unknown

    public init(_ error: SalesforceError) {
        switch error.kind {
        case .budgetExhausted, .limitExceeded, .authentication, .refused, .insecure: self = .notSent
        case .ledger: self = .unrecorded
        case .request where !error.isTransient && (400..<500).contains(error.status): self = .rejected
        // Ctrl-C may land after the request went out: its outcome is not known.
        case .interrupted, .unavailable, .protocolViolation, .request: self = .unknown
        }
    }
}
