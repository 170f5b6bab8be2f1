import Foundation
internal import GRDB
import TokenDomain

/// One expiry warning to send: a live token that has come within a threshold of its expiry.
public struct ExpiryWarning: Sendable, Equatable {
    public let token: Token
    /// The tightest threshold the token has crossed.
    public let within: TimeSpan
    /// The thresholds this warning covers: the one crossed and every wider one, so none is sent later for this expiry.
    package let covers: [TimeSpan]

    package init(token: Token, within: TimeSpan, covers: [TimeSpan]) {
        self.token = token
        self.within = within
        self.covers = covers
    }
}

extension TokenStore {
    /// A claim older than this is taken to be a run that died before it could say how its delivery went.
    package static let warningClaimTimeout: Int64 = 600

    /// The warnings due now: live tokens within a threshold of expiry not yet warned for it at this expiry, nor being
    /// warned by another run. Admins only.
    public func dueWarnings(within thresholds: [TimeSpan], by actor: Account) throws(TokenStoreError) -> [ExpiryWarning] {
        try read { db in
            _ = try Self.requireAdmin(db, actor, to: "send expiry warnings")
            return try Self.dueWarnings(db, thresholds: thresholds, now: nowSeconds())
        }
    }

    private static func dueWarnings(_ db: Database, thresholds: [TimeSpan], now: Int64) throws -> [ExpiryWarning] {
        let sorted = Array(Set(thresholds)).sorted()
        guard let widest = sorted.last else { return [] }
        let rows = try Row.fetchAll(db, sql: """
            SELECT \(Token.selection) FROM token INDEXED BY token_live_by_expires
            WHERE token.revokedAt IS NULL AND ifnull(token.expiresAt, 9223372036854775807) > ?
              AND ifnull(token.expiresAt, 9223372036854775807) <= ?
            ORDER BY ifnull(token.expiresAt, 9223372036854775807), token.id
            """, arguments: [now, now + widest.seconds])
        let warned = try db.cachedStatement(sql: """
            SELECT 1 FROM expiry_warning WHERE tokenId = ? AND withinSeconds = ? AND expiresAt = ?
              AND (sentAt IS NOT NULL OR claimedAt > ?)
            """)
        var due: [ExpiryWarning] = []
        for token in rows.map(Token.init(row:)) {
            guard let expiresAt = token.expiresAt.map({ Int64($0.timeIntervalSince1970) }),
                  let within = sorted.first(where: { expiresAt <= now + $0.seconds }),
                  try Bool.fetchOne(warned, arguments: [token.id, within.seconds, expiresAt, now - warningClaimTimeout]) == nil
            else { continue }
            due.append(ExpiryWarning(token: token, within: within, covers: sorted.filter { $0 >= within }))
        }
        return due
    }

    /// Claims the warnings that are still due, in one transaction, so that two runs at once never send the same one.
    public func claimWarnings(within thresholds: [TimeSpan], by actor: Account) throws(TokenStoreError) -> [ExpiryWarning] {
        try write { db in
            _ = try Self.requireAdmin(db, actor, to: "send expiry warnings")
            let now = nowSeconds()
            let due = try Self.dueWarnings(db, thresholds: thresholds, now: now)
            let claim = try db.cachedStatement(sql: """
                INSERT INTO expiry_warning (tokenId, withinSeconds, expiresAt, claimedAt) VALUES (?, ?, ?, ?)
                  ON CONFLICT DO UPDATE SET claimedAt = excluded.claimedAt
                """)
            for warning in due {
                try claim.execute(arguments: [warning.token.id, warning.within.seconds, Self.seconds(warning.token.expiresAt), now])
            }
            return due
        }
    }

    /// Records how a claimed warning's delivery went: sent (for it and every wider threshold), or released to be
    /// tried again on the next run.
    public func finishWarning(_ warning: ExpiryWarning, delivered: Bool) throws(TokenStoreError) {
        try write { db in
            let expiresAt = Self.seconds(warning.token.expiresAt)
            guard delivered else {
                try db.execute(sql: "DELETE FROM expiry_warning WHERE tokenId = ? AND withinSeconds = ? AND expiresAt = ? AND sentAt IS NULL",
                               arguments: [warning.token.id, warning.within.seconds, expiresAt])
                return
            }
            let now = nowSeconds()
            for threshold in warning.covers {
                try db.execute(sql: """
                    INSERT INTO expiry_warning (tokenId, withinSeconds, expiresAt, claimedAt, sentAt) VALUES (?, ?, ?, ?, ?)
                      ON CONFLICT DO UPDATE SET sentAt = excluded.sentAt
                    """, arguments: [warning.token.id, threshold.seconds, expiresAt, now, now])
            }
        }
    }

    private static func seconds(_ date: Date?) -> Int64 { Int64(date?.timeIntervalSince1970 ?? 0) }
}
