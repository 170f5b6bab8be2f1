import TokenDomain

/// What a coloured cell means; the palette (config.toml's `[colors]`) decides the colour, and `NO_COLOR` drops it.
public enum Color: Int, Hashable, Sendable, CaseIterable {
    /// Expired rows, errors, the revoke dialog.
    case danger = 1
    /// Expiring rows and the secret's warning.
    case warning
    /// Done: the status line after a change, the secret dialog, the save button.
    case success
    /// Tabs, key names, focus, frames.
    case accent
    /// Marked rows.
    case mark
    /// The search box.
    case search

    /// The name used in config.toml and `apitokens keys`.
    public var name: String { "\(self)" }
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

    /// Paints a rectangle with spaces of the given style; the part outside the canvas is left out.
    public mutating func fill(x: Int, y: Int, width: Int, height: Int, style: Style) {
        let rows = max(0, y)..<max(max(0, y), min(self.height, y + height))
        let columns = max(0, x)..<max(max(0, x), min(self.width, x + width))
        for row in rows {
            for column in columns { set(column, row, Cell(text: " ", style: style)) }
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
