import Foundation
import TerminalUI
import TokenDomain
import TokenStore
import TokenViewModels

/// Collects the statements a store runs, so the floor can replay exactly them.
final class StatementLog: @unchecked Sendable {
    private let lock = NSLock()
    private var statements: [String] = []

    func append(_ sql: String) { lock.withLock { statements.append(sql) } }

    /// The statements since the last call.
    func take() -> [String] {
        lock.withLock {
            defer { statements = [] }
            return statements
        }
    }
}

/// A clipboard for a benchmark, which never copies.
struct NoClipboard: Clipboard {
    func copy(_ text: String) -> String { "not copied" }
}

/// One step of a scenario: an action, and whether its time is reported (others set the table back).
struct Step {
    let action: Action
    let measured: Bool
}

/// Drives the real view-model and renderer as the full-screen UI does, into the cell grid instead of a terminal.
/// On SQLite the statements each step ran are replayed bare as the floor; on PostgreSQL there is no floor here
/// (the PostgreSQL report has its own, through psql and pgbench).
struct InterfaceBench {
    static let width = 100
    static let height = 30
    /// The keystroke-to-frame target in milliseconds; slower steps are listed in the report.
    static let keystrokeBudget = 30.0

    /// Opens the store anew, as starting the interface does.
    let open: () throws -> any TokenRepository
    let store: any TokenRepository
    let actor: Account
    let floor: FloorDatabase?
    let log = StatementLog()

    /// Records the statements `store` runs while `body` runs, when it is SQLite's.
    private func traced(_ body: () throws -> Void) rethrows -> [String] {
        let sqlite = store as? TokenStore
        sqlite?.traceStatements { [log] in log.append($0) }
        defer { sqlite?.traceStatements(nil) }
        try body()
        return log.take()
    }

    /// The floor's time for `statements`, or nil without a floor.
    private func floorTime(_ statements: [String]) throws -> Double? {
        guard let floor else { return nil }
        return try Stopwatch.milliseconds { try floor.run(statements) }
    }

    /// A fresh model on the bench's store, its first frame drawn.
    func newModel() -> AppModel {
        let model = model(on: store)
        _ = Screen.render(model.state)
        return model
    }

    /// The view-model the interface would build on `store`, at the benchmark's terminal size.
    private func model(on store: any TokenRepository) -> AppModel {
        AppModel(store: store, actor: actor, clipboard: NoClipboard(), width: Self.width, height: Self.height)
    }

    /// Opening the interface: a new store on the file, the model's first query, and the first frame.
    func firstFrame(rounds: Int) throws -> Measurement {
        var ours: [Double] = []
        var frames: [Double] = []
        for _ in 0..<rounds {
            var model: AppModel?
            let opened = try Stopwatch.milliseconds {
                model = self.model(on: try open())
            }
            let drawn = Stopwatch.milliseconds { _ = model.map { Screen.render($0.state) } }
            ours.append(opened)
            frames.append(opened + drawn)
        }
        let statements = traced { _ = newModel() }
        var floorTimes: [Double] = []
        if let path = floor?.path {
            for _ in 0..<rounds {
                floorTimes.append(try Stopwatch.milliseconds {
                    let fresh = try FloorDatabase(path: path)
                    try fresh.run(statements)
                })
            }
        }
        return Measurement(name: "UI first frame", ours: ours, frames: frames, floor: floorTimes)
    }

    /// Runs `steps` once traced, to learn each step's statements, then `rounds` times timed, then the floor.
    /// Every step is an action plus a render of the whole screen, as one keystroke costs in the real loop.
    func scenario(_ name: String, model: AppModel, steps: [Step], rounds: Int) throws -> Measurement {
        let statements = steps.map { step in
            traced {
                model.send(step.action)
                _ = Screen.render(model.state)
            }
        }
        var ours: [Double] = []
        var frames: [Double] = []
        var floorTimes: [Double] = []
        var slow: Set<String> = []
        var slowest: (milliseconds: Double, step: String)?
        for _ in 0..<rounds {
            for (index, step) in steps.enumerated() {
                let sent = Stopwatch.milliseconds { model.send(step.action) }
                let drawn = Stopwatch.milliseconds { _ = Screen.render(model.state) }
                if step.measured {
                    ours.append(sent)
                    frames.append(sent + drawn)
                    if sent + drawn > slowest?.milliseconds ?? 0 { slowest = (sent + drawn, Self.describe(model.state)) }
                }
                if step.measured && sent + drawn > Self.keystrokeBudget {
                    slow.insert("\(step.action) took \(Report.ms(sent + drawn)) ms; its SQL: "
                        + statements[index].map { $0.split(whereSeparator: \.isNewline).joined(separator: " ") }.joined(separator: " ;; "))
                }
            }
        }
        for _ in 0..<rounds {
            for (index, step) in steps.enumerated() where step.measured {
                if let time = try floorTime(statements[index]) { floorTimes.append(time) }
            }
        }
        var measurement = Measurement(name: name, ours: ours, frames: frames, floor: floorTimes)
        measurement.slowSteps = slow.sorted()
        measurement.slowest = slowest
        return measurement
    }

    /// One round of every interface action the report lists, on `model`: what a person waits for.
    func actions(on model: AppModel) throws -> [Measurement] {
        [
            try firstFrame(rounds: 2),
            try scenario("Sort change", model: model, steps: Self.sortSteps, rounds: 1),
            try scenario("Page down", model: model, steps: Self.pageDownSteps, rounds: 1),
            try scenario("End (last row)", model: model, steps: Self.endSteps, rounds: 4),
            try scenario("Search keystroke", model: model, steps: Self.searchSteps, rounds: 1),
            try scenario("Search keystroke, every sort both ways", model: model, steps: Self.searchEverySortSteps, rounds: 1),
        ]
    }

    /// The search and sort on screen after a step, to name the slowest one.
    static func describe(_ state: AppState) -> String {
        let order = "\(state.table.order.sort.rawValue) \(state.table.order.descending ? "descending" : "ascending")"
        let search = state.table.search.text
        return (search.isEmpty ? "no search" : "\"\(search)\"") + " under \(order) on the \(state.tab) tab"
    }

    /// Every column in turn, ascending then reversed.
    static var sortSteps: [Step] {
        AppModel.sortCycle.flatMap { _ in [Step(action: .table(.sortNext), measured: true), Step(action: .table(.sortReverse), measured: true)] }
    }

    /// Page after page down from the top, then back home.
    static var pageDownSteps: [Step] {
        Array(repeating: Step(action: .table(.move(.pageDown)), measured: true), count: 30) + [Step(action: .table(.move(.home)), measured: false)]
    }

    /// The last row and back to the first.
    static var endSteps: [Step] {
        [Step(action: .table(.move(.end)), measured: true), Step(action: .table(.move(.home)), measured: false)]
    }

    /// A search typed one key at a time, each key a query and a frame, then cleared.
    static func typing(_ text: String) -> [Step] {
        [Step(action: .table(.openSearch), measured: false)]
            + text.map { Step(action: .table(.search(.insert($0))), measured: true) }
            + [Step(action: .escape, measured: false)]
    }

    /// The adversarial cases: a common word and a creator typed under every sort, both ways, so that for some sort
    /// the matches cluster at the far end of its index (every "deploy" token is named "GitHub Actions deploy…").
    /// The table starts, and ends, sorted by Created descending.
    static var searchEverySortSteps: [Step] {
        var current = TokenOrder(.created, descending: true)
        var steps: [Step] = []
        func sort(to target: TokenOrder) {
            // A click on a heading sorts by it ascending, and a second reverses it.
            if current.sort != target.sort {
                steps.append(Step(action: .table(.sortBy(target.sort)), measured: false))
                current = TokenOrder(target.sort)
            }
            if current.descending != target.descending {
                steps.append(Step(action: .table(.sortBy(target.sort)), measured: false))
                current.descending.toggle()
            }
        }
        for column in AppModel.sortCycle {
            for descending in [false, true] {
                sort(to: TokenOrder(column, descending: descending))
                steps += typing("deploy") + typing("bruno")
            }
        }
        sort(to: TokenOrder(.created, descending: true))
        return steps
    }

    /// Searches typed one key at a time, each key a query and a frame: frequent and rare words, a creator,
    /// one- and two-letter starts, a miss, and the same on the personal tab.
    static var searchSteps: [Step] {
        let queries = ["deploy", "snapshot export 42", "bruno", "gr", "pipeline 7001", "zq"]
        return queries.flatMap(typing)
            + [Step(action: .switchTab(.number(2)), measured: false)] + typing("deploy") + [Step(action: .switchTab(.number(1)), measured: false)]
    }

    /// `token list --all --limit 50`, in-process: the store call the command makes.
    func tokenList(rounds: Int) throws -> (Measurement, [String]) {
        let list = { () throws -> Void in
            _ = try store.tokens(matching: TokenFilter(), order: TokenOrder(.created, descending: true), limit: 50, by: actor)
        }
        let statements = try traced(list)
        let ours = try (0..<rounds * 4).map { _ in try Stopwatch.milliseconds(list) }
        let floorTimes = try (0..<rounds * 4).compactMap { _ in try floorTime(statements) }
        return (Measurement(name: "token list --limit 50", ours: ours, floor: floorTimes), statements)
    }
}
