import Foundation
import GRDB
import Testing
import TestSupport
import TokenDomain
@testable import TokenStore

/// Every action is judged on the facts in the store at that moment, whatever the caller remembers.
struct CurrentFactsTests {
    /// A caller holding an admin's `Account` from before a demotion: every admin-only action is refused.
    @Test(arguments: Engine.available) func aDemotedAdminsStaleAccountCanNoLongerActAsAdmin(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let store = fixture.store
        let stale = try #require(try store.addAccount(login: "ex", name: "Ex Admin", role: .admin, teams: ["Web"], by: fixture.admin))
        let (adminToken, _) = try store.create(try fixture.draft("Org deploy", kind: .admin), by: stale)
        try store.setRole(login: "ex", role: .user, by: fixture.admin)

        let refusals: [(String, () throws -> Void)] = [
            ("refresh", { _ = try store.refresh(id: adminToken.id, by: stale) }),
            ("roll", { _ = try store.roll(id: adminToken.id, by: stale) }),
            ("revoke", { _ = try store.revoke(ids: [adminToken.id], by: stale) }),
            ("edit", { _ = try store.edit(id: adminToken.id, to: try fixture.draft("Renamed", kind: .admin), by: stale) }),
            ("create admin", { _ = try store.create(try fixture.draft("Another", kind: .admin), by: stale) }),
            ("list all", { _ = try store.tokens(matching: TokenFilter(), order: TokenOrder(.name), by: stale) }),
            ("count all", { _ = try store.count(matching: TokenFilter(), by: stale) }),
            ("show", { _ = try store.token(id: adminToken.id, by: stale) }),
            ("audit", { _ = try store.auditLog(by: stale) }),
            ("add team", { _ = try store.addTeam(name: "Sneaky", by: stale) }),
            ("add account", { _ = try store.addAccount(login: "x", name: nil, role: .admin, teams: [], by: stale) }),
            ("set role", { try store.setRole(login: "jo", role: .admin, by: stale) }),
        ]
        for (what, action) in refusals {
            #expect(throws: TokenStoreError.self, "\(what)") { try action() }
        }
        #expect(try store.token(id: adminToken.id, by: fixture.admin)?.version == adminToken.version)
        #expect(try store.auditLog(by: fixture.admin).allSatisfy { $0.actor != "ex" || $0.action == "create" })
    }

    /// A removed account's stale `Account` can do nothing, not even to its own tokens, and is told why.
    @Test(arguments: Engine.available) func aRemovedAccountCanDoNothingAndIsToldWhy(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let store = fixture.store
        let (own, _) = try store.create(try fixture.draft("Mine"), by: fixture.user)
        try store.removeAccount(login: "jo", by: fixture.admin)
        #expect {
            _ = try store.create(try fixture.draft("After"), by: fixture.user)
        } throws: { error in
            "\(error)".contains("jo was removed by an administrator")
        }
        #expect(throws: TokenStoreError.self) { _ = try store.refresh(id: own.id, by: fixture.user) }
        #expect(throws: TokenStoreError.self) {
            _ = try store.tokens(matching: TokenFilter(personalOwnerID: fixture.user.id), order: TokenOrder(.name), by: fixture.user)
        }
    }

    /// A non-admin lists their own personal tokens and nobody else's.
    @Test(arguments: Engine.available) func listsAreAuthorisedInTheStore(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        _ = try fixture.store.create(try fixture.draft("Jo's"), by: fixture.user)
        let own = try fixture.store.tokens(matching: TokenFilter(personalOwnerID: fixture.user.id), order: TokenOrder(.name), by: fixture.user)
        #expect(own.map(\.name) == ["Jo's"])
        #expect(throws: TokenStoreError.self) {
            _ = try fixture.store.tokens(matching: TokenFilter(personalOwnerID: fixture.user.id), order: TokenOrder(.name), by: fixture.viewer)
        }
    }

    /// The SQL that marks tokens inactive in listings agrees with `Policy.effectivePermissions`, case by case.
    @Test(arguments: Role.allCases, [true, false])
    func inactiveInListingsAgreesWithThePolicy(role: Role, member: Bool) throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let owner = try store.addAccount(login: "owner", name: nil, role: .user, teams: ["Web"], by: fixture.admin)
        let readOnly = try store.create(try fixture.draft("read"), by: owner).0
        let deploysOnly = try store.create(try fixture.draft("deploys", permissions: [.manageDeploys]), by: owner).0
        let admin = try store.create(try fixture.draft("org", kind: .admin, permissions: [.manageDeploys]), by: fixture.admin).0
        try store.setRole(login: "owner", role: role, by: fixture.admin)
        if !member { try store.leave(login: "owner", team: "Web", by: fixture.admin) }
        let current = try store.account(login: "owner")
        let listed = try store.tokens(matching: TokenFilter(), order: TokenOrder(.name), by: fixture.admin)
        for token in [readOnly, deploysOnly, admin] {
            let row = try #require(listed.first { $0.id == token.id })
            let expected = Policy.effectivePermissions(of: row, owner: token.kind == .admin ? fixture.admin : current) == nil
            #expect(row.ownerLacksAccess == expected, "\(token.name)")
            #expect((row.status(at: store.now) == .inactive) == expected, "\(token.name)")
            let inactive = try store.tokens(matching: TokenFilter(status: .inactive), order: TokenOrder(.name), by: fixture.admin)
            let active = try store.tokens(matching: TokenFilter(status: .active), order: TokenOrder(.name), by: fixture.admin)
            #expect(inactive.contains { $0.id == token.id } == expected)
            #expect(active.contains { $0.id == token.id } == !expected)
        }
    }

    /// Saving a token unchanged writes nothing: the same version, no audit event.
    @Test(arguments: Engine.available) func anEditThatChangesNothingWritesNothing(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let (token, _) = try fixture.store.create(try fixture.draft("Same", ips: "10.0.0.0/8"), by: fixture.user)
        let events = try fixture.store.auditLog(by: fixture.admin).count
        let saved = try fixture.store.edit(id: token.id, expectedVersion: token.version, to: TokenDraft(token), by: fixture.user)
        #expect(saved.version == token.version)
        #expect(try fixture.store.auditLog(by: fixture.admin).count == events)
        let renamed = try fixture.store.edit(id: token.id, to: try fixture.draft("Renamed", ips: "10.0.0.0/8"), by: fixture.user)
        #expect(renamed.version == token.version + 1)
    }

    /// A stored allow-list that no longer parses shows as unreadable, survives an edit of another field, and an
    /// edit that replaces it is audited.
    @Test func anUnreadableAllowListIsNeverRewrittenToAny() throws {
        let fixture = try StoreFixture()
        let (token, _) = try fixture.store.create(try fixture.draft("Office", ips: "203.0.113.0/24"), by: fixture.user)
        _ = try fixture.sqlite.write { db in
            try db.execute(sql: "UPDATE token SET allowedIPs = '203.0.113.0/33' WHERE id = ?", arguments: [token.id])
        }
        let damaged = try #require(try fixture.store.token(id: token.id, by: fixture.user))
        #expect(damaged.allowedIPs.isUnreadable && !damaged.allowedIPs.allowsAny)
        #expect(damaged.allowedIPs.allows(IPAddress("203.0.113.1")!) == false)
        var draft = TokenDraft(damaged)
        draft.name = "Office (renamed)"
        let renamed = try fixture.store.edit(id: token.id, to: draft, by: fixture.user)
        #expect(renamed.allowedIPs.description == "203.0.113.0/33" && renamed.allowedIPs.isUnreadable)
        draft.allowedIPs = try IPAllowList(parsing: "198.51.100.0/24")
        _ = try fixture.store.edit(id: token.id, to: draft, by: fixture.user)
        let event = try #require(try fixture.store.auditLog(by: fixture.admin).first)
        #expect(event.details.contains("allowed_ips: 203.0.113.0/33 → 198.51.100.0/24"), "\(event.details)")
    }

    /// `café` typed precomposed or decomposed is one name, stored in NFC; 100 accented letters fit either way.
    @Test(arguments: Engine.available) func namesAreOneNameWhicheverWayTheirAccentsWereTyped(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let (token, _) = try fixture.store.create(try fixture.draft("caf\u{E9}"), by: fixture.user)
        #expect(throws: TokenStoreError.self) { try fixture.store.create(try fixture.draft("cafe\u{301}"), by: fixture.user) }
        let long = String(repeating: "e\u{301}", count: 100)
        let (accented, _) = try fixture.store.create(try fixture.draft(long), by: fixture.user)
        #expect(accented.name == String(repeating: "\u{E9}", count: 100))
        #expect(try fixture.store.tokens(matching: TokenFilter(search: "cafe\u{301}"), order: TokenOrder(.name), by: fixture.admin)
            .map(\.id) == [token.id])
    }

    /// A database of schema 2 holding a decomposed name is brought to NFC on opening.
    @Test func olderDatabasesGetTheirNamesInNFC() throws {
        let scratch = ScratchDirectory("apitokens-v2")
        let path = scratch.path("tokens.sqlite")
        let old = try DatabaseQueue(path: path)
        try old.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA application_id = \(DatabaseFile.applicationID)") }
        try Schema.migrator.migrate(old, upTo: "v2-search-index-and-tallies")
        try old.write { db in
            try db.execute(sql: """
                PRAGMA user_version = 2;
                INSERT INTO team (id, name) VALUES (1, 'Web');
                INSERT INTO account (id, login, name, role) VALUES (1, 'root', 'Root', 'admin');
                INSERT INTO membership (accountId, teamId) VALUES (1, 1);
                INSERT INTO token (kind, name, nameKey, ownerId, ownerLogin, ownerName, teamId, teamName, permissions,
                  secretHash, hint, createdAt, updatedAt)
                VALUES ('admin', 'Cafe\u{301} sync', 'cafe\u{301} sync', 1, 'root', 'Root', 1, 'Web', 1, zeroblob(32), 'atk_…abcd', 1, 1);
                """)
        }
        try old.close()
        let store = try TokenStore(path: path)
        let root = try store.root()
        #expect(try store.tokens(matching: TokenFilter(), order: TokenOrder(.name), by: root).map(\.name) == ["Caf\u{E9} sync"])
        #expect(try store.tokens(matching: TokenFilter(search: "caf\u{E9}"), order: TokenOrder(.name), by: root).count == 1)
    }

    /// Reads and writes never wait on, or fail because of, each other: last-used is skipped while the lock is held.
    @Test func verifyDoesNotWaitOnAnotherWritersLock() throws {
        let fixture = try StoreFixture()
        let (token, secret) = try fixture.store.create(try fixture.draft("CI"), by: fixture.user)
        let other = try DatabaseQueue(path: fixture.path)
        try other.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            defer { try? db.execute(sql: "ROLLBACK") }
            let started = Date()
            guard case .active = try fixture.store.verify(secret, VerificationRequest()) else {
                Issue.record("a held write lock made verify refuse"); return
            }
            #expect(Date().timeIntervalSince(started) < 2, "verify waited on the lock")
        }
        #expect(try fixture.store.token(id: token.id, by: fixture.user)?.lastUsedAt == nil)
        _ = try fixture.store.verify(secret, VerificationRequest())
        #expect(try fixture.store.token(id: token.id, by: fixture.user)?.lastUsedAt != nil)
    }

    /// A check connection remembers what it read only until another connection commits: every kind of change made
    /// through another store is obeyed by the very next check.
    @Test(arguments: Engine.available) func aCheckConnectionNeverAnswersFromBeforeAChange(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let checker = try fixture.another(.check, clock: FixedClock(StoreFixture.start))
        let (token, secret) = try fixture.store.create(try fixture.draft("Cached", permissions: [.readSite, .runTests]), by: fixture.user)
        func answer(_ needs: VerificationRequest = VerificationRequest(permissions: [.runTests])) throws -> Verification {
            try checker.check(secret, needs)
        }
        guard case .active = try answer(), case .active = try answer() else { Issue.record("a good token was refused"); return }
        try fixture.store.setRole(login: "jo", role: .viewer, by: fixture.admin)
        #expect(try answer() == .outOfScope(reason: "permission run_tests not granted"))
        try fixture.store.setRole(login: "jo", role: .user, by: fixture.admin)
        _ = try fixture.store.edit(id: token.id, to: try fixture.draft("Cached", permissions: [.readSite]), by: fixture.admin)
        #expect(try answer() == .outOfScope(reason: "permission run_tests not granted"))
        let (_, rolled) = try fixture.store.roll(id: token.id, by: fixture.user)
        #expect(try answer(VerificationRequest()) == .inactive(reason: "unknown token"))
        try fixture.store.revoke(ids: [token.id], by: fixture.user)
        #expect(try checker.check(rolled, VerificationRequest()) == .inactive(reason: "token was revoked"))
    }
}
