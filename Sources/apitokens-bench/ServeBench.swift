import ArgumentParser
import Foundation
import TokenDomain
import TokenStore

extension Benchmark {
    /// `apitokens-bench serve`: `apitokens serve` under wrk, beside nginx answering 204 and proxying, measured in one run.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drive apitokens serve with wrk beside nginx floors (needs nginx-light and wrk).")

        @Option(help: "Tokens to seed.") var tokens = 1_000_000
        @Option(help: "Distinct tokens the spread scenario cycles through.") var distinct = 10_000
        @Option(help: "Seconds per scenario.") var seconds = 10
        @Option(help: "Open connections.") var connections = 64
        @Option(help: "The apitokens executable (default: the one beside this benchmark).") var binary: String?

        func run() throws {
            BenchSetup.warnIfDebug()
            let apitokens = try BenchSetup.apitokens(binary)
            let directory = try BenchSetup.scratchDirectory("apitokens-serve-bench")
            defer { try? FileManager.default.removeItem(at: directory) }
            let database = directory.appendingPathComponent("tokens.sqlite").path

            FileHandle.standardError.write(Data("Seeding \(tokens) tokens and \(distinct) verifiers…\n".utf8))
            _ = try ProcessBench.time(apitokens, ["demo", "--db", database, "--seed-only", "--tokens", String(tokens)])
            // Three more than the spread cycles through: those are revoked to time the next check.
            let all = try Self.verifiers(database: database, count: distinct + 3)
            let secrets = Array(all.prefix(distinct)), doomed = Array(all.suffix(3))
            let spread = directory.appendingPathComponent("spread.lua").path
            try WrkRun.script(cycling: secrets.map(\.text)).write(toFile: spread, atomically: true, encoding: .utf8)

            let servePort = Self.freePort()
            let serve = try Background(apitokens, ["serve", "--db", database, "--listen", "127.0.0.1:\(servePort)"],
                                       log: directory.appendingPathComponent("serve.log").path)
            defer { serve.stop() }
            let nginx = try NginxFloor(directory: directory.appendingPathComponent("nginx").path, checkPort: servePort)
            defer { nginx.stop() }
            try Self.waitUntilAnswering(port: servePort)
            try Self.waitUntilAnswering(port: nginx.floorPort)

            let hot = secrets[0].text
            // Measured before any load, so no batch of last-used writes from a scenario is still being written.
            let revoke = try doomed.map { try Self.revokeToRefusal(apitokens: apitokens, database: database,
                                                                  store: try TokenStore(path: database, access: .check),
                                                                  port: servePort, secret: $0.text) }
                .sorted { $0.milliseconds < $1.milliseconds }[1]
            let wrk = WrkRun(seconds: seconds, connections: connections)
            let check = "/check?permission=read_site"
            FileHandle.standardError.write(Data("Measuring five scenarios of \(seconds) s…\n".utf8))
            let floor = try wrk.run("http://127.0.0.1:\(nginx.floorPort)/")
            let hotCheck = try wrk.run("http://127.0.0.1:\(servePort)\(check)", bearer: hot)
            let spreadCheck = try wrk.run("http://127.0.0.1:\(servePort)\(check)", script: spread)
            let proxied = try wrk.run("http://127.0.0.1:\(nginx.proxyPort)/api/")
            let guarded = try wrk.run("http://127.0.0.1:\(nginx.guardedPort)/api/", bearer: hot)

            print(Report.machine())
            print("""

                #### `apitokens serve` at \(Report.count(tokens)) tokens (\(connections) connections, \(seconds) s each, wrk on loopback)

                | scenario | requests/s | p50 | p99 | non-2xx |
                |---|---:|---:|---:|---:|
                \(floor.row("nginx `return 204` (floor)"))
                \(hotCheck.row("`/check`, one hot token"))
                \(spreadCheck.row("`/check`, \(Report.count(distinct)) distinct tokens"))
                \(proxied.row("nginx proxying to an upstream, no check"))
                \(guarded.row("nginx `auth_request` → `/check` → upstream"))

                - `/check` hot ÷ floor: \(Report.times(hotCheck.rate / floor.rate)) (target ≥ 0.50×, bar ≥ 0.20×); spread ÷ floor: \(Report.times(spreadCheck.rate / floor.rate)).
                - Through nginx with a check ÷ without: \(Report.times(guarded.rate / proxied.rate)) (target ≥ 0.50×).
                - p99 of `/check`: hot \(Report.ms(hotCheck.p99)), spread \(Report.ms(spreadCheck.p99)) (target ≤ 5 ms).
                - A revoke from the command line, then the next check (median of 3): \(revoke.status) \(Report.ms(revoke.milliseconds)) after the revoke returned, of which curl's own request took \(Report.ms(revoke.curlMilliseconds)) (the rest is starting curl).
                - Good-token answers other than 2xx under load: \(hotCheck.non2xx + spreadCheck.non2xx) (target 0).
                """)
        }

        /// Creates `count` admin tokens in one transaction and keeps their secrets, as services would hold them.
        static func verifiers(database: String, count: Int) throws -> [TokenSecret] {
            let store = try TokenStore(path: database)
            defer { store.close() }
            guard let admin = try store.accounts().filter(\.isAdmin).min(by: { $0.id < $1.id }) else {
                throw BenchmarkError("the seeded database has no admin")
            }
            return try VerifyBench.makeSecrets(store: store, actor: admin, count: count)
        }

        /// Revokes through the real command, then asks `/check` at once: the status and the time since the revoke returned.
        static func revokeToRefusal(apitokens: String, database: String, store: any TokenRepository, port: Int,
                                    secret: String) throws -> (status: String, milliseconds: Double, curlMilliseconds: Double) {
            guard case .active(let token, _, _) = try store.check(try TokenSecret(parsing: secret), VerificationRequest()) else {
                throw BenchmarkError("the verifier to revoke is not active")
            }
            store.close()
            _ = try ProcessBench.time(apitokens, ["token", "revoke", String(token.id), "--yes", "--db", database])
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("revoke-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: output) }
            let milliseconds = try Stopwatch.milliseconds {
                _ = try ProcessBench.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
                                                            "-H", "Authorization: Bearer \(secret)",
                                                            "http://127.0.0.1:\(port)/check"], output: output)
            }
            let answer = (try? String(contentsOfFile: output, encoding: .utf8))?.split(separator: " ") ?? []
            return (answer.first.map(String.init) ?? "no answer", milliseconds, (answer.last.flatMap { Double($0) } ?? 0) * 1000)
        }

        static func freePort() -> Int {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
            return Int(UInt16(bigEndian: address.sin_port))
        }

        static func waitUntilAnswering(port: Int) throws {
            for _ in 0..<100 {
                if (try? ProcessBench.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "http://127.0.0.1:\(port)/healthz"])) == 0 { return }
                usleep(100_000)
            }
            throw BenchmarkError("nothing answers on port \(port)")
        }
    }
}

/// A server started for the benchmark and stopped with it.
final class Background {
    let process = Process()

    init(_ path: String, _ arguments: [String], log: String) throws {
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// nginx on three loopback ports: `return 204` (the floor), a plain proxy to an upstream, and the same proxy
/// guarded by `auth_request` to `/check`.
final class NginxFloor {
    let floorPort = Benchmark.Serve.freePort()
    let proxyPort = Benchmark.Serve.freePort()
    let guardedPort = Benchmark.Serve.freePort()
    let upstreamPort = Benchmark.Serve.freePort()
    private let server: Background

    init(directory: String, checkPort: Int) throws {
        try FileManager.default.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
        let config = """
            worker_processes 1;
            daemon off;
            \(geteuid() == 0 ? "user root root;" : "")
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log warn;
            events { worker_connections 1024; }
            http {
              access_log off;
              client_body_temp_path \(directory)/tmp; proxy_temp_path \(directory)/tmp; fastcgi_temp_path \(directory)/tmp;
              uwsgi_temp_path \(directory)/tmp; scgi_temp_path \(directory)/tmp;
              upstream api { server 127.0.0.1:\(upstreamPort); keepalive 64; }
              upstream check { server 127.0.0.1:\(checkPort); keepalive 64; }
              server { listen 127.0.0.1:\(floorPort); location / { return 204; } }
              server { listen 127.0.0.1:\(upstreamPort); location / { return 200 "ok"; } }
              server {
                listen 127.0.0.1:\(proxyPort);
                location / { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://api; }
              }
              server {
                listen 127.0.0.1:\(guardedPort);
                location = /_check {
                  internal;
                  proxy_http_version 1.1; proxy_set_header Connection "";
                  proxy_pass http://check/check?permission=read_site;
                  proxy_pass_request_body off; proxy_set_header Content-Length "";
                  proxy_set_header X-Forwarded-For $remote_addr;
                }
                location / {
                  auth_request /_check;
                  proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://api;
                }
              }
            }
            """
        try config.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        server = try Background("/usr/sbin/nginx", ["-p", directory, "-c", directory + "/nginx.conf", "-e", directory + "/error.log"],
                                log: directory + "/stdout.log")
    }

    func stop() { server.stop() }
}

/// One wrk run and what it printed.
struct WrkRun {
    let seconds: Int
    let connections: Int

    struct Result {
        let rate: Double
        let p50: Double
        let p99: Double
        let non2xx: Int

        func row(_ name: String) -> String {
            "| \(name) | \(Report.count(Int(rate))) | \(Report.ms(p50)) | \(Report.ms(p99)) | \(non2xx) |"
        }
    }

    func run(_ url: String, bearer: String? = nil, script: String? = nil) throws -> Result {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("wrk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var arguments = ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency"]
        if let bearer { arguments += ["-H", "Authorization: Bearer \(bearer)"] }
        if let script { arguments += ["-s", script] }
        let status = try ProcessBench.run("/usr/bin/wrk", arguments + [url], output: output)
        let text = try String(contentsOfFile: output, encoding: .utf8)
        guard status == 0, let rate = Self.number(after: "Requests/sec:", in: text) else {
            throw BenchmarkError("wrk failed on \(url): \(text.prefix(300))")
        }
        return Result(rate: rate, p50: Self.milliseconds(after: "50%", in: text) ?? .nan,
                      p99: Self.milliseconds(after: "99%", in: text) ?? .nan,
                      non2xx: Int(Self.number(after: "Non-2xx or 3xx responses:", in: text) ?? 0))
    }

    /// A wrk script that sends each request with the next secret of `secrets`.
    static func script(cycling secrets: [String]) -> String {
        """
        local secrets = {\(secrets.map { "\"\($0)\"" }.joined(separator: ","))}
        local n = 0
        request = function()
          n = n + 1
          return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. secrets[(n % #secrets) + 1] })
        end
        """
    }

    private static func number(after label: String, in text: String) -> Double? {
        guard let line = text.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }) else { return nil }
        return line.trimmingCharacters(in: .whitespaces).dropFirst(label.count).split(separator: " ").first.flatMap { Double($0) }
    }

    /// wrk's latency cells: `850.00us`, `1.23ms`, `2.00s`.
    private static func milliseconds(after label: String, in text: String) -> Double? {
        guard let line = text.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }),
              let cell = line.split(separator: " ").last else { return nil }
        for (suffix, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where cell.hasSuffix(suffix) {
            return Double(cell.dropLast(suffix.count)).map { $0 * scale }
        }
        return nil
    }
}
