/// Makes stored text safe to print: control and bidi characters become visible escapes.
public enum Sanitized {
    /// Whether a scalar would change terminal state or text direction if emitted raw.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x200E, 0x200F, 0x061C: true            // directional marks
        case 0x202A...0x202E, 0x2066...0x2069: true  // bidi embeddings, overrides, isolates
        case 0x2028, 0x2029: true                    // line and paragraph separators
        default: false
        }
    }

    /// Whether the text holds any character that `visible` would escape.
    public static func containsControl(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isControl)
    }

    /// The text with every control character replaced by a printable escape such as `\x1b` or `\u{202E}`.
    public static func visible(_ text: String) -> String {
        guard containsControl(text) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar) else { out.append(scalar); continue }
            let escape = scalar.value <= 0xFF
                ? "\\x" + hex(scalar.value, width: 2)
                : "\\u{" + hex(scalar.value, width: 4) + "}"
            out.append(contentsOf: escape.unicodeScalars)
        }
        return String(out)
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
