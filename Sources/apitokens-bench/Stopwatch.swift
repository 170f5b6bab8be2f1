import Foundation

/// Monotonic timing and the summary figures the report prints.
enum Stopwatch {
    /// Milliseconds `body` took.
    static func milliseconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
    }

    /// The value below which `fraction` of `samples` fall (nearest rank).
    static func percentile(_ samples: [Double], _ fraction: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

/// A measured action: our timings beside the floor's, in milliseconds.
struct Measurement {
    let name: String
    /// The action through the view-model or store, up to the state the screen is drawn from.
    let ours: [Double]
    /// The action and the drawing of the whole screen into the cell grid: keystroke to frame.
    var frames: [Double]?
    /// The statements the action ran, replayed through the bare C API.
    let floor: [Double]
    /// Steps whose frame took longer than a keystroke may, with the SQL they ran: the report explains them.
    var slowSteps: [String] = []
    /// The slowest single keystroke to frame, and what the screen showed after it.
    var slowest: (milliseconds: Double, step: String)?

    init(name: String, ours: [Double], frames: [Double]? = nil, floor: [Double]) {
        self.name = name
        self.ours = ours
        self.frames = frames
        self.floor = floor
    }

    var oursP50: Double { Stopwatch.percentile(ours, 0.5) }
    var oursP95: Double { Stopwatch.percentile(ours, 0.95) }
    var floorP50: Double { Stopwatch.percentile(floor, 0.5) }
    var floorP95: Double { Stopwatch.percentile(floor, 0.95) }
    /// This measurement with `other`'s samples added: one more round of the same action.
    func adding(_ other: Measurement) -> Measurement {
        var sum = Measurement(name: name, ours: ours + other.ours, frames: frames.map { $0 + (other.frames ?? []) },
                              floor: floor + other.floor)
        sum.slowSteps = Array(Set(slowSteps + other.slowSteps)).sorted()
        sum.slowest = [slowest, other.slowest].compactMap { $0 }.max { $0.milliseconds < $1.milliseconds }
        return sum
    }

    /// How many times the floor's median our median costs.
    var ratio: Double { oursP50 / floorP50 }
}
