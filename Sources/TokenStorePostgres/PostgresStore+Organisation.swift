import Foundation
import PostgresNIO
import TokenDomain
import TokenStore

extension PostgresStore {
    // MARK: Identity

    /// On a database with no accounts, makes `login` the first admin and creates the `Default` team.
    @discardableResult
    public func bootstrapIfEmpty(login: String, name: String) throws(TokenStoreError) -> Bool {
        let now = nowSeconds()
        // Every command asks on opening: a read first, so that it never waits on the write lock.
        if try read({ db in try db.value("SELECT count(*) FROM account", as: Int64.self) ?? 0 }) > 0 { return false }
        return try write { db in
            guard try db.value("SELECT count(*) FROM account", as: Int64.self) == 0 else { return false }
            let login = try Naming.validateLogin(login)
            let display = name.isEmpty ? login : name
            let accountID = try db.value("INSERT INTO account (login, name, role) VALUES (\(login), \(display), 'admin') RETURNING id",
                                         as: Int64.self)
            let teamID = try db.value("INSERT INTO team (name) VALUES ('Default') RETURNING id", as: Int64.self)
            try db.rows("INSERT INTO membership (accountId, teamId) VALUES (\(accountID), \(teamID))")
            try db.audit(at: now, actor: login, action: "bootstrap", details: "first admin \(login); team Default")
            return true
        }
    }

    /// The live account with this login, or nil.
    public func account(login: String) throws(TokenStoreError) -> Account? {
        try read { db in try db.account(login: login) }
    }

    /// Every live account, admins first, then by login.
    public func accounts() throws(TokenStoreError) -> [Account] {
        try read { db in
            try db.rows("SELECT id FROM account WHERE removedAt IS NULL ORDER BY login")
                .compactMap { try db.account(id: $0.decode(Int64.self)) }
                .sorted { ($0.role, $0.login) < ($1.role, $1.login) }
        }
    }

    /// Adds an account, or brings back a removed one with a fresh role and teams.
    @discardableResult
    public func addAccount(login: String, name: String?, role: Role, teams: [String],
                           by actor: Account) throws(TokenStoreError) -> Account {
        let now = nowSeconds()
        return try write { db in
            let actor = try db.requireAdmin(actor, to: "add accounts")
            let login = try Naming.validateLogin(login)
            let displayName = try Naming.validate(name ?? login, what: "display name")
            let teamIDs = try teams.map { try db.teamID(named: $0) }
            let accountID: Int64
            if let existing = try db.rows("SELECT id, removedAt FROM account WHERE login = \(login)").first {
                let (id, removedAt) = try existing.decode((Int64, Int64?).self)
                guard removedAt != nil else { throw TokenStoreError.duplicate("account '\(login)' already exists") }
                try db.rows("UPDATE account SET name = \(displayName), role = \(role.rawValue), removedAt = NULL WHERE id = \(id)")
                try db.rows("DELETE FROM membership WHERE accountId = \(id)")
                accountID = id
            } else {
                accountID = try db.value(
                    "INSERT INTO account (login, name, role) VALUES (\(login), \(displayName), \(role.rawValue)) RETURNING id",
                    as: Int64.self) ?? 0
            }
            for teamID in teamIDs {
                try db.rows("INSERT INTO membership (accountId, teamId) VALUES (\(accountID), \(teamID)) ON CONFLICT DO NOTHING")
            }
            try db.audit(at: now, actor: actor.login, action: "account.add",
                         details: "\(login) as \(role.rawValue)" + (teams.isEmpty ? "" : " in \(teams.joined(separator: ", "))"))
            return try db.account(id: accountID).orThrow("account '\(login)' vanished")
        }
    }

    /// Changes an account's role; their personal tokens shrink to what the new role allows at verification.
    public func setRole(login: String, role: Role, by actor: Account) throws(TokenStoreError) {
        let now = nowSeconds()
        try write { db in
            let actor = try db.requireAdmin(actor, to: "change roles")
            let account = try db.account(login: login).orThrow("no account '\(Sanitized.visible(login))'")
            if account.isAdmin, role != .admin { try db.requireAnotherAdmin(besides: account) }
            try db.rows("UPDATE account SET role = \(role.rawValue) WHERE id = \(account.id)")
            try db.audit(at: now, actor: actor.login, action: "account.set-role",
                         details: "\(login): \(account.role.rawValue) → \(role.rawValue)")
        }
    }

    /// Makes an account a member of a team.
    public func join(login: String, team: String, by actor: Account) throws(TokenStoreError) {
        let now = nowSeconds()
        try write { db in
            let actor = try db.requireAdmin(actor, to: "change team membership")
            let account = try db.account(login: login).orThrow("no account '\(Sanitized.visible(login))'")
            let teamID = try db.teamID(named: team)
            try db.rows("INSERT INTO membership (accountId, teamId) VALUES (\(account.id), \(teamID)) ON CONFLICT DO NOTHING")
            try db.audit(at: now, actor: actor.login, action: "account.join", details: "\(login) joined \(team)")
        }
    }

    /// Takes an account out of a team; their personal tokens for that team stop verifying.
    public func leave(login: String, team: String, by actor: Account) throws(TokenStoreError) {
        let now = nowSeconds()
        try write { db in
            let actor = try db.requireAdmin(actor, to: "change team membership")
            let account = try db.account(login: login).orThrow("no account '\(Sanitized.visible(login))'")
            let teamID = try db.teamID(named: team)
            guard try db.changes("DELETE FROM membership WHERE accountId = \(account.id) AND teamId = \(teamID)") > 0 else {
                throw TokenStoreError.notFound("\(login) is not a member of team '\(Sanitized.visible(team))'")
            }
            try db.audit(at: now, actor: actor.login, action: "account.leave", details: "\(login) left \(team)")
        }
    }

    /// Removes an account and revokes its personal tokens; its admin tokens stay with the organisation.
    public func removeAccount(login: String, by actor: Account) throws(TokenStoreError) {
        let now = nowSeconds()
        try write { db in
            let actor = try db.requireAdmin(actor, to: "remove accounts")
            let account = try db.account(login: login).orThrow("no account '\(Sanitized.visible(login))'")
            if account.isAdmin { try db.requireAnotherAdmin(besides: account) }
            let owned = try db.rows("SELECT id FROM token WHERE ownerId = \(account.id) AND kind = 'personal' AND revokedAt IS NULL ORDER BY id")
                .map { try $0.decode(Int64.self) }
            for id in owned {
                guard let token = try db.liveToken(id: id) else { continue }
                try db.revoke(token, at: now, by: actor.login, details: "owner \(login) removed")
            }
            try db.rows("DELETE FROM membership WHERE accountId = \(account.id)")
            try db.rows("UPDATE account SET removedAt = \(now) WHERE id = \(account.id)")
            try db.audit(at: now, actor: actor.login, action: "account.remove", details: login)
        }
    }

    // MARK: Teams and sites

    /// Every team with its sites, by name.
    public func teams() throws(TokenStoreError) -> [Team] {
        try read { db in
            let sites = try db.rows("SELECT teamId, name FROM site ORDER BY lower(name)").map { try $0.decode((Int64, String).self) }
            let sitesByTeam = Dictionary(grouping: sites, by: \.0)
            return try db.rows("SELECT id, name FROM team ORDER BY lower(name)").map { row in
                let (id, name) = try row.decode((Int64, String).self)
                return Team(id: id, name: name, sites: (sitesByTeam[id] ?? []).map(\.1))
            }
        }
    }

    /// Creates a team.
    @discardableResult
    public func addTeam(name: String, by actor: Account) throws(TokenStoreError) -> Team {
        let now = nowSeconds()
        return try write { db in
            let actor = try db.requireAdmin(actor, to: "add teams")
            let name = try Naming.validate(name, what: "team name")
            guard try db.value("SELECT id FROM team WHERE lower(name) = lower(\(name))", as: Int64.self) == nil else {
                throw TokenStoreError.duplicate("team '\(name)' already exists")
            }
            let id = try db.value("INSERT INTO team (name) VALUES (\(name)) RETURNING id", as: Int64.self) ?? 0
            try db.audit(at: now, actor: actor.login, action: "team.add", details: name)
            return Team(id: id, name: name)
        }
    }

    /// Deletes a team with its sites and memberships; refused while live tokens use it.
    public func removeTeam(name: String, by actor: Account) throws(TokenStoreError) {
        let now = nowSeconds()
        try write { db in
            let actor = try db.requireAdmin(actor, to: "remove teams")
            let teamID = try db.teamID(named: name)
            let live = try db.value("SELECT count(*) FROM token WHERE teamId = \(teamID) AND revokedAt IS NULL", as: Int64.self) ?? 0
            guard live == 0 else {
                throw TokenStoreError.conflict("team '\(name)' still has \(live) live token(s); revoke them first")
            }
            try db.rows("DELETE FROM team WHERE id = \(teamID)")
            try db.audit(at: now, actor: actor.login, action: "team.remove", details: name)
        }
    }

    /// Adds a site to a team.
    public func addSite(name: String, team: String, by actor: Account) throws(TokenStoreError) {
        let now = nowSeconds()
        try write { db in
            let actor = try db.requireAdmin(actor, to: "add sites")
            let name = try Naming.validate(name, what: "site name")
            let teamID = try db.teamID(named: team)
            guard try db.value("SELECT id FROM site WHERE teamId = \(teamID) AND lower(name) = lower(\(name))", as: Int64.self) == nil else {
                throw TokenStoreError.duplicate("team '\(team)' already has a site '\(name)'")
            }
            try db.rows("INSERT INTO site (teamId, name) VALUES (\(teamID), \(name))")
            try db.audit(at: now, actor: actor.login, action: "site.add", details: "\(name) in \(team)")
        }
    }

    /// Removes a site from a team.
    public func removeSite(name: String, team: String, by actor: Account) throws(TokenStoreError) {
        let now = nowSeconds()
        try write { db in
            let actor = try db.requireAdmin(actor, to: "remove sites")
            let teamID = try db.teamID(named: team)
            guard try db.changes("DELETE FROM site WHERE teamId = \(teamID) AND lower(name) = lower(\(name))") > 0 else {
                throw TokenStoreError.notFound("team '\(Sanitized.visible(team))' has no site '\(Sanitized.visible(name))'")
            }
            try db.audit(at: now, actor: actor.login, action: "site.remove", details: "\(name) in \(team)")
        }
    }

    // MARK: Policy

    /// The organisation's rules as they are now; anyone may read them, since they bind everyone.
    public func organisationPolicy() throws(TokenStoreError) -> OrganisationPolicy {
        try read { db in try db.organisationPolicy() }
    }

    /// Changes the rules (admins only), audited with what changed; a change to the same values writes nothing.
    @discardableResult
    public func setOrganisationPolicy(_ policy: OrganisationPolicy, by actor: Account) throws(TokenStoreError) -> OrganisationPolicy {
        let now = nowSeconds()
        return try write { db in
            let actor = try db.requireAdmin(actor, to: "change the organisation's policy")
            let old = try db.organisationPolicy()
            guard let details = try OrganisationPolicy.changeDetails(from: old, to: policy) else { return old }
            try db.rows("""
                UPDATE policy SET maxLifetimeDays = \(policy.maxLifetimeDays.map(Int64.init)),
                  requireIPAllowList = \(policy.requireIPAllowList) WHERE id = 1
                """)
            try db.audit(at: now, actor: actor.login, action: "policy", details: details)
            return policy
        }
    }
}

extension Transaction {
    /// The live account with this login, with its teams.
    func account(login: String) throws -> Account? {
        guard let id = try value("SELECT id FROM account WHERE login = \(login) AND removedAt IS NULL", as: Int64.self) else { return nil }
        return try account(id: id)
    }

    /// The live account with this id, with its teams.
    func account(id: Int64) throws -> Account? {
        guard let row = try rows("SELECT login, name, role FROM account WHERE id = \(id) AND removedAt IS NULL").first else { return nil }
        let (login, name, role) = try row.decode((String, String, String).self)
        let teams = try rows("""
            SELECT team.name FROM membership JOIN team ON team.id = membership.teamId
            WHERE membership.accountId = \(id) ORDER BY lower(team.name)
            """).map { try $0.decode(String.self) }
        return Account(id: id, login: login, name: name, role: Role(rawValue: role) ?? .viewer, teams: teams)
    }

    /// The acting account as it is now, read inside this transaction: a session may have been open for hours.
    func currentActor(_ actor: Account) throws -> Account {
        guard let current = try account(id: actor.id) else {
            throw PolicyError("the account \(actor.login) was removed by an administrator; it can no longer act")
        }
        return current
    }

    /// The acting account as it is now, refused unless it is an administrator.
    func requireAdmin(_ actor: Account, to what: String) throws -> Account {
        let actor = try currentActor(actor)
        guard actor.isAdmin else { throw PolicyError("only administrators can \(what); \(actor.login) is a \(actor.role.label)") }
        return actor
    }

    func requireAnotherAdmin(besides account: Account) throws {
        let admins = try value("SELECT count(*) FROM account WHERE role = 'admin' AND removedAt IS NULL", as: Int64.self) ?? 0
        guard admins > 1 else { throw TokenStoreError.conflict("\(account.login) is the last administrator; make another admin first") }
    }

    func teamID(named name: String) throws -> Int64 {
        guard let id = try value("SELECT id FROM team WHERE name = \(name)", as: Int64.self) else {
            throw TokenStoreError.notFound("no team '\(Sanitized.visible(name))'")
        }
        return id
    }

    func organisationPolicy() throws -> OrganisationPolicy {
        guard let row = try rows("SELECT maxLifetimeDays, requireIPAllowList FROM policy WHERE id = 1").first else { return .none }
        let (days, requireIPs) = try row.decode((Int64?, Bool).self)
        return OrganisationPolicy(maxLifetimeDays: days.map(Int.init), requireIPAllowList: requireIPs)
    }
}
