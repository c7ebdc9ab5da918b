public import SalesforceModel

/// Whether an org answered that it does not offer `/composite`: then plain collections (and plain
/// queries) are used, one call each, for the rest of the run.
public enum CompositeRefusal {
    public static func isRefusal(_ error: SalesforceError) -> Bool {
        error.status == 404 || (error.status == 400 && error.code == "INVALID_API_INPUT" && error.message.contains("omposite"))
    }
}
