import TokenDomain

/// A key press or mouse click, decoded from the terminal.
public enum Key: Hashable, Sendable {
    case character(Character)
    case control(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case tab, backTab, enter, escape, backspace, delete, f1
    case click(x: Int, y: Int)
    case scrollUp, scrollDown
    case resize(width: Int, height: Int)

    /// How the key is written in hints and help.
    public var label: String {
        switch self {
        case .character(" "): "Space"
        case .character(let character): String(character)
        case .control(let character): "Ctrl-\(character.uppercased())"
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .enter: "Enter"
        case .escape: "Esc"
        case .backspace: "Backspace"
        case .delete: "Delete"
        case .f1: "F1"
        case .click: "Click"
        case .scrollUp: "Wheel up"
        case .scrollDown: "Wheel down"
        case .resize: "Resize"
        }
    }
}

extension Key {
    /// The keys a person can name in config.toml, by the names written there.
    static let named: [(name: String, key: Key)] = [
        ("Up", .up), ("Down", .down), ("Left", .left), ("Right", .right), ("PgUp", .pageUp), ("PgDn", .pageDown),
        ("Home", .home), ("End", .end), ("Tab", .tab), ("Shift-Tab", .backTab), ("Enter", .enter), ("Esc", .escape),
        ("Backspace", .backspace), ("Delete", .delete), ("F1", .f1), ("Space", .character(" ")),
    ]

    /// Reads a key as config.toml writes it: `x`, `Enter`, `PgDn`, `Ctrl-S`; nil for anything else.
    public init?(configName text: String) {
        if let named = Self.named.first(where: { $0.name.caseInsensitiveCompare(text) == .orderedSame }) {
            self = named.key
        } else if text.count == 1, let character = text.first, !character.isWhitespace,
                  !character.unicodeScalars.contains(where: Sanitized.isControl) {
            self = .character(character)
        } else if text.lowercased().hasPrefix("ctrl-"), text.count == 6, let letter = text.last?.lowercased().first,
                  letter.isASCII, letter.isLetter {
            // A terminal sends these as Tab, Enter and Backspace, so that is what they are.
            switch letter {
            case "i": self = .tab
            case "j", "m": self = .enter
            case "h": self = .backspace
            default: self = .control(letter)
            }
        } else {
            return nil
        }
    }

    /// How config.toml and `apitokens keys` write the key.
    public var configName: String {
        if let named = Self.named.first(where: { $0.key == self }) { return named.name }
        return label
    }
}
