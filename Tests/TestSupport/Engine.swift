/// The database engines a test can run on: SQLite always, and PostgreSQL too when `APITOKENS_TEST_POSTGRES`
/// names a server (`.ci/run` starts one).
public enum Engine: String, Sendable, CustomStringConvertible {
    case sqlite
    case postgresql

    /// The engines this run can test: the arguments of a test that must hold on both.
    public static let available: [Engine] = ScratchPostgres.serverURL == nil ? [.sqlite] : [.sqlite, .postgresql]

    public var description: String { rawValue }
}
