import Foundation
import Testing
import TestSupport

/// Several writers at once and writers killed mid-work: nothing lost, nothing locked, nothing corrupt.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ReliabilityTests {
    let cli = CLIRunner()

    func shell(_ script: String) throws -> ChildProcess.Result {
        try ChildProcess.run("/bin/sh", ["-c", script], environment: ProcessInfo.processInfo.environment.merging([
            "APITOKENS": CLIRunner.binary, "DB": cli.database, "OUT": cli.directory.path,
        ]) { $1 })
    }

    @Test(arguments: Engine.available) func concurrentWritersLoseNothingAndNeverSeeLocked(_ engine: Engine) throws {
        cli.use(engine)
        #expect(try cli.run(["team", "list"]).status == 0)
        // Four processes each create 15 tokens, while a fifth revokes as they appear.
        let result = try shell("""
            for w in 1 2 3 4; do
              ( for i in $(seq 15); do "$APITOKENS" token create --db "$DB" --name "w$w-$i" --team Default >> "$OUT/secrets" || echo FAIL; done ) &
            done
            wait
            """)
        #expect(!result.stdout.contains("FAIL"), "\(result.stdout) \(result.stderr)")
        #expect(!result.stderr.contains("locked"), "\(result.stderr)")
        let listed = try cli.run(["token", "list", "--all", "--json"])
        let tokens = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(tokens.count == 60)
        #expect(Set(tokens.compactMap { $0["id"] as? Int }).count == 60)
        let secrets = try String(contentsOfFile: cli.directory.path + "/secrets", encoding: .utf8).split(separator: "\n")
        #expect(Set(secrets).count == 60)
        let revoke = try shell("""
            for i in $(seq 1 2 59); do "$APITOKENS" token revoke --db "$DB" $i --yes >/dev/null & done; wait
            """)
        #expect(!revoke.stderr.contains("locked"), "\(revoke.stderr)")
        #expect(try cli.run(["token", "list", "--all", "--json"]).stdout.components(separatedBy: "\"id\"").count - 1 == 30)
    }

    @Test(arguments: Engine.available) func killedWritersLeaveASoundDatabaseWithEveryReportedChange(_ engine: Engine) throws {
        cli.use(engine)
        #expect(try cli.run(["team", "list"]).status == 0)
        // A writer creates, edits, rolls and revokes in a loop, logging each change only once the command has
        // reported it done, and is SIGKILLed at a different moment each round.
        for round in 0..<12 {
            // Up to about two seconds, so that even a loaded machine gets through whole rounds to the revoke.
            let delay = String(format: "%.2f", 0.05 + Double(round) * 0.15)
            _ = try shell("""
                ( i=0; while true; do i=$((i+1))
                    out=$("$APITOKENS" token create --db "$DB" --name "r\(round)-$i" --team Default --json) || continue
                    id=$(echo "$out" | sed -n 's/.*"id" : \\([0-9]*\\).*/\\1/p')
                    old=$(echo "$out" | sed -n 's/.*"secret" : "\\(.*\\)".*/\\1/p')
                    echo "created $old" >> "$OUT/log"
                    "$APITOKENS" token edit --db "$DB" "$id" --name "r\(round)-$i edited" --expires-in 90d > /dev/null || continue
                    new=$("$APITOKENS" token roll --db "$DB" "$id") && echo "rolled $old" >> "$OUT/log" || continue
                    "$APITOKENS" token revoke --db "$DB" "$id" --yes > /dev/null && echo "revoked $new" >> "$OUT/log"
                  done ) &
                pid=$!; sleep \(delay); pkill -9 -P $pid; kill -9 $pid; wait 2>/dev/null; true
                """)
        }
        if engine == .sqlite { #expect(try cli.sql("PRAGMA integrity_check") == "ok") }
        let chain = try cli.run(["audit", "verify"])
        #expect(chain.status == 0 && chain.stdout.hasPrefix("intact"), "\(chain.stdout) \(chain.stderr)")
        let log = ((try? String(contentsOfFile: cli.directory.path + "/log", encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(log.contains { $0.hasPrefix("revoked") })
        let created = try cli.run(["audit", "--json"]).stdout.components(separatedBy: "\"action\" : \"create\"").count - 1
        #expect(created >= log.filter { $0.hasPrefix("created") }.count, "a reported create is missing")
        for entry in log where !entry.hasPrefix("created") {
            let secret = String(entry.split(separator: " ").last ?? "")
            // A rolled-away or revoked secret must stay dead once the command said so.
            #expect(try cli.run(["verify"], stdin: secret).status == 1, "\(entry) still verifies")
        }
    }

    @Test func fullDiskRefusesTheWriteAndLeavesTheDatabaseAsItWas() throws {
        #expect(try cli.run(["demo", "--seed-only"]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.database))
        // A one-block file-size limit makes every write fail as on a full disk.
        let result = try shell(#"ulimit -f 1; "$APITOKENS" token create --db "$DB" --name full --team Platform"#)
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.database)) == before)
        let check = try shell(#"sqlite3 "$DB" "PRAGMA integrity_check; SELECT count(*) FROM token""#)
        #expect(check.stdout == "ok\n60\n")
    }

    @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                   "needs root to act as another user"))
    func readOnlyDatabaseAndDirectoryAreRefusedDistinctlyAndLeftAlone() throws {
        #expect(try cli.run(["demo", "--seed-only"]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.database))
        func asNobody() throws -> ChildProcess.Result {
            try ChildProcess.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                      CLIRunner.binary, "token", "list", "--db", cli.database])
        }
        // Another user's database, even one they let everybody write, is never adopted
        chmod(cli.directory.path, 0o777)
        chmod(cli.database, 0o666)
        let foreign = try asNobody()
        #expect(foreign.status == 2 && foreign.stderr.contains("belongs to root"), "\(foreign.stderr)")
        // The user's own database, which they may read but not write
        chown(cli.directory.path, 65534, 65534)
        chown(cli.database, 65534, 65534)
        chmod(cli.directory.path, 0o755)
        chmod(cli.database, 0o444)
        let file = try asNobody()
        #expect(file.status == 2 && file.stderr.contains("is read-only"), "\(file.stderr)")
        // Their writable database in a directory they may not write
        chmod(cli.directory.path, 0o555)
        chmod(cli.database, 0o600)
        let folder = try asNobody()
        #expect(folder.status == 2 && folder.stderr.contains("directory"), "\(folder.stderr)")
        chown(cli.directory.path, 0, 0)
        chown(cli.database, 0, 0)
        chmod(cli.directory.path, 0o700)
        chmod(cli.database, 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.database)) == before)
        #expect([foreign, file, folder].allSatisfy { $0.stderr.split(separator: "\n").count == 1 })
    }
}
