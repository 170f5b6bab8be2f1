import Crypto
import Foundation
import Testing
import TestSupport

/// `apitokens notify` against a local webhook receiver (a few lines of Python's http.server).
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "needs python3"))
struct NotifyTests {
    let cli = CLIRunner()

    /// Records each POST (headers and body) as a line of JSON; answers with the status in the `status` file.
    static let receiver = """
        import http.server, json, os, sys
        directory = sys.argv[1]
        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length', 0))).decode()
                with open(os.path.join(directory, 'received.jsonl'), 'a') as log:
                    log.write(json.dumps({'signature': self.headers.get('X-Apitokens-Signature'), 'body': body}) + '\\n')
                status = int(open(os.path.join(directory, 'status')).read().strip())
                self.send_response(status)
                self.send_header('Content-Length', '0')
                self.end_headers()
            def log_message(self, *args): pass
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Hook)
        open(os.path.join(directory, 'port'), 'w').write(str(server.server_address[1]))
        server.serve_forever()
        """

    final class Receiver {
        let directory: URL
        let process: ChildProcess.Running
        let port: Int

        init(in directory: URL) throws {
            self.directory = directory
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try "204".write(to: directory.appendingPathComponent("status"), atomically: true, encoding: .utf8)
            let script = directory.appendingPathComponent("receiver.py")
            try NotifyTests.receiver.write(to: script, atomically: true, encoding: .utf8)
            process = try ChildProcess.start("/usr/bin/python3", [script.path, directory.path])
            var port = 0
            for _ in 0..<200 where port == 0 {
                port = Int((try? String(contentsOf: directory.appendingPathComponent("port"), encoding: .utf8)) ?? "") ?? 0
                if port == 0 { usleep(20_000) }
            }
            self.port = port
        }

        func answer(_ status: Int) throws {
            try "\(status)".write(to: directory.appendingPathComponent("status"), atomically: true, encoding: .utf8)
        }

        /// Everything received so far, oldest first.
        func received() -> [(signature: String?, body: [String: Any], raw: String)] {
            let text = (try? String(contentsOf: directory.appendingPathComponent("received.jsonl"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let raw = entry["body"] as? String,
                      let body = try? JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any] else { return nil }
                return (entry["signature"] as? String, body, raw)
            }
        }

        func stop() { kill(process.pid, SIGKILL); _ = process.wait() }
    }

    func notify(_ receiver: Receiver, _ extra: [String] = []) throws -> CLIRunner.Result {
        try cli.run(["notify", "--webhook", "http://127.0.0.1:\(receiver.port)/hook"] + extra)
    }

    @Test(arguments: Engine.available) func eachWarningIsSentOnceAThresholdAndAFailedOneIsSentNextRun(_ engine: Engine) throws {
        cli.use(engine)
        let receiver = try Receiver(in: cli.directory.appendingPathComponent("hook"))
        defer { receiver.stop() }
        for name in ["five days", "twenty hours", "a month", "expired"] {
            #expect(try cli.run(["token", "create", "--name", name, "--team", "Default", "--expires-in", "90d"]).status == 0)
        }
        try cli.sql("""
            UPDATE token SET expiresAt = \(cli.sqlNow) + 5 * 86400 WHERE id = 1;
            UPDATE token SET expiresAt = \(cli.sqlNow) + 20 * 3600 WHERE id = 2;
            UPDATE token SET expiresAt = \(cli.sqlNow) + 30 * 86400 WHERE id = 3;
            UPDATE token SET expiresAt = \(cli.sqlNow) - 60 WHERE id = 4;
            """)
        let key = cli.directory.appendingPathComponent("hook.key")
        try "s3cret\n".write(to: key, atomically: true, encoding: .utf8)

        let listed = try cli.run(["token", "list", "--all", "--expires-within", "7d", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])?.compactMap { $0["id"] as? Int } .sorted() == [1, 2])
        #expect(try notify(receiver, ["--dry-run"]).stdout.split(separator: "\n").count == 2)
        #expect(receiver.received().isEmpty, "a dry run sends nothing")

        let first = try notify(receiver, ["--secret-file", key.path])
        #expect(first.status == 0, "\(first.stderr)")
        var received = receiver.received()
        #expect(received.map { $0.body["token_id"] as? Int } == [2, 1])
        #expect(received.map { $0.body["within"] as? String } == ["1d", "7d"])
        #expect(received.allSatisfy { $0.body["event"] as? String == "token.expiring" && $0.body["owner"] as? String == NSUserName() })
        for entry in received {
            let mac = HMAC<SHA256>.authenticationCode(for: Data(entry.raw.utf8), using: SymmetricKey(data: Data("s3cret".utf8)))
            #expect(entry.signature == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
        }

        #expect(try notify(receiver).status == 0)
        #expect(receiver.received().count == 2, "run again, nothing new is sent")

        try cli.sql("UPDATE token SET expiresAt = \(cli.sqlNow) + 10 * 3600 WHERE id = 1")
        #expect(try notify(receiver).status == 0)
        received = receiver.received()
        #expect(received.count == 3 && received.last?.body["token_id"] as? Int == 1 && received.last?.body["within"] as? String == "1d")

        try cli.sql("UPDATE token SET expiresAt = \(cli.sqlNow) + 2 * 86400 WHERE id = 3")
        try receiver.answer(500)
        let failing = try notify(receiver)
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("token 3 'a month' (within 7d) not delivered: HTTP 500"))
        try receiver.answer(204)
        #expect(try notify(receiver).status == 0)
        #expect(receiver.received().filter { $0.body["token_id"] as? Int == 3 }.count == 2, "the failed one is sent again, once")
    }

    @Test(arguments: Engine.available) func aReceiverThatIsDownFailsClearlyAndTheNextRunDelivers(_ engine: Engine) throws {
        cli.use(engine)
        let receiver = try Receiver(in: cli.directory.appendingPathComponent("hook"))
        let port = receiver.port
        receiver.stop()
        #expect(try cli.run(["token", "create", "--name", "soon", "--team", "Default", "--expires-in", "7d"]).status == 0)
        let down = try cli.run(["notify", "--webhook", "http://127.0.0.1:\(port)/hook"])
        #expect(down.status == 1)
        #expect(down.stderr.contains("not delivered: connection refused"), "\(down.stderr)")

        let up = try Receiver(in: cli.directory.appendingPathComponent("hook2"))
        defer { up.stop() }
        // Two runs at once, as overlapping cron jobs would be: the warning is sent once.
        let runs = try (0..<2).map { _ in try ChildProcess.start(CLIRunner.binary, ["notify", "--webhook", "http://127.0.0.1:\(up.port)/", "--db", cli.database]) }
        #expect(runs.map { $0.wait().status } == [0, 0])
        #expect(up.received().count == 1)
        for bad in [["notify", "--webhook", "ftp://x"], ["notify", "--webhook", "http://x", "--within", "7"],
                    ["notify", "--webhook", "http://127.0.0.1:65536/"], ["notify", "--webhook", "http://[::1]:70000/"],
                    ["notify", "--webhook", "http://x", "--secret-file", "/nonexistent"]] {
            let result = try cli.run(bad)
            #expect(result.status == 2 && result.stderr.split(separator: "\n").count == 1, "\(bad)")
        }
    }
}
