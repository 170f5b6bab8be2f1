import Foundation
internal import GRDB
import TokenDomain

/// One transaction's worth of a bulk revoke.
public struct RevokeBatch: Sendable {
    /// The tokens this batch revoked.
    public let revoked: [Token]
    /// The id the next batch starts after.
    public let resumeAfter: Int64
    /// True when no matching token is left past this batch.
    public let isLast: Bool

    package init(revoked: [Token], resumeAfter: Int64, isLast: Bool) {
        self.revoked = revoked
        self.resumeAfter = resumeAfter
        self.isLast = isLast
    }
}

extension TokenStore {
    /// Tokens per bulk-revoke transaction: small enough that other writers wait milliseconds, not seconds.
    public static let revokeBatchSize = 1_000

    /// How many live tokens match, counted exactly whatever it costs: the size of a bulk revoke, asked once.
    public func exactCount(matching filter: TokenFilter, by actor: Account) throws(TokenStoreError) -> Int {
        let now = nowSeconds()
        let limit = candidateLimit
        return try read { db in
            try Self.authoriseList(db, filter, by: actor)
            let plan = try QueryPlan(db, filter: filter, now: now, candidateLimit: limit, order: nil)
            if case .exact(let count) = try plan.knownCount(db) { return count }
            let sql = "SELECT count(*) FROM \(plan.source.sql) WHERE \(plan.condition.sql)"
            return try Int.fetchOne(db, sql: sql, arguments: plan.source.arguments + plan.condition.arguments) ?? 0
        }
    }

    /// The highest token id so far. Ids only grow, so a bulk revoke bounded by it never reaches a token made after
    /// the person confirmed.
    public func lastTokenID() throws(TokenStoreError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT ifnull(max(id), 0) FROM token") ?? 0 }
    }

    /// Revokes, in one transaction, up to `limit` live tokens that match `filter` now, lowest id first after `cursor`
    /// and at most `upTo`, leaving out `except`. Each is judged on the actor and the token as they are at this moment,
    /// and audited as its own event with `reason`; a refusal revokes nothing of this batch and keeps what earlier
    /// batches did.
    public func revokeBatch(matching filter: TokenFilter, after cursor: Int64, upTo last: Int64, except: Set<Int64>,
                            limit: Int, reason: String, by actor: Account) throws(TokenStoreError) -> RevokeBatch {
        let candidateLimit = candidateLimit
        return try write { db in
            let now = nowSeconds()
            try Self.authoriseList(db, filter, by: actor)
            let actor = try Self.currentActor(db, actor)
            let plan = try QueryPlan(db, filter: filter, now: now, candidateLimit: candidateLimit, order: nil)
            // Walked in id order from the cursor, on the table itself: through a sort index, every batch would read
            // again all the matches the earlier batches had already passed.
            let source = plan.usesCandidates ? plan.source.sql : "token NOT INDEXED"
            let sql = """
                SELECT \(Token.selection) FROM \(source) WHERE \(plan.condition.sql) AND token.id > ? AND token.id <= ?
                ORDER BY token.id LIMIT ?
                """
            let found = try Row.fetchAll(db, sql: sql, arguments: plan.source.arguments + plan.condition.arguments + [cursor, last, limit])
                .map(Token.init(row:))
            var revoked: [Token] = []
            for token in found where !except.contains(token.id) {
                try Policy.check(.revoke, on: token, by: actor)
                try revoke(db, token, at: now, by: actor.login, details: reason)
                revoked.append(token)
            }
            return RevokeBatch(revoked: revoked, resumeAfter: found.last?.id ?? cursor, isLast: found.count < limit)
        }
    }

    /// Revokes one live token inside the caller's transaction, and ends any previous secret's grace with it.
    func revoke(_ db: Database, _ token: Token, at now: Int64, by actor: String, details: String = "") throws {
        // Cached: a bulk revoke runs this a thousand times a transaction, and the triggers make it costly to prepare.
        try db.cachedStatement(sql: """
            UPDATE token SET revokedAt = ?, updatedAt = ?, previousSecretHash = NULL, previousSecretExpiresAt = NULL,
              version = version + 1 WHERE id = ? AND revokedAt IS NULL
            """).execute(arguments: [now, now, token.id])
        try audit(db, actor: actor, action: "revoke", tokenID: token.id, tokenName: token.name, details: details)
    }
}
