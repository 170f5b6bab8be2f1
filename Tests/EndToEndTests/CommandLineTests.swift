import Foundation
import Testing
import TestSupport

/// The command line, driven as an admin's script and a service would drive it.
@Suite(.serialized)
struct CommandLineTests {
    let cli = CLIRunner()

    func secret(_ result: CLIRunner.Result) -> String { result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) }

    @Test(arguments: Engine.available) func createVerifyRollRevokeLifecycle(_ engine: Engine) throws {
        cli.use(engine)
        let created = try cli.run(["token", "create", "--name", "CI deploy", "--team", "Default",
                                   "--permission", "read_site", "--permission", "run_tests"])
        #expect(created.status == 0, "\(created.stderr)")
        let first = secret(created)
        #expect(first.hasPrefix("ptk_") && !first.contains("\n"))

        let verified = try cli.run(["verify", "--permission", "run_tests"], stdin: first)
        #expect(verified.status == 0)
        let answer = try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any]
        #expect(answer?["active"] as? Bool == true)
        #expect(answer?["sub"] as? String == NSUserName())
        #expect(answer?["permissions"] as? [String] == ["read_site", "run_tests"])

        let fromEnvironment = try cli.run(["verify"], environment: ["APITOKENS_TOKEN": first])
        #expect(fromEnvironment.status == 0)

        let rolled = try cli.run(["token", "roll", "1"])
        let second = secret(rolled)
        #expect(rolled.status == 0 && second != first)
        let old = try cli.run(["verify"], stdin: first)
        #expect(old.status == 1 && old.stdout == "{\"active\":false}\n" && old.stderr.isEmpty)
        #expect(try cli.run(["verify"], stdin: second).status == 0)

        #expect(try cli.run(["token", "revoke", "1", "--yes"]).status == 0)
        let revoked = try cli.run(["verify", "--explain"], stdin: second)
        #expect(revoked.status == 1 && revoked.stdout == "{\"active\":false}\n")
        #expect(revoked.stderr.contains("revoked"))
        #expect(try cli.run(["token", "list", "--all", "--json"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]"
                || cli.run(["token", "list", "--all", "--json"]).stdout.contains("[]"))
    }

    @Test(arguments: Engine.available) func everyVerificationFailureLooksTheSame(_ engine: Engine) throws {
        cli.use(engine)
        let created = try cli.run(["token", "create", "--name", "svc", "--team", "Default", "--ip", "10.0.0.0/8", "--expires-in", "7d"])
        let good = secret(created)
        var tampered = Array(good)
        tampered[10] = tampered[10] == "a" ? "b" : "a"
        let cases: [([String], String)] = [
            (["--ip", "10.1.1.1", "--permission", "manage_sites"], good),
            (["--ip", "11.1.1.1"], good),
            ([], good),
            (["--ip", "10.1.1.1", "--team", "Elsewhere"], good),
            (["--ip", "10.1.1.1", "--site", "nowhere.example"], good),
            (["--ip", "10.1.1.1"], String(tampered)),
            (["--ip", "10.1.1.1"], "ptk_not_even_close"),
        ]
        for (arguments, token) in cases {
            let result = try cli.run(["verify"] + arguments, stdin: token)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stdout == "{\"active\":false}\n", "\(arguments)")
            #expect(result.stderr == "", "\(arguments)")
        }
        #expect(try cli.run(["verify", "--ip", "::ffff:10.1.1.1"], stdin: good).status == 0)
    }

    @Test(arguments: Engine.available) func roleRefusalsExitTwoWithOneLine(_ engine: Engine) throws {
        cli.use(engine)
        #expect(try cli.run(["account", "add", "vi", "--role", "viewer", "--team", "Default"]).status == 0)
        let cases: [[String]] = [
            ["token", "create", "--as", "vi", "--name", "x", "--team", "Default", "--permission", "manage_sites"],
            ["token", "create", "--as", "vi", "--kind", "admin", "--name", "x", "--team", "Default"],
            ["team", "add", "--as", "vi", "Sneaky"],
            ["token", "list", "--as", "vi", "--all"],
            ["audit", "--as", "vi"],
        ]
        for arguments in cases {
            let result = try cli.run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
        let admins = try cli.run(["token", "create", "--name", "org", "--kind", "admin", "--team", "Default"])
        #expect(admins.status == 0 && secret(admins).hasPrefix("atk_"))
        #expect(try cli.run(["token", "revoke", "--as", "vi", "1", "--yes"]).status == 2)
    }

    @Test(arguments: Engine.available) func badInputGetsOneLineAndExitTwo(_ engine: Engine) throws {
        cli.use(engine)
        let cases: [([String], String)] = [
            (["token", "create", "--name", "x", "--team", "Default", "--ip", "010.0.0.1"], "010.0.0.1"),
            (["token", "create", "--name", "x", "--team", "Default", "--ip", "10.0.0.1/8"], "host bits"),
            (["token", "create", "--name", "x", "--team", "Default", "--expires-in", "367d"], "367d"),
            (["token", "create", "--name", "x", "--team", "Nope"], "Nope"),
            (["token", "create", "--name", "x\u{1B}[2J", "--team", "Default"], "control"),
            (["token", "create", "--name", "x", "--team", "Default", "--permission", "fly"], "fly"),
            (["token", "list", "--sort", "colour"], "colour"),
            (["token", "show", "42"], "42"),
            (["nonsense"], "nonsense"),
        ]
        for (arguments, mention) in cases {
            let result = try cli.run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(mention), "\(arguments): \(result.stderr)")
        }
        #expect(try cli.run(["token", "list", "--all", "--json"]).stdout.contains("\"id\"") == false)
    }

    @Test(arguments: Engine.available) func unknownOSUserIsToldHowToGetAnAccount(_ engine: Engine) throws {
        cli.use(engine)
        // Given a database whose only admin is someone else
        #expect(try cli.run(["team", "list"]).status == 0)
        try cli.sql("UPDATE account SET login = 'someone_else'")
        let result = try cli.run(["token", "list"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("apitokens account add \(NSUserName())"))
    }

    @Test(arguments: Engine.available) func listingsSortFilterAndLimitAsJSON(_ engine: Engine) throws {
        cli.use(engine)
        try cli.seedDemo()
        let negative = try cli.run(["token", "list", "--all", "--limit", "-1"])
        #expect(negative.status != 0 && negative.stderr.contains("--limit must be at least 1"), "\(negative.stderr)")
        let listed = try cli.run(["token", "list", "--all", "--sort", "expires", "--limit", "5", "--json"])
        let tokens = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(tokens.count == 5)
        #expect(tokens.allSatisfy { $0["status"] as? String == "expired" })
        let keys: Set<String> = ["id", "kind", "name", "owner", "team", "permissions", "expires_in", "expires_at", "status",
                                 "allowed_ips", "created_at", "updated_at", "last_used_at"]
        #expect(Set(tokens.first?.keys.map { $0 } ?? []) == keys)
        let expiring = try cli.run(["token", "list", "--all", "--status", "expiring", "--json"])
        let soon = try JSONSerialization.jsonObject(with: Data(expiring.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(!soon.isEmpty && soon.allSatisfy { $0["status"] as? String == "expiring" })
        let accounts = try cli.run(["account", "list", "--json"])
        #expect(accounts.stdout.contains("\"role\" : \"viewer\""))
    }

    @Test(arguments: Engine.available) func noSecretIsStoredAnywhere(_ engine: Engine) throws {
        cli.use(engine)
        var secrets: [String] = []
        for name in ["one", "two", "three"] {
            secrets.append(secret(try cli.run(["token", "create", "--name", name, "--team", "Default"])))
        }
        secrets.append(secret(try cli.run(["token", "roll", "2"])))
        try cli.run(["verify"], stdin: secrets[0])
        let audit = try cli.run(["audit", "--json"]).stdout
        let outputs = try [["token", "list", "--json"], ["token", "show", "2"], ["token", "show", "2", "--json"], ["audit"]]
            .map { try cli.run($0).stdout }.joined()
        let bytes = try cli.storedBytes()
        for secret in secrets {
            #expect(!audit.contains(secret) && !outputs.contains(secret))
            let needle = Data(secret.utf8)
            let body = Data(secret.dropFirst(4).prefix(20).utf8)
            #expect(bytes.allSatisfy { $0.range(of: needle) == nil && $0.range(of: body) == nil })
        }
    }

    @Test func helpExplainsEveryCommandWithAnExample() throws {
        for command in [["token", "create"], ["token", "list"], ["verify"], ["demo"], ["account", "add"], ["refresh-self"]] {
            let help = try cli.run(command + ["--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("Example"), "\(command)")
        }
    }
}
