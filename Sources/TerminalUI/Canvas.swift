import TokenDomain

/// Colours a cell can ask for; the backend drops them under `NO_COLOR`.
public enum Color: Int, Hashable, Sendable, CaseIterable {
    case red = 1, yellow, green, cyan, blue, magenta
}

/// How a cell is drawn.
public struct Style: Hashable, Sendable {
    public var bold = false
    public var reverse = false
    public var dim = false
    public var underline = false
    public var color: Color?

    public init(bold: Bool = false, reverse: Bool = false, dim: Bool = false, underline: Bool = false, color: Color? = nil) {
        self.bold = bold
        self.reverse = reverse
        self.dim = dim
        self.underline = underline
        self.color = color
    }

    public static let plain = Style()
}

/// One terminal cell: a character (empty for the right half of a wide character) and its style.
public struct Cell: Hashable, Sendable {
    public var text: String
    public var style: Style

    static let blank = Cell(text: " ", style: .plain)
}

/// A grid of cells that widgets draw into; the terminal backend only paints it.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell { cells[y * width + x] }

    /// Writes text at (x, y), made safe and clipped to `maxWidth` columns with an ellipsis; returns the columns used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(maxWidth ?? (width - x), width - x)
        guard limit > 0 else { return 0 }
        let safe = Sanitized.visible(text)
        let total = DisplayWidth.of(safe)
        var column = x
        var used = 0
        for character in safe {
            let characterWidth = DisplayWidth.of(character)
            if characterWidth == 0 { continue }
            let room = limit - used
            let needsEllipsis = total > limit && used + characterWidth > limit - 1
            if needsEllipsis || characterWidth > room {
                if room >= 1, column >= 0 { set(column, y, Cell(text: "…", style: style)) }
                used += min(1, room)
                break
            }
            if column >= 0 {
                set(column, y, Cell(text: DisplayWidth.printable(character), style: style))
                if characterWidth == 2, column + 1 < width { set(column + 1, y, Cell(text: "", style: style)) }
            }
            column += characterWidth
            used += characterWidth
        }
        return used
    }

    /// Paints a rectangle with spaces of the given style.
    public mutating func fill(x: Int, y: Int, width: Int, height: Int, style: Style) {
        for row in max(0, y)..<min(self.height, y + height) {
            for column in max(0, x)..<min(self.width, x + width) { set(column, row, Cell(text: " ", style: style)) }
        }
    }

    /// Draws a box border with a title in its top edge.
    public mutating func box(x: Int, y: Int, width: Int, height: Int, title: String, style: Style = .plain) {
        fill(x: x, y: y, width: width, height: height, style: .plain)
        guard width >= 2, height >= 2 else { return }
        for column in x + 1..<x + width - 1 {
            put("─", x: column, y: y, style: style)
            put("─", x: column, y: y + height - 1, style: style)
        }
        for row in y + 1..<y + height - 1 {
            put("│", x: x, y: row, style: style)
            put("│", x: x + width - 1, y: row, style: style)
        }
        put("┌", x: x, y: y, style: style)
        put("┐", x: x + width - 1, y: y, style: style)
        put("└", x: x, y: y + height - 1, style: style)
        put("┘", x: x + width - 1, y: y + height - 1, style: style)
        put(" \(title) ", x: x + 2, y: y, style: Style(bold: true), maxWidth: width - 4)
    }

    /// Sets the style of a span of cells without changing their text.
    public mutating func restyle(x: Int, y: Int, width: Int, style: Style) {
        guard y >= 0, y < height else { return }
        for column in max(0, x)..<min(self.width, x + width) { cells[y * self.width + column].style = style }
    }

    private mutating func set(_ x: Int, _ y: Int, _ cell: Cell) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        cells[y * width + x] = cell
    }

    /// The grid as plain text lines, trailing spaces removed: what snapshot tests compare.
    public var lines: [String] {
        (0..<height).map { row in
            var line = ""
            for column in 0..<width { line += cells[row * width + column].text }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }
}

/// How many terminal columns text takes: 2 for East Asian wide characters and emoji, 0 for combining marks.
public enum DisplayWidth {
    public static func of(_ text: String) -> Int { text.reduce(0) { $0 + of($1) } }

    /// The part of a character a terminal draws in the width `of` gives it: its first scalar and the combining marks
    /// (and Hangul vowel and final jamo) after it. Emoji modifiers, joined emoji and the second half of a flag would
    /// each take cells of their own in ncurses and push the rest of the line out of place, so they are left out.
    public static func printable(_ character: Character) -> String {
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

    public static func of(_ character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        return of(first)
    }

    static func of(_ scalar: Unicode.Scalar) -> Int {
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
}
