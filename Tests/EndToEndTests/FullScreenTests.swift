import Foundation
import Testing
import TestSupport

/// The full-screen UI driven in a real terminal (tmux), one scenario per test.
@Suite(.serialized, .timeLimit(.minutes(1)), .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "needs tmux"))
struct FullScreenTests {
    /// Create → the secret is revealed once → closed → gone, and it verifies.
    @Test(arguments: Engine.available) func createRevealsTheSecretOnceAndItVerifies(_ engine: Engine) throws {
        let ui = try TerminalSession(engine: engine)
        try ui.press("2", "n")
        try ui.waitFor("New personal access token")
        try ui.type("e2e token")
        try ui.press("C-s")
        let reveal = try ui.waitFor("will not be shown again")
        let secret = try #require(reveal.split(separator: " ").first { $0.hasPrefix("ptk_") }.map(String.init))
        try ui.press("Enter")
        let after = try ui.waitFor("gone for good")
        #expect(!after.contains(secret))
        #expect(after.contains("e2e token"))
        #expect(try ui.cli.run(["verify"], stdin: secret).status == 0)
    }

    /// Typing in the search box filters at once; Esc restores every row.
    @Test(arguments: Engine.available) func searchFiltersAndEscRestores(_ engine: Engine) throws {
        let ui = try TerminalSession(engine: engine)
        try ui.press("/")
        try ui.type("chen")
        let filtered = try ui.waitFor("/ chen")
        let rows = filtered.split(separator: "\n").dropFirst(3).dropLast(2).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(!rows.isEmpty && rows.allSatisfy { $0.contains("Chen Wei") })
        try ui.press("Escape")
        try ui.waitFor("60 tokens")
    }

    /// Sorting by Expires at (a click on its heading) puts expired tokens first; a second click reverses.
    @Test func clickingExpiresHeadingPutsExpiredFirst() throws {
        let ui = try TerminalSession(width: 120, height: 32)
        let heading = ui.screen.split(separator: "\n")[2]
        let column = try #require(heading.range(of: "Expires at")).lowerBound.utf16Offset(in: heading) + 2
        try ui.type("\u{1B}[<0;\(column);3M\u{1B}[<0;\(column);3m")
        let sorted = try ui.waitFor("Expires at ▲")
        #expect(sorted.split(separator: "\n")[3].contains("Expired"))
        try ui.type("\u{1B}[<0;\(column);3M\u{1B}[<0;\(column);3m")
        let reversed = try ui.waitFor("Expires at ▼")
        #expect(reversed.split(separator: "\n")[3].contains("Never"))
    }

    /// `A` marks every row of a search, Space spares one, `x` names how many, `y` revokes them; a token another
    /// process makes while the dialog is open is left alone, and so is everything outside the search.
    @Test(arguments: Engine.available) func markAllThenRevokeOnAFilteredTable(_ engine: Engine) throws {
        let ui = try TerminalSession(engine: engine)
        try ui.press("/")
        try ui.type("deploy")
        try ui.press("Enter")
        let matching = try ui.waitFor("/ deploy")
        let count = try #require(matching.split(separator: "\n").first?.split(separator: " ").dropLast().last.flatMap { Int($0) })
        try ui.press("A")
        try ui.waitFor("Marked all \(count) matching tokens")
        try ui.press("Space")
        try ui.press("x")
        try ui.waitFor("Revoke \(count - 1) tokens?")
        #expect(try ui.cli.run(["token", "create", "--name", "deploy made meanwhile", "--team", "Platform", "--kind", "admin"]).status == 0)
        try ui.press("y")
        try ui.waitFor("Revoked \(count - 1) tokens")
        let left = try ui.cli.run(["token", "list", "--all", "--search", "deploy", "--json"]).stdout
        #expect(left.components(separatedBy: "\"id\"").count - 1 == 2, "the spared row and the newcomer stay")
        #expect(try ui.cli.run(["token", "list", "--all", "--json"]).stdout.components(separatedBy: "\"id\"").count - 1 == 60 - count + 2)
    }

    /// Revoke asks first (No is the default), then removes the row, and the token stops verifying.
    @Test(arguments: Engine.available) func revokeWithConfirmationRemovesTheRowAndTheSecretStopsVerifying(_ engine: Engine) throws {
        let ui = try TerminalSession(engine: engine)
        let secret = try ui.cli.run(["token", "create", "--name", "doomed", "--team", "Platform", "--kind", "admin"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try ui.press("/")
        try ui.type("doomed")
        try ui.press("Enter")
        try ui.waitFor(" 1 token\n")
        try ui.press("x")
        try ui.waitFor("Revoke token?")
        try ui.press("Enter")
        try ui.waitFor(" 1 token\n")
        try ui.press("x")
        try ui.waitFor("Revoke token?")
        try ui.press("y")
        try ui.waitFor("Revoked 'doomed'")
        try ui.waitFor("No tokens match")
        #expect(try ui.cli.run(["verify"], stdin: secret).status == 1)
    }

    /// A viewer's form offers only Read Site; the rest are shown disabled with the reason.
    @Test func viewersFormOffersOnlyReadSite() throws {
        let ui = try TerminalSession(arguments: ["--as", "dana"])
        try ui.press("n")
        let form = try ui.waitFor("New personal access token")
        #expect(form.contains("[x] Read Site"))
        #expect(form.contains("Manage Sites — Viewer accounts can only grant Read Site"))
        try ui.press("Down", "Down", "Down", "Down", "Space")
        #expect(!ui.screen.contains("[x] Manage Sites"))
    }

    /// Shrinking below 60×15 shows a message, and keys pressed then do nothing unseen; growing back restores the
    /// table as it was.
    @Test func resizeToSmallAndBack() throws {
        let ui = try TerminalSession()
        try ui.waitFor("sorted by Created ▼")
        try ui.tmux(["resize-window", "-t", ui.name, "-x", "50", "-y", "12"])
        try ui.waitFor("keys act once it is larger")
        try ui.press("s", "n")
        try ui.tmux(["resize-window", "-t", ui.name, "-x", "100", "-y", "30"])
        let back = try ui.waitFor("Expires at")
        #expect(back.contains("sorted by Created ▼") && !back.contains("New admin token"), "\(back)")
    }

    /// `q` exits with status 0 and gives the terminal back.
    @Test(arguments: ["xterm-256color", "screen"])
    func quitExitsZeroAndRestoresTheTerminal(term: String) throws {
        let ui = try TerminalSession(term: term)
        try ui.press("?")
        try ui.waitFor("Help — Token table")
        try ui.press("Escape", "q")
        #expect(ui.exitStatus() == 0)
        #expect(!ui.screen.contains("API Tokens"))
    }

    /// SIGTERM while the screen is up still restores the terminal.
    @Test func sigtermRestoresTheTerminal() throws {
        let ui = try TerminalSession()
        let pid = try ui.tmux(["list-panes", "-t", ui.name, "-F", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try ChildProcess.run("/usr/bin/pkill", ["-TERM", "-P", pid, "apitokens"])
        #expect(ui.exitStatus() == 143)
        #expect(!ui.screen.contains("API Tokens"))
    }
}
