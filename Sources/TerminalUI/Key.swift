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
