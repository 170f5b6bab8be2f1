import ArgumentParser
import Foundation
import TokenDomain
import TokenStore
import TokenStorePostgres
import TokenViewModels

extension Benchmark {
    /// `apitokens-bench postgres`: the same organisations on SQLite and on PostgreSQL, measured side by side, with
    /// PostgreSQL's own floor through `psql` and `pgbench`, `/check` under wrk on both, and a revoke seen by a second
    /// `serve`.
    struct Postgres: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure PostgreSQL beside SQLite on the same seeded organisations (needs psql, pgbench and wrk).",
            discussion: """
                Each size is seeded into an SQLite file with `apitokens demo` and copied with `apitokens migrate` into \
                a database apitokens_bench_<size> on the server, which is replaced unless --reuse is given.
                Example: apitokens-bench postgres --server 'postgresql:///postgres?host=/tmp/pg'
                """)

        @Option(help: "The PostgreSQL server, as a URL; its path names no database that is used.") var server: String
        @Option(help: "Token counts to seed and measure, comma-separated.") var sizes = "1000,1000000"
        @Option(help: "Rounds of the in-process measurements; engines and sizes take turns each round.") var rounds = 3
        @Option(help: "Seconds per wrk run.") var seconds = 10
        @Option(help: "Open wrk connections.") var connections = 64
        @Option(help: "The apitokens executable (default: the one beside this benchmark).") var binary: String?
        @Flag(help: "Keep a database apitokens_bench_<size> that already holds the size, rather than migrating again.") var reuse = false

        func run() throws {
            BenchSetup.warnIfDebug()
            let counts = try sizes.split(separator: ",").map { text in
                guard let count = Int(text.trimmingCharacters(in: .whitespaces)), count > 0 else {
                    throw ArgumentParser.ValidationError("--sizes takes positive token counts, such as 1000,1000000")
                }
                return count
            }
            let apitokens = try BenchSetup.apitokens(binary)
            let directory = try BenchSetup.scratchDirectory("apitokens-pg-bench")
            defer { try? FileManager.default.removeItem(at: directory) }

            var runs: [EngineRun] = []
            for count in counts {
                let file = directory.appendingPathComponent("tokens-\(count).sqlite").path
                FileHandle.standardError.write(Data("Seeding \(count) tokens…\n".utf8))
                let seeded = try ProcessBench.time(apitokens, ["demo", "--db", file, "--seed-only", "--tokens", String(count)]) / 1000
                let url = try PostgresFloor.url(server, database: "apitokens_bench_\(count)")
                let migrated = try PostgresFloor.prepare(url, tokens: count, from: file, apitokens: apitokens, reuse: reuse)
                runs.append(try EngineRun(engine: "SQLite", tokens: count, database: file, setupSeconds: seeded,
                                          open: { try TokenStore(path: file) }))
                runs.append(try EngineRun(engine: "PostgreSQL", tokens: count, database: url, setupSeconds: migrated,
                                          open: { try PostgresStore(PostgresLocation(parsing: url, osUser: NSUserName())) }))
            }
            for round in 1...rounds {
                FileHandle.standardError.write(Data("Measuring round \(round) of \(rounds)…\n".utf8))
                for run in runs { try run.measureRound() }
            }
            FileHandle.standardError.write(Data("Measuring commands, verify and the floors…\n".utf8))
            let results = try runs.map { try $0.finish(rounds: rounds, apitokens: apitokens) }

            print(Report.machine())
            print(PostgresReport.table(results))
            guard let largest = counts.max(), let smallest = counts.min(),
                  let sqlite = runs.first(where: { $0.engine == "SQLite" && $0.tokens == largest }),
                  let postgres = runs.first(where: { $0.engine == "PostgreSQL" && $0.tokens == largest }) else { return }
            FileHandle.standardError.write(Data("Measuring /check on both engines and a revoke seen by a second serve…\n".utf8))
            let service = try ServiceComparison.measure(sqlite: sqlite, postgres: postgres, apitokens: apitokens,
                                                        directory: directory, wrk: WrkRun(seconds: seconds, connections: connections))
            print(PostgresReport.summary(results, small: smallest, large: largest, service: service))
        }
    }
}

/// One engine at one size: its store, its interface model, and what was measured on it so far.
final class EngineRun {
    let engine: String
    let tokens: Int
    /// What `--db` names: the file or the URL.
    let database: String
    let setupSeconds: Double
    let store: any TokenRepository
    let actor: Account
    let interface: InterfaceBench
    let model: AppModel
    private(set) var interactive: [Measurement] = []
    private(set) var list: Measurement?

    init(engine: String, tokens: Int, database: String, setupSeconds: Double, open: @escaping () throws -> any TokenRepository) throws {
        self.engine = engine
        self.tokens = tokens
        self.database = database
        self.setupSeconds = setupSeconds
        store = try open()
        guard let admin = try store.accounts().filter(\.isAdmin).min(by: { $0.id < $1.id }) else {
            throw BenchmarkError("the seeded database has no admin")
        }
        actor = admin
        interface = InterfaceBench(open: open, store: store, actor: actor, floor: nil)
        model = interface.newModel()
    }

    /// Tells this run's tokens from an earlier run's.
    static let runMark = UUID().uuidString.prefix(6)

    /// The interface's actions once more, added to the earlier rounds'.
    func measureRound() throws {
        let round = try interface.actions(on: model)
        interactive = interactive.isEmpty ? round : zip(interactive, round).map { $0.adding($1) }
        let (listRound, _) = try interface.tokenList(rounds: 1)
        list = list.map { $0.adding(listRound) } ?? listRound
    }

    /// Commands as processes and verify in-process, once the rounds are done.
    func finish(rounds: Int, apitokens: String) throws -> EngineResult {
        guard let list else { throw BenchmarkError("no round was measured") }
        let environment = ["APITOKENS_DB": database]
        let listProcess = try ProcessBench.times(rounds * 3, apitokens, ["token", "list", "--all", "--limit", "50", "--json"],
                                                 environment: environment)
        // A name of this run's own: a reused database still holds an earlier run's verifiers.
        let secrets = try VerifyBench.makeSecrets(store: store, actor: actor, count: 100, named: "Verifier \(Self.runMark)")
        let verify = try VerifyBench(store: store, floor: nil, secrets: secrets).perSecond(seconds: 1.5)
        let verifyProcess = try (0..<rounds * 3).map { index in
            try ProcessBench.time(apitokens, ["verify", "--ip", "203.0.113.9", "--permission", "read_site"],
                                  environment: environment.merging(["APITOKENS_TOKEN": secrets[index % secrets.count].text]) { $1 })
        }
        var floor: PostgresFloor.Figures?
        if engine == "PostgreSQL" { floor = try PostgresFloor.measure(database, secret: secrets[0], rounds: rounds * 3) }
        return EngineResult(engine: engine, tokens: tokens, setupSeconds: setupSeconds, interactive: interactive + [list],
                            listProcess: listProcess, verifyPerSecond: verify.ours, verifyProcess: verifyProcess, floor: floor)
    }
}

/// Every figure measured on one engine at one size.
struct EngineResult {
    let engine: String
    let tokens: Int
    let setupSeconds: Double
    let interactive: [Measurement]
    let listProcess: [Double]
    let verifyPerSecond: Double
    let verifyProcess: [Double]
    let floor: PostgresFloor.Figures?
}

/// PostgreSQL's floor: the main statements of a list and a check, by hand, through `psql` (one process each, as
/// a one-shot command) and `pgbench` (one connection, as a check service's reader).
enum PostgresFloor {
    struct Figures {
        /// `psql -c` of the first page, per process.
        let listProcess: [Double]
        /// `pgbench` transactions per second of a check's four lookups.
        let checkPerSecond: Double
    }

    /// The server's URL with the database replaced.
    static func url(_ server: String, database: String) throws -> String {
        guard var components = URLComponents(string: server), components.scheme?.hasPrefix("postgres") == true else {
            throw ArgumentParser.ValidationError("--server must be a postgresql:// URL")
        }
        components.path = "/" + database
        return components.string ?? server
    }

    /// Migrates the seeded file into a new database at `url`, or with `reuse` keeps one that already holds the size.
    /// Returns the seconds the migrate took (0 when reused).
    static func prepare(_ url: String, tokens: Int, from file: String, apitokens: String, reuse: Bool) throws -> Double {
        guard let name = URLComponents(string: url)?.path.dropFirst(), !name.isEmpty else { throw BenchmarkError("no database in \(url)") }
        let maintenance = try Self.url(url, database: "postgres")
        if reuse, let held = Int(try psql(url, "SELECT count(*) FROM token", allowFailure: true)), held >= tokens {
            return 0
        }
        _ = try psql(maintenance, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        _ = try psql(maintenance, "CREATE DATABASE \(name)")
        FileHandle.standardError.write(Data("Migrating \(tokens) tokens into \(name)…\n".utf8))
        return try ProcessBench.time(apitokens, ["migrate", "--from", file, "--to", url]) / 1000
    }

    static func measure(_ url: String, secret: TokenSecret, rounds: Int) throws -> Figures {
        let list = "SELECT * FROM token WHERE revokedAt IS NULL ORDER BY createdAt DESC, id DESC LIMIT 50"
        let listProcess = try (0..<rounds).map { _ in
            try ProcessBench.time("/usr/bin/psql", [url, "-qAtX", "-c", list])
        }
        let hash = "'\\x" + secret.hash.map { String(format: "%02x", $0) }.joined() + "'"
        let script = """
            SELECT * FROM token WHERE secretHash = \(hash);
            SELECT name FROM site WHERE teamId = (SELECT teamId FROM token WHERE secretHash = \(hash));
            SELECT login, name, role FROM account WHERE id = (SELECT ownerId FROM token WHERE secretHash = \(hash)) AND removedAt IS NULL;
            SELECT team.name FROM membership JOIN team ON team.id = membership.teamId WHERE membership.accountId = (SELECT ownerId FROM token WHERE secretHash = \(hash));
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pgbench-\(UUID().uuidString).sql").path
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let output = try run("/usr/bin/pgbench", ["-n", "-c", "1", "-T", "3", "-M", "prepared", "-f", file, url])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
              let rate = line.dropFirst(6).split(separator: " ").first.flatMap({ Double($0) }) else {
            throw BenchmarkError("pgbench printed no rate: \(output.prefix(300))")
        }
        return Figures(listProcess: listProcess, checkPerSecond: rate)
    }

    /// One statement through psql; its output, trimmed.
    static func psql(_ url: String, _ sql: String, allowFailure: Bool = false) throws -> String {
        do {
            return try run("/usr/bin/psql", [url, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql])
        } catch where allowFailure {
            return ""
        }
    }

    private static func run(_ path: String, _ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let status = try ProcessBench.run(path, arguments, output: output)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0 else { throw BenchmarkError("\(path) \(arguments.last ?? "") failed with status \(status)") }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// `/check` on both engines under the same wrk load, and a revoke through the command line seen by a second
/// `serve` on the same PostgreSQL database.
struct ServiceComparison {
    let sqliteHot: WrkRun.Result
    let postgresHot: WrkRun.Result
    let sqliteSpread: WrkRun.Result
    let postgresSpread: WrkRun.Result
    /// The median of three: the second server's answer, and the time from the revoke's return to it.
    let revoke: (status: String, milliseconds: Double, curlMilliseconds: Double)

    static func measure(sqlite: EngineRun, postgres: EngineRun, apitokens: String, directory: URL, wrk: WrkRun) throws -> ServiceComparison {
        let distinct = 1_000
        func verifiers(_ run: EngineRun) throws -> [TokenSecret] {
            try VerifyBench.makeSecrets(store: run.store, actor: run.actor, count: distinct + 3, named: "Service verifier \(EngineRun.runMark)")
        }
        func serve(_ run: EngineRun, _ label: String) throws -> (Background, Int) {
            let port = Benchmark.Serve.freePort()
            let server = try Background(apitokens, ["serve", "--db", run.database, "--listen", "127.0.0.1:\(port)"],
                                        log: directory.appendingPathComponent("serve-\(label).log").path)
            try Benchmark.Serve.waitUntilAnswering(port: port)
            return (server, port)
        }
        let check = "/check?permission=read_site"
        var hot: [WrkRun.Result] = [], spread: [WrkRun.Result] = []
        var revoke: (status: String, milliseconds: Double, curlMilliseconds: Double) = ("none", .nan, .nan)
        for run in [sqlite, postgres] {
            let secrets = try verifiers(run)
            let script = directory.appendingPathComponent("spread-\(run.engine).lua").path
            try WrkRun.script(cycling: secrets.prefix(distinct).map(\.text)).write(toFile: script, atomically: true, encoding: .utf8)
            let (server, port) = try serve(run, run.engine)
            defer { server.stop() }
            hot.append(try wrk.run("http://127.0.0.1:\(port)\(check)", bearer: secrets[0].text))
            spread.append(try wrk.run("http://127.0.0.1:\(port)\(check)", script: script))
            guard run === postgres else { continue }
            let (second, secondPort) = try serve(run, "second")
            defer { second.stop() }
            revoke = try secrets.suffix(3).map { secret in
                try Benchmark.Serve.revokeToRefusal(apitokens: apitokens, database: run.database, store: run.store,
                                                    port: secondPort, secret: secret.text)
            }.sorted { $0.milliseconds < $1.milliseconds }[1]
        }
        return ServiceComparison(sqliteHot: hot[0], postgresHot: hot[1], sqliteSpread: spread[0], postgresSpread: spread[1], revoke: revoke)
    }
}

/// The PostgreSQL report: every action on both engines and sizes, then the issue's targets.
enum PostgresReport {
    static func table(_ results: [EngineResult]) -> String {
        var lines = [
            "### SQLite and PostgreSQL on the same organisations (p50, ms)", "",
            "| Measure | " + results.map { "\($0.engine) \(Report.short($0.tokens))" }.joined(separator: " | ") + " |",
            "|---|" + results.map { _ in "--:|" }.joined(),
            "| Set up (seed, or migrate into PostgreSQL), s | " + results.map { String(format: "%.1f", $0.setupSeconds) }.joined(separator: " | ") + " |",
        ]
        guard let first = results.first else { return "" }
        for (index, measurement) in first.interactive.enumerated() {
            lines.append("| \(measurement.name) (p95) | " + results.map { result in
                let m = result.interactive[index]
                return "\(Report.ms(m.oursP50)) (\(Report.ms(m.oursP95)))"
            }.joined(separator: " | ") + " |")
        }
        lines.append("| token list --limit 50, per process | " + results.map { Report.ms(Stopwatch.percentile($0.listProcess, 0.5)) }.joined(separator: " | ") + " |")
        lines.append("| verify, per process | " + results.map { Report.ms(Stopwatch.percentile($0.verifyProcess, 0.5)) }.joined(separator: " | ") + " |")
        lines.append("| verify in-process, per second | " + results.map { Report.count(Int($0.verifyPerSecond)) }.joined(separator: " | ") + " |")
        lines.append("| floor: psql first page, per process | " + results.map { $0.floor.map { Report.ms(Stopwatch.percentile($0.listProcess, 0.5)) } ?? "–" }.joined(separator: " | ") + " |")
        lines.append("| floor: pgbench a check's lookups, per second | " + results.map { $0.floor.map { Report.count(Int($0.checkPerSecond)) } ?? "–" }.joined(separator: " | ") + " |")
        lines += ["", "The slowest single keystroke to frame:", ""]
        for result in results {
            let slowest = result.interactive.dropFirst().compactMap(\.slowest).max { $0.milliseconds < $1.milliseconds }
            lines.append("- \(result.engine) \(Report.short(result.tokens)): " + (slowest.map { "\(Report.ms($0.milliseconds)) ms, \($0.step)" } ?? "none"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func summary(_ results: [EngineResult], small: Int, large: Int, service: ServiceComparison) -> String {
        let smallName = Report.short(small), largeName = Report.short(large)
        var lines = [
            "### `/check` on both engines at \(largeName) (wrk on loopback)", "",
            "| scenario | requests/s | p50 | p99 | non-2xx |", "|---|---:|---:|---:|---:|",
            service.sqliteHot.row("SQLite, one hot token"), service.postgresHot.row("PostgreSQL, one hot token"),
            service.sqliteSpread.row("SQLite, 1,000 distinct tokens"), service.postgresSpread.row("PostgreSQL, 1,000 distinct tokens"),
            "", "Targets:", "",
        ]
        if let smallRun = results.first(where: { $0.engine == "PostgreSQL" && $0.tokens == small }),
           let largeRun = results.first(where: { $0.engine == "PostgreSQL" && $0.tokens == large }) {
            for (smallMeasure, largeMeasure) in zip(smallRun.interactive, largeRun.interactive) {
                let growth = largeMeasure.oursP50 / smallMeasure.oursP50
                lines.append("- " + verdict("PostgreSQL \(largeMeasure.name): \(largeName) ÷ \(smallName) (p50 \(Report.ms(largeMeasure.oursP50)) ms)",
                                            growth, meets: growth <= 2, limit: "≤ 2×"))
            }
        }
        let hot = service.postgresHot.rate / service.sqliteHot.rate
        let spread = service.postgresSpread.rate / service.sqliteSpread.rate
        lines.append("- " + verdict("`/check` PostgreSQL ÷ SQLite, one hot token", hot, meets: hot >= 0.5, limit: "≥ 0.5×"))
        lines.append("- " + verdict("`/check` PostgreSQL ÷ SQLite, 1,000 distinct tokens", spread, meets: spread >= 0.5, limit: "≥ 0.5×"))
        let revoke = service.revoke
        let obeyed = revoke.status == "401" && revoke.milliseconds <= 1000
        lines.append("- " + (obeyed ? "met" : "MISSED") + ": a revoke from the command line, then a second `serve` on the same database: "
            + "\(revoke.status) \(Report.ms(revoke.milliseconds)) ms after the revoke returned (≤ 1,000 ms)")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func verdict(_ name: String, _ value: Double, meets: Bool, limit: String) -> String {
        (meets ? "met" : "MISSED") + ": \(name) \(Report.times(value)) (\(limit))"
    }
}
