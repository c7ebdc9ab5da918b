/// Who sfsh is to an org: the version it reports, and the `Sforce-Call-Options` every REST and Bulk
/// request carries so an admin sees sfsh's share of the org's calls in the event logs.
public enum ClientIdentity {
    public static let version = "0.21.0"
    public static let callOptionsHeader = "Sforce-Call-Options"
    /// `client=sfsh/VERSION`, as the Call Options header documents its `client` value.
    public static let callOptions = "client=sfsh/\(version)"
}
