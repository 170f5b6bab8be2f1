import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore

/// Bulk revoke: batches that each judge the tokens and the actor as they are at that moment.
@Suite struct BulkRevokeTests {
    let clock = MutableClock(StoreFixture.start)

    /// Revokes everything matching, batch by batch, calling `between` after each batch; returns the ids revoked.
    func revokeAll(_ filter: TokenFilter, in fixture: StoreFixture, by actor: Account, batch: Int = 100,
                   between: (Int) throws -> Void = { _ in }) throws -> [Int64] {
        var cursor: Int64 = 0
        var revoked: [Int64] = []
        var index = 0
        while true {
            let result = try fixture.store.revokeBatch(matching: filter, after: cursor, upTo: .max, except: [], limit: batch, reason: "test", by: actor)
            revoked += result.revoked.map(\.id)
            cursor = result.resumeAfter
            if result.isLast { return revoked }
            try between(index)
            index += 1
        }
    }

    func liveTokens(_ fixture: StoreFixture) throws -> [Token] {
        try fixture.store.tokens(matching: TokenFilter(), order: TokenOrder(.created), by: fixture.admin)
    }

    @Test(arguments: Engine.available) func unusedForRevokesExactlyTheTokensAnIndependentCountFinds(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine, clock: clock)
        let drafts = try (0..<1_200).map { try fixture.draft("token \($0)", expiresIn: $0 % 3 == 0 ? .days(7) : .days(90)) }
        let created = try fixture.store.create(drafts, by: fixture.admin).map(\.0)
        // Every fourth never used; the others last used 1 to 120 days ago.
        var uses: [TokenUse] = []
        for (index, token) in created.enumerated() where index % 4 != 0 {
            uses.append(TokenUse(tokenID: token.id, clientIP: "10.0.0.1", at: clock.now().addingTimeInterval(Double(index % 120) * -86_400 - 60)))
        }
        try fixture.store.recordUses(uses)
        clock.advance(days: 1)
        let cutoff = clock.now().addingTimeInterval(-30 * 86_400)
        let expected = Set(try liveTokens(fixture).filter { ($0.lastUsedAt ?? .distantPast) < cutoff }.map(\.id))
        let filter = TokenFilter(unusedFor: TimeSpan(hours: 30 * 24))
        #expect(try fixture.store.exactCount(matching: filter, by: fixture.admin) == expected.count)
        let revoked = try revokeAll(filter, in: fixture, by: fixture.admin)
        #expect(Set(revoked) == expected)
        #expect(revoked.count == expected.count)
        #expect(try liveTokens(fixture).count == 1_200 - expected.count)
        let events = try fixture.store.auditLog(limit: expected.count + 1, by: fixture.admin)
        #expect(events.prefix(expected.count).allSatisfy { $0.action == "revoke" && $0.details == "test" })
        #expect(Set(events.prefix(expected.count).compactMap(\.tokenID)) == expected)
    }

    @Test(arguments: Engine.available) func expiredWithASearchRevokesOnlyThoseAndAUseElsewhereSavesAToken(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine, clock: clock)
        let drafts = try (0..<300).map { try fixture.draft(($0 % 2 == 0 ? "deploy " : "other ") + "\($0)", expiresIn: .days(7)) }
        _ = try fixture.store.create(drafts, by: fixture.admin)
        _ = try fixture.store.create(try fixture.draft("deploy fresh", expiresIn: .days(90)), by: fixture.admin)
        clock.advance(days: 8)
        let filter = TokenFilter(search: "deploy", status: .expired)
        #expect(try fixture.store.exactCount(matching: filter, by: fixture.admin) == 150)
        // Another admin refreshes a token that a later batch would have revoked: it is judged then, and stays.
        let other = try fixture.another(clock: clock)
        let saved = try #require(try liveTokens(fixture).first { $0.name == "deploy 298" }?.id)
        let revoked = try revokeAll(filter, in: fixture, by: fixture.admin, batch: 40) { index in
            if index == 0 { _ = try other.refresh(id: saved, by: fixture.admin) }
        }
        #expect(revoked.count == 149)
        #expect(!revoked.contains(saved))
        let names = try liveTokens(fixture).map(\.name)
        #expect(names.filter { $0.hasPrefix("deploy") }.sorted() == ["deploy 298", "deploy fresh"])
        #expect(names.filter { $0.hasPrefix("other") }.count == 150)
    }

    @Test(arguments: Engine.available) func aUserRevokesOnlyTheirOwnAndADemotionStopsTheRunWhereItIs(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine, clock: clock)
        _ = try fixture.store.create(try (0..<50).map { try fixture.draft("mine \($0)") }, by: fixture.user)
        _ = try fixture.store.create(try (0..<250).map { try fixture.draft("admin's \($0)") }, by: fixture.admin)
        #expect(throws: TokenStoreError.self) {
            _ = try fixture.store.revokeBatch(matching: TokenFilter(unusedFor: TimeSpan(hours: 1)), after: 0, reason: "x", by: fixture.user)
        }
        clock.advance(days: 1)
        let own = TokenFilter(personalOwnerID: fixture.user.id, unusedFor: TimeSpan(hours: 1))
        #expect(try revokeAll(own, in: fixture, by: fixture.user).count == 50)
        #expect(try liveTokens(fixture).count == 250)

        let second = try fixture.store.addAccount(login: "ad2", name: "Second", role: .admin, teams: ["Web"], by: fixture.admin)
        #expect {
            _ = try revokeAll(TokenFilter(unusedFor: TimeSpan(hours: 1)), in: fixture, by: second, batch: 100) { index in
                if index == 0 { try fixture.store.setRole(login: "ad2", role: .user, by: fixture.admin) }
            }
        } throws: { error in
            guard case .refused = error as? TokenStoreError else { return false }
            return true
        }
        #expect(try liveTokens(fixture).count == 150)
    }
}
