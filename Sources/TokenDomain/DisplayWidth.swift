/// How many terminal columns text takes: 2 for East Asian wide characters and emoji, 0 for combining marks.
public enum DisplayWidth {
    @inlinable public static func of(_ text: String) -> Int { text.reduce(0) { $0 + of($1) } }

    /// The part of a character a terminal draws in the width `of` gives it: its first scalar and the combining marks
    /// (and Hangul vowel and final jamo) after it. Emoji modifiers, joined emoji and the second half of a flag would
    /// each take cells of their own in ncurses and push the rest of the line out of place, so they are left out.
    @inlinable public static func printable(_ character: Character) -> String {
        var scalars = character.unicodeScalars.makeIterator()
        guard let first = scalars.next() else { return "" }
        var out = String.UnicodeScalarView([first])
        while let next = scalars.next() {
            let combining = [.nonspacingMark, .enclosingMark, .spacingMark].contains(next.properties.generalCategory)
                || (0x1160...0x11FF).contains(next.value) || (0xD7B0...0xD7FF).contains(next.value)
            guard combining else { break }
            out.append(next)
        }
        return String(out)
    }

    @inlinable public static func of(_ character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        return of(first)
    }

    @inlinable public static func of(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x300 { return value < 0x20 || (0x7F..<0xA0).contains(value) ? 0 : 1 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
        ]
        return wide.contains { $0.contains(value) } ? 2 : 1
    }

    /// Splits text at newlines, then into pieces of at most `width` columns, at spaces where it can and inside a
    /// word (a long URL) only when the word alone is wider.
    public static func wrap(_ text: String, width: Int) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).flatMap { paragraph -> [String] in
            var lines: [String] = [], line = ""
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: false) {
                let candidate = line.isEmpty ? String(word) : line + " " + word
                if DisplayWidth.of(candidate) <= width { line = candidate; continue }
                if !line.isEmpty { lines.append(line) }
                var pieces = split(String(word), width: width)
                line = pieces.removeLast()
                lines += pieces
            }
            return lines + [line]
        }
    }

    /// A word cut into pieces of at most `width` columns (one character each at the least).
    private static func split(_ word: String, width: Int) -> [String] {
        var pieces: [String] = [], piece = ""
        for character in word {
            if !piece.isEmpty && DisplayWidth.of(piece + String(character)) > width { pieces.append(piece); piece = "" }
            piece.append(character)
        }
        return pieces + [piece]
    }
}
