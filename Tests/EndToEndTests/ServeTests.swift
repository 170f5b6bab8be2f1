import Foundation
import Testing
import TestSupport

/// `apitokens serve` answered over real HTTP (curl), as the proxies and services in front of it ask.
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl"))
struct ServeTests {
    let cli = CLIRunner()

    func create(_ arguments: [String]) throws -> String {
        let created = try cli.run(["token", "create"] + arguments)
        #expect(created.status == 0, "\(created.stderr)")
        return created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(arguments: Engine.available) func checkAnswersEveryOutcomeOfTheTable(_ engine: Engine) throws {
        cli.use(engine)
        try cli.run(["site", "add", "--team", "Default", "www.example.com"])
        let good = try create(["--name", "deploy", "--team", "Default", "--permission", "read_site", "--permission", "run_tests"])
        let rolledOut = try create(["--name", "rolled", "--team", "Default"])
        _ = try cli.run(["token", "roll", "2"])
        let revoked = try create(["--name", "revoked", "--team", "Default"])
        _ = try cli.run(["token", "revoke", "3", "--yes"])
        let expired = try create(["--name", "expired", "--team", "Default"])
        try cli.sql("UPDATE token SET expiresAt = 1000 WHERE id = 4")
        let serve = try ServeProcess(database: cli.database)

        let ok = try HTTPExchange.get(serve.url("/check?permission=run_tests&team=Default&site=www.example.com"), bearer: good)
        #expect(ok.status == 204)
        #expect(ok.headers["x-token-id"] == "1" && ok.headers["x-token-kind"] == "personal" && ok.headers["x-token-name"] == "deploy")
        #expect(ok.headers["x-token-sub"] == NSUserName() && ok.headers["x-token-team"] == "Default")
        #expect(ok.headers["x-token-permissions"] == "read_site,run_tests")

        let missing = try HTTPExchange.get(serve.url("/check"))
        #expect(missing.status == 401 && missing.headers["www-authenticate"] == #"Bearer realm="apitokens""#)
        for bad in ["garbage", "ptk_" + String(repeating: "a", count: 34), rolledOut, revoked, expired] {
            let refused = try HTTPExchange.get(serve.url("/check"), bearer: bad)
            #expect(refused.status == 401, "\(bad.prefix(8))")
            #expect(refused.headers["www-authenticate"]?.contains(#"error="invalid_token""#) == true)
        }
        for needs in ["permission=manage_sites", "team=Elsewhere", "site=api.example.com", "permission=no_such_thing"] {
            let scoped = try HTTPExchange.get(serve.url("/check?\(needs)"), bearer: good)
            #expect(scoped.status == 403, "\(needs)")
            #expect(scoped.headers["www-authenticate"]?.contains(#"error="insufficient_scope""#) == true, "\(needs)")
        }
        let basic = try HTTPExchange.get(serve.url("/check"), headers: ["Authorization: Basic dXNlcjpwYXNz"])
        #expect(basic.status == 401)
        let bare = try HTTPExchange.get(serve.url("/check"), headers: ["Authorization: Bearer"])
        #expect(bare.status == 401 && bare.headers["www-authenticate"] == #"Bearer realm="apitokens""#, "no token was sent")
        for conflicting in ["team=Default&team=Other", "site=www.example.com&site=api.example.com", "permission="] {
            #expect(try HTTPExchange.get(serve.url("/check?\(conflicting)"), bearer: good).status == 403, "\(conflicting)")
        }
    }

    @Test(arguments: Engine.available) func introspectAndRefreshAnswerLikeVerifyAndRefreshSelf(_ engine: Engine) throws {
        cli.use(engine)
        let caller = try create(["--name", "resource server", "--team", "Default"])
        let subject = try create(["--name", "client", "--team", "Default", "--permission", "read_site", "--permission", "run_tests"])
        let serve = try ServeProcess(database: cli.database)
        let answer = try HTTPExchange.curl([serve.url("/introspect"), "-H", "Authorization: Bearer \(caller)",
                                            "--data", "token=\(subject)&token_type_hint=access_token"])
        #expect(answer.status == 200)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
        #expect(json["active"] as? Bool == true && json["token_id"] as? Int == 2 && json["kind"] as? String == "personal")
        #expect(json["name"] as? String == "client" && json["sub"] as? String == NSUserName() && json["team"] as? String == "Default")
        #expect(json["permissions"] as? [String] == ["read_site", "run_tests"] && json["scope"] as? String == "read_site run_tests")
        #expect(json["token_type"] as? String == "Bearer" && json["exp"] is Int && json["iat"] is Int)
        let verified = try cli.run(["verify"], stdin: subject)
        let cliJSON = try #require(try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any])
        #expect(Set(cliJSON.keys).isSubset(of: Set(json.keys)) && cliJSON["exp"] as? Int == json["exp"] as? Int)

        let inactive = try HTTPExchange.curl([serve.url("/introspect"), "-H", "Authorization: Bearer \(caller)", "--data", "token=nonsense"])
        #expect(inactive.status == 200 && inactive.body == #"{"active":false}"#)
        let anonymous = try HTTPExchange.curl([serve.url("/introspect"), "--data", "token=\(subject)"])
        #expect(anonymous.status == 401)

        let forever = try create(["--name", "forever", "--team", "Default", "--expires-in", "never"])
        let nothingToRefresh = try HTTPExchange.curl(["-X", "POST", serve.url("/refresh"), "-H", "Authorization: Bearer \(forever)"])
        #expect(nothingToRefresh.status == 401, "a token problem is never a 503")
        let refreshed = try HTTPExchange.curl(["-X", "POST", serve.url("/refresh"), "-H", "Authorization: Bearer \(subject)"])
        #expect(refreshed.status == 200 && refreshed.body.contains(#""token_id":2"#) && refreshed.body.contains(#""expires_at":"#))
        #expect(try HTTPExchange.curl(["-X", "POST", serve.url("/refresh"), "-H", "Authorization: Bearer nope"]).status == 401)
    }

    @Test(arguments: Engine.available) func aRevokeFromTheCommandLineIsObeyedByTheVeryNextCheck(_ engine: Engine) throws {
        cli.use(engine)
        let secret = try create(["--name", "soon revoked", "--team", "Default"])
        let serve = try ServeProcess(database: cli.database)
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: secret).status == 204)
        #expect(try cli.run(["token", "revoke", "1", "--yes"]).status == 0)
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: secret).status == 401)
    }

    @Test(arguments: Engine.available) func trustedProxiesReportTheClientAddress(_ engine: Engine) throws {
        cli.use(engine)
        let secret = try create(["--name", "office", "--team", "Default", "--ip", "203.0.113.0/24"])
        let serve = try ServeProcess(database: cli.database)
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: secret).status == 403, "loopback is not in the list")
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: secret, headers: ["X-Forwarded-For: 198.51.100.1, 203.0.113.5"]).status == 204)
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: secret, headers: ["X-Forwarded-For: 203.0.113.5, 198.51.100.1"]).status == 403)
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: secret, headers: ["X-Real-IP: 203.0.113.77"]).status == 204)
    }

    @Test(arguments: Engine.available) func healthAndMetricsAndADatabaseThatCannotAnswer(_ engine: Engine) throws {
        cli.use(engine)
        let secret = try create(["--name", "metered", "--team", "Default"])
        let unasked = try create(["--name", "never checked", "--team", "Default"])
        let serve = try ServeProcess(database: cli.database)
        #expect(try HTTPExchange.get(serve.url("/healthz")).status == 200)
        _ = try HTTPExchange.get(serve.url("/check"), bearer: secret)
        _ = try HTTPExchange.get(serve.url("/check"), bearer: "garbage")
        let metrics = try HTTPExchange.get(serve.url("/metrics"))
        #expect(metrics.body.contains(#"apitokens_checks_total{endpoint="check",outcome="good"} 1"#), "\(metrics.body)")
        #expect(metrics.body.contains(#"apitokens_checks_total{endpoint="check",outcome="invalid_token"} 1"#))
        #expect(metrics.body.contains("apitokens_check_duration_seconds_bucket"))
        #expect(!metrics.body.contains(secret) && !serve.process.stderr.contains(secret))
        try cli.sql("ALTER TABLE token RENAME TO gone")
        // A token serve has not read yet must be read, and cannot be. (On PostgreSQL what serve kept of the
        // metered token may still answer: no row changed, so no notification ends it.)
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: unasked).status == 503)
        #expect(try HTTPExchange.get(serve.url("/healthz")).status == 503)
        #expect(serve.process.stderr.contains("the database cannot answer"))
    }

    /// A database restored from a backup under a running service: the old file is never read again.
    @Test func aReplacedDatabaseIsNeverReadAgain() throws {
        let secret = try create(["--name", "restored", "--team", "Default"])
        let serve = try ServeProcess(database: cli.database)
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: secret).status == 204)
        let copy = cli.directory.appendingPathComponent("copy.sqlite").path
        try ChildProcess.run("/usr/bin/sqlite3", [cli.database, ".backup '\(copy)'"])
        #expect(rename(copy, cli.database) == 0)
        #expect(try cli.run(["token", "revoke", "1", "--yes"]).status == 0)
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: secret).status == 503)
        #expect(try HTTPExchange.get(serve.url("/healthz")).status == 503)
    }

    @Test(arguments: Engine.available) func sigtermDrainsFlushesLastUseAndExitsZeroQuickly(_ engine: Engine) throws {
        cli.use(engine)
        let secret = try create(["--name", "used once", "--team", "Default"])
        let serve = try ServeProcess(database: cli.database)
        let load = try ChildProcess.start("/bin/sh", ["-c", """
            for i in $(seq 300); do
              curl -s -o /dev/null -w '%{http_code}\\n' -H 'X-Forwarded-For: 192.0.2.44' -H 'Authorization: Bearer \(secret)' \(serve.url("/check"))
            done
            """])
        usleep(300_000)
        // The last use is noted a moment before the signal, inside the recorder's one-second batch.
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: secret, headers: ["X-Forwarded-For: 192.0.2.44"]).status == 204)
        let stopping = Date()
        serve.process.signal(SIGTERM)
        let result = serve.process.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Date().timeIntervalSince(stopping) < 2)
        let codes = load.wait().stdout.split(separator: "\n")
        #expect(codes.contains("204") && codes.allSatisfy { $0 == "204" || $0 == "000" }, "\(Set(codes))")
        let shown = try cli.run(["token", "show", "1"])
        #expect(shown.stdout.contains("from 192.0.2.44"), "last use was not flushed on shutdown: \(shown.stdout)")
    }

    @Test func aUnixSocketIsPrivateAndAStaleOneIsReplaced() throws {
        let secret = try create(["--name", "socketed", "--team", "Default"])
        let socket = cli.directory.appendingPathComponent("check.sock").path
        var serve: ServeProcess? = try ServeProcess(database: cli.database, arguments: ["--listen", "unix:\(socket)"])
        var info = stat()
        #expect(stat(socket, &info) == 0 && info.st_mode & 0o777 == 0o660)
        #expect(try HTTPExchange.curl(["--unix-socket", socket, "-H", "Authorization: Bearer \(secret)", "http://localhost/check"]).status == 204)
        let second = try ChildProcess.run(CLIRunner.binary, ["serve", "--db", cli.database, "--listen", "unix:\(socket)"])
        #expect(second.status == 2 && second.stderr.contains("another server is listening"), "\(second.stderr)")
        serve?.process.signal(SIGKILL)
        serve?.process.wait()
        serve = nil
        #expect(FileManager.default.fileExists(atPath: socket), "a killed server leaves its socket behind")
        serve = try ServeProcess(database: cli.database, arguments: ["--listen", "unix:\(socket)"])
        #expect(try HTTPExchange.curl(["--unix-socket", socket, "-H", "Authorization: Bearer \(secret)", "http://localhost/check"]).status == 204)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs openssl"))
    func tlsServesHTTPSWithTheGivenCertificate() throws {
        let secret = try create(["--name", "over tls", "--team", "Default"])
        let cert = cli.directory.appendingPathComponent("cert.pem").path, key = cli.directory.appendingPathComponent("key.pem").path
        let made = try ChildProcess.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                                             "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"])
        #expect(made.status == 0, "\(made.stderr)")
        let serve = try ServeProcess(database: cli.database, arguments: ["--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key])
        let answer = try HTTPExchange.curl(["--cacert", cert, "--resolve", "localhost:\(serve.address.split(separator: ":").last ?? ""):127.0.0.1",
                                            "-H", "Authorization: Bearer \(secret)",
                                            "https://localhost:\(serve.address.split(separator: ":").last ?? "")/check"])
        #expect(answer.status == 204, "\(answer)")
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: secret).status == 0, "plain HTTP is not spoken on a TLS port")
        let badKey = try ChildProcess.run(CLIRunner.binary, ["serve", "--db", cli.database, "--listen", "127.0.0.1:0",
                                                             "--tls-cert", cert, "--tls-key", cert])
        #expect(badKey.status == 2 && badKey.stderr.contains("cannot use --tls-cert"), "\(badKey.stderr)")
    }

    @Test func plainHTTPBeyondLoopbackAndBadAddressesAreRefused() throws {
        _ = try create(["--name", "x", "--team", "Default"])
        for (arguments, mention) in [(["--listen", "0.0.0.0:8080"], "reachable from other hosts"),
                                     (["--listen", "localhost"], "port"), (["--listen", "unix:relative.sock"], "absolute"),
                                     (["--tls-cert", "/nonexistent"], "go together"), (["--trust-proxy", "10.0.0.1/8"], "host bits")] {
            let result = try ChildProcess.run(CLIRunner.binary, ["serve", "--db", cli.database] + arguments)
            #expect(result.status == 2 && result.stderr.contains(mention) && result.stderr.split(separator: "\n").count == 1,
                    "\(arguments): \(result.stderr)")
        }
        let missing = try ChildProcess.run(CLIRunner.binary, ["serve", "--db", cli.directory.appendingPathComponent("none.sqlite").path])
        #expect(missing.status == 2 && missing.stderr.contains("there is no database"))
    }
}
