import Foundation
import TestSupport

/// Runs the built `apitokens` binary on a private database, as a script or a service would.
struct CLIRunner {
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
    var directory: URL { scratch.url }
    var database: String { directory.appendingPathComponent("tokens.sqlite").path }

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
}
