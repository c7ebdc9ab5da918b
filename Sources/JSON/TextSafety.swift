/// Which characters of untrusted text must never reach a terminal as they are:
/// controls (C0, DEL, C1: escape sequences, bells, OSC titles) and the invisible
/// format characters that make text read otherwise than it is (bidi overrides
/// and isolates, zero-width characters, line and paragraph separators, BOM).
/// One rule for the terminal's text and the JSON writer.
public enum TextSafety {
    /// C0 controls, DEL and C1 controls.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Bidi embeddings, overrides and isolates, zero-width characters, LS/PS and the BOM.
    public static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0xFEFF, 0x061C: true
        default: false
        }
    }

    /// Whether `scalar` must be shown escaped.
    public static func mustEscape(_ scalar: Unicode.Scalar) -> Bool { isControl(scalar) || isInvisible(scalar) }
}
