import Foundation
import TokenDomain
import TokenStore

/// Verifications per second: through the store in-process, against its statements replayed bare (SQLite only).
struct VerifyBench {
    let store: any TokenRepository
    let floor: FloorDatabase?
    let secrets: [TokenSecret]
    let log = StatementLog()
    static let request = VerificationRequest(clientIP: IPAddress("203.0.113.9"), permissions: [.readSite])

    /// Creates `count` admin tokens whose secrets the benchmark keeps, as services would hold them.
    static func makeSecrets(store: any TokenRepository, actor: Account, count: Int,
                            named prefix: String = "Benchmark verifier") throws -> [TokenSecret] {
        guard let team = try store.teams().first else { throw BenchmarkError("the seeded database has no team") }
        let drafts = (0..<count).map { index in
            TokenDraft(name: "\(prefix) \(index)", kind: .admin, teamID: team.id, permissions: PermissionSet([.readSite]))
        }
        return try store.create(drafts, by: actor).map(\.1)
    }

    /// Our rate and the floor's, each over about `seconds`, after one pass that records every token's first use.
    func perSecond(seconds: Double) throws -> (ours: Double, floor: Double, statements: [String]) {
        for secret in secrets { try check(secret) }
        let sqlite = store as? TokenStore
        sqlite?.traceStatements { [log] in log.append($0) }
        try check(secrets[0])
        sqlite?.traceStatements(nil)
        let statements = log.take()
        let ours = try rate(seconds: seconds) { index in try check(secrets[index % secrets.count]) }
        let floorRate = try floor.map { floor in try rate(seconds: seconds) { _ in try floor.run(statements) } } ?? .nan
        return (ours, floorRate, statements)
    }

    private func check(_ secret: TokenSecret) throws {
        guard case .active = try store.verify(secret, Self.request) else { throw BenchmarkError("a fresh token failed verify") }
    }

    private func rate(seconds: Double, _ body: (Int) throws -> Void) throws -> Double {
        var done = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        while elapsed < seconds {
            for _ in 0..<200 {
                try body(done)
                done += 1
            }
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        return Double(done) / elapsed
    }
}
