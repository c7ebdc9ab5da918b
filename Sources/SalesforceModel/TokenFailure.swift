/// What a refusal from `/services/oauth2/token` means and how to fix it: one row per answer Salesforce gives
/// (its `error` and a phrase of its `error_description`), matched in order, the first row that fits.
public enum TokenFailure {
    public struct Row: Sendable {
        public let error: String
        /// A phrase of `error_description` (lower case); nil matches any description.
        public let phrase: String?
        public let explanation: String
    }

    public static let rows: [Row] = [
        Row(error: "invalid_grant", phrase: "request not supported on this domain",
            explanation: "this grant is taken only on the org's own My Domain host; log in with --instance https://DOMAIN.my.salesforce.com, not a login host"),
        Row(error: "invalid_grant", phrase: "no client credentials user enabled",
            explanation: "the connected app has no Run As user for the client-credentials flow; set one in its OAuth policies (Client Credentials Flow → Run As)"),
        Row(error: "invalid_grant", phrase: "user hasn't approved this consumer",
            explanation: "the user is not pre-authorized for the app: set Permitted Users to 'Admin approved users are pre-authorized' and add the user's profile or permission set"),
        Row(error: "invalid_grant", phrase: "audience is invalid",
            explanation: "the JWT's aud must be https://login.salesforce.com (https://test.salesforce.com for a sandbox), never the My Domain host; pass --audience to choose"),
        Row(error: "invalid_grant", phrase: "expired access/refresh token",
            explanation: "the refresh token was revoked or expired by the app's policy; log in again (or use --client-credentials for unattended use)"),
        Row(error: "invalid_grant", phrase: "authentication failure",
            explanation: "the username, password or security token was refused, or username-password logins are blocked in this org (the default since Summer '23); use the web, device, JWT or client-credentials flow"),
        Row(error: "invalid_client_id", phrase: nil,
            explanation: "no connected app has this client id in this org (or it is not installed yet: a new app takes minutes to reach every server)"),
        Row(error: "invalid_client", phrase: nil,
            explanation: "the client secret does not match the connected app's consumer secret"),
        Row(error: "invalid_app_access", phrase: nil,
            explanation: "the user may not use this app: pre-authorize the user's profile or permission set in the app's policies"),
        Row(error: "unsupported_grant_type", phrase: nil,
            explanation: "the app does not offer this flow, or the request went over http:// instead of https://"),
        Row(error: "inactive_user", phrase: nil, explanation: "the user is deactivated"),
        Row(error: "inactive_org", phrase: nil, explanation: "the org is locked, closed or suspended"),
    ]

    /// The explanation of a token-endpoint refusal, or nil when no row knows it.
    public static func explanation(error: String, description: String?) -> String? {
        let text = description?.lowercased() ?? ""
        return rows.first { $0.error == error && ($0.phrase.map(text.contains) ?? true) }?.explanation
    }
}
