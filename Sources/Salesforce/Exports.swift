// The value types (describes, pages, limits, errors) live in SalesforceModel,
// which has no transport, so the pure rules can use them without libcurl.
@_exported import SalesforceModel
