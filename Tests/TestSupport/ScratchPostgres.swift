import Foundation

/// A new, empty PostgreSQL database on the server `APITOKENS_TEST_POSTGRES` names, dropped when the last reference
/// goes. Nil when the variable is unset: the PostgreSQL tests are then skipped.
public final class ScratchPostgres: @unchecked Sendable {
    /// The server the tests may use, as a URL; `.ci/run` starts one and sets it.
    public static let serverURL: String? = ProcessInfo.processInfo.environment["APITOKENS_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

    /// The new database's URL.
    public let url: String
    private let name: String
    private let server: String

    /// A new database on `server`: by default the tests' server.
    public init?(on server: String? = serverURL) {
        guard let server, var components = URLComponents(string: server) else { return nil }
        name = "apitokens_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "_"))"
        components.path = "/" + name
        url = components.string ?? server
        self.server = server
        Self.psql(server, "CREATE DATABASE \(name)")
    }

    deinit { Self.psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }

    /// Runs one statement through `psql` on `url`, as an administrator would.
    public static func psql(_ url: String, _ sql: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url, "-qAtc", sql]
        process.standardOutput = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
    }
}
