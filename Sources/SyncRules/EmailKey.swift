import Foundation

/// How two emails are the same person: trimmed, compared without case in every
/// script (as Salesforce's duplicate rules and SOQL compare text), so
/// `ünï@example.com` and `ÜNÏ@EXAMPLE.COM` are one Lead. Case folding, not
/// lower-casing: `ΣΑΣ` and `σας` fold alike.
public enum EmailKey {
    /// The key of `email`, nil when it is blank.
    public static func key(_ email: String) -> String? {
        let trimmed = email.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        return trimmed.folding(options: .caseInsensitive, locale: nil)
    }
}
