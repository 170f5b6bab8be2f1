import ArgumentParser
import Foundation
import TerminalUI
import TokenDomain
import TokenStore
import TokenStorePostgres
import TokenViewModels

extension Benchmark {
    /// `apitokens-bench keystrokes`: each search keystroke of the report on one existing database, one line each,
    /// to see which searches a plan change helps or hurts.
    struct Keystrokes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time each search keystroke of the report on an existing database, a line each.",
            discussion: "Example: apitokens-bench keystrokes --db 'postgresql:///apitokens_bench_1000000?host=/tmp/pg'")

        @Option(help: "The database: an SQLite file or a postgresql:// URL, already seeded (apitokens demo).") var db: String
        @Option(help: "Rounds; each keystroke's median is printed.") var rounds = 5
        @Flag(help: "Also the searches typed under every sort, both ways.") var everySort = false

        func validate() throws {
            if rounds < 1 { throw ArgumentParser.ValidationError("--rounds must be at least 1") }
        }

        func run() throws {
            BenchSetup.warnIfDebug()
            let database = db
            let open: () throws -> any TokenRepository = database.hasPrefix("postgres")
                ? { try PostgresStore(PostgresLocation(parsing: database, osUser: NSUserName())) }
                : { try TokenStore(path: database) }
            let store = try open()
            guard let admin = try store.accounts().filter(\.isAdmin).min(by: { $0.id < $1.id }) else {
                throw BenchmarkError("the database has no admin")
            }
            let bench = InterfaceBench(open: open, store: store, actor: admin, floor: nil)
            let model = bench.newModel()
            let steps = InterfaceBench.searchSteps + (everySort ? InterfaceBench.searchEverySortSteps : [])
            var times = Array(repeating: [Double](), count: steps.count)
            var actionTimes = Array(repeating: [Double](), count: steps.count)
            var labels = Array(repeating: "", count: steps.count)
            for _ in 0..<rounds {
                for (index, step) in steps.enumerated() {
                    let sent = Stopwatch.milliseconds { model.send(step.action) }
                    let drawn = Stopwatch.milliseconds { _ = Screen.render(model.state) }
                    guard step.measured else { continue }
                    times[index].append(sent + drawn)
                    actionTimes[index].append(sent)
                    labels[index] = InterfaceBench.describe(model.state)
                }
            }
            var medians: [Double] = []
            var actionMedians: [Double] = []
            print("   frame    action  (median ms of \(rounds))")
            for index in steps.indices where steps[index].measured {
                let median = Stopwatch.percentile(times[index], 0.5)
                let action = Stopwatch.percentile(actionTimes[index], 0.5)
                medians.append(median)
                actionMedians.append(action)
                print(String(format: "%8.3f  %8.3f  ", median, action) + labels[index])
            }
            print(String(format: "frame p50 %.3f, p95 %.3f; action p50 %.3f, p95 %.3f ms over %d keystrokes",
                         Stopwatch.percentile(medians, 0.5), Stopwatch.percentile(medians, 0.95),
                         Stopwatch.percentile(actionMedians, 0.5), Stopwatch.percentile(actionMedians, 0.95), medians.count))
        }
    }
}
