import Foundation
internal import GRDB
import TokenDomain

/// What a service asks when it checks a token.
public struct VerificationRequest: Sendable {
    public var clientIP: IPAddress?
    public var permissions: [Permission]
    public var team: String?
    public var site: String?

    public init(clientIP: IPAddress? = nil, permissions: [Permission] = [], team: String? = nil, site: String? = nil) {
        self.clientIP = clientIP
        self.permissions = permissions
        self.team = team
        self.site = site
    }
}

/// The answer to a verification, with a reason for `--explain` when it is not active.
public enum Verification: Sendable, Equatable {
    /// A good token, what it grants now, and whether the secret was the previous one, inside its roll's grace.
    case active(Token, granted: PermissionSet, previousSecret: Bool)
    /// The token itself is no good: unknown, revoked, expired, rolled out, unreadable, or its owner lost access.
    case inactive(reason: String)
    /// A good token that does not reach what the request needs: a permission, team, site or client address.
    case outOfScope(reason: String)
}

/// One successful use of a token, to be recorded as its last use.
public struct TokenUse: Hashable, Sendable {
    public let tokenID: Int64
    public let clientIP: String?
    public let at: Date

    public init(tokenID: Int64, clientIP: String?, at: Date) {
        self.tokenID = tokenID
        self.clientIP = clientIP
        self.at = at
    }

    /// Whether this use is worth a write after what `token` records: a new address, or a minute later.
    public func isNews(after token: Token) -> Bool {
        let seconds = Int64(at.timeIntervalSince1970)
        return token.lastUsedIP != clientIP || (token.lastUsedAt.map { Int64($0.timeIntervalSince1970) } ?? 0) < seconds - 60
    }
}

extension TokenStore {
    /// Checks a secret against every rule and, when it passes, records when and from where it was used.
    public func verify(_ secret: TokenSecret, _ request: VerificationRequest) throws(TokenStoreError) -> Verification {
        let now = clock.now()
        let answer = try check(secret, request, at: now)
        // Only a successful use that is news (a new address, or a minute later) is recorded, and only if the write
        // lock is free this instant: last-used is best-effort, and a check never waits on another writer.
        guard case .active(let token, _, _) = answer, isWritable else { return answer }
        let use = TokenUse(tokenID: token.id, clientIP: request.clientIP?.description, at: now)
        if use.isNews(after: token) { writeIfUnlocked { db in try Self.record([use], db) } }
        return answer
    }

    /// Judges a secret against every rule, reading only: nothing is recorded (see `recordUses`).
    public func check(_ secret: TokenSecret, _ request: VerificationRequest,
                      at now: Date?) throws(TokenStoreError) -> Verification {
        let now = now ?? clock.now()
        guard stillNamesItsFile else {
            throw .database("\(path) was replaced or removed since it was opened; restart to read the new file")
        }
        let cache = checkCache
        return try read { db in
            guard let facts = try cache.facts(db, hash: secret.hash) else { return .inactive(reason: "unknown token") }
            return facts.judge(request, now: now)
        }
    }

    /// Records a batch of uses in one transaction, waiting for the write lock like any write: for a service that
    /// records behind its requests, never in front of them.
    public func recordUses(_ uses: [TokenUse]) throws(TokenStoreError) {
        guard !uses.isEmpty else { return }
        try write { db in try Self.record(uses, db) }
    }

    private static func record(_ uses: [TokenUse], _ db: Database) throws {
        let update = try db.cachedStatement(sql: """
            UPDATE token SET lastUsedAt = ?, lastUsedIP = ? WHERE id = ? AND revokedAt IS NULL
              AND (lastUsedAt IS NULL OR lastUsedAt <= ?)
            """)
        for use in uses {
            let seconds = Int64(use.at.timeIntervalSince1970)
            try update.execute(arguments: [seconds, use.clientIP, use.tokenID, seconds])
        }
    }

    /// Nil while the database answers a query on the token table, from the file its path names; else why not.
    public func healthProblem() -> String? {
        guard stillNamesItsFile else { return "the database file at \(path) was replaced or removed" }
        do {
            _ = try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM token LIMIT 1)") }
            return nil
        } catch {
            return error.description
        }
    }

    /// Runs `body` in a write transaction when no other connection holds the write lock; otherwise, or on any
    /// error, does nothing. Returns whether it wrote.
    @discardableResult
    func writeIfUnlocked(_ body: (Database) throws -> Void) -> Bool {
        do {
            return try writer.writeWithoutTransaction { db in
                checkCache.invalidate()
                try db.execute(sql: "PRAGMA busy_timeout = 0")
                defer { try? db.execute(sql: "PRAGMA busy_timeout = \(Self.busyTimeoutMilliseconds)") }
                try db.inTransaction(.immediate) {
                    try body(db)
                    return .commit
                }
                return true
            }
        } catch {
            return false
        }
    }

    /// The Refresh Token API: a live token extends its own expiry.
    public func refreshSelf(_ secret: TokenSecret, clientIP: IPAddress?) throws(TokenStoreError) -> Token {
        try write { db in
            let answer = try CheckFacts.load(db, hash: secret.hash)?.judge(VerificationRequest(clientIP: clientIP), now: clock.now())
            guard case .active(let token, _, let previous) = answer else {
                throw TokenStoreError.refused(PolicyError("the token is not active; it cannot refresh itself"))
            }
            return try refresh(db, token: token, actor: "token:\(token.id)" + (previous ? " (previous secret)" : ""))
        }
    }
}
