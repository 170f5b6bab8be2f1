import ArgumentParser
import Foundation
import TokenDomain
import TokenStore
import TokenViewModels

/// `apitokens-bench`: seeds databases of each size and measures the interface, the command line and verify on them.
@main
struct Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apitokens-bench",
        abstract: "Measure apitokens on seeded databases against the bare SQLite floor.",
        discussion: "Run from a release build: swift build -c release && .build/release/apitokens-bench",
        subcommands: [Run.self, Serve.self, Postgres.self, Keystrokes.self, Cleanup.self, FloorQuery.self],
        defaultSubcommand: Run.self)
}

extension Benchmark {
    /// The whole benchmark: every figure of the report, for every size.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Seed each size and print the report (the default).")

        @Option(help: "Token counts to seed and measure, comma-separated.") var sizes = "1000,1000000"
        @Option(help: "Rounds of the in-process measurements; the sizes take turns each round.") var rounds = 5
        @Option(help: "The apitokens executable (default: the one beside this benchmark).") var binary: String?
        @Flag(help: "Keep the seeded databases and print where they are.") var keep = false

        func validate() throws {
            if rounds < 1 { throw ArgumentParser.ValidationError("--rounds must be at least 1") }
        }

        func run() throws {
            BenchSetup.warnIfDebug()
            let counts = try sizes.split(separator: ",").map { text in
                guard let count = Int(text.trimmingCharacters(in: .whitespaces)), count > 0 else {
                    throw ArgumentParser.ValidationError("--sizes takes positive token counts, such as 1000,1000000")
                }
                return count
            }
            let apitokens = try BenchSetup.apitokens(binary)
            let directory = try BenchSetup.scratchDirectory("apitokens-bench")
            defer { if !keep { try? FileManager.default.removeItem(at: directory) } }

            print(Report.machine())
            let runs = try counts.map { count in
                try SizeRun(tokens: count, path: directory.appendingPathComponent("tokens-\(count).sqlite").path,
                            apitokens: apitokens, bench: BenchSetup.benchmark.path)
            }
            for round in 1...rounds {
                FileHandle.standardError.write(Data("Measuring round \(round) of \(rounds)…\n".utf8))
                for run in runs { try run.measureRound() }
            }
            var results: [SizeResult] = []
            for run in runs {
                let result = try run.finish(rounds: rounds)
                print(Report.detail(result))
                results.append(result)
            }
            if let small = results.first, let large = results.last, results.count > 1 {
                print(Report.summary(small: small, large: large))
            }
            if keep { print("Databases kept in \(directory.path)") }
        }
    }

    /// Runs statements through the bare C API in a process of its own: the floor of a one-shot command.
    struct FloorQuery: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "floor-query", abstract: "Run SQL through the bare C API and exit.",
                                                        shouldDisplay: false)
        @Option var db: String
        @Option(name: .customLong("sql")) var statements: [String] = []

        func run() throws {
            try FloorDatabase(path: db).run(statements)
        }
    }
}

/// One seeded size and what has been measured on it so far.
final class SizeRun {
    let tokens: Int
    let path: String
    let apitokens: String
    let bench: String
    let seedSeconds: Double
    let store: TokenStore
    let actor: Account
    let floor: FloorDatabase
    let interface: InterfaceBench
    let model: AppModel
    private(set) var interactive: [Measurement] = []
    private(set) var list: Measurement?
    private var listStatements: [String] = []

    /// Seeds `tokens` tokens with the real `apitokens demo` and opens the result.
    init(tokens: Int, path: String, apitokens: String, bench: String) throws {
        self.tokens = tokens
        self.path = path
        self.apitokens = apitokens
        self.bench = bench
        FileHandle.standardError.write(Data("Seeding \(tokens) tokens…\n".utf8))
        seedSeconds = try ProcessBench.time(apitokens, ["demo", "--db", path, "--seed-only", "--tokens", String(tokens)]) / 1000
        store = try TokenStore(path: path)
        guard let admin = try store.accounts().filter(\.isAdmin).min(by: { $0.id < $1.id }) else {
            throw BenchmarkError("the seeded database has no admin")
        }
        actor = admin
        floor = try FloorDatabase(path: path)
        interface = InterfaceBench(open: { try TokenStore(path: path) }, store: store, actor: actor, floor: floor)
        model = interface.newModel()
    }

    /// One round of every in-process measurement, added to the earlier rounds'. Rounds of different sizes
    /// alternate, so that a noisy moment on a shared machine lands on both sizes alike.
    func measureRound() throws {
        let round = try interface.actions(on: model)
        interactive = interactive.isEmpty ? round : zip(interactive, round).map { $0.adding($1) }
        let (listRound, statements) = try interface.tokenList(rounds: 1)
        list = list.map { $0.adding(listRound) } ?? listRound
        listStatements = statements
    }

    /// Commands as processes, verify and the interface's memory, measured once the rounds are done.
    func finish(rounds: Int) throws -> SizeResult {
        guard let list else { throw BenchmarkError("no round was measured") }
        FileHandle.standardError.write(Data("Measuring commands and verify on \(tokens) tokens…\n".utf8))
        let environment = ["APITOKENS_DB": path]
        let listArguments = ["token", "list", "--all", "--limit", "50", "--json"]
        let listProcess = Measurement(
            name: "token list --limit 50, per process",
            ours: try ProcessBench.times(rounds * 3, apitokens, listArguments, environment: environment),
            floor: try ProcessBench.times(rounds * 3, bench, floorArguments(listStatements)))

        let secrets = try VerifyBench.makeSecrets(store: store, actor: actor, count: 100)
        let verify = try VerifyBench(store: store, floor: floor, secrets: secrets).perSecond(seconds: 1.5)
        let verifyArguments = ["verify", "--ip", "203.0.113.9", "--permission", "read_site"]
        let verifyProcess = Measurement(
            name: "verify, per process",
            ours: try (0..<rounds * 3).map { index in
                try ProcessBench.time(apitokens, verifyArguments,
                                      environment: environment.merging(["APITOKENS_TOKEN": secrets[index % secrets.count].text]) { $1 })
            },
            floor: try ProcessBench.times(rounds * 3, bench, floorArguments(verify.statements)))

        FileHandle.standardError.write(Data("Measuring the interface's memory in tmux…\n".utf8))
        let peak = try InterfaceMemory.peakKilobytes(binary: apitokens, database: path)
        return SizeResult(tokens: tokens, seedSeconds: seedSeconds, interactive: interactive, list: list, listProcess: listProcess,
                          verifyPerSecond: (verify.ours, verify.floor), verifyProcess: verifyProcess, peakKilobytes: peak)
    }

    private func floorArguments(_ statements: [String]) -> [String] {
        ["floor-query", "--db", path] + statements.flatMap { ["--sql", $0] }
    }
}

/// Every figure measured on one size.
struct SizeResult {
    let tokens: Int
    let seedSeconds: Double
    /// First frame, sort change, page down, End and a search keystroke: what a person waits for.
    let interactive: [Measurement]
    let list: Measurement
    let listProcess: Measurement
    let verifyPerSecond: (ours: Double, floor: Double)
    let verifyProcess: Measurement
    let peakKilobytes: Int
}
