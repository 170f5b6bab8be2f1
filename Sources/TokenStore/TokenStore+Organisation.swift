import Foundation
internal import GRDB
import TokenDomain

extension TokenStore {
    // MARK: Identity

    /// On a database with no accounts, makes `login` the first admin and creates the `Default` team.
    /// Returns true when it did so.
    @discardableResult
    public func bootstrapIfEmpty(login: String, name: String) throws(TokenStoreError) -> Bool {
        // Every command asks on opening: a read first, so that a long write elsewhere never holds up a list.
        if try read({ db in try Int.fetchOne(db, sql: "SELECT count(*) FROM account") ?? 0 }) > 0 { return false }
        return try write { db in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM account") == 0 else { return false }
            let login = try Naming.validateLogin(login)
            try db.execute(sql: "INSERT INTO account (login, name, role) VALUES (?, ?, 'admin')",
                           arguments: [login, name.isEmpty ? login : name])
            let accountID = db.lastInsertedRowID
            try db.execute(sql: "INSERT INTO team (name) VALUES ('Default')")
            try db.execute(sql: "INSERT INTO membership (accountId, teamId) VALUES (?, ?)",
                           arguments: [accountID, db.lastInsertedRowID])
            try audit(db, actor: login, action: "bootstrap", details: "first admin \(login); team Default")
            return true
        }
    }

    /// The live account with this login, or nil.
    public func account(login: String) throws(TokenStoreError) -> Account? {
        try read { db in try Self.account(db, login: login) }
    }

    /// Every live account, admins first, then by login.
    public func accounts() throws(TokenStoreError) -> [Account] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM account WHERE removedAt IS NULL ORDER BY login")
                .map { try Self.account(db, row: $0) }
                .sorted { ($0.role, $0.login) < ($1.role, $1.login) }
        }
    }

    static func account(_ db: Database, login: String) throws -> Account? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM account WHERE login = ? AND removedAt IS NULL"), arguments: [login])
            .map { try account(db, row: $0) }
    }

    static func account(_ db: Database, id: Int64) throws -> Account? {
        try Row.fetchOne(db, sql: "SELECT * FROM account WHERE id = ? AND removedAt IS NULL", arguments: [id])
            .map { try account(db, row: $0) }
    }

    private static func account(_ db: Database, row: Row) throws -> Account {
        let id: Int64 = row["id"]
        let teams = try String.fetchAll(db.cachedStatement(sql: """
            SELECT team.name FROM membership JOIN team ON team.id = membership.teamId
            WHERE membership.accountId = ? ORDER BY team.name COLLATE NOCASE
            """), arguments: [id])
        return Account(id: id, login: row["login"], name: row["name"],
                       role: Role(rawValue: row["role"]) ?? .viewer, teams: teams)
    }

    /// Adds an account, or brings back a removed one with a fresh role and teams.
    @discardableResult
    public func addAccount(login: String, name: String?, role: Role, teams: [String],
                           by actor: Account) throws(TokenStoreError) -> Account {
        try write { db in
            let actor = try Self.requireAdmin(db, actor, to: "add accounts")
            let login = try Naming.validateLogin(login)
            let displayName = try Naming.validate(name ?? login, what: "display name")
            let teamIDs = try teams.map { try Self.teamID(db, named: $0) }
            if let existing = try Row.fetchOne(db, sql: "SELECT id, removedAt FROM account WHERE login = ?",
                                               arguments: [login]) {
                guard (existing["removedAt"] as Int64?) != nil else {
                    throw TokenStoreError.duplicate("account '\(login)' already exists")
                }
                try db.execute(sql: "UPDATE account SET name = ?, role = ?, removedAt = NULL WHERE id = ?",
                               arguments: [displayName, role.rawValue, existing["id"] as Int64])
                try db.execute(sql: "DELETE FROM membership WHERE accountId = ?", arguments: [existing["id"] as Int64])
            } else {
                try db.execute(sql: "INSERT INTO account (login, name, role) VALUES (?, ?, ?)",
                               arguments: [login, displayName, role.rawValue])
            }
            let accountID = try Int64.fetchOne(db, sql: "SELECT id FROM account WHERE login = ?", arguments: [login]) ?? 0
            for teamID in teamIDs {
                try db.execute(sql: "INSERT OR IGNORE INTO membership (accountId, teamId) VALUES (?, ?)",
                               arguments: [accountID, teamID])
            }
            try audit(db, actor: actor.login, action: "account.add",
                      details: "\(login) as \(role.rawValue)" + (teams.isEmpty ? "" : " in \(teams.joined(separator: ", "))"))
            return try Self.account(db, id: accountID).orThrow("account '\(login)' vanished")
        }
    }

    /// Changes an account's role; their personal tokens shrink to what the new role allows at verification.
    public func setRole(login: String, role: Role, by actor: Account) throws(TokenStoreError) {
        try write { db in
            let actor = try Self.requireAdmin(db, actor, to: "change roles")
            let account = try Self.account(db, login: login).orThrow("no account '\(Sanitized.visible(login))'")
            if account.isAdmin, role != .admin { try Self.requireAnotherAdmin(db, besides: account) }
            try db.execute(sql: "UPDATE account SET role = ? WHERE id = ?", arguments: [role.rawValue, account.id])
            try audit(db, actor: actor.login, action: "account.set-role",
                      details: "\(login): \(account.role.rawValue) → \(role.rawValue)")
        }
    }

    /// Makes an account a member of a team.
    public func join(login: String, team: String, by actor: Account) throws(TokenStoreError) {
        try write { db in
            let actor = try Self.requireAdmin(db, actor, to: "change team membership")
            let account = try Self.account(db, login: login).orThrow("no account '\(Sanitized.visible(login))'")
            let teamID = try Self.teamID(db, named: team)
            try db.execute(sql: "INSERT OR IGNORE INTO membership (accountId, teamId) VALUES (?, ?)",
                           arguments: [account.id, teamID])
            try audit(db, actor: actor.login, action: "account.join", details: "\(login) joined \(team)")
        }
    }

    /// Takes an account out of a team; their personal tokens for that team stop verifying.
    public func leave(login: String, team: String, by actor: Account) throws(TokenStoreError) {
        try write { db in
            let actor = try Self.requireAdmin(db, actor, to: "change team membership")
            let account = try Self.account(db, login: login).orThrow("no account '\(Sanitized.visible(login))'")
            let teamID = try Self.teamID(db, named: team)
            try db.execute(sql: "DELETE FROM membership WHERE accountId = ? AND teamId = ?",
                           arguments: [account.id, teamID])
            guard db.changesCount > 0 else {
                throw TokenStoreError.notFound("\(login) is not a member of team '\(Sanitized.visible(team))'")
            }
            try audit(db, actor: actor.login, action: "account.leave", details: "\(login) left \(team)")
        }
    }

    /// Removes an account and revokes its personal tokens; its admin tokens stay with the organisation.
    public func removeAccount(login: String, by actor: Account) throws(TokenStoreError) {
        try write { db in
            let actor = try Self.requireAdmin(db, actor, to: "remove accounts")
            let account = try Self.account(db, login: login).orThrow("no account '\(Sanitized.visible(login))'")
            if account.isAdmin { try Self.requireAnotherAdmin(db, besides: account) }
            let now = nowSeconds()
            let owned = try Int64.fetchAll(db, sql: """
                SELECT id FROM token WHERE ownerId = ? AND kind = 'personal' AND revokedAt IS NULL
                """, arguments: [account.id])
            for id in owned {
                guard let token = try Self.liveToken(db, id: id) else { continue }
                try revoke(db, token, at: now, by: actor.login, details: "owner \(login) removed")
            }
            try db.execute(sql: "DELETE FROM membership WHERE accountId = ?", arguments: [account.id])
            try db.execute(sql: "UPDATE account SET removedAt = ? WHERE id = ?", arguments: [now, account.id])
            try audit(db, actor: actor.login, action: "account.remove", details: login)
        }
    }

    // MARK: Teams and sites

    /// Every team with its sites, by name.
    public func teams() throws(TokenStoreError) -> [Team] {
        try read { db in try Self.teams(db) }
    }

    static func teams(_ db: Database) throws -> [Team] {
        let sites = try Row.fetchAll(db, sql: "SELECT teamId, name FROM site ORDER BY name COLLATE NOCASE")
        let sitesByTeam = Dictionary(grouping: sites, by: { $0["teamId"] as Int64 })
        return try Row.fetchAll(db, sql: "SELECT id, name FROM team ORDER BY name COLLATE NOCASE").map { row in
            let id: Int64 = row["id"]
            return Team(id: id, name: row["name"], sites: (sitesByTeam[id] ?? []).map { $0["name"] })
        }
    }

    static func teamID(_ db: Database, named name: String) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT id FROM team WHERE name = ?", arguments: [name])
            .orThrow("no team '\(Sanitized.visible(name))'")
    }

    /// Creates a team.
    @discardableResult
    public func addTeam(name: String, by actor: Account) throws(TokenStoreError) -> Team {
        try write { db in
            let actor = try Self.requireAdmin(db, actor, to: "add teams")
            let name = try Naming.validate(name, what: "team name")
            guard try Int64.fetchOne(db, sql: "SELECT id FROM team WHERE name = ?", arguments: [name]) == nil else {
                throw TokenStoreError.duplicate("team '\(name)' already exists")
            }
            try db.execute(sql: "INSERT INTO team (name) VALUES (?)", arguments: [name])
            try audit(db, actor: actor.login, action: "team.add", details: name)
            return Team(id: db.lastInsertedRowID, name: name)
        }
    }

    /// Deletes a team with its sites and memberships; refused while live tokens use it.
    public func removeTeam(name: String, by actor: Account) throws(TokenStoreError) {
        try write { db in
            let actor = try Self.requireAdmin(db, actor, to: "remove teams")
            let teamID = try Self.teamID(db, named: name)
            let live = try Int.fetchOne(db, sql: "SELECT count(*) FROM token WHERE teamId = ? AND revokedAt IS NULL",
                                        arguments: [teamID]) ?? 0
            guard live == 0 else {
                throw TokenStoreError.conflict("team '\(name)' still has \(live) live token(s); revoke them first")
            }
            try db.execute(sql: "DELETE FROM team WHERE id = ?", arguments: [teamID])
            try audit(db, actor: actor.login, action: "team.remove", details: name)
        }
    }

    /// Adds a site to a team.
    public func addSite(name: String, team: String, by actor: Account) throws(TokenStoreError) {
        try write { db in
            let actor = try Self.requireAdmin(db, actor, to: "add sites")
            let name = try Naming.validate(name, what: "site name")
            let teamID = try Self.teamID(db, named: team)
            guard try Int64.fetchOne(db, sql: "SELECT id FROM site WHERE teamId = ? AND name = ?",
                                     arguments: [teamID, name]) == nil else {
                throw TokenStoreError.duplicate("team '\(team)' already has a site '\(name)'")
            }
            try db.execute(sql: "INSERT INTO site (teamId, name) VALUES (?, ?)", arguments: [teamID, name])
            try audit(db, actor: actor.login, action: "site.add", details: "\(name) in \(team)")
        }
    }

    /// Removes a site from a team.
    public func removeSite(name: String, team: String, by actor: Account) throws(TokenStoreError) {
        try write { db in
            let actor = try Self.requireAdmin(db, actor, to: "remove sites")
            let teamID = try Self.teamID(db, named: team)
            try db.execute(sql: "DELETE FROM site WHERE teamId = ? AND name = ?", arguments: [teamID, name])
            guard db.changesCount > 0 else {
                throw TokenStoreError.notFound("team '\(Sanitized.visible(team))' has no site '\(Sanitized.visible(name))'")
            }
            try audit(db, actor: actor.login, action: "site.remove", details: "\(name) in \(team)")
        }
    }

    // MARK: Rules

    /// The acting account as it is now, read inside the caller's transaction: a session may have been open for
    /// hours while an admin changed its role or removed it.
    static func currentActor(_ db: Database, _ actor: Account) throws -> Account {
        guard let current = try account(db, id: actor.id) else {
            throw PolicyError("the account \(actor.login) was removed by an administrator; it can no longer act")
        }
        return current
    }

    /// The acting account as it is now, refused unless it is an administrator.
    static func requireAdmin(_ db: Database, _ actor: Account, to what: String) throws -> Account {
        let actor = try currentActor(db, actor)
        guard actor.isAdmin else {
            throw PolicyError("only administrators can \(what); \(actor.login) is a \(actor.role.label)")
        }
        return actor
    }

    private static func requireAnotherAdmin(_ db: Database, besides account: Account) throws {
        let admins = try Int.fetchOne(db, sql: "SELECT count(*) FROM account WHERE role = 'admin' AND removedAt IS NULL") ?? 0
        guard admins > 1 else {
            throw TokenStoreError.conflict("\(account.login) is the last administrator; make another admin first")
        }
    }
}

extension Optional {
    /// The wrapped value, or a not-found error with this message.
    package func orThrow(_ message: @autoclosure () -> String) throws -> Wrapped {
        guard let self else { throw TokenStoreError.notFound(message()) }
        return self
    }
}
