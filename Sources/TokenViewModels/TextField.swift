import TokenDomain

/// An editable line of text with a cursor; the value behind every text input.
public struct TextField: Hashable, Sendable {
    public private(set) var text: String
    /// The cursor position, in characters from the start.
    public private(set) var cursor: Int
    /// The most characters the field accepts, counted as every name limit counts them (`Naming.length`).
    public let limit: Int

    public init(_ text: String = "", limit: Int = 200) {
        self.text = text
        self.cursor = text.count
        self.limit = limit
    }

    /// One editing step a key can cause.
    public enum Edit: Hashable, Sendable {
        case insert(Character)
        case backspace, deleteForward, left, right, home, end, clear
    }

    /// Applies an edit; insertion past the limit is ignored.
    public mutating func apply(_ edit: Edit) {
        switch edit {
        case .insert(let character):
            guard Naming.length(text + String(character)) <= limit else { return }
            // A character can join the one before it into one cluster (a ZWJ, a skin tone, Hangul jamo), so the
            // cursor is counted again rather than moved by one.
            let before = String(text[..<index(cursor)]) + String(character)
            text = before + text[index(cursor)...]
            cursor = min(before.count, text.count)
        case .backspace:
            guard cursor > 0 else { return }
            text.remove(at: index(cursor - 1))
            cursor -= 1
        case .deleteForward:
            guard cursor < text.count else { return }
            text.remove(at: index(cursor))
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(text.count, cursor + 1)
        case .home: cursor = 0
        case .end: cursor = text.count
        case .clear:
            text = ""
            cursor = 0
        }
    }

    private func index(_ offset: Int) -> String.Index { text.index(text.startIndex, offsetBy: min(max(0, offset), text.count)) }
}
