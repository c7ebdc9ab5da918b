public import SalesforceModel
public import JSON
import Salesforce
public import Store

/// An engine failure a person can act on: what failed and why, what to do,
/// and Salesforce's own error when there is one. Its kind decides the exit
/// code the shell gives it (SPEC §3.4).
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Bad input: an unknown object, setting or value. Exit 2.
        case usage
        /// The work failed. Exit 1.
        case failure
        /// Authentication or authorization. Exit 3.
        case auth
        /// The org's API limit or the job's budget. Exit 4.
        case limit
        /// The network or Salesforce, after retries. Exit 5.
        case unavailable
    }

    public var kind: Kind
    public var message: String
    public var hint: String?
    /// Salesforce's error (`errorCode`, `message`, `fields`, `status`), kept as sent.
    public var salesforce: JSONValue?

    public init(_ kind: Kind, _ message: String, hint: String? = nil, salesforce: JSONValue? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
        self.salesforce = salesforce
    }

    public var description: String { message }

    /// A Salesforce failure: its errorCode and message shown, the kind by what
    /// went wrong, and what to do.
    public init(_ error: SalesforceError, doing action: String) {
        let kind: Kind
        var hint: String?
        switch error.kind {
        case .authentication:
            kind = .auth
            switch error.code {
            case "API_CURRENTLY_DISABLED":
                hint = "give the user the API Enabled permission (profile or permission set)"
            case "API_DISABLED_FOR_ORG":
                hint = "the org's edition has no API access (Professional needs the API add-on)"
            case "invalid_client_id", "invalid_client":
                hint = "check the connected app's client id and secret (set client_id / set client_secret)"
            default:
                hint = "log in again: login (or login --password, or login --token … --instance …)"
            }
        case .limitExceeded:
            kind = .limit
            hint = "the org's rolling 24 h API allowance is used up; 'limits' and 'usage' show where it went"
        case .budgetExhausted:
            kind = .limit
            hint = "'sync status' shows the budgets; 'usage' shows where the calls went"
        case .unavailable:
            kind = .unavailable
            hint = "check the network and the instance URL, then try again"
        case .refused:
            kind = .usage
        case .insecure:
            kind = .unavailable
            hint = "sfsh never skips certificate checks: use the org's own https URL (a proxy that re-signs TLS needs "
                + "its CA in the system's trust store)"
        case .interrupted:
            kind = .failure
        case .ledger:
            kind = .failure
            hint = "the sfsh database must be writable: check the disk and the home directory"
        case .request, .protocolViolation:
            kind = .failure
            switch error.code {
            case "MALFORMED_QUERY": hint = "check the SOQL syntax"
            case "INVALID_FIELD": hint = "'fields OBJECT' lists the fields you can use"
            case "INVALID_TYPE", "NOT_FOUND": hint = "'objects' lists the sObjects you can use"
            default: break
            }
        }
        self.init(kind, "\(action) failed: \(error.description)", hint: hint,
                  salesforce: error.code == nil && error.status == 0 ? nil : error.json)
    }

    public init(_ error: StoreError) {
        self.init(.failure, error.description)
    }

    /// A value typed by the user, cut for an error message.
    public static func excerpt(_ word: String, limit: Int = 60) -> String {
        TerminalText.truncate(TerminalText.sanitize(word), to: limit)
    }
}
