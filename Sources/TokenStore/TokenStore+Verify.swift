import Foundation
import GRDB
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

/// The answer to a verification: active with what the token grants, or inactive with a reason for `--explain`.
public enum Verification: Sendable, Equatable {
    case active(Token, granted: PermissionSet)
    case inactive(reason: String)
}

extension TokenStore {
    /// Checks a secret against every rule and, when it passes, records when and from where it was used.
    public func verify(_ secret: TokenSecret, _ request: VerificationRequest) throws(TokenStoreError) -> Verification {
        let now = clock.now()
        let answer = try read { db in try Self.judge(db, secret: secret, request: request, now: now) }
        // Only a successful use that is news (a new address, or a minute later) is recorded, and only if the write
        // lock is free this instant: last-used is best-effort, and a check never waits on another writer.
        guard case .active(let token, _) = answer, isWritable else { return answer }
        let seconds = Int64(now.timeIntervalSince1970)
        let address = request.clientIP?.description
        if token.lastUsedIP != address || (token.lastUsedAt.map { Int64($0.timeIntervalSince1970) } ?? 0) < seconds - 60 {
            writeIfUnlocked { db in
                try db.execute(sql: """
                    UPDATE token SET lastUsedAt = ?, lastUsedIP = ? WHERE id = ? AND revokedAt IS NULL
                    """, arguments: [seconds, address, token.id])
            }
        }
        return answer
    }

    /// Runs `body` in a write transaction when no other connection holds the write lock; otherwise, or on any
    /// error, does nothing. Returns whether it wrote.
    @discardableResult
    func writeIfUnlocked(_ body: (Database) throws -> Void) -> Bool {
        do {
            return try writer.writeWithoutTransaction { db in
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
            let answer = try Self.judge(db, secret: secret, request: VerificationRequest(clientIP: clientIP), now: clock.now())
            guard case .active(let token, _) = answer else {
                throw TokenStoreError.refused(PolicyError("the token is not active; it cannot refresh itself"))
            }
            return try refresh(db, token: token, actor: "token:\(token.id)")
        }
    }

    private static func judge(_ db: Database, secret: TokenSecret, request: VerificationRequest,
                              now: Date) throws -> Verification {
        let lookup = try db.cachedStatement(sql: "SELECT * FROM token WHERE secretHash = ?")
        guard let row = try Row.fetchOne(lookup, arguments: [secret.hash]) else {
            return .inactive(reason: "unknown token")
        }
        let token = Token(row: row)
        if (row[Token.Column.revokedAt.rawValue] as Int64?) != nil { return .inactive(reason: "token was revoked") }
        if token.status(at: now) == .expired { return .inactive(reason: "token expired at \(RFC3339.string(token.expiresAt ?? now))") }
        let allowed = token.allowedIPs
        if allowed.isUnreadable { return .inactive(reason: "stored IP allow-list is unreadable") }
        if !allowed.allowsAny {
            guard let client = request.clientIP else { return .inactive(reason: "token is IP-restricted and no --ip was given") }
            guard allowed.allows(client) else { return .inactive(reason: "IP \(client) is not allowed") }
        }
        let owner = try account(db, login: token.owner)
        guard let granted = Policy.effectivePermissions(of: token, owner: owner) else {
            return .inactive(reason: "owner \(token.owner) no longer has access to team \(token.team)")
        }
        if let missing = request.permissions.first(where: { !granted.contains($0) }) {
            return .inactive(reason: "permission \(missing.id) not granted")
        }
        if let team = request.team, team.caseInsensitiveCompare(token.team) != .orderedSame {
            return .inactive(reason: "token is for team \(token.team), not \(team)")
        }
        if let site = request.site {
            let found = try Int.fetchOne(db, sql: "SELECT count(*) FROM site WHERE teamId = ? AND name = ?",
                                         arguments: [token.teamID, site]) ?? 0
            if found == 0 { return .inactive(reason: "site \(site) is not in team \(token.team)") }
        }
        return .active(token, granted: granted)
    }
}
