import ArgumentParser
import Foundation
import TerminalUI
import TokenDomain
import TokenStore
import TokenStorePostgres
import TokenViewModels

extension Benchmark {
    /// `apitokens-bench keystrokes`: each search keystroke of the report on existing databases, one line each, to see
    /// which searches a plan change helps or hurts. With two databases, the second's medians are divided by the first's.
    struct Keystrokes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time each search keystroke of the report on existing databases, a line each.",
            discussion: """
                The databases take turns each round, so that a noisy machine slows both alike.
                Example: apitokens-bench keystrokes --db 'postgresql:///apitokens_bench_1000?host=/tmp/pg' \
                --db 'postgresql:///apitokens_bench_1000000?host=/tmp/pg'
                """)

        @Option(help: "A database: an SQLite file or a postgresql:// URL, already seeded (apitokens demo); up to two.")
        var db: [String]
        @Option(help: "Rounds; each keystroke's median is printed.") var rounds = 5
        @Flag(help: "Also the searches typed under every sort, both ways.") var everySort = false

        func validate() throws {
            if rounds < 1 { throw ArgumentParser.ValidationError("--rounds must be at least 1") }
            if !(1...2).contains(db.count) { throw ArgumentParser.ValidationError("give one --db, or two to compare") }
        }

        func run() throws {
            BenchSetup.warnIfDebug()
            let scenarios = [("Search keystroke", InterfaceBench.searchSteps)]
                + (everySort ? [("Search keystroke, every sort both ways", InterfaceBench.searchEverySortSteps)] : [])
            let runs = try db.map { try KeystrokeRun(database: $0, steps: scenarios.flatMap(\.1)) }
            for _ in 0..<rounds {
                for run in runs { run.round() }
            }
            var offset = 0
            for (name, steps) in scenarios {
                let range = offset..<(offset + steps.count)
                offset += steps.count
                print("\(name): median ms of \(rounds)" + (runs.count > 1 ? ", second ÷ first" : ""))
                var medians = runs.map { _ in [Double]() }
                for index in range where steps[index - range.lowerBound].measured {
                    var line = ""
                    for (number, run) in runs.enumerated() {
                        let median = Stopwatch.percentile(run.times[index], 0.5)
                        medians[number].append(median)
                        line += String(format: "%8.3f", median)
                    }
                    if runs.count > 1 { line += String(format: "  %5.2f×", medians[1].last! / medians[0].last!) }
                    print(line + "  " + runs[0].labels[index])
                }
                let p50s = medians.map { Stopwatch.percentile($0, 0.5) }, p95s = medians.map { Stopwatch.percentile($0, 0.95) }
                print("p50 " + p50s.map { Report.ms($0) }.joined(separator: " / ") + ", p95 " + p95s.map { Report.ms($0) }.joined(separator: " / ")
                      + (runs.count > 1 ? String(format: "; p50 ratio %.2f×", p50s[1] / p50s[0]) : "") + "\n")
            }
        }
    }
}

/// One database's model, driven through the steps round after round.
private final class KeystrokeRun {
    let model: AppModel
    let steps: [Step]
    /// Each step's action times so far, and the search on screen after it.
    private(set) var times: [[Double]]
    private(set) var labels: [String]

    init(database: String, steps: [Step]) throws {
        let open: () throws -> any TokenRepository = PostgresLocation.isURL(database)
            ? { try PostgresStore(PostgresLocation(parsing: database, osUser: NSUserName())) }
            : { try TokenStore(path: database) }
        let store = try open()
        guard let admin = try store.accounts().filter(\.isAdmin).min(by: { $0.id < $1.id }) else {
            throw BenchmarkError("\(database) has no admin")
        }
        model = InterfaceBench(open: open, store: store, actor: admin, floor: nil).newModel()
        self.steps = steps
        times = steps.map { _ in [] }
        labels = steps.map { _ in "" }
    }

    func round() {
        for (index, step) in steps.enumerated() {
            // The action alone, as the report's figures are; the frame drawn after it costs alike at every size.
            let spent = Stopwatch.milliseconds { model.send(step.action) }
            _ = Screen.render(model.state)
            if step.measured {
                times[index].append(spent)
                labels[index] = InterfaceBench.describe(model.state)
            }
        }
    }
}
