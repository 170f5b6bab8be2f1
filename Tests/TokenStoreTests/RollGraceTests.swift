import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore

/// A roll with a grace: the previous secret works until the grace ends, and only one previous secret is kept.
@Suite struct RollGraceTests {
    let clock = MutableClock(StoreFixture.start)

    /// "current", "previous", or the reason the secret is refused.
    func judge(_ secret: TokenSecret, by store: any TokenRepository) throws -> String {
        switch try store.check(secret, VerificationRequest()) {
        case .active(_, _, let previous): previous ? "previous" : "current"
        case .inactive(let reason), .outOfScope(let reason): reason
        }
    }

    @Test(arguments: Engine.available) func bothSecretsWorkUntilTheGraceEndsThenOnlyTheNewOne(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine, clock: clock)
        let (token, old) = try fixture.store.create(try fixture.draft("CI"), by: fixture.user)
        let (rolled, new) = try fixture.store.roll(id: token.id, grace: TimeSpan(hours: 24), by: fixture.user)
        #expect(rolled.graceEnd(at: clock.now()) == clock.now().addingTimeInterval(86_400))
        #expect(try judge(new, by: fixture.store) == "current")
        #expect(try judge(old, by: fixture.store) == "previous")
        clock.advance(seconds: 86_399)
        #expect(try judge(old, by: fixture.store) == "previous")
        clock.advance(seconds: 1)
        #expect(try judge(old, by: fixture.store).contains("rolled out"))
        #expect(try judge(new, by: fixture.store) == "current")
        #expect(try fixture.store.token(id: token.id, by: fixture.user)?.graceEnd(at: clock.now()) == nil)
    }

    @Test(arguments: Engine.available) func aRollDuringAGraceEndsTheOlderSecretAtOnce(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine, clock: clock)
        let (token, first) = try fixture.store.create(try fixture.draft("CI"), by: fixture.user)
        let (_, second) = try fixture.store.roll(id: token.id, grace: TimeSpan(hours: 24), by: fixture.user)
        clock.advance(seconds: 60)
        let (_, third) = try fixture.store.roll(id: token.id, grace: TimeSpan(hours: 1), by: fixture.user)
        #expect(try judge(first, by: fixture.store) == "unknown token")
        #expect(try judge(second, by: fixture.store) == "previous")
        #expect(try judge(third, by: fixture.store) == "current")
        let (_, fourth) = try fixture.store.roll(id: token.id, by: fixture.user)
        #expect(try judge(second, by: fixture.store) == "unknown token")
        #expect(try judge(third, by: fixture.store) == "unknown token")
        #expect(try judge(fourth, by: fixture.store) == "current")
        let log = try fixture.store.auditLog(limit: 3, by: fixture.admin).map(\.details)
        #expect(log[0].contains("the previous one stopped working") && log[0].contains("grace ended"))
        #expect(log[1].contains("the previous one works until"))
    }

    @Test(arguments: Engine.available) func revokeDuringAGraceEndsBothSecrets(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine, clock: clock)
        let (token, old) = try fixture.store.create(try fixture.draft("CI"), by: fixture.user)
        let (_, new) = try fixture.store.roll(id: token.id, grace: TimeSpan(hours: 7 * 24), by: fixture.user)
        try fixture.store.revoke(ids: [token.id], by: fixture.user)
        #expect(try judge(old, by: fixture.store) != "previous")
        #expect(try judge(new, by: fixture.store) == "token was revoked")
    }

    @Test(arguments: Engine.available) func anotherConnectionObeysTheRollThatEndsAGrace(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine, clock: clock)
        // Like `serve` beside an admin's CLI: a second connection to the same database (on SQLite, whose check
        // answers are cached).
        let service = try fixture.another(.check, clock: clock)
        let (token, old) = try fixture.store.create(try fixture.draft("CI"), by: fixture.user)
        let (_, middle) = try fixture.store.roll(id: token.id, grace: TimeSpan(hours: 24), by: fixture.user)
        #expect(try judge(old, by: service) == "previous")
        #expect(try judge(old, by: service) == "previous")
        _ = try fixture.store.roll(id: token.id, by: fixture.user)
        #expect(try judge(old, by: service) == "unknown token")
        #expect(try judge(middle, by: service) == "unknown token")
    }

    @Test(arguments: Engine.available) func aGraceLongerThanSevenDaysIsRefusedAndNothingChanges(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine, clock: clock)
        let (token, old) = try fixture.store.create(try fixture.draft("CI"), by: fixture.user)
        #expect(throws: TokenStoreError.self) {
            try fixture.store.roll(id: token.id, grace: TimeSpan(hours: 7 * 24 + 1), by: fixture.user)
        }
        #expect(try judge(old, by: fixture.store) == "current")
        #expect(try fixture.store.token(id: token.id, by: fixture.user)?.version == token.version)
    }

    @Test func thePreviousSecretIsKeptOnlyAsAHash() throws {
        let fixture = try StoreFixture(clock: clock)
        let (token, old) = try fixture.store.create(try fixture.draft("CI"), by: fixture.user)
        let (_, new) = try fixture.store.roll(id: token.id, grace: TimeSpan(hours: 1), by: fixture.user)
        fixture.store.close()
        var bytes = Data()
        for suffix in ["", "-wal"] {
            bytes += (try? Data(contentsOf: URL(fileURLWithPath: fixture.path + suffix))) ?? Data()
        }
        #expect(bytes.range(of: Data(old.text.utf8)) == nil)
        #expect(bytes.range(of: Data(new.text.utf8)) == nil)
        #expect(bytes.range(of: old.hash) != nil)
    }
}
