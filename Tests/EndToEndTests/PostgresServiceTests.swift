import Foundation
import Testing
import TestSupport

/// `apitokens ARGS` on the PostgreSQL database `url`.
@discardableResult
func apitokens(_ arguments: [String], on url: String) throws -> ChildProcess.Result {
    var environment = ProcessInfo.processInfo.environment
    environment["APITOKENS_DB"] = url
    environment.removeValue(forKey: "APITOKENS_TOKEN")
    return try ChildProcess.run(CLIRunner.binary, arguments, environment: environment)
}

/// The real binary on PostgreSQL, with a server of this test's own that it stops and starts: two `serve`
/// processes obey one revoke at once, answer 503 while the server is down and recover by themselves, and a writer
/// cut off mid-work loses nothing it reported done.
@Suite(.serialized, .enabled(if: ScratchPostgres.serverURL != nil, "APITOKENS_TEST_POSTGRES names no server"), .timeLimit(.minutes(3)))
struct PostgresServiceTests {
    /// A cluster only this suite uses, so stopping it disturbs no other test.
    final class OwnServer {
        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/postgres-scratch.sh").path
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apitokens-pg-\(UUID().uuidString.prefix(8))").path
        let url: String
        /// With `tls`, the loopback port it listens on, taking TLS only; the certificate's CA is `caFile`.
        let port: Int?
        var caFile: String { directory + "/certs/ca.crt" }

        init(tls: Bool = false) throws {
            let port = tls ? freeLoopbackPort() : nil
            self.port = port
            let arguments = tls ? [Self.script, "start-tls", directory, String(port ?? 0)] : [Self.script, "start", directory]
            let started = try ChildProcess.run("/bin/bash", arguments)
            guard started.status == 0 else { throw Failure(message: "the PostgreSQL cluster did not start: \(started.stderr)") }
            url = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        deinit {
            _ = try? ChildProcess.run("/bin/bash", [Self.script, "stop", directory])
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// Stops the server at once, as a crash or a failover would.
        func crash() throws { try pgCtl(["-m", "immediate", "-w", "stop"]) }

        func start() throws {
            try pgCtl(["-l", directory + "/server.log", "-w", "-o", "-c listen_addresses='' -c unix_socket_directories='\(directory)'", "start"])
        }

        /// Starts the TLS server again on its port with TLS turned off, as a server set up without it.
        func restartWithoutTLS() throws {
            try pgCtl(["-m", "fast", "-w", "stop"])
            try pgCtl(["-l", directory + "/server.log", "-w", "-o",
                       "-c listen_addresses='127.0.0.1' -c port=\(port ?? 5432) -c unix_socket_directories='\(directory)' -c ssl=off", "start"])
        }

        /// Stops every process of the server without ending any, as a hung host or a cut network looks from outside:
        /// connections stay open and nothing answers. `thaw` lets them go on.
        func freeze() throws { try signalEveryProcess(SIGSTOP) }
        func thaw() throws { try signalEveryProcess(SIGCONT) }

        private func signalEveryProcess(_ signal: Int32) throws {
            let pidFile = try String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8)
            guard let postmaster = pidFile.split(separator: "\n").first.flatMap({ pid_t($0) }) else {
                throw Failure(message: "no postmaster pid in \(pidFile)")
            }
            let children = try ChildProcess.run("/usr/bin/pgrep", ["-P", String(postmaster)]).stdout.split(separator: "\n").compactMap { pid_t($0) }
            for pid in [postmaster] + children { kill(pid, signal) }
        }

        private func pgCtl(_ arguments: [String]) throws {
            let bin = try FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql").sorted().last.map { "/usr/lib/postgresql/\($0)/bin/pg_ctl" } ?? "pg_ctl"
            let asOwner = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", bin] : [bin]
            let result = try ChildProcess.run(asOwner[0], Array(asOwner.dropFirst()) + ["-D", directory + "/data"] + arguments)
            guard result.status == 0 else { throw Failure(message: "pg_ctl \(arguments.last ?? ""): \(result.stderr)") }
        }
    }

    struct Failure: Error, CustomStringConvertible { let message: String; var description: String { message } }

    func status(_ serve: ServeProcess, _ secret: String) throws -> Int {
        try HTTPExchange.get(serve.url("/check"), bearer: secret).status
    }

    @Test func twoServesObeyOneRevokeAnswer503WhileTheServerIsDownAndRecover() throws {
        let server = try OwnServer()
        let made = try apitokens(["token", "create", "--name", "Edge proxy", "--team", "Default"], on: server.url)
        #expect(made.status == 0, "\(made.stderr)")
        let secret = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let other = try apitokens(["token", "create", "--name", "Billing", "--team", "Default"], on: server.url).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let first = try ServeProcess(database: server.url)
        let second = try ServeProcess(database: server.url)
        #expect(try status(first, secret) == 204 && status(second, secret) == 204)

        let revoked = try apitokens(["token", "revoke", "1", "--yes"], on: server.url)
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(try status(first, secret) == 401)
        #expect(try status(second, secret) == 401)

        try server.crash()
        #expect(try status(first, other) == 503)
        #expect(try status(second, other) == 503)
        #expect(try HTTPExchange.get(first.url("/healthz")).status == 503)
        let down = try apitokens(["token", "list", "--all"], on: server.url)
        #expect(down.status != 0 && down.stderr.contains("unreachable") && !down.stderr.contains("\n\n"), "\(down.stderr)")

        try server.start()
        #expect(try status(first, other) == 204)
        #expect(try status(second, other) == 204)
        #expect(try status(second, secret) == 401)
    }

    @Test func aServeStartedWhileTheServerIsDownAnswers503UntilItIsUp() throws {
        let server = try OwnServer()
        let secret = try apitokens(["token", "create", "--name", "Edge proxy", "--team", "Default"], on: server.url).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try server.crash()
        // As after a reboot that brought the host up before the database.
        let serve = try ServeProcess(database: server.url)
        #expect(try HTTPExchange.get(serve.url("/healthz")).status == 503)
        // A load balancer that only probes /healthz still leaves the reason on the log.
        let logged = Date().addingTimeInterval(5)
        while Date() < logged, !serve.process.stderr.contains("the database cannot answer, so checks get 503") { usleep(50_000) }
        #expect(serve.process.stderr.contains("the database cannot answer, so checks get 503") && serve.process.stderr.contains("unreachable"),
                "\(serve.process.stderr)")
        #expect(try status(serve, secret) == 503)
        try server.start()
        #expect(try status(serve, secret) == 204)
        #expect(try HTTPExchange.get(serve.url("/healthz")).status == 200)
        // A wrong database is still said at once, not waited for.
        var wrong = URLComponents(string: server.url)
        wrong?.path = "/no_such_database"
        #expect(throws: ServeProcess.ServeDidNotStart.self) { try ServeProcess(database: wrong?.string ?? "") }
    }

    @Test func aHungServerGets503AtOnceAfterTheFirstWaitAndChecksPassWhenItGoesOn() throws {
        let server = try OwnServer()
        let secret = try apitokens(["token", "create", "--name", "Edge proxy", "--team", "Default"], on: server.url).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let serve = try ServeProcess(database: server.url)
        #expect(try status(serve, secret) == 204)
        try server.freeze()
        defer { try? server.thaw() }
        // Past the second a check's facts are kept, the first check waits out its statement and a new connection's
        // attempt.
        usleep(1_200_000)
        let waited = Date()
        let first = try HTTPExchange.curl([serve.url("/check"), "-H", "Authorization: Bearer \(secret)", "--max-time", "30"])
        #expect(first.status == 503)
        let firstWait = Date().timeIntervalSince(waited)
        // Then every reader knows: a load balancer's probe and the next checks are answered at once, not after
        // seconds each (the margin is wide: waiting would take five).
        for path in ["/healthz", "/check", "/check", "/healthz"] {
            let started = Date()
            let answer = try HTTPExchange.get(serve.url(path), bearer: secret).status
            #expect(answer == 503 && Date().timeIntervalSince(started) < 2.5,
                    "\(path) answered \(answer) after \(Date().timeIntervalSince(started)) s; the first check waited \(firstWait) s")
        }
        // A serve started during the hang listens after one connection's wait, not one per reader.
        let late = try ServeProcess(database: server.url)
        #expect(try HTTPExchange.get(late.url("/healthz")).status == 503)
        try server.thaw()
        for each in [serve, late] {
            let recovered = Date().addingTimeInterval(15)
            var answer = 0
            repeat { answer = try status(each, secret); if answer != 204 { usleep(200_000) } } while answer != 204 && Date() < recovered
            #expect(answer == 204)
        }
    }

    @Test func aHungServerCostsTheScreenOneWaitThenKeysAnswerAtOnce() throws {
        let server = try OwnServer()
        let session = try TerminalSession(engine: .postgresql, server: server.url)
        try server.freeze()
        defer { try? server.thaw() }
        try session.press("2")
        // The screen goes on painting while the key waits, and counts the wait.
        try session.waitFor("Waiting for the database… 1 s", timeout: 3)
        try session.waitFor("Waiting for the database… 2 s", timeout: 3)
        // The key's statement gives up after the UI's 5 s; then the server is held off and every key answers
        // at once (the margin is wide: each would otherwise wait seconds for a connection).
        let held = try session.waitFor("database unavailable", timeout: 15)
        #expect(held.contains("answer in time; nothing was changed"), "\(held)")
        for tab in ["3", "1", "2"] {
            let pressed = Date()
            try session.press(tab)
            try session.waitFor("The database is unavailable — retrying", timeout: 2.5)
            #expect(Date().timeIntervalSince(pressed) < 2.5)
        }
        try server.thaw()
        try session.waitFor("The database answers again", timeout: 10)
    }

    @Test func aPersonWaitingOnAHungServerQuitsAtOnce() throws {
        let server = try OwnServer()
        let session = try TerminalSession(engine: .postgresql, server: server.url)
        try server.freeze()
        defer { try? server.thaw() }
        try session.press("2")
        try session.waitFor("Waiting for the database", timeout: 3)
        let pressed = Date()
        try session.press("q")
        // Well before the statement's 5 s are out, and with the terminal given back.
        #expect(session.exitStatus(timeout: 3) == 0)
        #expect(Date().timeIntervalSince(pressed) < 3)
        #expect(!session.screen.contains("API Tokens"))
    }

    @Test func aTerminalResizedDuringAWaitIsRepaintedAndCtrlCStillQuitsWithNothingSaved() throws {
        let server = try OwnServer()
        let session = try TerminalSession(engine: .postgresql, server: server.url)
        try session.press("n")
        try session.waitFor("New admin token")
        try session.type("never saved")
        try server.freeze()
        defer { try? server.thaw() }
        try session.press("C-s")
        try session.waitFor("Waiting for the database", timeout: 3)
        // The resize waits behind the save for the model, but the screen is painted at the new size meanwhile.
        try session.tmux(["resize-window", "-t", session.name, "-x", "90", "-y", "26"])
        try session.waitUntil("the waiting notice on the status row of 26, over the form", timeout: 3) { screen in
            let rows = screen.split(separator: "\n", omittingEmptySubsequences: false)
            return rows.count >= 26 && rows[24].contains("Waiting for the database")
        }
        let pressed = Date()
        try session.press("C-c")
        #expect(session.exitStatus(timeout: 3) == 0)
        #expect(Date().timeIntervalSince(pressed) < 3)
        try server.thaw()
        let listed = try session.cli.run(["token", "list", "--all", "--json"])
        #expect(listed.status == 0 && !listed.stdout.contains("never saved"), "\(listed.stdout.prefix(300))")
    }

    @Test func ctrlZDuringAWaitSuspendsAtOnceAndFgComesBack() throws {
        let server = try OwnServer()
        let session = try TerminalSession(engine: .postgresql, server: server.url, inShell: true)
        // The command line holds "tokens" too: wait for the UI itself.
        try session.waitFor("API Tokens")
        try server.freeze()
        defer { try? server.thaw() }
        try session.press("2")
        try session.waitFor("Waiting for the database", timeout: 3)
        let pressed = Date()
        try session.press("C-z")
        try session.waitFor("Stopped", timeout: 3)
        #expect(Date().timeIntervalSince(pressed) < 3)
        try server.thaw()
        try session.type("fg")
        try session.press("Enter")
        try session.waitFor("Personal Access Tokens", timeout: 10)
        // Stopped once: it stays in the foreground, rather than stopping again for a suspend it kept.
        usleep(1_500_000)
        #expect(session.screen.contains("Personal Access Tokens") && !session.screen.contains("Stopped"), "\(session.screen)")
        try session.press("C-c")
    }

    @Test func theScreenSaysTheDatabaseIsUnavailableAndRecoversByItself() throws {
        let server = try OwnServer()
        let session = try TerminalSession(engine: .postgresql, server: server.url)
        try session.waitFor("tokens")
        try session.press("Space")
        try session.waitFor("1 marked")
        try server.crash()
        // The idle reload finds it gone: the title says so, the last rows read stay, the error is whole, and the
        // footer offers no change.
        let down = try session.waitFor("database unavailable", timeout: 10)
        #expect(down.contains("unreachable") && down.contains("nothing was changed"), "\(down)")
        let footer = down.split(separator: "\n").last ?? ""
        #expect(!footer.contains("Revoke") && !footer.contains("New") && footer.contains("Help"), "\(footer)")
        // Keys are answered at once, and a list that could not be read says why instead of showing old rows.
        try session.press("3")
        try session.waitFor("The database is unavailable — retrying")
        try session.press("2")
        let personal = try session.waitFor("The database is unavailable — retrying")
        #expect(personal.contains("database unavailable"))
        try server.start()
        let back = try session.waitFor("The database answers again", timeout: 10)
        #expect(!back.contains("database unavailable") && back.split(separator: "\n").last?.contains("New") == true, "\(back)")
        try session.press("3")
        try session.waitUntil("the audit log again") { !$0.contains("The database is unavailable") && $0.contains(" events") }
    }

    @Test func aServerKilledMidWriteLosesNothingReportedDone() throws {
        let server = try OwnServer()
        #expect(try apitokens(["team", "list"], on: server.url).status == 0)
        let log = server.directory + "-created.log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        // A writer creates tokens in a loop and logs a name only once the command reported it done.
        let writer = try ChildProcess.start("/bin/sh", ["-c", """
            i=0; while [ $i -lt 400 ]; do i=$((i+1))
              "$APITOKENS" token create --name "w-$i" --team Default >/dev/null 2>&1 && echo "w-$i" >> "$LOG"
            done
            """], environment: ProcessInfo.processInfo.environment.merging(
                ["APITOKENS": CLIRunner.binary, "APITOKENS_DB": server.url, "LOG": log]) { $1 })
        // Crash once the writer has something done to lose, however loaded the machine is.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").count < 5 {
            usleep(100_000)
        }
        try server.crash()
        usleep(1_000_000)
        try server.start()
        writer.signal(SIGTERM)
        writer.wait()
        let reported = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(reported.count > 3, "the writer reported too little to prove anything")
        let listed = try apitokens(["token", "list", "--all", "--json"], on: server.url)
        let names = Set(((try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
        let lost = reported.filter { !names.contains($0) }
        #expect(lost.isEmpty, "reported done but lost: \(lost)")
        #expect(try apitokens(["audit", "verify"], on: server.url).status == 0)
    }
}
