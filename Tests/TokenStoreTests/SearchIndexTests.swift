import Foundation
import GRDB
import Testing
import TokenDomain
@testable import TokenStore
import TestSupport

/// Search answers the same whichever index serves it, stays in step with every write, and reaches old databases.
struct SearchIndexTests {
    /// Two stores seeded alike: one always fetches candidates, the other walks the sort index for all but tiny sets.
    static func seededPair(tokens: Int = 300) throws -> (candidates: TokenStore, walk: TokenStore) {
        let clock = FixedClock(StoreFixture.start)
        let candidates = try TokenStore(inMemoryWith: clock, candidateLimit: 1_000_000)
        let walk = try TokenStore(inMemoryWith: clock, candidateLimit: 3)
        for store in [candidates, walk] {
            try store.bootstrapIfEmpty(login: "root", name: "Root")
            try DemoSeeder(store: store).seed(osLogin: "root", osName: "Root", tokenCount: tokens)
        }
        return (candidates, walk)
    }

    /// Every live token, filtered in Swift: what any search must return.
    static func expected(_ store: TokenStore, _ needle: String, personalOwner: Int64? = nil) throws -> Set<Int64> {
        let folded = needle.lowercased()
        let everything = try store.tokens(matching: TokenFilter(personalOwnerID: personalOwner), order: TokenOrder(.name), by: try store.root())
        let accounts = try store.accounts()
        return Set(everything.filter { token in
            let owner = accounts.first { $0.login == token.owner }
            let texts = [token.name.lowercased(), token.owner.lowercased(), owner?.name.lowercased() ?? ""]
            return texts.contains { folded.count < 3 ? $0.hasPrefix(folded) : $0.contains(folded) }
        }.map(\.id))
    }

    @Test(arguments: ["deploy", "DEPLOY", "ghtly snap", "ion", "ort", "bruno", "Chen Wei", "gi", "n", "zz", "export 3", "%", "q\"x"])
    func bothStrategiesReturnExactlyTheMatchingTokensInOrder(needle: String) throws {
        let (candidates, walk) = try Self.seededPair()
        let expected = try Self.expected(candidates, needle)
        for sort in TokenSort.allCases {
            for descending in [false, true] {
                let order = TokenOrder(sort, descending: descending)
                let filter = TokenFilter(search: needle)
                let viaCandidates = try candidates.tokens(matching: filter, order: order, by: try candidates.root()).map(\.id)
                let viaWalk = try walk.tokens(matching: filter, order: order, by: try walk.root()).map(\.id)
                #expect(Set(viaCandidates) == expected, "\(needle) \(sort)")
                #expect(viaWalk == viaCandidates, "\(needle) \(sort) \(descending)")
                let lastPage = try walk.tokens(matching: filter, order: order, before: nil, limit: 7, by: try walk.root()).map(\.id)
                #expect(lastPage == Array(viaCandidates.suffix(7)), "End with \(needle) \(sort)")
                // Page by page from a cursor, as PgDn does, each page planned again.
                var paged: [Token] = []
                while let next = Optional(try walk.tokens(matching: filter, order: order, after: paged.last, limit: 7, by: try walk.root())),
                      !next.isEmpty, paged.count <= viaCandidates.count {
                    paged += next
                }
                #expect(paged.map(\.id) == viaCandidates, "PgDn with \(needle) \(sort) \(descending)")
            }
        }
    }

    /// FTS5's trigram index folds case its own way (ſ matches s, ς matches σ); the search must not.
    @Test func aNameTheTrigramIndexFoldsDifferentlyIsFoundNoWayItIsNot() throws {
        let (candidates, walk) = try Self.seededPair()
        for store in [candidates, walk] {
            let web = try #require(try store.teams().first)
            _ = try store.create(TokenDraft(name: "Smoke teſts", kind: .admin, teamID: web.id, permissions: PermissionSet([.readSite])),
                                 by: try store.root())
        }
        let expected = try Self.expected(candidates, "tests")
        for sort in TokenSort.allCases {
            for descending in [false, true] {
                let order = TokenOrder(sort, descending: descending)
                #expect(Set(try walk.tokens(matching: TokenFilter(search: "tests"), order: order, by: try walk.root()).map(\.id)) == expected,
                        "\(sort) \(descending)")
            }
        }
    }

    @Test func personalTabSearchIsTheSameBothWays() throws {
        let (candidates, walk) = try Self.seededPair()
        let bruno = try #require(try candidates.account(login: "bruno"))
        for needle in ["", "deploy", "gi", "bruno"] {
            let filter = TokenFilter(personalOwnerID: bruno.id, search: needle)
            let expected = try Self.expected(candidates, needle, personalOwner: bruno.id)
            for sort in TokenSort.allCases {
                let order = TokenOrder(sort, descending: sort == .expires)
                let viaCandidates = try candidates.tokens(matching: filter, order: order, by: try candidates.root())
                let viaWalk = try walk.tokens(matching: filter, order: order, by: try walk.root())
                #expect(!expected.isEmpty && Set(viaCandidates.map(\.id)) == expected, "\(needle) \(sort)")
                #expect(viaWalk.map(\.id) == viaCandidates.map(\.id), "\(needle) \(sort)")
                #expect(viaCandidates.allSatisfy { $0.owner == "bruno" && $0.kind == .personal })
            }
            #expect(try candidates.count(matching: filter, by: try candidates.root()) == .exact(expected.count))
            switch try walk.count(matching: filter, by: try walk.root()) {
            case .exact(let counted): #expect(counted == expected.count, "\(needle)")
            case .atLeast(let counted): #expect(counted <= expected.count && !needle.isEmpty, "\(needle)")
            }
        }
    }

    @Test func countsAreExactWhenCheapAndSayMoreThanOtherwise() throws {
        let (candidates, walk) = try Self.seededPair()
        #expect(try candidates.count(matching: TokenFilter(), by: try candidates.root()) == .exact(300))
        #expect(try walk.count(matching: TokenFilter(), by: try walk.root()) == .exact(300))
        let deploys = try Self.expected(candidates, "deploy").count
        #expect(try candidates.count(matching: TokenFilter(search: "deploy"), by: try candidates.root()) == .exact(deploys))
        #expect(try walk.count(matching: TokenFilter(search: "deploy"), by: try walk.root()) == .atLeast(4))
        #expect(try walk.count(matching: TokenFilter(search: "no such token"), by: try walk.root()) == .exact(0))
    }

    @Test(arguments: ["", "deploy", "gi", "bruno", "no such token"])
    func firstPageAgreesWithAPageAndACountAskedSeparately(needle: String) throws {
        let (candidates, walk) = try Self.seededPair()
        let bruno = try #require(try candidates.account(login: "bruno"))
        for store in [candidates, walk] {
            for filter in [TokenFilter(search: needle), TokenFilter(personalOwnerID: bruno.id, search: needle)] {
                let order = TokenOrder(.team, descending: true)
                let first = try store.firstPage(matching: filter, order: order, limit: 9, by: try store.root())
                #expect(first.tokens.map(\.id) == (try store.tokens(matching: filter, order: order, limit: 9, by: try store.root())).map(\.id))
                #expect(first.count == (try store.count(matching: filter, by: try store.root())))
            }
        }
    }

    @Test func indexAndTallyFollowCreateRenameRollAndRevoke() throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let (token, _) = try store.create(try fixture.draft("Quarterly invoice sync"), by: fixture.user)
        #expect(try store.tokens(matching: TokenFilter(search: "invoice"), order: TokenOrder(.name), by: try store.root()).map(\.id) == [token.id])
        #expect(try store.count(matching: TokenFilter(), by: try store.root()) == .exact(1))

        _ = try store.edit(id: token.id, to: try fixture.draft("Monthly billing sync"), by: fixture.user)
        #expect(try store.tokens(matching: TokenFilter(search: "invoice"), order: TokenOrder(.name), by: try store.root()).isEmpty)
        #expect(try store.tokens(matching: TokenFilter(search: "billing"), order: TokenOrder(.name), by: try store.root()).map(\.id) == [token.id])

        _ = try store.roll(id: token.id, by: fixture.user)
        #expect(try store.tokens(matching: TokenFilter(search: "billing"), order: TokenOrder(.name), by: try store.root()).count == 1)

        _ = try store.revoke(ids: [token.id], by: fixture.user)
        #expect(try store.tokens(matching: TokenFilter(search: "billing"), order: TokenOrder(.name), by: try store.root()).isEmpty)
        #expect(try store.count(matching: TokenFilter(), by: try store.root()) == .exact(0))
        #expect(try store.count(matching: TokenFilter(personalOwnerID: fixture.user.id), by: try store.root()) == .exact(0))

        let (again, _) = try store.create(try fixture.draft("Monthly billing sync"), by: fixture.user)
        #expect(try store.tokens(matching: TokenFilter(search: "billing"), order: TokenOrder(.name), by: try store.root()).map(\.id) == [again.id])
        #expect(try store.count(matching: TokenFilter(personalOwnerID: fixture.user.id), by: try store.root()) == .exact(1))
    }

    /// The distinct live names the search reads first, as the token table has them now.
    static func heldNames(_ store: TokenStore) throws -> [String: Int] {
        try store.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT nameKey, live FROM token_name")
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["nameKey"] as String, $0["live"] as Int) })
        }
    }

    static func liveNames(_ store: TokenStore) throws -> [String: Int] {
        try store.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT nameKey, count(*) AS live FROM token WHERE revokedAt IS NULL GROUP BY nameKey")
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["nameKey"] as String, $0["live"] as Int) })
        }
    }

    @Test func distinctNamesFollowTwoOwnersSharingANameThroughEveryWrite() throws {
        let fixture = try StoreFixture()
        let store = try fixture.sqlite
        let (mine, _) = try store.create(try fixture.draft("Nightly invoice export"), by: fixture.user)
        let (shared, _) = try store.create(try fixture.draft("Nightly invoice export", kind: .admin), by: fixture.admin)
        #expect(try Self.heldNames(store) == ["nightly invoice export": 2])
        #expect(try store.count(matching: TokenFilter(search: "invoice"), by: try store.root()) == .exact(2))

        _ = try store.revoke(ids: [mine.id], by: fixture.user)
        #expect(try Self.heldNames(store) == ["nightly invoice export": 1])
        _ = try store.edit(id: shared.id, to: try fixture.draft("Weekly invoice export", kind: .admin), by: fixture.admin)
        #expect(try Self.heldNames(store) == ["weekly invoice export": 1])
        #expect(try store.tokens(matching: TokenFilter(search: "nightly"), order: TokenOrder(.name), by: try store.root()).isEmpty)
        #expect(try store.tokens(matching: TokenFilter(search: "weekly"), order: TokenOrder(.name), by: try store.root()).map(\.id) == [shared.id])

        _ = try store.create(try fixture.draft("Weekly invoice export"), by: fixture.user)
        try store.removeAccount(login: "jo", by: fixture.admin)
        #expect(try Self.heldNames(store) == Self.liveNames(store))
        _ = try store.revoke(ids: [shared.id], by: fixture.admin)
        #expect(try Self.heldNames(store).isEmpty)
        #expect(try store.count(matching: TokenFilter(search: "invoice"), by: try store.root()) == .exact(0))
    }

    @Test(arguments: Engine.available) func aSearchInNameOrderFollowsWritesFromAnotherConnection(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let other = try fixture.another(clock: FixedClock(StoreFixture.start))
        defer { other.close() }
        let drafts = try (1...12).map { try fixture.draft("Invoice export \($0)") }
        let made = try other.create(drafts, by: fixture.user).map { $0.0 }
        let filter = TokenFilter(search: "invoice")
        func names() throws -> [String] {
            try fixture.store.tokens(matching: filter, order: TokenOrder(.name, descending: true), limit: 3, by: try fixture.store.root()).map(\.name)
        }
        #expect(try names() == ["Invoice export 9", "Invoice export 8", "Invoice export 7"])
        _ = try other.edit(id: made[8].id, to: try fixture.draft("Zebra invoice"), by: fixture.user)
        _ = try other.revoke(ids: [made[7].id], by: fixture.user)
        #expect(try names() == ["Zebra invoice", "Invoice export 7", "Invoice export 6"])
    }

    @Test func aSeededDatabaseHoldsEachLiveNameOnce() throws {
        let (candidates, _) = try Self.seededPair()
        let held = try Self.heldNames(candidates)
        #expect(held == (try Self.liveNames(candidates)))
        #expect(held.count < 300)
    }

    @Test(arguments: Engine.available) func removingAnAccountTakesItsPersonalTokensOutOfSearchAndCounts(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let store = fixture.store
        _ = try store.create(try fixture.draft("Laptop script"), by: fixture.user)
        _ = try store.create(try fixture.draft("Shared deploy", kind: .admin), by: fixture.admin)
        try store.removeAccount(login: "jo", by: fixture.admin)
        #expect(try store.tokens(matching: TokenFilter(search: "laptop"), order: TokenOrder(.name), by: try store.root()).isEmpty)
        #expect(try store.count(matching: TokenFilter(), by: try store.root()) == .exact(1))
    }

    @Test func tokensAreDecodedByTheColumnPositionsTheTableHas() throws {
        let store = try TokenStore(inMemoryWith: FixedClock(StoreFixture.start))
        let columns = try store.read { db in try db.columns(in: "token").map(\.name) }
        #expect(columns == Token.Column.allCases.map { "\($0)" })
    }

    @Test func aVersionOneDatabaseGetsItsSearchIndexOnOpening() throws {
        let scratch = ScratchDirectory("apitokens-v1")
        let path = scratch.path("tokens.sqlite")
        let old = try DatabaseQueue(path: path)
        try old.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA application_id = \(DatabaseFile.applicationID)")
        }
        try Schema.migrator.migrate(old, upTo: "v1-organisation-tokens-audit")
        try old.write { db in
            try db.execute(sql: """
                PRAGMA user_version = 1;
                INSERT INTO team (id, name) VALUES (1, 'Web');
                INSERT INTO account (id, login, name, role) VALUES (1, 'root', 'Root', 'admin');
                INSERT INTO token (kind, name, nameKey, ownerId, ownerLogin, ownerName, teamId, teamName, permissions,
                  secretHash, hint, createdAt, updatedAt, revokedAt)
                VALUES ('admin', 'Legacy exporter', 'legacy exporter', 1, 'root', 'Root', 1, 'Web', 1, zeroblob(32), 'atk_…abcd', 1, 1, NULL),
                       ('admin', 'Legacy importer', 'legacy importer', 1, 'root', 'Root', 1, 'Web', 1, randomblob(32), 'atk_…efgh', 1, 1, 5);
                """)
        }
        try old.close()
        let store = try TokenStore(path: path)
        #expect(try store.tokens(matching: TokenFilter(search: "legacy"), order: TokenOrder(.name), by: try store.root()).map(\.name) == ["Legacy exporter"])
        #expect(try store.count(matching: TokenFilter(), by: try store.root()) == .exact(1))
    }
}
