import Foundation
import PostgresNIO
import TokenDomain
import TokenStore

extension PostgresStore {
    /// Judges a secret against every rule, reading only, from the rows as they are now, or (a check service's
    /// reader) from facts read since the last change anywhere and less than a second ago.
    public func check(_ secret: TokenSecret, _ request: VerificationRequest, at now: Date?) throws(TokenStoreError) -> Verification {
        let now = now ?? clock.now()
        // Taken before the read: a change told while it runs leaves the facts it read unused.
        let generation = checkCache?.feed.generationNow()
        if let generation, let facts = checkCache?.facts.facts(for: secret.hash, generation: generation) {
            return facts.judge(request, now: now)
        }
        let readAt = ProcessInfo.processInfo.systemUptime
        return try read { db in
            guard let facts = try db.checkFacts(hash: secret.hash) else { return .inactive(reason: "unknown token") }
            if let generation { checkCache?.facts.remember(facts, for: secret.hash, generation: generation, readAt: readAt) }
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
    /// One prepared statement, so a check is one round trip and no planning: the token, its team's sites, and its
    /// owner with their teams.
    func checkFacts(hash: Data) throws -> CheckFacts? {
        let literal = "'\\x" + hash.map { String(format: "%02x", $0) }.joined() + "'"
        guard let row = try connector.execute(Self.checkFactsStatement, [literal], on: connection).first else { return nil }
        let token = try Token(postgres: row)
        let cells = row.makeRandomAccess()
        var owner: Account?
        if let login = try cells[23].decode(String?.self) {
            owner = Account(id: try cells[20].decode(Int64.self), login: login, name: try cells[24].decode(String.self),
                            role: Role(rawValue: try cells[25].decode(String.self)) ?? .viewer, teams: try cells[26].decode([String].self))
        }
        return CheckFacts(token: token, revoked: try cells[18].decode(Bool.self), owner: owner,
                          teamSites: try cells[22].decode([String].self), isPreviousSecret: !(try cells[21].decode(Bool.self)))
    }

    /// The check's statement; `$1` is the secret's hash.
    /// A check gives its connection up after four seconds and is tried once more on a new one: a proxy waits on
    /// it, and a connection whose backend was killed under a statement may never answer.
    static let checkFactsStatement = PostgresConnector.PreparedStatement(name: "apitokens_check_facts", parameterTypes: "bytea", sql: """
        SELECT \(tokenColumns), ownerId, secretHash = $1,
               ARRAY(SELECT site.name FROM site WHERE site.teamId = token.teamId),
               (SELECT owner.login FROM account owner WHERE owner.id = token.ownerId AND owner.removedAt IS NULL),
               (SELECT owner.name FROM account owner WHERE owner.id = token.ownerId),
               (SELECT owner.role FROM account owner WHERE owner.id = token.ownerId),
               ARRAY(SELECT team.name FROM membership JOIN team ON team.id = membership.teamId
                     WHERE membership.accountId = token.ownerId ORDER BY lower(team.name))
        FROM token
        WHERE secretHash = $1 OR previousSecretHash = $1
        ORDER BY secretHash = $1 DESC LIMIT 1
        """, deadline: .seconds(4))
}
