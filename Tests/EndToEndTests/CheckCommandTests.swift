import Foundation
import Testing
import TestSupport

/// What `verify` and `refresh-self` must never do: create a database, need write access, wait on a writer,
/// swallow unbounded input, or answer anything but `{"active":false}` when the token cannot be judged.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct CheckCommandTests {
    let cli = CLIRunner()

    func createToken() throws -> String {
        let created = try cli.run(["token", "create", "--name", "checked", "--team", "Default"])
        #expect(created.status == 0, "\(created.stderr)")
        return created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func expectInactive(_ result: CLIRunner.Result, because reason: String, _ comment: Comment? = nil) {
        #expect(result.status == 1, comment)
        #expect(result.stdout == "{\"active\":false}\n", comment)
        #expect(result.stderr.contains(reason) && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test func aMistypedDatabaseIsInactiveAndNothingIsCreated() throws {
        let secret = try createToken()
        let missing = cli.directory.appendingPathComponent("typo/tokens.sqlite").path
        let verify = try ChildProcess.run(CLIRunner.binary, ["verify", "--explain", "--db", missing], stdin: secret)
        #expect(verify.status == 1 && verify.stdout == "{\"active\":false}\n")
        #expect(verify.stderr.contains("there is no database at"), "\(verify.stderr)")
        let refresh = try ChildProcess.run(CLIRunner.binary, ["refresh-self", "--db", missing], stdin: secret)
        #expect(refresh.status == 2 && refresh.stderr.contains("nothing was created"), "\(refresh.stderr)")
        #expect(!FileManager.default.fileExists(atPath: (missing as NSString).deletingLastPathComponent))
        let quiet = try ChildProcess.run(CLIRunner.binary, ["verify", "--db", cli.directory.path], stdin: secret)
        #expect(quiet.status == 1 && quiet.stdout == "{\"active\":false}\n" && quiet.stderr.isEmpty)
    }

    @Test func oversizedStdinIsReadOnlyAsFarAsATokenCouldGo() throws {
        _ = try createToken()
        let big = String(repeating: "a", count: 50_000_000)
        let started = Date()
        expectInactive(try cli.run(["verify", "--explain"], stdin: big), because: "more than 4096 bytes")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test(arguments: Engine.available) func aTokenInTheEnvironmentAndAnotherOnStdinIsRefused(_ engine: Engine) throws {
        cli.use(engine)
        let secret = try createToken()
        let other = try createTokenNamed("other")
        expectInactive(try cli.run(["verify", "--explain"], stdin: other, environment: ["APITOKENS_TOKEN": secret]),
                       because: "give only one")
        let same = try cli.run(["verify"], stdin: secret, environment: ["APITOKENS_TOKEN": secret])
        #expect(same.status == 0)
        let alone = try cli.run(["verify"], environment: ["APITOKENS_TOKEN": secret])
        #expect(alone.status == 0)
    }

    func createTokenNamed(_ name: String) throws -> String {
        try cli.run(["token", "create", "--name", name, "--team", "Default"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func verifyAnswersAtOnceWhileAnotherProcessHoldsTheWriteLock() throws {
        let secret = try createToken()
        // sqlite3 holds BEGIN IMMEDIATE for three seconds; verify runs in the middle of it.
        let script = """
            ( echo "BEGIN IMMEDIATE;"; sleep 3; echo "ROLLBACK;" ) | sqlite3 "$DB" &
            sleep 0.5
            start=$(date +%s%N)
            printf %s "$SECRET" | "$APITOKENS" verify --db "$DB" > "$DB.out"; echo "status $?" >> "$DB.out"
            echo "ms $(( ($(date +%s%N) - start) / 1000000 ))" >> "$DB.out"
            wait
            """
        _ = try ChildProcess.run("/bin/sh", ["-c", script], environment: ProcessInfo.processInfo.environment.merging([
            "APITOKENS": CLIRunner.binary, "DB": cli.database, "SECRET": secret,
        ]) { $1 })
        let out = try String(contentsOfFile: cli.database + ".out", encoding: .utf8)
        #expect(out.contains("\"active\":true") && out.contains("status 0"), "\(out)")
        let milliseconds = out.split(separator: "\n").last { $0.hasPrefix("ms ") }.flatMap { Int($0.dropFirst(3)) } ?? .max
        #expect(milliseconds < 2000, "verify took \(milliseconds) ms beside a held write lock")
    }

    @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                   "needs root to act as another user"))
    func aReadOnlyDatabaseStillVerifiesAndIsLeftAsItWas() throws {
        let secret = try createToken()
        chown(cli.directory.path, 65534, 65534)
        chown(cli.database, 65534, 65534)
        chmod(cli.database, 0o400)
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.database))
        let result = try ChildProcess.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                               CLIRunner.binary, "verify", "--db", cli.database], stdin: secret)
        #expect(result.status == 0 && result.stdout.contains("\"active\":true"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.database)) == before)
        #expect((try FileManager.default.attributesOfItem(atPath: cli.database)[.posixPermissions] as? Int) == 0o400)
        for path in [cli.directory.path, cli.database, cli.database + "-wal", cli.database + "-shm"] { chown(path, 0, 0) }
        chmod(cli.database, 0o600)
        let show = try cli.run(["token", "show", "1", "--json"])
        #expect(show.stdout.contains("\"last_used_at\" : null"), "last use was recorded in a read-only file")
    }

    @Test(arguments: Engine.available) func sixFirstCommandsAtOnceAgreeOnOneNewDatabase(_ engine: Engine) throws {
        cli.use(engine)
        let script = """
            mkdir -p "$OUT"
            for i in 1 2 3 4 5 6; do ( "$APITOKENS" team list --db "$DB" > /dev/null 2>> "$OUT/err"; echo $? >> "$OUT/status" ) & done
            wait
            """
        _ = try ChildProcess.run("/bin/sh", ["-c", script], environment: ProcessInfo.processInfo.environment.merging([
            "APITOKENS": CLIRunner.binary, "DB": cli.database, "OUT": cli.directory.path,
        ]) { $1 })
        let statuses = try String(contentsOfFile: cli.directory.path + "/status", encoding: .utf8).split(separator: "\n")
        let errors = (try? String(contentsOfFile: cli.directory.path + "/err", encoding: .utf8)) ?? ""
        #expect(statuses == Array(repeating: "0", count: 6), "\(errors)")
        #expect(errors.isEmpty, "\(errors)")
        let accounts = try cli.run(["account", "list", "--json"])
        #expect(accounts.stdout.components(separatedBy: "\"login\"").count - 1 == 1)
    }

    @Test(arguments: Engine.available) func badVerifyArgumentsExitTwoAndStillSayInactive(_ engine: Engine) throws {
        cli.use(engine)
        let secret = try createToken()
        for arguments in [["--ip", "999.1.1.1"], ["--permission", "fly"]] {
            let result = try cli.run(["verify"] + arguments, stdin: secret)
            #expect(result.status == 2 && result.stdout == "{\"active\":false}\n", "\(arguments)")
        }
    }

    @Test(arguments: Engine.available) func auditLimitIsValidatedLikeTokenListLimit(_ engine: Engine) throws {
        cli.use(engine)
        _ = try createToken()
        for command in [["audit"], ["token", "list"]] {
            let result = try cli.run(command + ["--limit", "0"])
            #expect(result.status == 2 && result.stderr.contains("--limit must be at least 1"), "\(command): \(result.stderr)")
        }
    }

    @Test(arguments: Engine.available) func controlCharactersNeverReachTheTerminalRaw(_ engine: Engine) throws {
        cli.use(engine)
        _ = try createToken()
        let char = engine == .sqlite ? "char" : "chr"
        try cli.sql("UPDATE token SET name = 'bell' || \(char)(133) || \(char)(7) || \(char)(8238) || 'x'")
        let listed = try cli.run(["token", "list", "--json"])
        #expect(listed.status == 0)
        #expect(!listed.stdout.unicodeScalars.contains { [0x85, 0x07, 0x202E].contains($0.value) }, "\(listed.stdout)")
        #expect(listed.stdout.contains("\\u0085") && listed.stdout.contains("\\u202e"))
        let json = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]
        #expect(json?.first?["name"] as? String == "bell\u{85}\u{7}\u{202E}x")
        let bad = try cli.run(["token", "show", "\u{1B}[31mred"])
        #expect(bad.status == 2 && !bad.stderr.contains("\u{1B}"), "\(bad.stderr)")
        let unknown = try cli.run(["--\u{1B}]52;c;eA==\u{7}"])
        #expect(unknown.status == 2 && !unknown.stderr.contains("\u{1B}") && !unknown.stderr.contains("\u{7}"), "\(unknown.stderr)")
    }

    @Test(arguments: Engine.available) func aPATWhoseOwnerLeftItsTeamShowsInactiveWithTheReason(_ engine: Engine) throws {
        cli.use(engine)
        #expect(try cli.run(["account", "add", "jo", "--role", "user", "--team", "Default"]).status == 0)
        #expect(try cli.run(["token", "create", "--as", "jo", "--name", "jo's", "--team", "Default"]).status == 0)
        #expect(try cli.run(["account", "leave", "jo", "Default"]).status == 0)
        let show = try cli.run(["token", "show", "1"])
        #expect(show.stdout.contains("Inactive (its owner jo is no longer a member of team Default)"), "\(show.stdout)")
        let listed = try cli.run(["token", "list", "--all", "--status", "inactive", "--json"])
        #expect(listed.stdout.contains("\"status\" : \"inactive\""))
        #expect(try cli.run(["token", "list", "--all", "--status", "active"]).stdout.split(separator: "\n").count == 1)
    }

    @Test(arguments: Engine.available) func namesAreCountedOneWayAndMustShowSomething(_ engine: Engine) throws {
        cli.use(engine)
        _ = try createToken()
        let decomposed = String(repeating: "e\u{301}", count: 100)
        let long = try cli.run(["token", "create", "--name", decomposed, "--team", "Default"])
        #expect(long.status == 0, "\(long.stderr)")
        let tooLong = try cli.run(["token", "create", "--name", decomposed + "e", "--team", "Default"])
        #expect(tooLong.status == 2 && tooLong.stderr.contains("101 characters long; the limit is 100"), "\(tooLong.stderr)")
        let invisible = try cli.run(["token", "create", "--name", "\u{200B}\u{3164}\u{E0041}", "--team", "Default"])
        #expect(invisible.status == 2 && invisible.stderr.contains("visible character"), "\(invisible.stderr)")
        let edited = try cli.run(["token", "edit", "1", "--name", "checked"])
        #expect(edited.status == 0 && edited.stdout.contains("nothing was changed"), "\(edited.stdout)")
    }
}
