import Foundation

/// Whole commands as a service or a script runs them: one process each, timed from spawn to exit.
enum ProcessBench {
    /// Milliseconds `path` took to run to exit; its output is discarded. Throws if it fails.
    static func time(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Double {
        var status: Int32 = 0
        let milliseconds = try Stopwatch.milliseconds { status = try run(path, arguments, environment: environment) }
        guard status == 0 else {
            throw BenchmarkError("\(([path] + arguments).joined(separator: " ").prefix(120)) exited with status \(status)")
        }
        return milliseconds
    }

    /// Runs `path` to exit with posix_spawn and waitpid (Foundation's Process can hang on Linux when the child
    /// leaves a daemon behind, as tmux does); stdout goes to `output`. Returns the wait status.
    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:],
                    output: String = "/dev/null") throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard spawned == 0 else { throw BenchmarkError("cannot start \(path): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status
    }

    /// `rounds` timings of the same command.
    static func times(_ rounds: Int, _ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> [Double] {
        try (0..<rounds).map { _ in try time(path, arguments, environment: environment) }
    }
}

/// The real interface in tmux: driven through sorts, the end of the table and a search, then its peak memory read.
enum InterfaceMemory {
    static let server = "apitokens-bench"

    /// The UI's peak resident set in kilobytes (VmHWM), after it has opened, sorted, jumped and searched.
    static func peakKilobytes(binary: String, database: String) throws -> Int {
        _ = try? tmux(["kill-server"])
        defer { _ = try? tmux(["kill-server"]) }
        let command = "APITOKENS_DB='\(database)' TERM=xterm-256color exec '\(binary)'"
        _ = try tmux(["new-session", "-d", "-x", "100", "-y", "30", command])
        let pid = try tmux(["display-message", "-p", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try waitForScreen(containing: " tokens")
        let keys: [[String]] = [["G"], ["s", "s", "s", "s", "s", "s", "s"], ["S"], ["/"], ["-l", "deploy"], ["Escape"],
                                Array(repeating: "NPage", count: 20), ["2"], ["G"], ["1"], ["Home"]]
        for group in keys {
            _ = try tmux(["send-keys"] + group)
            usleep(100_000)
        }
        usleep(500_000)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else {
            throw BenchmarkError("no VmHWM for the interface (pid \(pid))")
        }
        _ = try tmux(["send-keys", "q"])
        return kilobytes
    }

    private static func waitForScreen(containing text: String) throws {
        for _ in 0..<200 {
            if try tmux(["capture-pane", "-p"]).contains(text) { return }
            usleep(50_000)
        }
        throw BenchmarkError("the interface did not show its table within 10 seconds")
    }

    @discardableResult
    private static func tmux(_ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("apitokens-bench-tmux-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        guard try ProcessBench.run("/usr/bin/env", ["tmux", "-L", server] + arguments, output: output) == 0 else {
            throw BenchmarkError("tmux \(arguments.first ?? "") failed; is tmux installed?")
        }
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }
}
