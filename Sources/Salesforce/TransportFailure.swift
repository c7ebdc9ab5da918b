public import SalesforceModel

extension SalesforceError {
    /// A request that got no usable answer. Only a dropped or timed-out connection is worth another try
    /// (`.unavailable`); a certificate that does not verify, a malformed URL, an answer too large and
    /// Ctrl-C are final, each with its own words.
    public init(_ failure: TransportError) {
        switch failure {
        case .timedOut, .connection, .stalled:
            self.init(kind: .unavailable, message: failure.description)
        case .insecure:
            self.init(kind: .insecure, message: failure.description)
        case .invalidRequest:
            self.init(kind: .refused, message: failure.description)
        case .tooLarge:
            self.init(kind: .protocolViolation, message: failure.description)
        case .interrupted:
            self.init(kind: .interrupted, message: failure.description)
        }
    }
}
