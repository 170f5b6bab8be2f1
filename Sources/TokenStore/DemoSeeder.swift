import Foundation
internal import GRDB
import TokenDomain

/// Fills an empty database with a believable organisation: teams, sites, people and tokens in every state.
public struct DemoSeeder {
    static let teams: [(String, [String])] = [
        ("Marketing Web", ["www.example.com", "blog.example.com", "shop.example.com"]),
        ("Platform", ["api.example.com", "status.example.com"]),
        ("Mobile Apps", ["m.example.com", "app.example.com", "help.example.com"]),
    ]

    static let people: [(login: String, name: String, role: Role, teams: [Int])] = [
        ("alice", "Alice Nguyen", .admin, [0, 1, 2]),
        ("bruno", "Bruno Costa", .user, [0, 1]),
        ("chen", "Chen Wei", .user, [1]),
        ("farah", "Farah Haddad", .user, [2]),
        ("dana", "Dana Okafor", .viewer, [0]),
        ("emil", "Emil Larsen", .viewer, [2]),
    ]

    static let purposes = [
        "GitHub Actions deploy", "Nightly snapshot export", "Grafana dashboard sync", "Staging smoke tests",
        "Release pipeline", "Lighthouse CI", "Slack performance bot", "Data warehouse export", "Netlify build hook",
        "Vercel preview checks", "Pull request reviews", "Weekly report", "Terraform provider", "Datadog integration",
        "Jenkins regression", "Mobile release gate", "Budget alerts", "CDN purge check", "Looker import",
        "Zapier automation",
    ]

    let store: TokenStore

    public init(store: TokenStore) { self.store = store }

    /// Seeds the organisation and `tokenCount` tokens; the OS user `osLogin` becomes one of its admins.
    /// Refuses a database that already holds tokens or more than the bootstrap account.
    public func seed(osLogin: String, osName: String, tokenCount: Int = 60) throws(TokenStoreError) {
        let now = store.nowSeconds()
        try store.write { db in
            let existing = try Int.fetchOne(db, sql: "SELECT count(*) FROM token") ?? 0
            let accounts = try String.fetchAll(db, sql: "SELECT login FROM account")
            guard existing == 0, accounts.allSatisfy({ $0 == osLogin }) else {
                throw TokenStoreError.conflict("the demo needs a new database; this one already holds an organisation")
            }
            try db.execute(sql: "DELETE FROM membership")
            try db.execute(sql: "DELETE FROM team")
            var teamIDs: [Int64] = []
            for (team, sites) in Self.teams {
                try db.execute(sql: "INSERT INTO team (name) VALUES (?)", arguments: [team])
                let teamID = db.lastInsertedRowID
                teamIDs.append(teamID)
                for site in sites {
                    try db.execute(sql: "INSERT INTO site (teamId, name) VALUES (?, ?)", arguments: [teamID, site])
                }
            }
            var owners: [(id: Int64, login: String, name: String, role: Role, teams: [Int])] = []
            var everyone = Self.people.filter { $0.login != osLogin }
            everyone.insert((osLogin, osName, .admin, [0, 1, 2]), at: 0)
            for person in everyone {
                try db.execute(sql: """
                    INSERT INTO account (login, name, role) VALUES (?, ?, ?)
                    ON CONFLICT (login) DO UPDATE SET name = excluded.name, role = excluded.role
                    """, arguments: [person.login, person.name, person.role.rawValue])
                let id = try Int64.fetchOne(db, sql: "SELECT id FROM account WHERE login = ?", arguments: [person.login]) ?? 0
                for team in person.teams {
                    try db.execute(sql: "INSERT INTO membership (accountId, teamId) VALUES (?, ?)", arguments: [id, teamIDs[team]])
                }
                owners.append((id, person.login, person.name, person.role, person.teams))
            }
            // Rebuilding the indexes of a million rows sorts far more than the default cache holds.
            try db.execute(sql: "PRAGMA cache_size = -262144")
            defer { try? db.execute(sql: "PRAGMA cache_size = -2000") }
            try Schema.bulkLoadTokens(db) {
                try insertTokens(db, count: tokenCount, owners: owners, teamIDs: teamIDs, now: now)
            }
            try store.audit(db, actor: osLogin, action: "demo.seed",
                            details: "\(Self.teams.count) teams, \(owners.count) accounts, \(tokenCount) tokens")
        }
    }

    private func insertTokens(_ db: Database, count: Int, owners: [(id: Int64, login: String, name: String, role: Role, teams: [Int])],
                              teamIDs: [Int64], now: Int64) throws {
        // A fixed seed, so every demo looks the same.
        var random = SplitMix64(seed: 0xA71_70C3)
        let insert = try db.makeStatement(sql: """
            INSERT INTO token (kind, name, nameKey, ownerId, ownerLogin, ownerName, teamId, teamName, permissions,
              expiresInDays, expiresAt, allowedIPs, secretHash, hint, createdAt, updatedAt, lastUsedAt, lastUsedIP)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let day: Int64 = 86_400
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        for index in 0..<count {
            let owner = owners[index % owners.count]
            let kind: TokenKind = owner.role == .admin && index % 3 != 0 ? .admin : .personal
            let team = kind == .admin ? Int.random(in: 0..<teamIDs.count, using: &random)
                                      : owner.teams[index / owners.count % owner.teams.count]
            let purpose = Self.purposes[index / owners.count % Self.purposes.count]
            let round = index / (owners.count * Self.purposes.count)
            let name = round == 0 ? purpose : "\(purpose) \(round + 1)"
            let offered = Policy.offeredPermissions(kind: kind, ownerRole: owner.role)
            var permissions = PermissionSet([.readSite])
            for permission in offered where Int.random(in: 0..<3, using: &random) == 0 { permissions.insert(permission) }
            let expiresIn = ExpiresIn.choices[Int.random(in: 0..<ExpiresIn.choices.count, using: &random)]
            var expiresAt: Int64?
            var createdAt: Int64
            if let days = expiresIn.days.map(Int64.init) {
                let lifetime = days * day
                // About a fifth expired and a tenth expiring, spread evenly through the list.
                switch index * 7 % 10 {
                case 0, 1: expiresAt = now - Int64.random(in: 3_600...(60 * day), using: &random)
                case 2: expiresAt = now + Int64.random(in: 3_600...(6 * day), using: &random)
                default: expiresAt = now + Int64.random(in: (lifetime > 8 * day ? 8 * day : day)...lifetime, using: &random)
                }
                createdAt = min(now - 60, (expiresAt ?? now) - lifetime)
            } else {
                createdAt = now - Int64.random(in: day...(400 * day), using: &random)
            }
            let usedUntil = min(now, expiresAt ?? now)
            let lastUsed: Int64? = Int.random(in: 0..<10, using: &random) < 7 && usedUntil > createdAt
                ? Int64.random(in: createdAt...usedUntil, using: &random) : nil
            let allowed = index % 7 == 0 ? "10.0.0.0/8,203.0.113.7" : ""
            var hash = [UInt8](repeating: 0, count: 32)
            for byte in hash.indices { hash[byte] = UInt8.random(in: 0...255, using: &random) }
            let hint = TokenSecret.prefix(for: kind) + "…" + String((0..<4).map { _ in alphabet[Int.random(in: 0..<62, using: &random)] })
            try insert.execute(arguments: [
                kind.rawValue, name, Naming.uniquenessKey(name), owner.id, owner.login, owner.name, teamIDs[team],
                Self.teams[team].0, permissions.mask, expiresIn.days, expiresAt, allowed, Data(hash), hint,
                createdAt, createdAt, lastUsed, lastUsed.map { _ in "203.0.113.\(index % 200 + 1)" },
            ])
        }
    }
}
