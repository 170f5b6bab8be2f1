import Foundation
import GRDBSQLite
import TerminalUI

/// The benchmark's printed report: Markdown tables, ready for the README.
enum Report {
    /// The machine, the SQLite and the date the figures belong to.
    static func machine() -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
        let sqlite = String(cString: sqlite3_libversion())
        let date = ISO8601DateFormatter().string(from: Date()).prefix(10)
        return """
            ## apitokens benchmark, \(date)

            \(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(String(format: "%.0f", memory)) GiB; \
            \(ProcessInfo.processInfo.operatingSystemVersionString); SQLite \(sqlite).
            Times in milliseconds. "Ours" is the action through the view-model or store; "frame" adds drawing the whole
            100×30 screen into the cell grid (keystroke to frame); "floor" replays the same SQL through the bare C API.

            """
    }

    /// Every figure for one size.
    static func detail(_ result: SizeResult) -> String {
        var lines = [
            "### \(count(result.tokens)) tokens (seeded in \(String(format: "%.2f", result.seedSeconds)) s)", "",
            "| Measure | Ours p50 | Ours p95 | Frame p50 | Frame p95 | Floor p50 | Floor p95 | Ours ÷ floor |",
            "|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for measurement in result.interactive + [result.list, result.listProcess, result.verifyProcess] {
            let frames = measurement.frames
            lines.append("| \(measurement.name) | \(ms(measurement.oursP50)) | \(ms(measurement.oursP95)) | "
                + "\(frames.map { ms(Stopwatch.percentile($0, 0.5)) } ?? "–") | \(frames.map { ms(Stopwatch.percentile($0, 0.95)) } ?? "–") | "
                + "\(ms(measurement.floorP50)) | \(ms(measurement.floorP95)) | \(times(measurement.ratio)) |")
        }
        let verify = result.verifyPerSecond
        lines.append("| verify, in-process (per second) | \(count(Int(verify.ours))) | | | | \(count(Int(verify.floor))) | | "
            + "\(times(verify.floor / verify.ours)) |")
        lines.append("| UI peak RSS (real process in tmux) | \(String(format: "%.1f", Double(result.peakKilobytes) / 1024)) MB | | | | | | |")
        let slow = result.interactive.flatMap { measurement in measurement.slowSteps.map { "- \(measurement.name): \($0)" } }
        if !slow.isEmpty { lines += ["", "Steps slower than \(Int(InterfaceBench.keystrokeBudget)) ms:"] + slow }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The largest size against the smallest, and each target of the issue met or missed.
    static func summary(small: SizeResult, large: SizeResult) -> String {
        let smallName = short(small.tokens), largeName = short(large.tokens)
        var lines = [
            "### \(largeName) against \(smallName), and the targets", "",
            "| Action | \(smallName) p50 | \(largeName) p50 | \(largeName) ÷ \(smallName) (≤ 1.5) | \(largeName) ÷ floor (≤ 2) | \(largeName) frame p95 |",
            "|---|--:|--:|--:|--:|--:|",
        ]
        var verdicts: [String] = []
        for (smallMeasure, largeMeasure) in zip(small.interactive + [small.list], large.interactive + [large.list]) {
            let growth = largeMeasure.oursP50 / smallMeasure.oursP50
            let framesP95 = largeMeasure.frames.map { Stopwatch.percentile($0, 0.95) }
            lines.append("| \(largeMeasure.name) | \(ms(smallMeasure.oursP50)) | \(ms(largeMeasure.oursP50)) | \(times(growth)) | "
                + "\(times(largeMeasure.ratio)) | \(framesP95.map(ms) ?? "–") |")
            verdicts.append(verdict("\(largeMeasure.name): \(largeName) ÷ \(smallName)", growth, atMost: 1.5, unit: "×"))
            verdicts.append(verdict("\(largeMeasure.name): ours ÷ floor at \(largeName)", largeMeasure.ratio, atMost: 2, unit: "×"))
        }
        let firstFrame = large.interactive[0].frames.map { Stopwatch.percentile($0, 0.95) } ?? .nan
        let keystroke = large.interactive.dropFirst().compactMap { $0.frames.map { Stopwatch.percentile($0, 0.95) } }.max() ?? .nan
        let slowest = large.interactive.dropFirst().compactMap(\.slowest).max { $0.milliseconds < $1.milliseconds }
        verdicts.insert(contentsOf: [
            verdict("Seeding \(largeName) tokens", large.seedSeconds, atMost: 60, unit: " s"),
            verdict("UI first frame p95 at \(largeName)", firstFrame, atMost: 100, unit: " ms"),
            verdict("Keystroke to frame p95 at \(largeName), worst action", keystroke, atMost: 30, unit: " ms"),
            verdict("The slowest single keystroke to frame at \(largeName) (\(slowest?.step ?? "none"))", slowest?.milliseconds ?? .nan,
                    atMost: 30, unit: " ms"),
            verdict("UI peak RSS at \(largeName)", Double(large.peakKilobytes) / 1024, atMost: 64, unit: " MB"),
            verdict("verify in-process at \(largeName), per second", large.verifyPerSecond.ours, atLeast: 20_000),
        ], at: 0)
        return (lines + ["", "Targets:", ""] + verdicts.map { "- " + $0 }).joined(separator: "\n") + "\n"
    }

    private static func verdict(_ name: String, _ value: Double, atMost limit: Double, unit: String) -> String {
        let shown = String(format: "%.2f", value) + unit
        return value <= limit ? "met: \(name) \(shown) (≤ \(limit.formatted())\(unit))"
            : "MISSED: \(name) \(shown), \(String(format: "%.1f", (value / limit - 1) * 100))% over \(limit.formatted())\(unit)"
    }

    private static func verdict(_ name: String, _ value: Double, atLeast limit: Double) -> String {
        value >= limit ? "met: \(name) \(count(Int(value))) (≥ \(count(Int(limit))))"
            : "MISSED: \(name) \(count(Int(value))), \(String(format: "%.1f", (1 - value / limit) * 100))% under \(count(Int(limit)))"
    }

    static func ms(_ value: Double) -> String {
        value < 1 ? String(format: "%.3f", value) : value < 10 ? String(format: "%.2f", value) : String(format: "%.1f", value)
    }

    static func times(_ value: Double) -> String { String(format: "%.2f×", value) }

    static func count(_ value: Int) -> String { Screen.grouped(value) }

    /// 1000 as 1K, 1000000 as 1M.
    static func short(_ value: Int) -> String {
        value % 1_000_000 == 0 ? "\(value / 1_000_000)M" : value % 1000 == 0 ? "\(value / 1000)K" : count(value)
    }
}
