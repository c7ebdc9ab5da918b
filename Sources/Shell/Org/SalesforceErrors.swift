import SalesforceModel
import JSON
import Salesforce
import Store
public import SyncEngine

extension ExitStatus {
    /// The exit code of an engine failure's kind (SPEC §3.4).
    init(_ kind: EngineError.Kind) {
        switch kind {
        case .usage: self = .usage
        case .failure: self = .failure
        case .auth: self = .auth
        case .limit: self = .limit
        case .unavailable: self = .unavailable
        }
    }
}

extension ShellError {
    /// An engine failure at the shell's edge: same message, hint and Salesforce error.
    public init(_ error: EngineError) {
        self.init(ExitStatus(error.kind), error.message, hint: error.hint, salesforce: error.salesforce)
    }

    /// A Salesforce failure as a shell error: its errorCode and message shown,
    /// the exit code by kind (SPEC §3.4), and what to do.
    init(_ error: SalesforceError, doing action: String) {
        self.init(EngineError(error, doing: action))
    }

    init(_ error: StoreError) {
        self.init(.failure, error.description)
    }
}
