import Foundation

/// Runs a program to completion with posix_spawn and waitpid.
/// Foundation's `Process` can hang in `waitUntilExit` when tests spawn in parallel on Linux.
enum ChildProcess {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `path` with `arguments` to completion; stdin, stdout and stderr go through temporary files, so nothing
    /// can block.
    static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                    stdin: String? = nil) throws -> Result {
        try start(path, arguments, environment: environment, stdin: stdin).wait()
    }

    /// A child left running, such as a server: signal it, read what it has written so far, wait for it.
    final class Running {
        let pid: pid_t
        let directory: URL
        private var finished: Result?

        init(pid: pid_t, directory: URL) {
            self.pid = pid
            self.directory = directory
        }

        deinit {
            if finished == nil {
                kill(pid, SIGKILL)
                _ = wait()
            }
            try? FileManager.default.removeItem(at: directory)
        }

        /// What the child has written to stderr so far.
        var stderr: String { (try? String(contentsOfFile: directory.appendingPathComponent("err").path, encoding: .utf8)) ?? "" }

        func signal(_ number: Int32) { kill(pid, number) }

        /// True once the child has exited (a zombie still answers `kill(pid, 0)`, so that cannot tell).
        var hasExited: Bool {
            if finished != nil { return true }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return false }
            finish(status)
            return true
        }

        /// Waits for the child to exit and returns what it wrote.
        @discardableResult
        func wait() -> Result {
            if let finished { return finished }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return finish(status)
        }

        @discardableResult
        private func finish(_ status: Int32) -> Result {
            let exited = status & 0x7F == 0
            let code = exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            let result = Result(status: code,
                                stdout: (try? String(contentsOfFile: directory.appendingPathComponent("out").path, encoding: .utf8)) ?? "",
                                stderr: stderr)
            finished = result
            return result
        }
    }

    /// Starts `path` with `arguments` and returns at once.
    static func start(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                      stdin: String? = nil) throws -> Running {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let inPath = directory.appendingPathComponent("in").path
        let outPath = directory.appendingPathComponent("out").path
        let errPath = directory.appendingPathComponent("err").path
        try Data((stdin ?? "").utf8).write(to: URL(fileURLWithPath: inPath))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        // The test runner's threads block signals such as SIGCHLD; a child must start with none blocked,
        // or a shell's `wait` never returns.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            try? FileManager.default.removeItem(at: directory)
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL)
        }
        return Running(pid: pid, directory: directory)
    }
}
