import Foundation
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
        /// Every token the `A` marks cover: how many, and the first few by name.
        case revokeAll(MarkedAll, first: [Token])
        case roll(Token)
    }

    public let intent: Intent
    public internal(set) var yesFocused = false
    /// For a roll: the index in `graceOptions` of how long the old secret keeps working.
    public internal(set) var graceChoice = 0
    /// For a roll of a token whose previous secret still works: when that grace would have ended.
    public internal(set) var previousGraceEnd: Date?

    /// A roll's grace choices: none, then `TimeSpan.graceChoices`.
    public static let graceOptions: [TimeSpan?] = [nil] + TimeSpan.graceChoices.map(Optional.some)

    /// The grace chosen for a roll.
    public var grace: TimeSpan? { Self.graceOptions[graceChoice] }

    /// The dialog's title.
    public var title: String {
        switch intent {
        case .revoke(let tokens): tokens.count == 1 ? "Revoke token?" : "Revoke \(tokens.count) tokens?"
        case .revokeAll(let marks, _): "Revoke \(marks.count - marks.except.count) tokens?"
        case .roll: "Roll secret?"
        }
    }

    /// The lines that name the tokens and what stops working.
    public var lines: [String] {
        func bullet(_ token: Token) -> String { "  • \(token.name) (\(token.team), by \(token.owner))" }
        let warning = ["", "Anything using these tokens stops working at once.", "This cannot be undone."]
        switch intent {
        case .revoke(let tokens):
            let more = tokens.count > 5 ? ["  … and \(tokens.count - 5) more"] : []
            return tokens.prefix(5).map(bullet) + more
                + ["", "Anything using \(tokens.count == 1 ? "this token" : "these tokens") stops working at once.",
                   "This cannot be undone."]
        case .revokeAll(let marks, let first):
            let total = marks.count - marks.except.count
            let more = total > first.count ? ["  … and \(total - first.count) more"] : []
            let search = marks.filter.search.isEmpty ? "every token on this tab" : "every token matching “\(marks.filter.search)”"
            return ["All \(total) marked: \(search)."] + first.map(bullet) + more
                + ["Revoked in batches; Esc stops between batches and keeps what is done."] + warning
        case .roll(let token):
            let choices = Self.graceOptions.enumerated().map { index, grace in
                let label = grace?.label ?? "none"
                return index == graceChoice ? "[\(label)]" : " \(label) "
            }
            let effect = grace.map { "The current secret keeps working for \($0.label), then stops." }
                ?? "The current secret stops working at once."
            let older = previousGraceEnd.map { end in
                ["The previous secret, still in its grace until \(RFC3339.string(end)), stops at once."]
            } ?? []
            return [bullet(token), "", "Grace for the current secret (↑ ↓): " + choices.joined(separator: " "), ""]
                + older + ["A new secret is shown once.", effect]
        }
    }

    /// The label of the button that goes ahead.
    public var yesLabel: String {
        switch intent {
        case .revoke, .revokeAll: "Yes, revoke"
        case .roll: "Yes, roll"
        }
    }
}

/// A bulk revoke under way in the UI: one batch per step, so keys are read between batches.
public struct BulkRevokeJob: Hashable, Sendable {
    public let marks: MarkedAll
    /// Tokens revoked so far, and how many were marked.
    public internal(set) var done = 0
    public let total: Int
    var cursor: Int64 = 0

    /// The progress line.
    public var progress: String { "Revoking… \(done) of \(total) (Esc stops after this batch)" }
}

/// Something that can put text on the user's clipboard (OSC 52 in the terminal).
public protocol Clipboard: Sendable {
    /// Sends the text; returns a sentence saying what was done.
    func copy(_ text: String) -> String
}
