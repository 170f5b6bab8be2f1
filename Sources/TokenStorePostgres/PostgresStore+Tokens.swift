import Foundation
import PostgresNIO
import TokenDomain
import TokenStore

extension PostgresStore {
    /// The live token with this id, or nil; refused when the actor, as they are now, may not see it.
    public func token(id: Int64, by actor: Account) throws(TokenStoreError) -> Token? {
        try read { db in
            guard let token = try db.liveToken(id: id) else { return nil }
            try Policy.check(.view, on: token, by: try db.currentActor(actor))
            return token
        }
    }

    /// Creates a token owned by the actor and returns it with its secret, which is not kept.
    public func create(_ draft: TokenDraft, by actor: Account) throws(TokenStoreError) -> (Token, TokenSecret) {
        let made = try create([draft], by: actor)
        return made[0]
    }

    /// Creates several tokens in one transaction, all or none.
    public func create(_ drafts: [TokenDraft], by actor: Account) throws(TokenStoreError) -> [(Token, TokenSecret)] {
        let now = nowSeconds()
        return try write { db in
            let actor = try db.currentActor(actor)
            return try drafts.map { try db.create($0, by: actor, at: now) }
        }
    }

    /// A live token's details and its own audit history, from one snapshot; for whoever may see the token now.
    public func story(ofToken id: Int64, historyLimit: Int, by actor: Account) throws(TokenStoreError) -> TokenStory? {
        try migrateIfNeeded()
        return try connector.withConnection(readOnly: true) { connection in
            let db = Transaction(connector: connector, connection: connection)
            try db.rows("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { _ = try? db.rows("COMMIT") }
            guard let token = try db.liveToken(id: id) else { return nil }
            try Policy.check(.view, on: token, by: try db.currentActor(actor))
            let sites = try db.rows("SELECT name FROM site WHERE teamId = \(token.teamID) ORDER BY lower(name)").map { try $0.decode(String.self) }
            let history = try db.auditEvents("""
                SELECT id, at, actor, action, tokenId, tokenName, details FROM audit WHERE tokenId = \(id)
                ORDER BY id DESC LIMIT \(Int64(historyLimit))
                """)
            return TokenStory(token: token, sites: sites, history: history)
        }
    }

    /// Saves new values for a token; with `expectedVersion`, refuses if someone changed it since. The expiry is
    /// recomputed from now when the token had expired or its expires-in changed; saving what is there writes nothing.
    public func edit(id: Int64, expectedVersion: Int64?, to draft: TokenDraft, by actor: Account) throws(TokenStoreError) -> Token {
        let now = nowSeconds()
        let clockNow = clock.now()
        return try write { db in
            guard let old = try db.liveToken(id: id) else {
                if expectedVersion != nil, try db.value("SELECT revokedAt IS NOT NULL FROM token WHERE id = \(id)", as: Bool.self) == true {
                    throw TokenStoreError.staleEdit("token \(id) was revoked by someone else meanwhile; nothing was saved")
                }
                throw TokenStoreError.notFound("no live token with id \(id)")
            }
            if let expectedVersion, old.version != expectedVersion { throw TokenEditPlan.changedMeanwhile(old) }
            let actor = try db.currentActor(actor)
            try Policy.check(.edit, on: old, by: actor)
            let name = try Naming.validate(draft.name, what: "token name")
            let owner = try db.account(login: old.owner).orThrow("the owner of token \(old.id), \(old.owner), was removed")
            let teams = try db.teams()
            var checked = draft
            checked.kind = old.kind
            try Policy.checkDraft(checked, owner: owner, allTeams: teams)
            try db.organisationPolicy().check(expiresIn: draft.expiresIn, allowedIPs: draft.allowedIPs)
            try db.requireUniqueName(name, ownerID: owner.id, except: id)
            let plan = TokenEditPlan(old: old, draft: draft, name: name, teams: teams, now: now, clock: clockNow)
            if plan.changesNothing { return old }
            try db.rows("""
                UPDATE token SET name = \(name), nameKey = \(Naming.uniquenessKey(name)), teamId = \(draft.teamID), teamName = \(plan.teamName),
                  permissions = \(draft.permissions.mask), expiresInDays = \(draft.expiresIn.days.map(Int64.init)), expiresAt = \(plan.expiresAt),
                  allowedIPs = \(draft.allowedIPs.description), updatedAt = \(now), version = version + 1
                WHERE id = \(id) AND version = \(old.version) AND revokedAt IS NULL
                """)
            let new = try db.liveToken(id: id).orThrow("no live token with id \(id)")
            try db.audit(at: now, actor: actor.login, action: "edit", tokenID: id, tokenName: new.name,
                         details: TokenStore.changes(from: old, to: new))
            return new
        }
    }

    /// Revokes the tokens, all or none; every check refuses them once this returns.
    @discardableResult
    public func revoke(ids: [Int64], by actor: Account) throws(TokenStoreError) -> [Token] {
        let now = nowSeconds()
        return try write { db in
            let actor = try db.currentActor(actor)
            var revoked: [Token] = []
            for id in ids where !revoked.contains(where: { $0.id == id }) {
                let token = try db.liveToken(id: id).orThrow("no live token with id \(id)")
                try Policy.check(.revoke, on: token, by: actor)
                try db.revoke(token, at: now, by: actor.login)
                revoked.append(token)
            }
            return revoked
        }
    }

    /// Replaces a token's secret; with a grace the old one keeps working until it ends (one previous secret at most).
    public func roll(id: Int64, grace: TimeSpan?, by actor: Account) throws(TokenStoreError) -> (Token, TokenSecret) {
        let now = nowSeconds()
        let clockNow = clock.now()
        return try write { db in
            let token = try db.liveToken(id: id).orThrow("no live token with id \(id)")
            let actor = try db.currentActor(actor)
            try Policy.check(.roll, on: token, by: actor)
            try db.organisationPolicy().check(expiresIn: token.expiresIn, allowedIPs: token.allowedIPs)
            if let grace, grace > .longestGrace || grace.seconds <= 0 {
                throw TokenStoreError.refused(PolicyError("a roll's grace is at most \(TimeSpan.longestGrace)"))
            }
            let secret = TokenSecret.generate(kind: token.kind)
            let graceEnd = grace.map { now + $0.seconds }
            try db.rows("""
                UPDATE token SET previousSecretHash = CASE WHEN \(graceEnd)::BIGINT IS NULL THEN NULL ELSE secretHash END,
                  previousSecretExpiresAt = \(graceEnd), secretHash = \(secret.hash), hint = \(secret.hint), updatedAt = \(now),
                  version = version + 1
                WHERE id = \(id)
                """)
            try db.audit(at: now, actor: actor.login, action: "roll", tokenID: id, tokenName: token.name,
                         details: TokenStore.rollDetails(graceEnd: graceEnd, hadGrace: token.graceEnd(at: clockNow) != nil))
            return (try db.liveToken(id: id).orThrow("no live token with id \(id)"), secret)
        }
    }

    /// Extends a token to now + its expires-in; works on active and expired tokens, not on never-expiring ones.
    public func refresh(id: Int64, by actor: Account) throws(TokenStoreError) -> Token {
        let now = nowSeconds()
        return try write { db in
            let token = try db.liveToken(id: id).orThrow("no live token with id \(id)")
            let actor = try db.currentActor(actor)
            try Policy.check(.refresh, on: token, by: actor)
            return try db.refresh(token, by: actor.login, at: now)
        }
    }
}

extension Transaction {
    /// The columns a token is read from, in `Token(postgres:)`'s order, and whether its owner may still use it.
    static let tokenColumns = """
        token.id, kind, name, ownerLogin, ownerName, teamName, coalesce(teamId, 0), permissions, expiresInDays, expiresAt,
        allowedIPs, createdAt, updatedAt, lastUsedAt, lastUsedIP, hint, version, previousSecretExpiresAt, revokedAt IS NOT NULL,
        \(Token.ownerLacksAccessSQL)
        """

    func liveToken(id: Int64) throws -> Token? {
        try rows("SELECT \(unescaped: Self.tokenColumns) FROM token WHERE id = \(id) AND revokedAt IS NULL").first.map(Token.init(postgres:))
    }

    func create(_ draft: TokenDraft, by actor: Account, at now: Int64) throws -> (Token, TokenSecret) {
        try Policy.checkCreate(kind: draft.kind, by: actor)
        let name = try Naming.validate(draft.name, what: "token name")
        let teams = try self.teams()
        try Policy.checkDraft(draft, owner: actor, allTeams: teams)
        try organisationPolicy().check(expiresIn: draft.expiresIn, allowedIPs: draft.allowedIPs)
        try requireUniqueName(name, ownerID: actor.id, except: nil)
        let teamName = teams.first { $0.id == draft.teamID }?.name ?? ""
        let secret = TokenSecret.generate(kind: draft.kind)
        let expiresAt = draft.expiresIn.days.map { now + Int64($0) * 86_400 }
        let id = try value("""
            INSERT INTO token (kind, name, nameKey, ownerId, ownerLogin, ownerName, teamId, teamName, permissions,
              expiresInDays, expiresAt, allowedIPs, secretHash, hint, createdAt, updatedAt)
            VALUES (\(draft.kind.rawValue), \(name), \(Naming.uniquenessKey(name)), \(actor.id), \(actor.login), \(actor.name),
              \(draft.teamID), \(teamName), \(draft.permissions.mask), \(draft.expiresIn.days.map(Int64.init)), \(expiresAt),
              \(draft.allowedIPs.description), \(secret.hash), \(secret.hint), \(now), \(now))
            RETURNING id
            """, as: Int64.self) ?? 0
        let token = try liveToken(id: id).orThrow("no live token with id \(id)")
        try audit(at: now, actor: actor.login, action: "create", tokenID: token.id, tokenName: token.name,
                  details: TokenStore.creationDetails(token))
        return (token, secret)
    }

    /// Every team's id and name (without sites): what a draft is checked against.
    func teams() throws -> [Team] {
        try rows("SELECT id, name FROM team").map { try $0.decode((Int64, String).self) }.map { Team(id: $0.0, name: $0.1) }
    }

    func revoke(_ token: Token, at now: Int64, by actor: String, details: String = "") throws {
        try rows("""
            UPDATE token SET revokedAt = \(now), updatedAt = \(now), previousSecretHash = NULL, previousSecretExpiresAt = NULL,
              version = version + 1 WHERE id = \(token.id) AND revokedAt IS NULL
            """)
        try audit(at: now, actor: actor, action: "revoke", tokenID: token.id, tokenName: token.name, details: details)
    }

    func refresh(_ token: Token, by actor: String, at now: Int64) throws -> Token {
        guard let days = token.expiresIn.days else {
            throw TokenStoreError.conflict("token '\(Sanitized.visible(token.name))' never expires; there is nothing to refresh")
        }
        try organisationPolicy().check(expiresIn: token.expiresIn, allowedIPs: token.allowedIPs)
        try rows("UPDATE token SET expiresAt = \(now + Int64(days) * 86_400), updatedAt = \(now), version = version + 1 WHERE id = \(token.id)")
        let new = try liveToken(id: token.id).orThrow("no live token with id \(token.id)")
        try audit(at: now, actor: actor, action: "refresh", tokenID: token.id, tokenName: token.name,
                  details: TokenStore.changes(from: token, to: new))
        return new
    }

    func requireUniqueName(_ name: String, ownerID: Int64, except id: Int64?) throws {
        let clash = try value("""
            SELECT id FROM token WHERE ownerId = \(ownerID) AND nameKey = \(Naming.uniquenessKey(name)) AND revokedAt IS NULL
              AND id IS DISTINCT FROM \(id)
            """, as: Int64.self)
        if clash != nil {
            throw TokenStoreError.duplicate("a live token named '\(Sanitized.visible(name))' already exists for this owner")
        }
    }
}

extension Token {
    /// Decodes a row of `Transaction.tokenColumns`; the secret hash is never read.
    init(postgres row: PostgresRow) throws {
        let cells = row.makeRandomAccess()
        func date(_ index: Int) throws -> Date? {
            try cells[index].decode(Int64?.self).map { Date(timeIntervalSince1970: TimeInterval($0)) }
        }
        self.init(
            id: try cells[0].decode(Int64.self), kind: TokenKind(rawValue: try cells[1].decode(String.self)) ?? .personal,
            name: try cells[2].decode(String.self), owner: try cells[3].decode(String.self), ownerName: try cells[4].decode(String.self),
            team: try cells[5].decode(String.self), teamID: try cells[6].decode(Int64.self),
            permissions: PermissionSet(mask: try cells[7].decode(Int64.self)),
            expiresIn: ExpiresIn(days: try cells[8].decode(Int64?.self).map(Int.init)), expiresAt: try date(9),
            allowedIPs: IPAllowList(stored: try cells[10].decode(String.self)),
            createdAt: try date(11) ?? .distantPast, updatedAt: try date(12) ?? .distantPast, lastUsedAt: try date(13),
            lastUsedIP: try cells[14].decode(String?.self), hint: try cells[15].decode(String.self), version: try cells[16].decode(Int64.self),
            ownerLacksAccess: try cells[19].decode(Bool.self), previousSecretExpiresAt: try date(17))
    }
}
