import Foundation
import TestSupport

/// Runs the built `apitokens` binary on a private database, as a script or a service would: a file in a scratch
/// directory, or, after `use(.postgresql)`, a new database of its own on the test server.
final class CLIRunner {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The built executable, next to the test bundle.
    static let binary: String = {
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent()
        // Test bundles live in <build>/debug/<name>.xctest/...; walk up to the folder that holds the binary.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("apitokens").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/apitokens").path
    }()

    let scratch = ScratchDirectory("apitokens-e2e")
    private var postgres: ScratchPostgres?
    /// Files a test writes beside the database (receivers, proxies' configurations, trees to scan).
    var directory: URL { scratch.url }
    /// The engine `database` is on.
    var engine: Engine { postgres == nil ? .sqlite : .postgresql }
    /// What `--db` names: the SQLite file's path, or the PostgreSQL database's URL.
    var database: String { postgres?.url ?? directory.appendingPathComponent("tokens.sqlite").path }

    init(_ engine: Engine = .sqlite) {
        try? FileManager.default.createDirectory(at: scratch.url, withIntermediateDirectories: true)
        use(engine)
    }

    /// Puts the private database on `engine`, new and empty; on PostgreSQL, on `server` when given (a test's own).
    func use(_ engine: Engine, server: String? = nil) {
        postgres = engine == .postgresql ? ScratchPostgres(on: server ?? ScratchPostgres.serverURL) : nil
    }

    /// Runs `apitokens ARGS --db <private db>` with optional stdin and extra environment.
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "APITOKENS_TOKEN")
        env.removeValue(forKey: "APITOKENS_DB")
        env.merge(environment) { $1 }
        let result = try ChildProcess.run(Self.binary, arguments + ["--db", database], environment: env, stdin: stdin)
        return Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// Seeds the demo organisation into the private database: on PostgreSQL, seeded into a file and migrated, as
    /// the README tells an admin to do.
    func seedDemo(_ extra: [String] = []) throws {
        guard engine == .postgresql else {
            let seeded = try run(["demo", "--seed-only"] + extra)
            guard seeded.status == 0 else { throw CommandFailed(result: seeded) }
            return
        }
        let file = scratch.path("demo-source.sqlite")
        for arguments in [["demo", "--seed-only"] + extra + ["--db", file], ["migrate", "--from", file, "--to", database]] {
            let result = try ChildProcess.run(Self.binary, arguments)
            guard result.status == 0 else { throw CommandFailed(result: Result(status: result.status, stdout: result.stdout, stderr: result.stderr)) }
        }
    }

    /// Every byte the database keeps: its files on SQLite, a full dump on PostgreSQL.
    func storedBytes() throws -> [Data] {
        switch engine {
        case .sqlite:
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            return try files.map { try Data(contentsOf: directory.appendingPathComponent($0)) }
        case .postgresql:
            let dump = try ChildProcess.run("/usr/bin/pg_dump", [database])
            guard dump.status == 0, !dump.stdout.isEmpty else { throw SQLFailed(statements: "pg_dump", stderr: dump.stderr) }
            return [Data(dump.stdout.utf8)]
        }
    }

    struct CommandFailed: Error, CustomStringConvertible {
        let result: Result
        var description: String { "exit \(result.status): \(result.stderr)" }
    }

    /// Runs SQL on the database behind the program's back, as an administrator's `sqlite3` or `psql` would, and
    /// returns what it printed, trimmed. Only SQL both engines speak, unless the test runs on one.
    @discardableResult
    func sql(_ statements: String) throws -> String {
        let result = switch engine {
        case .sqlite: try ChildProcess.run("/usr/bin/sqlite3", [database, statements])
        case .postgresql: try ChildProcess.run("/usr/bin/psql", [database, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", statements])
        }
        guard result.status == 0 else { throw SQLFailed(statements: statements, stderr: result.stderr) }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The current time in seconds since 1970, as SQL for `sql(_:)` on this engine.
    var sqlNow: String { engine == .sqlite ? "unixepoch()" : "extract(epoch from now())::bigint" }

    struct SQLFailed: Error, CustomStringConvertible {
        let statements: String
        let stderr: String
        var description: String { "\(statements): \(stderr)" }
    }
}
