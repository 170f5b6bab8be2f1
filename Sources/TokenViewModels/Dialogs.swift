import TokenDomain

/// The one-time display of a new secret; once closed, the value is gone from memory.
public struct SecretReveal: Hashable, Sendable {
    public let tokenName: String
    public let secret: String
    /// Whether the person rolled an existing token rather than creating one.
    public let isRoll: Bool
    /// What happened when they pressed `c`, shown in the dialog.
    public internal(set) var copyStatus: String?
}

/// A question that must be answered before something irreversible happens; No has the focus first.
public struct Confirmation: Hashable, Sendable {
    /// What will happen on Yes.
    public enum Intent: Hashable, Sendable {
        case revoke([Token])
        case roll(Token)
    }

    public let intent: Intent
    public internal(set) var yesFocused = false

    /// The dialog's title.
    public var title: String {
        switch intent {
        case .revoke(let tokens): tokens.count == 1 ? "Revoke token?" : "Revoke \(tokens.count) tokens?"
        case .roll: "Roll secret?"
        }
    }

    /// The lines that name the tokens and what stops working.
    public var lines: [String] {
        switch intent {
        case .revoke(let tokens):
            let names = tokens.prefix(5).map { "  • \($0.name) (\($0.team), by \($0.owner))" }
            let more = tokens.count > 5 ? ["  … and \(tokens.count - 5) more"] : []
            return names + more + ["", "Anything using \(tokens.count == 1 ? "this token" : "these tokens") stops working at once.",
                                   "This cannot be undone."]
        case .roll(let token):
            return ["  • \(token.name) (\(token.team), by \(token.owner))", "",
                    "A new secret is shown once; the current one stops working at once."]
        }
    }

    /// The label of the button that goes ahead.
    public var yesLabel: String {
        switch intent {
        case .revoke: "Yes, revoke"
        case .roll: "Yes, roll"
        }
    }
}

/// A one-line note at the bottom of the screen: what just happened, or what went wrong.
public struct StatusMessage: Hashable, Sendable {
    public let text: String
    public let isError: Bool
}

/// Something that can put text on the user's clipboard (OSC 52 in the terminal).
public protocol Clipboard: Sendable {
    /// Sends the text; returns a sentence saying what was done.
    func copy(_ text: String) -> String
}
