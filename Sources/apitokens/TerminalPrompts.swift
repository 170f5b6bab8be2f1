import Foundation
import TokenDomain

/// Asks a yes/no question on the terminal; anything but yes, or no terminal to ask on, refuses.
enum Confirm {
    static func ask(_ question: String) throws {
        guard isatty(STDIN_FILENO) == 1 else {
            throw CommandFailure.refused("refusing without confirmation; add --yes")
        }
        StandardError.write(Sanitized.visible(question) + " [y/N] ")
        guard let answer = readLine(), answer.lowercased().hasPrefix("y") else {
            throw CommandFailure.refused("nothing changed")
        }
    }
}

/// A progress line on stderr, only when stderr is a terminal, redrawn at most five times a second.
final class Progress {
    private let visible = isatty(STDERR_FILENO) == 1
    private var lastShown = ContinuousClock.now
    private var shown = false

    /// Replaces the line with `text` unless it was redrawn very recently; `text` is built only when drawn.
    func show(_ text: @autoclosure () -> String) {
        guard visible, ContinuousClock.now - lastShown > .milliseconds(200) else { return }
        lastShown = ContinuousClock.now
        shown = true
        StandardError.write("\r\u{1B}[K" + text())
    }

    /// Clears the line, before anything else is written to stderr.
    func finish() {
        if shown { StandardError.write("\r\u{1B}[K") }
        shown = false
    }
}
