import Crypto
import Foundation
import Testing
import TestSupport
import TokenDomain

/// SPEC §7 from the outside: a roll with a grace, `scan`, `POST /leaked` and bulk revoke, through the binary.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RotationAndLeakTests {
    let cli = CLIRunner()

    func create(_ name: String) throws -> String {
        let created = try cli.run(["token", "create", "--name", name, "--team", "Default"])
        #expect(created.status == 0, "\(created.stderr)")
        return created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func verify(_ secret: String) throws -> (status: Int32, json: [String: Any]) {
        let result = try cli.run(["verify"], stdin: secret)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return (result.status, json)
    }

    func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try cli.run(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    @Test(arguments: Engine.available) func aRollWithAGraceKeepsTheOldSecretWorkingAndSaysSo(_ engine: Engine) throws {
        cli.use(engine)
        let old = try create("deploy")
        let rolled = try json(["token", "roll", "1", "--grace", "24h", "--json"])
        let new = try #require(rolled["secret"] as? String)
        let graceEnd = try #require(rolled["previous_secret_expires_at"] as? String)
        #expect(try json(["token", "show", "1", "--json"])["previous_secret_expires_at"] as? String == graceEnd)
        #expect(try cli.run(["token", "show", "1"]).stdout.contains("the previous secret works until \(graceEnd.prefix(16))"))

        let byOld = try verify(old)
        #expect(byOld.status == 0 && byOld.json["previous_secret"] as? Bool == true)
        let byNew = try verify(new)
        #expect(byNew.status == 0 && byNew.json["previous_secret"] == nil)

        let serve = try ServeProcess(database: cli.database)
        let oldCheck = try HTTPExchange.get(serve.url("/check"), bearer: old)
        #expect(oldCheck.status == 204 && oldCheck.headers["x-token-previous-secret"] == "true")
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: new).headers["x-token-previous-secret"] == nil)
        let introspected = try HTTPExchange.curl([serve.url("/introspect"), "-H", "Authorization: Bearer \(new)", "--data", "token=\(old)"])
        #expect(introspected.body.contains(#""previous_secret":true"#))

        // Another process rolls again without a grace: the running service refuses the old secrets at once.
        let third = try cli.run(["token", "roll", "1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: old).status == 401)
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: new).status == 401)
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: third).status == 204)
        #expect(try json(["token", "show", "1", "--json"])["previous_secret_expires_at"] is NSNull)
    }

    @Test(arguments: Engine.available) func aBadGraceIsOneLineAndChangesNothing(_ engine: Engine) throws {
        cli.use(engine)
        let secret = try create("deploy")
        for bad in ["8d", "169h", "0h", "07d", "1w", "-1d", ""] {
            let result = try cli.run(["token", "roll", "1", "--grace", bad])
            #expect(result.status == 2, "\(bad)")
            #expect(result.stdout.isEmpty && result.stderr.split(separator: "\n").count == 1, "\(bad): \(result.stderr)")
        }
        #expect(try verify(secret).status == 0)
        #expect(try cli.run(["token", "roll", "1", "--grace", "7d"]).status == 0)
    }

    @Test(arguments: Engine.available) func scanFindsOurSecretsInATreeAndRevokesTheLiveOnes(_ engine: Engine) throws {
        cli.use(engine)
        let live = try create("live one")
        let rolled = try create("rolled with grace")
        let revoked = try create("revoked one")
        try cli.run(["token", "revoke", "3", "--yes"])
        // Another process rolls token 2 with a grace: its old secret is still live, as a previous secret.
        let current = try cli.run(["token", "roll", "2", "--grace", "1h"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let unknown = TokenSecret.generate(kind: .personal).text
        var broken = Array(live)
        broken[broken.count - 1] = broken.last == "A" ? "B" : "A"

        let tree = cli.directory.appendingPathComponent("repo")
        func write(_ path: String, _ text: String) throws {
            let url = tree.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try write("config/deploy.yml", "name: x\nsteps:\n  token: \(live)\n")
        try write("notes.md", "old \(revoked)\nrandom \(unknown)\nlook-alikes \(String(broken)) ptk_short\nembedded:\\n\(live)0\n")
        try write("deep/a/b/c/rolled.env", "TOKEN=\"\(rolled)\"\n")
        try write("image.bin", "\u{0}binary \(live)")
        let big = tree.appendingPathComponent("dump.sql")
        try Data("\(live)\n".utf8).write(to: big)
        let handle = try FileHandle(forWritingTo: big)
        try handle.truncate(atOffset: 50 * 1024 * 1024 + 1)
        try handle.close()

        let scan = try cli.run(["scan", tree.path])
        #expect(scan.status == 1)
        #expect(scan.stdout.split(separator: "\n").map(String.init) == [
            "\(tree.path)/config/deploy.yml:3: \(TokenSecret.prefix(for: .personal))…\(live.suffix(4)) token 1 'live one' (live)",
            "\(tree.path)/deep/a/b/c/rolled.env:1: ptk_…\(rolled.suffix(4)) token 2 'rolled with grace' (previous secret) (live)",
            "\(tree.path)/notes.md:1: ptk_…\(revoked.suffix(4)) token 3 'revoked one' (revoked)",
            "\(tree.path)/notes.md:2: ptk_…\(unknown.suffix(4)) no token of this database (unknown)",
            "\(tree.path)/notes.md:4: ptk_…\(live.suffix(4)) token 1 'live one' (live)",
        ])
        #expect(scan.stderr.contains("skipped \(tree.path)/image.bin: binary"))
        #expect(scan.stderr.contains("skipped \(tree.path)/dump.sql: over 50 MB"))
        for secret in [live, rolled, revoked, unknown] { #expect(!scan.stdout.contains(secret) && !scan.stderr.contains(secret)) }

        let asJSON = try cli.run(["scan", tree.path, "--json"])
        let findings = try #require(try JSONSerialization.jsonObject(with: Data(asJSON.stdout.utf8)) as? [[String: Any]])
        #expect(findings.map { $0["status"] as? String } == ["live", "live", "revoked", "unknown", "live"])

        #expect(try cli.run(["scan", tree.path, "--revoke"]).status == 2, "no terminal to ask on and no --yes")
        #expect(try verify(live).status == 0)
        let revoking = try cli.run(["scan", tree.path, "--revoke", "--yes"])
        #expect(revoking.status == 1)
        #expect(revoking.stdout.contains("— revoked now"))
        #expect(try verify(live).status == 1)
        #expect(try verify(rolled).status == 1)
        #expect(try verify(current).status == 0, "a leaked previous secret ends its grace; the current one keeps working")
        let again = try cli.run(["scan", tree.path])
        #expect(again.status == 0, "\(again.stdout)")
        let audit = try cli.run(["audit", "--limit", "2"]).stdout
        #expect(audit.contains("leaked: found at \(tree.path)/config/deploy.yml:3"))
        #expect(audit.contains("end-grace"))

        let piped = try cli.run(["scan"], stdin: "line one\n\(current)\n")
        #expect(piped.status == 1 && piped.stdout.hasPrefix("(stdin):2: "))
        #expect(try cli.run(["scan", tree.appendingPathComponent("missing").path]).status == 2)
    }

    @Test func scanWalksOddTreesAndNeverPrintsASecretInAPath() throws {
        let live = try create("live one")
        let inPath = try create("in a path")
        let tree = cli.directory.appendingPathComponent("odd")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        // A file name that is not UTF-8, made through the C API.
        let bad = Array(tree.path.utf8) + Array("/bad".utf8) + [0xFF, 0xFE, 0]
        let descriptor = open(bad.map { CChar(bitPattern: $0) }, O_CREAT | O_WRONLY, 0o600)
        #expect(descriptor >= 0)
        _ = "x \(live)\n".withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)
        // A directory whose name is itself a secret, and a link inside the tree.
        let named = tree.appendingPathComponent("dir-\(inPath)")
        try FileManager.default.createDirectory(at: named, withIntermediateDirectories: true)
        try Data("nothing here\n".utf8).write(to: named.appendingPathComponent("f.txt"))
        try FileManager.default.createSymbolicLink(atPath: tree.appendingPathComponent("link").path, withDestinationPath: "/etc/hostname")

        let scan = try cli.run(["scan", tree.path])
        #expect(scan.status == 1)
        #expect(scan.stdout.contains("/bad\u{FFFD}\u{FFFD}:1: ptk_…\(live.suffix(4)) token 1 'live one' (live)"), "\(scan.stdout)")
        #expect(scan.stderr.contains("link: a symbolic link inside a directory is not followed"))
        #expect(!scan.stdout.contains(inPath) && !scan.stderr.contains(inPath))

        let piped = try cli.run(["scan"], stdin: "log\u{0}line \(live)\n")
        #expect(piped.status == 1 && piped.stdout.hasPrefix("(stdin):1: "), "stdin is read as text, NUL or not")
    }

    @Test(arguments: Engine.available) func signedLeakReportsRevokeAndEverythingElseIs401(_ engine: Engine) throws {
        cli.use(engine)
        let leaked = try create("leaked")
        let bystander = try create("bystander")
        let scanner = P256.Signing.PrivateKey()
        let stranger = P256.Signing.PrivateKey()
        let keyFile = cli.directory.appendingPathComponent("scanner.pem")
        try scanner.publicKey.pemRepresentation.write(to: keyFile, atomically: true, encoding: .utf8)
        let serve = try ServeProcess(database: cli.database, arguments: ["--listen", "127.0.0.1:0", "--leak-key", "scanner=\(keyFile.path)"])

        let body = #"[{"token":"\#(leaked)","type":"apitokens_pat","url":"https://example.com/gist/1?also=\#(bystander)","source":"gist"},"#
            + #"{"token":"ptk_notoursatall_0000000000000000000","type":"x","url":"u","source":"s"}]"#
        func post(_ body: String, signedBy key: P256.Signing.PrivateKey?, keyID: String = "scanner") throws -> HTTPExchange {
            var headers = ["-H", "Content-Type: application/json", "-H", "X-Key-Id: \(keyID)"]
            if let key {
                let signature = try key.signature(for: Data(body.utf8)).derRepresentation.base64EncodedString()
                headers += ["-H", "X-Signature: \(signature)"]
            }
            return try HTTPExchange.curl([serve.url("/leaked"), "--data-binary", body] + headers)
        }
        #expect(try post(body, signedBy: nil).status == 401)
        #expect(try post(body, signedBy: stranger).status == 401)
        #expect(try post(body, signedBy: scanner, keyID: "someone").status == 401)
        let signature = try scanner.signature(for: Data(body.utf8)).derRepresentation.base64EncodedString()
        let tampered = body.replacingOccurrences(of: "gist/1", with: "gist/2")
        #expect(try HTTPExchange.curl([serve.url("/leaked"), "--data-binary", tampered, "-H", "X-Key-Id: scanner",
                                       "-H", "X-Signature: \(signature)"]).status == 401)
        #expect(try verify(leaked).status == 0, "nothing changes without a good signature")
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: leaked).status == 204)

        let answer = try post(body, signedBy: scanner)
        #expect(answer.status == 200)
        let labels = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [[String: String]])
        #expect(labels == [["token_hint": "ptk_…\(leaked.suffix(4))", "label": "true_positive"],
                           ["token_hint": "ptk_…0000", "label": "false_positive"]])
        #expect(!answer.body.contains(leaked))
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: leaked).status == 401)
        #expect(try verify(leaked).status == 1)
        #expect(try verify(bystander).status == 0)
        let audited = try cli.run(["audit", "--limit", "1"]).stdout
        #expect(audited.contains("leaked: found at https://example.com/gist/1?also=ptk_…\(bystander.suffix(4))"))
        #expect(!audited.contains(bystander), "a secret inside the report's url is shown by its hint only")
        #expect(try post("not json", signedBy: scanner).status == 400)

        let plain = try ServeProcess(database: cli.database)
        #expect(try post(body, signedBy: scanner).status == 200)
        #expect(try HTTPExchange.curl([plain.url("/leaked"), "--data-binary", body]).status == 404, "no --leak-key: no endpoint")
    }

    @Test(arguments: Engine.available) func bulkRevokeOfExpiredTokensMatchesAnIndependentCount(_ engine: Engine) throws {
        cli.use(engine)
        for index in 0..<30 { _ = try create((index % 3 == 0 ? "ci " : "web ") + "\(index)") }
        try cli.sql("UPDATE token SET expiresAt = 1000 WHERE id % 2 = 0")
        func count(_ sql: String) throws -> Int {
            Int(try cli.sql(sql)) ?? -1
        }
        let expiredCI = try count("SELECT count(*) FROM token WHERE expiresAt <= \(cli.sqlNow) AND name LIKE 'ci %' AND revokedAt IS NULL")
        let dry = try cli.run(["token", "revoke", "--status", "expired", "--search", "ci", "--dry-run"])
        #expect(dry.stdout.hasPrefix("Would revoke \(expiredCI) tokens"))
        #expect(try count("SELECT count(*) FROM token WHERE revokedAt IS NOT NULL") == 0, "a dry run changes nothing")
        #expect(try cli.run(["token", "revoke", "--status", "expired"]).status == 2, "asks, and there is no terminal")

        let done = try cli.run(["token", "revoke", "--status", "expired", "--search", "ci", "--yes"])
        #expect(done.status == 0 && done.stdout.contains("Revoked \(expiredCI) tokens"))
        let expiredAll = try count("SELECT count(*) FROM token WHERE expiresAt <= \(cli.sqlNow) AND revokedAt IS NULL")
        #expect(try cli.run(["token", "revoke", "--status", "expired", "--yes"]).stdout.contains("Revoked \(expiredAll) tokens"))
        #expect(try count("SELECT count(*) FROM token WHERE revokedAt IS NOT NULL") == expiredCI + expiredAll)
        #expect(try count("SELECT count(*) FROM audit WHERE action = 'revoke'") == expiredCI + expiredAll)
        #expect(try count("SELECT count(*) FROM token WHERE revokedAt IS NULL AND expiresAt > \(cli.sqlNow)") == 15)

        for bad in [["token", "revoke", "1", "--status", "expired"], ["token", "revoke", "--status", "active"],
                    ["token", "revoke", "--status", "expired", "--search", " "], ["token", "revoke", "--status", "expired", "--search", ""],
                    ["token", "revoke", "--unused-for", "soon"], ["token", "revoke", "--search", "x"]] {
            let refused = try cli.run(bad)
            #expect(refused.status == 2 && refused.stderr.split(separator: "\n").count == 1, "\(bad)")
        }
    }
}
