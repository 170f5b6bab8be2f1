import Foundation
internal import GRDB
import TokenDomain

/// Everything a check needs to know about the token behind one secret, read together; judged without the database.
package struct CheckFacts: Sendable {
    let token: Token
    let revoked: Bool
    /// The owner as they are now; nil when removed.
    let owner: Account?
    /// The names of the token's team's sites.
    let teamSites: [String]
    /// True when the secret is the one the token's last roll replaced, which works only inside its grace.
    let isPreviousSecret: Bool

    package init(token: Token, revoked: Bool, owner: Account?, teamSites: [String], isPreviousSecret: Bool) {
        self.token = token
        self.revoked = revoked
        self.owner = owner
        self.teamSites = teamSites
        self.isPreviousSecret = isPreviousSecret
    }

    /// Reads the facts for a secret's hash, current or previous, or nil for a secret no token has now.
    static func load(_ db: Database, hash: Data) throws -> CheckFacts? {
        var isPrevious = false
        var row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM token WHERE secretHash = ?"), arguments: [hash])
        if row == nil {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM token WHERE previousSecretHash = ?"), arguments: [hash])
            isPrevious = true
        }
        guard let row else { return nil }
        let token = Token(row: row)
        let sites = try String.fetchAll(db.cachedStatement(sql: "SELECT name FROM site WHERE teamId = ?"), arguments: [token.teamID])
        return CheckFacts(token: token, revoked: (row[Token.Column.revokedAt.rawValue] as Int64?) != nil,
                          owner: try TokenStore.account(db, login: token.owner), teamSites: sites, isPreviousSecret: isPrevious)
    }

    /// The verdict on a request for the token these facts describe, at `now`.
    package func judge(_ request: VerificationRequest, now: Date) -> Verification {
        if revoked { return .inactive(reason: "token was revoked") }
        if isPreviousSecret, token.graceEnd(at: now) == nil {
            return .inactive(reason: "secret was rolled out; its grace ended at \(RFC3339.string(token.previousSecretExpiresAt ?? now))")
        }
        if token.status(at: now) == .expired { return .inactive(reason: "token expired at \(RFC3339.string(token.expiresAt ?? now))") }
        let allowed = token.allowedIPs
        if allowed.isUnreadable { return .inactive(reason: "stored IP allow-list is unreadable") }
        if !allowed.allowsAny {
            guard let client = request.clientIP else { return .outOfScope(reason: "token is IP-restricted and no client address was given") }
            guard allowed.allows(client) else { return .outOfScope(reason: "IP \(client) is not allowed") }
        }
        guard let granted = Policy.effectivePermissions(of: token, owner: owner) else {
            return .inactive(reason: Policy.accessProblem(of: token, owner: owner) ?? "its owner no longer has access")
        }
        if let missing = request.permissions.first(where: { !granted.contains($0) }) {
            return .outOfScope(reason: "permission \(missing.id) not granted")
        }
        if let team = request.team, team.caseInsensitiveCompare(token.team) != .orderedSame {
            return .outOfScope(reason: "token is for team \(token.team), not \(team)")
        }
        if let site = request.site, !teamSites.contains(where: { $0.caseInsensitiveCompare(site) == .orderedSame }) {
            return .outOfScope(reason: "site \(site) is not in team \(token.team)")
        }
        return .active(token, granted: granted, previousSecret: isPreviousSecret)
    }
}

/// The facts a check connection has read, kept only while `PRAGMA data_version` says no other connection, in any
/// process, has committed since, and emptied by every write of its own store (which `data_version` does not count):
/// so no answer outlives a revoke, roll or edit. Used only inside its store's serialised database access.
final class CheckCache: @unchecked Sendable {
    /// Entries kept at most; past that the cache starts again (secrets sprayed at a service cannot grow it forever).
    static let capacity = 50_000
    private var dataVersion: Int64 = -1
    /// Facts by secret hash; nil for a hash no token has.
    private var facts: [Data: CheckFacts?] = [:]

    /// The facts for `hash`, from memory when nothing was committed since they were read.
    func facts(_ db: Database, hash: Data) throws -> CheckFacts? {
        let version = try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? -1
        if version != dataVersion {
            facts.removeAll(keepingCapacity: true)
            dataVersion = version
        }
        if let known = facts[hash] { return known }
        if facts.count >= Self.capacity { facts.removeAll(keepingCapacity: true) }
        let loaded = try CheckFacts.load(db, hash: hash)
        facts[hash] = .some(loaded)
        return loaded
    }

    /// Forgets everything: this connection is about to write.
    func invalidate() {
        facts.removeAll(keepingCapacity: true)
    }
}
