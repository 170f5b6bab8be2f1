import Foundation
internal import GRDB
import TokenDomain

/// What a found secret belongs to.
public struct LeakLookup: Sendable, Equatable {
    /// Whether the secret can work: `live` (including expired tokens, which a refresh revives, and a previous secret
    /// inside its grace), `revoked` (its token was revoked or the secret was rolled out), or `unknown`.
    public enum Status: String, Sendable {
        case live, revoked, unknown
    }

    public let status: Status
    public let tokenID: Int64?
    public let tokenName: String?
    /// True when the secret is a token's previous one, which a roll with a grace left working.
    public let isPreviousSecret: Bool

    package static let unknown = LeakLookup(status: .unknown, tokenID: nil, tokenName: nil, isPreviousSecret: false)

    /// What the facts behind a found secret say at `now`: a revoked token, or a previous secret past its grace, is dead.
    package init(facts: CheckFacts, at now: Date) {
        let token = facts.token
        let dead = facts.revoked || (facts.isPreviousSecret && token.graceEnd(at: now) == nil)
        self.init(status: dead ? .revoked : .live, tokenID: token.id, tokenName: token.name, isPreviousSecret: facts.isPreviousSecret)
    }

    private init(status: Status, tokenID: Int64?, tokenName: String?, isPreviousSecret: Bool) {
        self.status = status
        self.tokenID = tokenID
        self.tokenName = tokenName
        self.isPreviousSecret = isPreviousSecret
    }

    /// The audit words for revoking a token whose secret was found at `place`; both engines write them.
    package static func revokeDetails(place: String) -> String { "leaked: found at \(place)" }

    /// The audit words for ending a grace because the previous secret was found at `place`.
    package static func endGraceDetails(place: String) -> String {
        "leaked: the previous secret was found at \(place); the current secret still works"
    }
}

/// A leaked secret and where it was found, for the audit log.
public struct LeakReport: Sendable {
    public let secret: TokenSecret
    /// Where it was seen: `path:line`, or a report's url.
    public let place: String

    public init(secret: TokenSecret, place: String) {
        self.secret = secret
        self.place = place
    }
}

extension TokenStore {
    /// What each secret belongs to, read only; the secrets themselves prove their holder may ask.
    public func lookUpLeaks(_ secrets: [TokenSecret], by actor: Account) throws(TokenStoreError) -> [LeakLookup] {
        try read { db in
            _ = try Self.currentActor(db, actor)
            return try secrets.map { try Self.lookUp($0, db, now: nowSeconds()) }
        }
    }

    private static func lookUp(_ secret: TokenSecret, _ db: Database, now: Int64) throws -> LeakLookup {
        try CheckFacts.load(db, hash: secret.hash).map { LeakLookup(facts: $0, at: Date(timeIntervalSince1970: TimeInterval(now))) } ?? .unknown
    }

    /// Kills every live secret reported, in one transaction, each audited as leaked with its place: the token is
    /// revoked, or for a previous secret inside its grace, the grace ends and the current secret keeps working.
    /// Holding a leaked secret is the authority to kill it, as a token may refresh itself; `reporter` is recorded.
    /// Returns what each secret was before.
    public func revokeLeaked(_ reports: [LeakReport], reporter: String,
                             actor: Account?) throws(TokenStoreError) -> [LeakLookup] {
        try write { db in
            let who = try actor.map { try Self.currentActor(db, $0).login } ?? reporter
            let now = nowSeconds()
            return try reports.map { report in
                let before = try Self.lookUp(report.secret, db, now: now)
                guard before.status == .live, let id = before.tokenID, let token = try Self.liveToken(db, id: id) else { return before }
                if before.isPreviousSecret {
                    try db.execute(sql: """
                        UPDATE token SET previousSecretHash = NULL, previousSecretExpiresAt = NULL, updatedAt = ?,
                          version = version + 1 WHERE id = ?
                        """, arguments: [now, id])
                    try audit(db, actor: who, action: "end-grace", tokenID: id, tokenName: token.name,
                              details: LeakLookup.endGraceDetails(place: report.place))
                } else {
                    try revoke(db, token, at: now, by: who, details: LeakLookup.revokeDetails(place: report.place))
                }
                return before
            }
        }
    }
}
