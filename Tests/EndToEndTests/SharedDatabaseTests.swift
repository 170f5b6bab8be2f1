import Foundation
import Testing
import TestSupport

/// An open UI shares its database with other processes: nothing it reports done is lost, and it acts on the
/// account as it is now, not as it was when it opened.
@Suite(.serialized, .timeLimit(.minutes(1)), .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "needs tmux"))
struct SharedDatabaseTests {
    /// The README's first command (`demo`) and a plain UI: other processes opening and closing the file leave the
    /// WAL in place, the UI's writes are seen by them, and after quitting the file is sound and holds them.
    @Test(arguments: [true, false])
    func otherProcessesNeverTakeTheWALFromUnderAnOpenUI(demo: Bool) throws {
        let ui = try TerminalSession(demo: demo)
        // Given another process that opens and closes the database while the UI has it open
        #expect(try ui.cli.run(["token", "show", "29"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: ui.cli.database + "-wal"))
        // When the UI creates a token
        try ui.press("n")
        try ui.waitFor("New admin token")
        try ui.type("seen by others")
        try ui.press("C-s")
        try ui.waitFor("will not be shown again")
        try ui.press("Enter")
        // Then other processes see it at once, and still after the UI has quit
        #expect(try ui.cli.run(["token", "list", "--all", "--search", "seen by others"]).stdout.contains("seen by others"))
        #expect(try ui.cli.run(["token", "show", "1"]).status == 0)
        try ui.press("q")
        #expect(ui.exitStatus() == 0)
        let check = try ChildProcess.run("/usr/bin/sqlite3", [ui.cli.database, "PRAGMA integrity_check"])
        #expect(check.stdout == "ok\n")
        let listed = try ui.cli.run(["token", "list", "--all", "--search", "seen by others", "--json"])
        #expect(listed.status == 0 && listed.stdout.contains("\"name\" : \"seen by others\""), "\(listed.stderr)")
    }

    /// A revoke that finds another process holding the write lock until its busy timeout is refused, and says so
    /// until the next key: the database still answers reads, so it is not reported down, nor as answering again.
    @Test func aWriteRefusedByABusyDatabaseKeepsItsMessage() throws {
        let ui = try TerminalSession()
        try ui.waitFor("API Tokens")
        let selected = ui.line(3)
        let locker = try ChildProcess.start("/usr/bin/sqlite3", [ui.cli.database],
                                            stdin: "BEGIN IMMEDIATE;\n.shell sleep 14\nROLLBACK;\n")
        defer { locker.signal(SIGTERM); _ = locker.wait() }
        usleep(500_000)
        try ui.press("x")
        try ui.waitFor("Revoke")
        try ui.press("y")
        try ui.waitFor("stayed busy", timeout: 13)
        usleep(1_500_000)
        let after = ui.screen
        #expect(after.contains("stayed busy") && !after.contains("answers again") && !after.contains("unavailable"), "\(after)")
        #expect(ui.line(3) == selected, "the token is still listed, unrevoked")
    }

    /// Ctrl-C that arrives in one read with other keys (typed ahead, pasted, or bundled by SSH) during a wait still
    /// quits at once, and the confirmed revoke that waited on another process's lock is never made.
    @Test func ctrlCInABurstOfKeysDuringAWaitQuitsAtOnceAndSavesNothing() throws {
        let ui = try TerminalSession()
        try ui.waitFor("API Tokens")
        let locker = try ChildProcess.start("/usr/bin/sqlite3", [ui.cli.database],
                                            stdin: "BEGIN IMMEDIATE;\n.shell sleep 6\nROLLBACK;\n")
        usleep(500_000)
        try ui.press("x")
        try ui.waitFor("Revoke")
        try ui.press("y")
        try ui.waitFor("Waiting for the database", timeout: 3)
        let pressed = Date()
        try ui.tmux(["send-keys", "-t", ui.name, "j", "C-c"])
        #expect(ui.exitStatus(timeout: 3) == 0)
        #expect(Date().timeIntervalSince(pressed) < 3)
        _ = locker.wait()
        let audit = try ui.cli.run(["audit"])
        #expect(audit.status == 0 && !audit.stdout.contains("revoke"), "\(audit.stdout)")
    }

    /// `apitokens demo` on a PostgreSQL URL fills the empty database and opens the UI on it, which shows a token
    /// another process makes meanwhile; a second demo on the database is refused and changes nothing.
    @Test(.enabled(if: ScratchPostgres.serverURL != nil, "APITOKENS_TEST_POSTGRES names no server"))
    func theDemoFillsAnEmptyPostgreSQLDatabaseWhoseUISeesOtherProcesses() throws {
        let ui = try TerminalSession(engine: .postgresql, demo: true)
        let made = try ui.cli.run(["token", "create", "--name", "made elsewhere", "--team", "Platform"])
        #expect(made.status == 0, "\(made.stderr)")
        try ui.press("/")
        try ui.type("made elsewhere")
        // The demo made 60 tokens; the one made meanwhile is the 61st, and the only match.
        let found = try ui.waitFor("#61 ptk_")
        #expect(found.contains(" 1 token\n"), "\(found)")
        let before = try ui.cli.run(["token", "list", "--all", "--json"]).stdout
        let again = try ui.cli.run(["demo", "--seed-only"])
        #expect(again.status != 0 && again.stderr.contains("already holds an organisation"), "\(again.stderr)")
        #expect(again.stderr.split(separator: "\n").count == 1, "\(again.stderr)")
        #expect(try ui.cli.run(["token", "list", "--all", "--json"]).stdout == before)
        try ui.press("Escape", "q")
        #expect(ui.exitStatus() == 0)
    }

    /// Three demos started at once into one empty PostgreSQL database: one fills it, the others say in one line
    /// that it is taken, and the organisation is whole.
    @Test(.enabled(if: ScratchPostgres.serverURL != nil, "APITOKENS_TEST_POSTGRES names no server"))
    func demosStartedTogetherFillTheDatabaseOnce() throws {
        let cli = CLIRunner(.postgresql)
        let demos = try (0..<3).map { _ in
            try ChildProcess.start(CLIRunner.binary, ["demo", "--seed-only", "--tokens", "2000", "--db", cli.database])
        }.map { $0.wait() }
        #expect(demos.filter { $0.status == 0 }.count == 1, "\(demos.map(\.stderr))")
        for refused in demos where refused.status != 0 {
            #expect(refused.stderr.split(separator: "\n").count == 1 && !refused.stderr.contains("Key (name)"), "\(refused.stderr)")
        }
        #expect(try cli.run(["audit", "verify"]).status == 0)
        let listed = try cli.run(["token", "list", "--all", "--json"])
        #expect(listed.stdout.components(separatedBy: "\"id\" :").count - 1 == 2000, "\(listed.stderr)")
    }

    /// An admin's UI stays open while another admin demotes, then removes, its account: the store refuses what the
    /// account may no longer do, the UI says why, and the audit log records nothing done in its name.
    @Test(arguments: Engine.available) func aDemotedThenRemovedAccountsOpenUICannotChangeTokens(_ engine: Engine) throws {
        let ui = try TerminalSession(engine: engine, arguments: ["--as", "alice"])
        try ui.waitFor("Alice Nguyen (alice, Administrator)")
        // An admin token is selected on the API Tokens tab, and alice is demoted meanwhile
        #expect(try ui.cli.run(["account", "set-role", "alice", "user"]).status == 0)
        try ui.press("r")
        try ui.waitFor("only administrators can refresh admin tokens; alice is a User")
        try ui.press("R")
        try ui.waitFor("Personal Access Tokens")
        #expect(!ui.screen.contains("Roll the secret"))
        // Once removed, even her own tokens are out of reach
        #expect(try ui.cli.run(["account", "remove", "alice"]).status == 0)
        try ui.press("x")
        try ui.waitFor("alice was removed by an administrator")
        let audit = try ui.cli.run(["audit", "--json"])
        #expect(audit.status == 0)
        let events = try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(!events.contains { $0["actor"] as? String == "alice" && ["refresh", "roll", "revoke"].contains($0["action"] as? String) })
        try ui.press("q")
    }
}
