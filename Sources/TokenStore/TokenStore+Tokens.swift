import Foundation
internal import GRDB
import TokenDomain

extension TokenStore {
    /// The live token with this id, or nil; refused when the actor, as they are now, may not see it.
    public func token(id: Int64, by actor: Account) throws(TokenStoreError) -> Token? {
        try read { db in
            guard let token = try Self.liveToken(db, id: id) else { return nil }
            try Policy.check(.view, on: token, by: try Self.currentActor(db, actor))
            return token
        }
    }

    static func liveToken(_ db: Database, id: Int64) throws -> Token? {
        try Row.fetchOne(db, sql: "SELECT \(Token.selection) FROM token WHERE id = ? AND revokedAt IS NULL", arguments: [id])
            .map(Token.init(row:))
    }

    private static func requireLiveToken(_ db: Database, id: Int64) throws -> Token {
        try liveToken(db, id: id).orThrow("no live token with id \(id)")
    }

    /// Creates a token owned by the actor and returns it with its secret, which is not kept.
    public func create(_ draft: TokenDraft, by actor: Account) throws(TokenStoreError) -> (Token, TokenSecret) {
        try write { db in try create(db, draft, by: try Self.currentActor(db, actor)) }
    }

    /// Creates several tokens in one transaction, all or none: for seeding and benchmarks.
    public func create(_ drafts: [TokenDraft], by actor: Account) throws(TokenStoreError) -> [(Token, TokenSecret)] {
        try write { db in
            let actor = try Self.currentActor(db, actor)
            return try drafts.map { try create(db, $0, by: actor) }
        }
    }

    private func create(_ db: Database, _ draft: TokenDraft, by actor: Account) throws -> (Token, TokenSecret) {
        try Policy.checkCreate(kind: draft.kind, by: actor)
        let name = try Naming.validate(draft.name, what: "token name")
        let teams = try Self.teams(db)
        try Policy.checkDraft(draft, owner: actor, allTeams: teams)
        try Self.organisationPolicy(db).check(expiresIn: draft.expiresIn, allowedIPs: draft.allowedIPs)
        try Self.requireUniqueName(db, name, ownerID: actor.id, except: nil)
        let teamName = teams.first { $0.id == draft.teamID }?.name ?? ""
        let secret = TokenSecret.generate(kind: draft.kind)
        let now = nowSeconds()
        let expiresAt = draft.expiresIn.days.map { now + Int64($0) * 86_400 }
        try db.execute(sql: """
            INSERT INTO token (kind, name, nameKey, ownerId, ownerLogin, ownerName, teamId, teamName, permissions,
              expiresInDays, expiresAt, allowedIPs, secretHash, hint, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                draft.kind.rawValue, name, Naming.uniquenessKey(name), actor.id, actor.login, actor.name,
                draft.teamID, teamName, draft.permissions.mask, draft.expiresIn.days, expiresAt,
                draft.allowedIPs.description, secret.hash, secret.hint, now, now,
            ])
        let token = try Self.requireLiveToken(db, id: db.lastInsertedRowID)
        try audit(db, actor: actor.login, action: "create", tokenID: token.id, tokenName: token.name,
                  details: Self.creationDetails(token))
        return (token, secret)
    }

    /// The audit description of a new token; both engines write it.
    package static func creationDetails(_ token: Token) -> String {
        "kind: \(token.kind.rawValue); team: \(token.team); permissions: "
            + "\(token.permissions.ids.joined(separator: ",")); expires_in: \(token.expiresIn.text)"
            + (token.allowedIPs.allowsAny ? "" : "; allowed_ips: \(token.allowedIPs)")
    }

    /// Saves new values for a token. With `expectedVersion`, refuses if someone changed the token since it was read.
    /// The expiry is recomputed from now when the token had expired or its expires-in changed. When nothing would
    /// change, nothing is written and the token comes back with its version unchanged.
    public func edit(id: Int64, expectedVersion: Int64?, to draft: TokenDraft,
                     by actor: Account) throws(TokenStoreError) -> Token {
        try write { db in
            guard let old = try Self.liveToken(db, id: id) else {
                if expectedVersion != nil, try Self.wasRevoked(db, id: id) {
                    throw TokenStoreError.staleEdit("token \(id) was revoked by someone else meanwhile; nothing was saved")
                }
                throw TokenStoreError.notFound("no live token with id \(id)")
            }
            if let expectedVersion, old.version != expectedVersion { throw TokenEditPlan.changedMeanwhile(old) }
            let actor = try Self.currentActor(db, actor)
            try Policy.check(.edit, on: old, by: actor)
            let name = try Naming.validate(draft.name, what: "token name")
            let owner = try Self.ownerAccount(db, of: old)
            let teams = try Self.teams(db)
            var checked = draft
            checked.kind = old.kind
            try Policy.checkDraft(checked, owner: owner, allTeams: teams)
            try Self.organisationPolicy(db).check(expiresIn: draft.expiresIn, allowedIPs: draft.allowedIPs)
            try Self.requireUniqueName(db, name, ownerID: owner.id, except: id)
            let now = nowSeconds()
            let plan = TokenEditPlan(old: old, draft: draft, name: name, teams: teams, now: now, clock: clock.now())
            // Saving what is already there writes nothing: no new version, no audit event.
            if plan.changesNothing { return old }
            try db.execute(sql: """
                UPDATE token SET name = ?, nameKey = ?, teamId = ?, teamName = ?, permissions = ?, expiresInDays = ?,
                  expiresAt = ?, allowedIPs = ?, updatedAt = ?, version = version + 1
                WHERE id = ? AND version = ? AND revokedAt IS NULL
                """, arguments: [
                    name, Naming.uniquenessKey(name), draft.teamID, plan.teamName, draft.permissions.mask,
                    draft.expiresIn.days, plan.expiresAt, draft.allowedIPs.description, now, id, old.version,
                ])
            let new = try Self.requireLiveToken(db, id: id)
            try audit(db, actor: actor.login, action: "edit", tokenID: id, tokenName: new.name,
                      details: Self.changes(from: old, to: new))
            return new
        }
    }

    /// Extends a token to now + its expires-in; works on active and expired tokens, not on never-expiring ones.
    public func refresh(id: Int64, by actor: Account) throws(TokenStoreError) -> Token {
        try write { db in
            let token = try Self.requireLiveToken(db, id: id)
            let actor = try Self.currentActor(db, actor)
            try Policy.check(.refresh, on: token, by: actor)
            return try refresh(db, token: token, actor: actor.login)
        }
    }

    func refresh(_ db: Database, token: Token, actor: String) throws -> Token {
        guard let days = token.expiresIn.days else {
            throw TokenStoreError.conflict("token '\(Sanitized.visible(token.name))' never expires; there is nothing to refresh")
        }
        try Self.organisationPolicy(db).check(expiresIn: token.expiresIn, allowedIPs: token.allowedIPs)
        let now = nowSeconds()
        try db.execute(sql: "UPDATE token SET expiresAt = ?, updatedAt = ?, version = version + 1 WHERE id = ?",
                       arguments: [now + Int64(days) * 86_400, now, token.id])
        let new = try Self.requireLiveToken(db, id: token.id)
        try audit(db, actor: actor, action: "refresh", tokenID: token.id, tokenName: token.name,
                  details: Self.changes(from: token, to: new))
        return new
    }

    /// Replaces a token's secret. Without a grace the old secret stops working when this returns; with one it keeps
    /// working until the grace ends. Only one previous secret is kept: a roll during a grace ends the older one.
    public func roll(id: Int64, grace: TimeSpan?, by actor: Account) throws(TokenStoreError) -> (Token, TokenSecret) {
        try write { db in
            let token = try Self.requireLiveToken(db, id: id)
            let actor = try Self.currentActor(db, actor)
            try Policy.check(.roll, on: token, by: actor)
            try Self.organisationPolicy(db).check(expiresIn: token.expiresIn, allowedIPs: token.allowedIPs)
            if let grace, grace > .longestGrace || grace.seconds <= 0 {
                throw TokenStoreError.refused(PolicyError("a roll's grace is at most \(TimeSpan.longestGrace)"))
            }
            let secret = TokenSecret.generate(kind: token.kind)
            let now = nowSeconds()
            let graceEnd = grace.map { now + $0.seconds }
            try db.execute(sql: """
                UPDATE token SET previousSecretHash = CASE WHEN ? IS NULL THEN NULL ELSE secretHash END,
                  previousSecretExpiresAt = ?, secretHash = ?, hint = ?, updatedAt = ?, version = version + 1
                WHERE id = ?
                """, arguments: [graceEnd, graceEnd, secret.hash, secret.hint, now, id])
            let details = Self.rollDetails(graceEnd: graceEnd, hadGrace: token.graceEnd(at: clock.now()) != nil)
            try audit(db, actor: actor.login, action: "roll", tokenID: id, tokenName: token.name, details: details)
            return (try Self.requireLiveToken(db, id: id), secret)
        }
    }

    /// Revokes the tokens, all or none; verification fails for them when this returns.
    @discardableResult
    public func revoke(ids: [Int64], by actor: Account) throws(TokenStoreError) -> [Token] {
        try write { db in
            let actor = try Self.currentActor(db, actor)
            var revoked: [Token] = []
            let now = nowSeconds()
            for id in ids where !revoked.contains(where: { $0.id == id }) {
                let token = try Self.requireLiveToken(db, id: id)
                try Policy.check(.revoke, on: token, by: actor)
                try revoke(db, token, at: now, by: actor.login)
                revoked.append(token)
            }
            return revoked
        }
    }

    // MARK: Helpers

    private static func wasRevoked(_ db: Database, id: Int64) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT revokedAt IS NOT NULL FROM token WHERE id = ?", arguments: [id]) ?? false
    }

    static func ownerAccount(_ db: Database, of token: Token) throws -> Account {
        try account(db, login: token.owner).orThrow("the owner of token \(token.id), \(token.owner), was removed")
    }

    private static func requireUniqueName(_ db: Database, _ name: String, ownerID: Int64, except id: Int64?) throws {
        let clash = try Int64.fetchOne(db, sql: """
            SELECT id FROM token WHERE ownerId = ? AND nameKey = ? AND revokedAt IS NULL AND id IS NOT ?
            """, arguments: [ownerID, Naming.uniquenessKey(name), id])
        if clash != nil {
            throw TokenStoreError.duplicate("a live token named '\(Sanitized.visible(name))' already exists for this owner")
        }
    }

    /// The audit description of a roll whose old secret works until `graceEnd`, if any; both engines write it.
    package static func rollDetails(graceEnd: Int64?, hadGrace: Bool) -> String {
        (graceEnd.map { "secret replaced; the previous one works until \(RFC3339.string(Date(timeIntervalSince1970: TimeInterval($0))))" }
            ?? "secret replaced; the previous one stopped working")
            + (hadGrace ? "; the older secret's grace ended" : "")
    }

    /// The audit description of what changed between two versions of a token; both engines write it.
    package static func changes(from old: Token, to new: Token) -> String {
        func time(_ date: Date?) -> String { date.map { RFC3339.string($0) } ?? "never" }
        var changes: [String] = []
        if old.name != new.name { changes.append("name: \"\(old.name)\" → \"\(new.name)\"") }
        if old.team != new.team { changes.append("team: \(old.team) → \(new.team)") }
        if old.permissions != new.permissions {
            changes.append("permissions: \(old.permissions.ids.joined(separator: ",")) → \(new.permissions.ids.joined(separator: ","))")
        }
        if old.expiresIn != new.expiresIn { changes.append("expires_in: \(old.expiresIn.text) → \(new.expiresIn.text)") }
        if old.expiresAt != new.expiresAt { changes.append("expires_at: \(time(old.expiresAt)) → \(time(new.expiresAt))") }
        if old.allowedIPs != new.allowedIPs {
            changes.append("allowed_ips: \(old.allowedIPs.allowsAny ? "any" : old.allowedIPs.description) → "
                           + (new.allowedIPs.allowsAny ? "any" : new.allowedIPs.description))
        }
        return changes.isEmpty ? "no changes" : changes.joined(separator: "; ")
    }
}

extension Token {
    /// The token table's columns in the order `SELECT *` returns them. Migrations only ever append columns,
    /// so positions stay put; reading by position spares a name search per column per row.
    enum Column: Int, CaseIterable {
        case id, kind, name, nameKey, ownerId, ownerLogin, ownerName, teamId, teamName, permissions, expiresInDays,
             expiresAt, allowedIPs, secretHash, hint, createdAt, updatedAt, lastUsedAt, lastUsedIP, revokedAt, version,
             previousSecretHash, previousSecretExpiresAt
    }

    /// True for a personal token whose owner may no longer use it. The same rule as `Policy.effectivePermissions`
    /// (a test holds them together): inactive unless the owner is a live member of the token's team whose role can
    /// grant at least one of its permissions.
    package static let ownerLacksAccessSQL = """
        (token.kind = 'personal' AND NOT EXISTS (
          SELECT 1 FROM account JOIN membership ON membership.accountId = account.id
          WHERE account.id = token.ownerId AND account.removedAt IS NULL AND membership.teamId = token.teamId
            AND (account.role != 'viewer' OR token.permissions & \(PermissionSet([.readSite]).mask) != 0)))
        """

    /// What every listing selects: the row, and whether its owner may still use it, judged in the same statement.
    static let selection = "token.*, \(ownerLacksAccessSQL) AS ownerLacksAccess"

    /// Decodes a row of `SELECT *` (or `selection`) from the token table; the secret hash is never read.
    init(row: Row) {
        func value<T: DatabaseValueConvertible>(_ column: Column) -> T { row[column.rawValue] }
        func date(_ column: Column) -> Date? {
            (row[column.rawValue] as Int64?).map { Date(timeIntervalSince1970: TimeInterval($0)) }
        }
        let allowed: String = value(.allowedIPs)
        self.init(
            id: value(.id), kind: TokenKind(rawValue: value(.kind)) ?? .personal, name: value(.name),
            owner: value(.ownerLogin), ownerName: value(.ownerName), team: value(.teamName),
            teamID: (row[Column.teamId.rawValue] as Int64?) ?? 0, permissions: PermissionSet(mask: value(.permissions)),
            expiresIn: ExpiresIn(days: row[Column.expiresInDays.rawValue]), expiresAt: date(.expiresAt),
            allowedIPs: IPAllowList(stored: allowed),
            createdAt: date(.createdAt) ?? .distantPast, updatedAt: date(.updatedAt) ?? .distantPast,
            lastUsedAt: date(.lastUsedAt), lastUsedIP: row[Column.lastUsedIP.rawValue], hint: value(.hint),
            version: value(.version),
            ownerLacksAccess: row.count > Column.allCases.count && (row[Column.allCases.count] as Bool? ?? false),
            previousSecretExpiresAt: date(.previousSecretExpiresAt))
    }
}
