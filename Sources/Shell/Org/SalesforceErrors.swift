import JSON
import Salesforce
import Store

extension ShellError {
    /// A Salesforce failure as a shell error: its errorCode and message shown,
    /// the exit code by kind (SPEC §3.4), and what to do.
    init(_ error: SalesforceError, doing action: String) {
        let status: ExitStatus
        var hint: String?
        switch error.kind {
        case .authentication:
            status = .auth
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
            status = .limit
            hint = "the org's rolling 24 h API allowance is used up; 'limits' and 'usage' show where it went"
        case .unavailable:
            status = .unavailable
            hint = "check the network and the instance URL, then try again"
        case .refused:
            status = .usage
        case .request, .protocolViolation:
            status = .failure
            switch error.code {
            case "MALFORMED_QUERY": hint = "check the SOQL syntax"
            case "INVALID_FIELD": hint = "'fields OBJECT' lists the fields you can use"
            case "INVALID_TYPE", "NOT_FOUND": hint = "'objects' lists the sObjects you can use"
            default: break
            }
        }
        self.init(status, "\(action) failed: \(error.description)", hint: hint,
                  salesforce: error.code == nil && error.status == 0 ? nil : error.json)
    }
}

extension ShellError {
    init(_ error: StoreError) {
        self.init(.failure, error.description)
    }
}
