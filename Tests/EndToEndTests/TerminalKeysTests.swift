import Foundation
import Testing

/// What terminal people take for granted: the keys every terminal family sends, whatever `TERM` says; Ctrl-Z and
/// `fg`; glyphs without `LANG`.
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "needs tmux"))
struct TerminalKeysTests {
    /// Home, End, PgUp, PgDn, Delete, F1 and Shift-Tab as one family of terminals sends them.
    struct Family: CustomStringConvertible {
        let description: String
        let home, end, pageUp, pageDown, delete, f1, backTab: String
    }

    /// Written out here from the terminals' documentation and terminfo, apart from the program's own table.
    static let families = [
        Family(description: "xterm normal", home: "\u{1B}[H", end: "\u{1B}[F", pageUp: "\u{1B}[5~", pageDown: "\u{1B}[6~",
               delete: "\u{1B}[3~", f1: "\u{1B}OP", backTab: "\u{1B}[Z"),
        Family(description: "xterm application", home: "\u{1B}OH", end: "\u{1B}OF", pageUp: "\u{1B}[5~", pageDown: "\u{1B}[6~",
               delete: "\u{1B}[3~", f1: "\u{1B}OP", backTab: "\u{1B}[Z"),
        Family(description: "tmux/screen", home: "\u{1B}[1~", end: "\u{1B}[4~", pageUp: "\u{1B}[5~", pageDown: "\u{1B}[6~",
               delete: "\u{1B}[3~", f1: "\u{1B}OP", backTab: "\u{1B}[Z"),
        Family(description: "rxvt", home: "\u{1B}[7~", end: "\u{1B}[8~", pageUp: "\u{1B}[5~", pageDown: "\u{1B}[6~",
               delete: "\u{1B}[3~", f1: "\u{1B}[11~", backTab: "\u{1B}[Z"),
        Family(description: "Linux console", home: "\u{1B}[1~", end: "\u{1B}[4~", pageUp: "\u{1B}[5~", pageDown: "\u{1B}[6~",
               delete: "\u{1B}[3~", f1: "\u{1B}[[A", backTab: "\u{1B}\t"),
        Family(description: "vt220", home: "\u{1B}[1~", end: "\u{1B}[4~", pageUp: "\u{1B}[5~", pageDown: "\u{1B}[6~",
               delete: "\u{1B}[3~", f1: "\u{1B}OP", backTab: "\u{1B}[Z"),
    ]

    /// Under each `TERM` a person is likely to have, every family's keys move, revoke, help and switch tabs.
    @Test(arguments: ["xterm-256color", "screen-256color"])
    func everyFamilysKeysWork(term: String) throws {
        let ui = try TerminalSession(term: term)
        let first = ui.line(3)
        for family in Self.families {
            try ui.type(family.end)
            try ui.waitUntil("\(family) End moves to the last row") { _ in ui.line(3) != first }
            try ui.type(family.home)
            try ui.waitUntil("\(family) Home moves to the first row") { _ in ui.line(3) == first }
            try ui.type(family.pageDown)
            try ui.waitUntil("\(family) PgDn moves a page") { _ in ui.line(3) != first }
            try ui.type(family.pageUp)
            try ui.waitUntil("\(family) PgUp moves back") { _ in ui.line(3) == first }
            try ui.type(family.delete)
            try ui.waitFor("Revoke token?")
            try ui.press("n")
            try ui.type(family.f1)
            try ui.waitFor("Show this help")
            try ui.press("Escape")
            try ui.type(family.backTab)
            try ui.waitUntil("\(family) Shift-Tab goes to the Audit Log") { $0.contains("Actor") && $0.contains("Action") }
            try ui.press("1")
            try ui.waitUntil("back on the first tab") { _ in ui.line(3) == first }
        }
    }

    /// A sequence ncurses does not know (Ctrl-Up, Shift-F3, Ctrl-Left, keypad 5, Alt-x) is dropped whole: its bytes
    /// are not read as Esc and then keys that mark every row, open a roll or throw a form away.
    @Test(arguments: ["xterm-256color", "screen-256color"])
    func unknownSequencesAreIgnoredWhole(term: String) throws {
        let ui = try TerminalSession(term: term)
        for sequence in ["\u{1B}[1;5A", "\u{1B}[1;2R", "\u{1B}[25~", "\u{1B}[E", "\u{1B}[[B", "\u{1B}[a"] {
            try ui.type(sequence)
        }
        usleep(300_000)
        let table = ui.screen
        #expect(!table.contains("Marked all") && !table.contains("Roll secret?") && !table.contains("Revoke token?"), "\(table)")
        #expect(table.contains(" 1 API Tokens "))
        try ui.press("n")
        try ui.waitFor("New admin token")
        try ui.type("Kept")
        for sequence in ["\u{1B}[1;5D", "\u{1B}[1;5C", "\u{1B}OE", "\u{1B}[E"] { try ui.type(sequence) }
        usleep(300_000)
        #expect(ui.screen.contains("New admin token") && ui.screen.contains("Kept"), "the form is still open")
        try ui.press("Escape")
        try ui.waitUntil("a lone Esc still closes the form") { !$0.contains("New admin token") }
    }

    /// Ctrl-Z gives the shell back (the job is stopped), and `fg` returns to the whole screen, drawn again.
    @Test func ctrlZSuspendsAndFgRedraws() throws {
        let ui = try TerminalSession(inShell: true)
        let footer = try ui.waitFor("q Quit")
        try ui.press("C-z")
        let shell = try ui.waitFor("Stopped")
        #expect(!shell.contains("q Quit"))
        try ui.type("fg")
        try ui.press("Enter")
        let back = try ui.waitFor("q Quit")
        #expect(back.split(separator: "\n").first == footer.split(separator: "\n").first)
        #expect(!back.contains("Stopped"), "the shell's lines are drawn over")
        try ui.press("q")
        try ui.type("echo status=$?")
        try ui.press("Enter")
        try ui.waitFor("status=0")
    }

    /// Without `LANG` or `LC_*`, the sort arrow and the dialog frames still draw.
    @Test func glyphsDrawWithoutLANG() throws {
        let ui = try TerminalSession(environment: "env -u LANG -u LC_ALL -u LC_CTYPE")
        try ui.press("s")
        try ui.waitFor("Expires at ▲")
        try ui.press("?")
        try ui.waitFor("│")
    }

    /// A key remapped in config.toml works, and help shows it; the old key does nothing. A bad file is one line
    /// naming the file and the line, and the defaults apply, in the UI and in `apitokens keys`.
    @Test func configFileRemapsKeysAndABadOneSaysWhere() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("apitokens-config-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: config) }
        let file = config.appendingPathComponent("apitokens/config.toml")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "[keys]\nrevoke = \"X\"\n[colors]\ndanger = \"magenta\"\n".write(to: file, atomically: true, encoding: .utf8)
        do {
            let ui = try TerminalSession(environment: "XDG_CONFIG_HOME=\(config.path)")
            try ui.press("x")
            usleep(300_000)
            #expect(!ui.screen.contains("Revoke token?"), "x is no longer bound")
            try ui.press("X")
            try ui.waitFor("Revoke token?")
            try ui.press("n")
            try ui.press("?")
            try ui.waitUntil("help lists X for revoke") { $0.contains("X          Revoke the selected") }
        }
        try "[keys]\nrevoke = \"Ctrl-\"\n".write(to: file, atomically: true, encoding: .utf8)
        let ui = try TerminalSession(environment: "XDG_CONFIG_HOME=\(config.path)")
        // The whole line, on two rows when the path makes it wider than the screen.
        try ui.waitUntil("the whole problem on the status line") {
            $0.contains("config.toml line 2: 'Ctrl-'") && $0.contains("is not a key") && $0.contains("the default keys and colours apply")
        }
        try ui.press("x")
        try ui.waitFor("Revoke token?")
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = config.path
        let keys = try ChildProcess.run(CLIRunner.binary, ["keys"], environment: environment)
        #expect(keys.status == 2 && keys.stderr.contains("config.toml line 2: 'Ctrl-' is not a key") && keys.stderr.hasSuffix("the default keys and colours apply\n"))
        #expect(keys.stdout.contains("revoke") && keys.stdout.contains("x Delete"))
    }
}
