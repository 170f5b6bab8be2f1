import Foundation
import PostgresNIO
import TokenDomain
import TokenStore

extension PostgresStore {
    /// What each secret belongs to, read only; the secrets themselves prove their holder may ask.
    public func lookUpLeaks(_ secrets: [TokenSecret], by actor: Account) throws(TokenStoreError) -> [LeakLookup] {
        let now = clock.now()
        return try read { db in
            _ = try db.currentActor(actor)
            return try secrets.map { try db.checkFacts(hash: $0.hash).map { LeakLookup(facts: $0, at: now) } ?? .unknown }
        }
    }

    /// Kills every live secret reported, in one transaction, each audited as leaked with its place: the token is
    /// revoked, or for a previous secret inside its grace, the grace ends. Returns what each secret was before.
    public func revokeLeaked(_ reports: [LeakReport], reporter: String, actor: Account?) throws(TokenStoreError) -> [LeakLookup] {
        let now = nowSeconds()
        let clockNow = clock.now()
        return try write { db in
            let who = try actor.map { try db.currentActor($0).login } ?? reporter
            return try reports.map { report in
                let before = try db.checkFacts(hash: report.secret.hash).map { LeakLookup(facts: $0, at: clockNow) } ?? .unknown
                guard before.status == .live, let id = before.tokenID, let token = try db.liveToken(id: id) else { return before }
                if before.isPreviousSecret {
                    try db.rows("""
                        UPDATE token SET previousSecretHash = NULL, previousSecretExpiresAt = NULL, updatedAt = \(now),
                          version = version + 1 WHERE id = \(id)
                        """)
                    try db.audit(at: now, actor: who, action: "end-grace", tokenID: id, tokenName: token.name,
                                 details: LeakLookup.endGraceDetails(place: report.place))
                } else {
                    try db.revoke(token, at: now, by: who, details: LeakLookup.revokeDetails(place: report.place))
                }
                return before
            }
        }
    }
}
