import Foundation
import GRDB
import Testing
import TestSupport
import TokenDomain
@testable import TokenStore

/// The audit log's hash chain: appended in the writing transaction, verified from the start, migrated in order.
@Suite struct AuditChainTests {
    @Test(arguments: Engine.available) func everyWriteExtendsTheChainAndTheHeadMovesWithIt(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let before = try fixture.store.auditHead(by: fixture.admin)
        let (token, _) = try fixture.store.create(try fixture.draft("CI"), by: fixture.user)
        _ = try fixture.store.roll(id: token.id, grace: TimeSpan(hours: 1), by: fixture.user)
        try fixture.store.revoke(ids: [token.id], by: fixture.user)
        let after = try fixture.store.auditHead(by: fixture.admin)
        #expect(after.count == before.count + 3)
        let verification = try fixture.store.verifyAudit(by: fixture.admin)
        #expect(verification.isIntact && verification.count == after.count)
        #expect(try fixture.store.verifyAudit(knownHead: before.hash, by: fixture.admin).isIntact)
        #expect(try !fixture.store.verifyAudit(knownHead: Data(repeating: 7, count: 32), by: fixture.admin).isIntact)
        #expect(throws: TokenStoreError.self) { _ = try fixture.store.verifyAudit(by: fixture.user) }
    }

    @Test func anOlderDatabaseIsChainedInOrderWhenItIsUpgraded() throws {
        let scratch = ScratchDirectory("apitokens-chain")
        let path = scratch.path("old.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: "v4-previous-secret")
            try queue.write { db in
                try db.execute(sql: "PRAGMA application_id = \(DatabaseFile.applicationID)")
                try db.execute(sql: "PRAGMA user_version = 4")
                for index in 1...25_000 {
                    try db.execute(sql: "INSERT INTO audit (at, actor, action, tokenId, tokenName, details) VALUES (?, 'old', 'create', ?, ?, '')",
                                   arguments: [1_700_000_000 + index, index, "token \(index)"])
                }
            }
        }
        let store = try TokenStore(path: path)
        try store.bootstrapIfEmpty(login: "root", name: "Root")
        let root = try requireAccount(store.account(login: "root"))
        let verification = try store.verifyAudit(by: root)
        #expect(verification.isIntact, "\(verification.problem ?? "")")
        #expect(verification.count == 25_001)
        #expect(try store.auditHead(by: root).lastID == 25_001)
    }
}
