import Foundation
import Testing
import TestSupport
import TokenDomain
@testable import TokenStore

struct TokenLifecycleTests {
    @Test func anUnreadableStoredAllowListFailsClosed() throws {
        let fixture = try StoreFixture()
        let (token, secret) = try fixture.store.create(try fixture.draft("Office only", ips: "203.0.113.0/24"), by: fixture.user)
        let request = VerificationRequest(clientIP: IPAddress("203.0.113.9"))
        guard case .active = try fixture.store.verify(secret, request) else { Issue.record("allowed address refused"); return }
        _ = try fixture.sqlite.write { db in
            try db.execute(sql: "UPDATE token SET allowedIPs = 'not an address' WHERE id = ?", arguments: [token.id])
        }
        #expect(try fixture.store.verify(secret, request) == .inactive(reason: "stored IP allow-list is unreadable"))
        #expect(try fixture.store.verify(secret, VerificationRequest()) == .inactive(reason: "stored IP allow-list is unreadable"))
    }

    @Test(arguments: Engine.available) func createdTokenVerifiesAndRecordsLastUse(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let (token, secret) = try fixture.store.create(try fixture.draft("CI", permissions: [.readSite, .runTests]), by: fixture.user)
        let request = VerificationRequest(clientIP: IPAddress("203.0.113.9"), permissions: [.runTests], team: "web")
        guard case .active(let verified, let granted, _) = try fixture.store.verify(secret, request) else {
            Issue.record("expected active"); return
        }
        #expect(verified.id == token.id)
        #expect(granted == PermissionSet([.readSite, .runTests]))
        let used = try #require(try fixture.store.token(id: token.id, by: try fixture.store.root()))
        #expect(used.lastUsedAt == StoreFixture.start)
        #expect(used.lastUsedIP == "203.0.113.9")
    }

    @Test(arguments: Engine.available) func rolledSecretReplacesTheOldOneAtOnce(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let (token, old) = try fixture.store.create(try fixture.draft("CI"), by: fixture.user)
        let (_, new) = try fixture.store.roll(id: token.id, by: fixture.user)
        #expect(try fixture.store.verify(old, VerificationRequest()) == .inactive(reason: "unknown token"))
        guard case .active = try fixture.store.verify(new, VerificationRequest()) else { Issue.record("new secret refused"); return }
    }

    @Test(arguments: Engine.available) func revokedTokenFailsVerificationAndLeavesEveryList(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let (token, secret) = try fixture.store.create(try fixture.draft("CI"), by: fixture.user)
        try fixture.store.revoke(ids: [token.id], by: fixture.admin)
        #expect(try fixture.store.verify(secret, VerificationRequest()) == .inactive(reason: "token was revoked"))
        #expect(try fixture.store.tokens(matching: TokenFilter(), order: TokenOrder(.name), by: try fixture.store.root()).isEmpty)
        #expect(try fixture.store.auditLog(by: try fixture.store.root()).first?.action == "revoke")
    }

    @Test(arguments: Engine.available) func namesAreUniquePerOwnerCaseInsensitivelyAmongLiveTokens(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let (first, _) = try fixture.store.create(try fixture.draft("Deploy"), by: fixture.user)
        #expect(throws: TokenStoreError.self) { try fixture.store.create(try fixture.draft("DEPLOY"), by: fixture.user) }
        _ = try fixture.store.create(try fixture.draft("deploy"), by: fixture.admin)
        try fixture.store.revoke(ids: [first.id], by: fixture.user)
        _ = try fixture.store.create(try fixture.draft("deploy"), by: fixture.user)
    }

    @Test(arguments: Engine.available) func viewerCannotGrantMoreThanReadSite(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        #expect(throws: TokenStoreError.self) {
            try fixture.store.create(try fixture.draft("x", permissions: [.manageSites]), by: fixture.viewer)
        }
        _ = try fixture.store.create(try fixture.draft("x"), by: fixture.viewer)
    }

    @Test(arguments: Engine.available) func userCannotTouchAnotherUsersToken(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let (token, _) = try fixture.store.create(try fixture.draft("mine"), by: fixture.viewer)
        #expect(throws: TokenStoreError.self) { try fixture.store.revoke(ids: [token.id], by: fixture.user) }
        #expect(throws: TokenStoreError.self) { try fixture.store.roll(id: token.id, by: fixture.user) }
        #expect(try fixture.store.token(id: token.id, by: try fixture.store.root()) != nil)
    }

    @Test func editingAnExpiredTokenRefreshesItAndOtherwiseKeepsTheExpiry() throws {
        let clock = MutableClock(StoreFixture.start)
        let fixture = try StoreFixture(clock: clock)
        let (token, _) = try fixture.store.create(try fixture.draft("CI", expiresIn: .days(7)), by: fixture.user)
        clock.advance(days: 1)
        var draft = TokenDraft(token)
        draft.name = "CI renamed"
        let renamed = try fixture.store.edit(id: token.id, to: draft, by: fixture.user)
        #expect(renamed.expiresAt == token.expiresAt)
        clock.advance(days: 10)
        #expect(renamed.status(at: clock.now()) == .expired)
        let resaved = try fixture.store.edit(id: token.id, to: TokenDraft(renamed), by: fixture.user)
        #expect(resaved.expiresAt == clock.now().addingTimeInterval(7 * 86_400))
    }

    @Test(arguments: Engine.available) func staleEditIsRefused(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let (token, _) = try fixture.store.create(try fixture.draft("CI"), by: fixture.user)
        _ = try fixture.store.roll(id: token.id, by: fixture.admin)
        #expect {
            try fixture.store.edit(id: token.id, expectedVersion: token.version, to: TokenDraft(token), by: fixture.user)
        } throws: { error in
            if case .staleEdit = error as? TokenStoreError { return true }
            return false
        }
    }

    @Test func refreshExtendsButNotNeverExpiringTokens() throws {
        let clock = MutableClock(StoreFixture.start)
        let fixture = try StoreFixture(clock: clock)
        let (token, _) = try fixture.store.create(try fixture.draft("CI", expiresIn: .days(7)), by: fixture.user)
        clock.advance(days: 30)
        let refreshed = try fixture.store.refresh(id: token.id, by: fixture.user)
        #expect(refreshed.expiresAt == clock.now().addingTimeInterval(7 * 86_400))
        let (forever, _) = try fixture.store.create(try fixture.draft("Forever", expiresIn: .never), by: fixture.user)
        #expect(throws: TokenStoreError.self) { try fixture.store.refresh(id: forever.id, by: fixture.user) }
    }

    @Test func expiredTokenAndWrongIPAndTeamAndSiteAreInactive() throws {
        let clock = MutableClock(StoreFixture.start)
        let fixture = try StoreFixture(clock: clock)
        let (_, secret) = try fixture.store.create(try fixture.draft("CI", expiresIn: .days(7), ips: "10.0.0.0/8"), by: fixture.user)
        func active(_ request: VerificationRequest) throws -> Bool {
            if case .active = try fixture.store.verify(secret, request) { return true }
            return false
        }
        #expect(try active(VerificationRequest(clientIP: IPAddress("::ffff:10.2.3.4"), site: "www.example.com")))
        #expect(try !active(VerificationRequest(clientIP: IPAddress("11.0.0.1"))))
        #expect(try !active(VerificationRequest()))
        #expect(try !active(VerificationRequest(clientIP: IPAddress("10.0.0.1"), team: "Platform")))
        #expect(try !active(VerificationRequest(clientIP: IPAddress("10.0.0.1"), site: "api.example.com")))
        clock.advance(days: 8)
        #expect(try !active(VerificationRequest(clientIP: IPAddress("10.0.0.1"))))
    }

    @Test(arguments: Engine.available) func ownerLeavingTheTeamDeactivatesTheirPersonalToken(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let (_, secret) = try fixture.store.create(try fixture.draft("CI", permissions: [.readSite, .manageSites]), by: fixture.user)
        try fixture.store.setRole(login: "jo", role: .viewer, by: fixture.admin)
        guard case .active(_, let granted, _) = try fixture.store.verify(secret, VerificationRequest()) else {
            Issue.record("demoted owner's token should keep read_site"); return
        }
        #expect(granted == PermissionSet([.readSite]))
        try fixture.store.leave(login: "jo", team: "Web", by: fixture.admin)
        #expect(try fixture.store.verify(secret, VerificationRequest()) != .inactive(reason: "unknown token"))
        guard case .inactive = try fixture.store.verify(secret, VerificationRequest()) else { Issue.record("still active"); return }
    }

    @Test(arguments: Engine.available) func everyChangeIsAuditedWithoutTheSecret(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let (token, secret) = try fixture.store.create(try fixture.draft("CI"), by: fixture.user)
        let (_, rolled) = try fixture.store.roll(id: token.id, by: fixture.user)
        var draft = TokenDraft(token)
        draft.expiresIn = .days(90)
        _ = try fixture.store.edit(id: token.id, to: draft, by: fixture.user)
        try fixture.store.revoke(ids: [token.id], by: fixture.user)
        let log = try fixture.store.auditLog(by: try fixture.store.root())
        #expect(Array(log.prefix(4).map(\.action)) == ["revoke", "edit", "roll", "create"])
        #expect(log[1].details.contains("expires_in: 30d → 90d"))
        let everything = log.map { "\($0.details) \($0.tokenName ?? "")" }.joined()
        #expect(!everything.contains(secret.text) && !everything.contains(rolled.text))
    }
}

/// A clock the test moves forward by hand.
final class MutableClock: Clock, @unchecked Sendable {
    private var moment: Date
    private let lock = NSLock()
    init(_ start: Date) { moment = start }
    func now() -> Date { lock.withLock { moment } }
    func advance(days: Double) { advance(seconds: days * 86_400) }
    func advance(seconds: Double) { lock.withLock { moment += seconds } }
}
