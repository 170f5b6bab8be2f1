import Foundation
import TokenViewModels

/// Copies through the terminal with OSC 52, wrapped in tmux's passthrough when `$TMUX` is set.
public struct OSC52Clipboard: Clipboard {
    let write: @Sendable (String) -> Void
    let insideTmux: Bool

    /// A clipboard that sends its escape sequence through `write`.
    public init(insideTmux: Bool = ProcessInfo.processInfo.environment["TMUX"] != nil, write: @escaping @Sendable (String) -> Void) {
        self.insideTmux = insideTmux
        self.write = write
    }

    /// The escape sequence that asks the terminal to put `text` on the clipboard.
    public func sequence(for text: String) -> String {
        let payload = "\u{1B}]52;c;" + Data(text.utf8).base64EncodedString() + "\u{07}"
        guard insideTmux else { return payload }
        return "\u{1B}Ptmux;" + payload.replacingOccurrences(of: "\u{1B}", with: "\u{1B}\u{1B}") + "\u{1B}\\"
    }

    public func copy(_ text: String) -> String {
        write(sequence(for: text))
        return insideTmux
            ? "Sent through tmux (OSC 52; needs tmux set-clipboard on)"
            : "Sent to the clipboard (OSC 52, if your terminal allows)"
    }
}
