import Foundation
import TokenDomain
import TokenStore
import TokenStorePostgres
import TestSupport

/// A temporary store with an admin, a user and a viewer, at a fixed moment: an SQLite file, or a new PostgreSQL
/// database of its own.
struct StoreFixture {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    let directory: ScratchDirectory
    private let postgres: ScratchPostgres?
    let store: any TokenRepository
    let admin: Account
    let user: Account
    let viewer: Account
    let web: Team
    let platform: Team

    init(_ engine: Engine = .sqlite, clock: any Clock = FixedClock(StoreFixture.start)) throws {
        directory = ScratchDirectory("apitokens-test")
        switch engine {
        case .sqlite:
            postgres = nil
            store = try TokenStore(path: directory.path("tokens.sqlite"), clock: clock)
        case .postgresql:
            let database = try requireValue(ScratchPostgres())
            postgres = database
            store = try PostgresStore(PostgresLocation(parsing: database.url, osUser: NSUserName()), clock: clock)
        }
        try store.bootstrapIfEmpty(login: "root", name: "Root Admin")
        let root = try requireAccount(store.account(login: "root"))
        web = try store.addTeam(name: "Web", by: root)
        platform = try store.addTeam(name: "Platform", by: root)
        try store.addSite(name: "www.example.com", team: "Web", by: root)
        try store.join(login: "root", team: "Web", by: root)
        user = try store.addAccount(login: "jo", name: "Jo", role: .user, teams: ["Web"], by: root)
        viewer = try store.addAccount(login: "vi", name: "Vi", role: .viewer, teams: ["Web"], by: root)
        admin = try requireAccount(store.account(login: "root"))
    }

    /// A second connection to the same database, as another process (a `serve`, another admin) would open it.
    func another(_ access: StoreAccess = .existing, clock: any Clock) throws -> any TokenRepository {
        if let postgres {
            return try PostgresStore(PostgresLocation(parsing: postgres.url, osUser: NSUserName()), clock: clock)
        }
        return try TokenStore(path: try path, access: access, clock: clock)
    }

    /// The SQLite store, for a test that reaches under the repository (raw SQL, the file itself).
    var sqlite: TokenStore {
        get throws { try requireValue(store as? TokenStore) }
    }

    /// A draft for the Web team with Read Site.
    func draft(_ name: String, kind: TokenKind = .personal, permissions: [Permission] = [.readSite],
               expiresIn: ExpiresIn = .standard, ips: String = "") throws -> TokenDraft {
        TokenDraft(name: name, kind: kind, teamID: web.id, permissions: PermissionSet(permissions),
                   expiresIn: expiresIn, allowedIPs: try IPAllowList(parsing: ips))
    }

    var path: String { get throws { try sqlite.path } }
}

struct MissingAccount: Error {}

func requireAccount(_ account: Account?) throws -> Account {
    guard let account else { throw MissingAccount() }
    return account
}

struct MissingValue: Error {}

func requireValue<T>(_ value: T?) throws -> T {
    guard let value else { throw MissingValue() }
    return value
}
