import Foundation
import PostgresNIO
import TokenDomain
import TokenStore

extension PostgresStore {
    /// The warnings due now: live tokens within a threshold of expiry not yet warned for it at this expiry, nor being
    /// warned by another run. Admins only.
    public func dueWarnings(within thresholds: [TimeSpan], by actor: Account) throws(TokenStoreError) -> [ExpiryWarning] {
        let now = nowSeconds()
        return try read { db in
            _ = try db.requireAdmin(actor, to: "send expiry warnings")
            return try db.dueWarnings(thresholds, now: now)
        }
    }

    /// Claims the warnings still due, in one transaction, so that two runs at once, on any hosts, never send one twice.
    public func claimWarnings(within thresholds: [TimeSpan], by actor: Account) throws(TokenStoreError) -> [ExpiryWarning] {
        let now = nowSeconds()
        return try write { db in
            _ = try db.requireAdmin(actor, to: "send expiry warnings")
            let due = try db.dueWarnings(thresholds, now: now)
            for warning in due {
                try db.rows("""
                    INSERT INTO expiry_warning (tokenId, withinSeconds, expiresAt, claimedAt)
                    VALUES (\(warning.token.id), \(warning.within.seconds), \(Self.seconds(warning.token.expiresAt)), \(now))
                    ON CONFLICT (tokenId, withinSeconds, expiresAt) DO UPDATE SET claimedAt = excluded.claimedAt
                    """)
            }
            return due
        }
    }

    /// Records how a claimed warning's delivery went: sent (for it and every wider threshold), or released.
    public func finishWarning(_ warning: ExpiryWarning, delivered: Bool) throws(TokenStoreError) {
        let now = nowSeconds()
        try write { db in
            let expiresAt = Self.seconds(warning.token.expiresAt)
            guard delivered else {
                try db.rows("""
                    DELETE FROM expiry_warning WHERE tokenId = \(warning.token.id) AND withinSeconds = \(warning.within.seconds)
                      AND expiresAt = \(expiresAt) AND sentAt IS NULL
                    """)
                return
            }
            for threshold in warning.covers {
                try db.rows("""
                    INSERT INTO expiry_warning (tokenId, withinSeconds, expiresAt, claimedAt, sentAt)
                    VALUES (\(warning.token.id), \(threshold.seconds), \(expiresAt), \(now), \(now))
                    ON CONFLICT (tokenId, withinSeconds, expiresAt) DO UPDATE SET sentAt = excluded.sentAt
                    """)
            }
        }
    }

    private static func seconds(_ date: Date?) -> Int64 { Int64(date?.timeIntervalSince1970 ?? 0) }
}

extension Transaction {
    func dueWarnings(_ thresholds: [TimeSpan], now: Int64) throws -> [ExpiryWarning] {
        let sorted = Array(Set(thresholds)).sorted()
        guard let widest = sorted.last else { return [] }
        let tokens = try rows("""
            SELECT \(unescaped: Self.tokenColumns) FROM token
            WHERE token.revokedAt IS NULL AND coalesce(token.expiresAt, 9223372036854775807) > \(now)
              AND coalesce(token.expiresAt, 9223372036854775807) <= \(now + widest.seconds)
            ORDER BY coalesce(token.expiresAt, 9223372036854775807), token.id
            """).map(Token.init(postgres:))
        var due: [ExpiryWarning] = []
        for token in tokens {
            guard let expiresAt = token.expiresAt.map({ Int64($0.timeIntervalSince1970) }),
                  let within = sorted.first(where: { expiresAt <= now + $0.seconds }) else { continue }
            let warned = try value("""
                SELECT 1::BIGINT FROM expiry_warning WHERE tokenId = \(token.id) AND withinSeconds = \(within.seconds)
                  AND expiresAt = \(expiresAt) AND (sentAt IS NOT NULL OR claimedAt > \(now - TokenStore.warningClaimTimeout))
                """, as: Int64.self)
            if warned == nil { due.append(ExpiryWarning(token: token, within: within, covers: sorted.filter { $0 >= within })) }
        }
        return due
    }
}
