import Foundation
import Testing
import TestSupport

/// SPEC §8 from the outside: the policy, the hash-chained audit log broken with sqlite3, and the audit filters.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct PolicyAndAuditTests {
    let cli = CLIRunner()

    func sqlite(_ sql: String) throws -> String {
        try ChildProcess.run("/usr/bin/sqlite3", [cli.database, sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @discardableResult
    func create(_ name: String, _ extra: [String] = []) throws -> CLIRunner.Result {
        try cli.run(["token", "create", "--name", name, "--team", "Default"] + extra)
    }

    @Test(arguments: Engine.available) func aNinetyDayPolicyRefusesLongerTokensEverywhereAndCheckListsTheOldOnes(_ engine: Engine) throws {
        cli.use(engine)
        for (index, expiry) in ["30d", "90d", "1y", "never", "366d"].enumerated() { try create("old \(index)", ["--expires-in", expiry]) }
        let set = try cli.run(["policy", "set", "--max-lifetime", "90d"])
        #expect(set.status == 0 && set.stdout.contains("3 live tokens break it"))
        let refused = try create("new", ["--expires-in", "1y"])
        #expect(refused.status == 2 && refused.stderr == "apitokens: the organisation allows at most 90 days\n")
        #expect(try create("forever", ["--expires-in", "never"]).stderr.contains("the organisation allows at most 90 days"))
        #expect(try cli.run(["token", "refresh", "3"]).stderr.contains("the organisation allows at most 90 days"))
        #expect(try cli.run(["token", "roll", "4"]).stderr.contains("the organisation allows at most 90 days"))
        #expect(try cli.run(["token", "edit", "5", "--name", "renamed"]).status == 2)
        #expect(try cli.run(["token", "edit", "5", "--expires-in", "60d"]).status == 0)

        let independent = Int(try cli.sql("""
            SELECT count(*) FROM token WHERE revokedAt IS NULL AND (expiresInDays IS NULL OR expiresInDays > 90)
            """)) ?? -1
        let check = try cli.run(["policy", "check", "--json"])
        #expect(check.status == 1)
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [[String: Any]])
        #expect(listed.count == independent && independent == 2)
        #expect(listed.allSatisfy { ($0["violations"] as? [String])?.first?.hasPrefix("the organisation allows at most 90 days") == true })
        #expect(try cli.run(["policy", "check", "--revoke"]).status == 2, "asks first, and there is no terminal")
        #expect(try cli.run(["policy", "check", "--revoke", "--yes"]).status == 1)
        #expect(try cli.run(["policy", "check"]).status == 0)
        #expect(try cli.sql("SELECT count(*) FROM token WHERE revokedAt IS NULL") == "3")

        let shown = try cli.run(["policy", "show", "--json"])
        #expect(shown.stdout.contains(#""max_lifetime" : "90d""#))
        #expect(try cli.run(["policy", "set", "--require-ip-allowlist"]).status == 0)
        #expect(try create("open", ["--expires-in", "30d"]).stderr == "apitokens: the organisation requires an IP allow-list\n")
        #expect(try create("closed", ["--expires-in", "30d", "--ip", "10.0.0.0/8"]).status == 0)
        for bad in [["policy", "set"], ["policy", "set", "--max-lifetime", "400d"], ["policy", "set", "--max-lifetime", "never"]] {
            let result = try cli.run(bad)
            #expect(result.status == 2 && result.stderr.split(separator: "\n").count == 1, "\(bad)")
        }
        #expect(try cli.run(["audit", "--action", "policy", "--json"]).stdout.contains("require_ip_allowlist: false → true"))
    }

    @Test func theAuditChainNamesTheEventEachKindOfTamperingTouched() throws {
        for index in 1...6 { try create("t\(index)") }
        #expect(try cli.run(["audit", "verify"]).stdout.hasPrefix("intact: 7 events"))
        let head = try cli.run(["audit", "head"]).stdout.split(separator: " ")
        let backup = cli.directory.appendingPathComponent("intact.sqlite").path
        #expect(try sqlite("VACUUM INTO '\(backup)'").isEmpty)
        let cases: [(String, String)] = [
            ("UPDATE audit SET details = 'nothing to see' WHERE id = 4", "event #4 was changed after it was written"),
            ("DELETE FROM audit WHERE id = 3", "event #3 was removed"),
            ("DELETE FROM audit WHERE id = 7", "event #7 was removed"),
            ("INSERT INTO audit (at, actor, action, details) VALUES (1, 'mallory', 'create', '')", "event #8 was inserted by hand"),
            ("UPDATE audit SET id = 100 WHERE id = 5; UPDATE audit SET id = 5 WHERE id = 6; UPDATE audit SET id = 6 WHERE id = 100",
             "event #5 was moved or replaced by hand"),
            ("UPDATE audit_head SET lastId = 3", "the chain's head was edited by hand"),
            ("UPDATE audit_head SET count = count - 1", "the chain's head was edited by hand"),
            ("DELETE FROM audit; DELETE FROM audit_head", "every event was removed"),
            ("DROP TABLE audit_head", "the chain's head is missing"),
        ]
        func restore() throws {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: cli.database + suffix) }
            try FileManager.default.copyItem(atPath: backup, toPath: cli.database)
        }
        for (tampering, named) in cases {
            try restore()
            _ = try sqlite(tampering)
            let verify = try cli.run(["audit", "verify"])
            #expect(verify.status == 1, "\(tampering)")
            #expect(verify.stdout.contains(named), "\(tampering): \(verify.stdout)")
        }
        // The newest event removed, then a legitimate write: the gap still shows, and the new event is not blamed.
        try restore()
        _ = try sqlite("DELETE FROM audit WHERE id = 7")
        try create("after")
        #expect(try cli.run(["audit", "verify"]).stdout.contains("event #7 was removed: event #8 does not follow event #6"))
        // Everything wiped: a head kept elsewhere proves that events existed.
        try restore()
        _ = try sqlite("DELETE FROM audit; DELETE FROM audit_head")
        #expect(try cli.run(["audit", "verify", "--head", String(head[1]).trimmingCharacters(in: .whitespacesAndNewlines)]).status == 1)
        try restore()
        // A head kept from before later events still proves the past; a head the chain never had proves nothing.
        try create("t7")
        #expect(try cli.run(["audit", "verify", "--head", String(head[1]).trimmingCharacters(in: .whitespacesAndNewlines)]).status == 0)
        #expect(try cli.run(["audit", "verify", "--head", String(repeating: "ab", count: 32)]).status == 1)
        #expect(try cli.run(["audit", "verify", "--head", "nonsense"]).status == 2)
    }

    @Test(arguments: Engine.available) func auditFiltersCombine(_ engine: Engine) throws {
        cli.use(engine)
        try create("deploy")
        try create("other")
        try cli.run(["token", "roll", "1"])
        try cli.run(["token", "revoke", "2", "--yes"])
        func ids(_ arguments: [String]) throws -> [Int] {
            let result = try cli.run(["audit", "--json"] + arguments)
            #expect(result.status == 0, "\(result.stderr)")
            let events = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
            return events.compactMap { $0["token_id"] as? Int }
        }
        #expect(try ids(["--token", "1"]) == [1, 1])
        #expect(try ids(["--action", "revoke"]) == [2])
        #expect(try ids(["--token", "1", "--action", "roll", "--actor", NSUserName()]) == [1])
        #expect(try ids(["--actor", "nobody"]).isEmpty)
        #expect(try ids(["--since", "1h"]).count == 4)
        #expect(try ids(["--since", "2999-01-01"]).isEmpty)
        #expect(try cli.run(["audit", "--since", "yesterday"]).status == 2)
    }
}
