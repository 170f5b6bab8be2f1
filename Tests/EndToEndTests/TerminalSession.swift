import Foundation
import TestSupport

/// Drives the built binary inside a detached tmux session: keys in, screen text out.
final class TerminalSession {
    /// A tmux server of the tests' own, apart from any the developer is using.
    static let socket = "apitokens-tests"
    let name = "apitokens-e2e-\(UUID().uuidString.prefix(8))"
    let cli = CLIRunner()
    private(set) var exitFile: String

    /// Seeds a demo database (on PostgreSQL, on `server` when given), then opens the UI on it in a terminal of the
    /// given size. With `demo`, one `apitokens demo` process seeds and opens the UI, as the README's first command
    /// does. `environment` goes before the command (`env -u LANG`); with `inShell` the UI is started from an
    /// interactive bash, which has job control, so Ctrl-Z and `fg` work as at a real prompt.
    init(engine: Engine = .sqlite, server: String? = nil, width: Int = 100, height: Int = 30, term: String = "xterm-256color",
         arguments: [String] = [], demo: Bool = false, environment: String = "", inShell: Bool = false) throws {
        exitFile = cli.directory.appendingPathComponent("exit-status").path
        cli.use(engine, server: server)
        if !demo { try cli.seedDemo() }
        let program = demo ? "\(CLIRunner.binary) demo" : CLIRunner.binary
        let run = "\(environment) TERM=\(term) \(program) --db '\(cli.database)' \(arguments.joined(separator: " "))"
        if inShell {
            // A stopped job would run the rest of a command list at once, so the shell gets the program alone.
            try tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", "bash --norc --noprofile -i"])
            try waitFor("bash-")
            try tmux(["send-keys", "-t", name, "-l", run])
            try tmux(["send-keys", "-t", name, "Enter"])
        } else {
            try tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", run + "; echo $? > \(exitFile); sleep 30"])
        }
        try waitFor("tokens")
    }

    deinit {
        _ = try? tmux(["send-keys", "-t", name, "C-c"])
        _ = try? tmux(["kill-session", "-t", name])
    }

    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        try ChildProcess.run("/usr/bin/tmux", ["-L", Self.socket] + arguments).stdout
    }

    /// Sends tmux key names (`Enter`, `C-s`, `Escape`, `x`).
    func press(_ keys: String...) throws {
        for key in keys { try tmux(["send-keys", "-t", name, key]) }
        usleep(150_000)
    }

    /// Types literal text.
    func type(_ text: String) throws {
        try tmux(["send-keys", "-t", name, "-l", text])
        usleep(150_000)
    }

    var screen: String { (try? tmux(["capture-pane", "-p", "-t", name])) ?? "" }

    /// Waits up to five seconds for text to appear on screen; throws with the screen if it does not.
    @discardableResult
    func waitFor(_ text: String, timeout: TimeInterval = 5) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            let current = screen
            if current.contains(text) { return current }
            usleep(100_000)
        } while Date() < deadline
        throw ScreenMismatch(expected: text, screen: screen)
    }

    /// Waits up to five seconds for the screen to satisfy a condition; throws with the screen if it does not.
    @discardableResult
    func waitUntil(_ what: String, timeout: TimeInterval = 5, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            let current = screen
            if condition(current) { return current }
            usleep(100_000)
        } while Date() < deadline
        throw ScreenMismatch(expected: what, screen: screen)
    }

    /// The screen's line at `row` (0 is the title bar).
    func line(_ row: Int) -> String {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.indices.contains(row) ? String(lines[row]) : ""
    }

    /// The UI's exit status once it has quit.
    func exitStatus(timeout: TimeInterval = 5) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            // The file may exist before its number is written.
            if let text = try? String(contentsOfFile: exitFile, encoding: .utf8),
               let status = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return status
            }
            usleep(100_000)
        } while Date() < deadline
        return nil
    }

    struct ScreenMismatch: Error, CustomStringConvertible {
        let expected: String
        let screen: String
        var description: String { "expected “\(expected)” on screen:\n\(screen)" }
    }
}
