import Foundation
import TokenDomain
import TokenStore
import TestSupport

/// A temporary on-disk store with an admin, a user and a viewer, at a fixed moment.
struct StoreFixture {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    let directory: ScratchDirectory
    let store: TokenStore
    let admin: Account
    let user: Account
    let viewer: Account
    let web: Team
    let platform: Team

    init(clock: any Clock = FixedClock(StoreFixture.start)) throws {
        directory = ScratchDirectory("apitokens-test")
        store = try TokenStore(path: directory.path("tokens.sqlite"), clock: clock)
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

    /// A draft for the Web team with Read Site.
    func draft(_ name: String, kind: TokenKind = .personal, permissions: [Permission] = [.readSite],
               expiresIn: ExpiresIn = .standard, ips: String = "") throws -> TokenDraft {
        TokenDraft(name: name, kind: kind, teamID: web.id, permissions: PermissionSet(permissions),
                   expiresIn: expiresIn, allowedIPs: try IPAllowList(parsing: ips))
    }

    var path: String { store.path }
}

struct MissingAccount: Error {}

func requireAccount(_ account: Account?) throws -> Account {
    guard let account else { throw MissingAccount() }
    return account
}
