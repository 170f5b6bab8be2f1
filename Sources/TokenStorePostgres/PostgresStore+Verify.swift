import Foundation
import PostgresNIO
import TokenDomain
import TokenStore

extension PostgresStore {
    /// Judges a secret against every rule, reading only, from the rows as they are now: nothing is cached, so a
    /// revoke committed by any process on any host is obeyed by the next check.
    public func check(_ secret: TokenSecret, _ request: VerificationRequest, at now: Date?) throws(TokenStoreError) -> Verification {
        let now = now ?? clock.now()
        return try read { db in
            guard let facts = try db.checkFacts(hash: secret.hash) else { return .inactive(reason: "unknown token") }
            return facts.judge(request, now: now)
        }
    }

    /// Checks a secret and, when it passes and the use is news (a new address, or a minute later), records it.
    public func verify(_ secret: TokenSecret, _ request: VerificationRequest) throws(TokenStoreError) -> Verification {
        let now = clock.now()
        let answer = try check(secret, request, at: now)
        guard case .active(let token, _, _) = answer else { return answer }
        let use = TokenUse(tokenID: token.id, clientIP: request.clientIP?.description, at: now)
        // Best-effort, as on SQLite: a check never fails because its last-use could not be written.
        if use.isNews(after: token) { try? recordUses([use]) }
        return answer
    }

    /// Records a batch of uses in one transaction; a use older than the one recorded is left out.
    public func recordUses(_ uses: [TokenUse]) throws(TokenStoreError) {
        guard !uses.isEmpty else { return }
        try write { db in
            for use in uses {
                let seconds = Int64(use.at.timeIntervalSince1970)
                try db.rows("""
                    UPDATE token SET lastUsedAt = \(seconds), lastUsedIP = \(use.clientIP)
                    WHERE id = \(use.tokenID) AND revokedAt IS NULL AND (lastUsedAt IS NULL OR lastUsedAt <= \(seconds))
                    """)
            }
        }
    }

    /// The Refresh Token API: a live token extends its own expiry.
    public func refreshSelf(_ secret: TokenSecret, clientIP: IPAddress?) throws(TokenStoreError) -> Token {
        let now = clock.now()
        return try write { db in
            let answer = try db.checkFacts(hash: secret.hash)?.judge(VerificationRequest(clientIP: clientIP), now: now)
            guard case .active(let token, _, let previous) = answer else {
                throw TokenStoreError.refused(PolicyError("the token is not active; it cannot refresh itself"))
            }
            return try db.refresh(token, by: "token:\(token.id)" + (previous ? " (previous secret)" : ""),
                                  at: Int64(now.timeIntervalSince1970))
        }
    }
}

extension Transaction {
    /// Everything a check needs about the token behind a secret's hash, current or previous; nil when no token has it.
    func checkFacts(hash: Data) throws -> CheckFacts? {
        var isPrevious = false
        var row = try rows("SELECT \(unescaped: Self.tokenColumns), ownerId FROM token WHERE secretHash = \(hash)").first
        if row == nil {
            row = try rows("SELECT \(unescaped: Self.tokenColumns), ownerId FROM token WHERE previousSecretHash = \(hash)").first
            isPrevious = true
        }
        guard let row else { return nil }
        let token = try Token(postgres: row)
        let cells = row.makeRandomAccess()
        let sites = try rows("SELECT name FROM site WHERE teamId = \(token.teamID)").map { try $0.decode(String.self) }
        return CheckFacts(token: token, revoked: try cells[18].decode(Bool.self), owner: try account(id: try cells[20].decode(Int64.self)),
                          teamSites: sites, isPreviousSecret: isPrevious)
    }
}
