import Foundation
import GRDB
import Testing
import TestSupport
import TokenDomain
import TokenStore

/// A change whose audit event cannot be written does not happen.
struct AuditFailClosedTests {
    @Test func failingAuditRollsTheChangeBack() throws {
        let fixture = try StoreFixture()
        let (token, secret) = try fixture.store.create(try fixture.draft("kept"), by: fixture.user)
        // Given an audit table that refuses every new event
        let other = try DatabaseQueue(path: fixture.path)
        try other.write { db in
            try db.execute(sql: "CREATE TRIGGER audit_down BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit down'); END")
        }
        try other.close()
        // When creating, rolling and revoking, each fails and leaves nothing behind
        #expect(throws: TokenStoreError.self) { try fixture.store.create(try fixture.draft("lost"), by: fixture.user) }
        #expect(throws: TokenStoreError.self) { try fixture.store.roll(id: token.id, by: fixture.user) }
        #expect(throws: TokenStoreError.self) { try fixture.store.revoke(ids: [token.id], by: fixture.user) }
        #expect(try fixture.store.tokens(matching: TokenFilter(), order: TokenOrder(.name), by: try fixture.store.root()).map(\.name) == ["kept"])
        guard case .active = try fixture.store.verify(secret, VerificationRequest()) else {
            Issue.record("the failed roll or revoke took effect"); return
        }
    }
}
