import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore
@testable import TokenStorePostgres

/// One organisation on both engines: seeded on SQLite, migrated to PostgreSQL, then every list, count, page and
/// check must answer the same on both, and both must follow the same writes.
@Suite(.enabled(if: ScratchPostgres.serverURL != nil, "APITOKENS_TEST_POSTGRES names no server"))
struct EngineParityTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    let scratch = ScratchDirectory("apitokens-parity")
    let database: ScratchPostgres
    let sqlite: TokenStore
    let postgres: PostgresStore
    let root: Account

    init() throws {
        database = try #require(ScratchPostgres())
        let clock = FixedClock(Self.start)
        sqlite = try TokenStore(path: scratch.path("tokens.sqlite"), clock: clock)
        try sqlite.bootstrapIfEmpty(login: "root", name: "Root")
        try DemoSeeder(store: sqlite).seed(osLogin: "root", osName: "Root", tokenCount: 300)
        root = try sqlite.root()
        postgres = try PostgresStore(PostgresLocation(parsing: database.url, osUser: "root"), clock: clock)
        _ = try PostgresImport(from: sqlite, to: postgres).run(by: root) { _ in }
    }

    static let filters: [TokenFilter] = [
        TokenFilter(), TokenFilter(search: "deploy"), TokenFilter(search: "gi"), TokenFilter(search: "bruno"),
        TokenFilter(search: "50%_\\"), TokenFilter(status: .expired), TokenFilter(status: .expiring), TokenFilter(status: .active),
        TokenFilter(status: .inactive), TokenFilter(search: "export", status: .active), TokenFilter(expiresWithin: TimeSpan(hours: 240)),
        TokenFilter(unusedFor: TimeSpan(hours: 24 * 30)),
    ]

    @Test func everyListSortAndPageAnswersTheSameOnBothEngines() throws {
        for filter in Self.filters {
            #expect(try postgres.count(matching: filter, by: root) == sqlite.count(matching: filter, by: root), "\(filter)")
            #expect(try postgres.exactCount(matching: filter, by: root) == sqlite.exactCount(matching: filter, by: root), "\(filter)")
            for sort in TokenSort.allCases {
                for descending in [false, true] {
                    let order = TokenOrder(sort, descending: descending)
                    let expected = try sqlite.tokens(matching: filter, order: order, by: root)
                    #expect(try postgres.tokens(matching: filter, order: order, by: root) == expected, "\(filter) \(order)")
                    // Page by page from a cursor, and the last page backwards, as PgDn and End do.
                    var paged: [Token] = []
                    while let next = Optional(try postgres.tokens(matching: filter, order: order, after: paged.last, limit: 9, by: root)),
                          !next.isEmpty, paged.count <= expected.count {
                        paged += next
                    }
                    #expect(paged.map(\.id) == expected.map(\.id), "PgDn \(filter) \(order)")
                    #expect(try postgres.tokens(matching: filter, order: order, before: nil, limit: 5, by: root).map(\.id)
                            == expected.suffix(5).map(\.id), "End \(filter) \(order)")
                }
            }
        }
    }

    /// Searches that take every plan once few tokens count as many: walks, a creator's own branches beside the name
    /// matches, the Name sort seeking through the matching names, the personal tab, and a filter beside a search.
    static let searches: [TokenFilter] = [
        TokenFilter(search: "deploy"), TokenFilter(search: "gi"), TokenFilter(search: "bruno"), TokenFilter(search: "ana"),
        TokenFilter(search: "da"), TokenFilter(search: "export"), TokenFilter(search: "nightly snapshot export 2"),
        TokenFilter(search: "zz"), TokenFilter(search: "export", status: .active), TokenFilter(search: "ana", status: .expired),
        TokenFilter(personalOwnerID: 1, search: "deploy"), TokenFilter(personalOwnerID: 1, search: "ro"),
    ]

    /// Every search, sort and page of `store` against SQLite's.
    func expectPagesAsSQLite(_ store: PostgresStore, limit: Int, _ what: String) throws {
        for filter in Self.searches {
            // Exact while few, else at least one more than the limit and no more than there are.
            let exact = try sqlite.exactCount(matching: filter, by: root)
            switch try store.count(matching: filter, by: root) {
            case .exact(let counted): #expect(counted == exact && exact <= limit, "\(what) \(filter)")
            case .atLeast(let counted): #expect(counted == limit + 1 && exact > limit, "\(what) \(filter)")
            }
            for sort in TokenSort.allCases {
                for descending in [false, true] {
                    let order = TokenOrder(sort, descending: descending)
                    let expected = try sqlite.tokens(matching: filter, order: order, by: root).map(\.id)
                    var paged: [Token] = []
                    while let next = Optional(try store.tokens(matching: filter, order: order, after: paged.last, limit: 4, by: root)),
                          !next.isEmpty, paged.count <= expected.count {
                        paged += next
                    }
                    #expect(paged.map(\.id) == expected, "\(what) PgDn \(filter) \(order)")
                    var backwards: [Token] = []
                    while let next = Optional(try store.tokens(matching: filter, order: order, before: backwards.first, limit: 4, by: root)),
                          !next.isEmpty, backwards.count <= expected.count {
                        backwards = next + backwards
                    }
                    #expect(backwards.map(\.id) == expected, "\(what) PgUp \(filter) \(order)")
                }
            }
        }
    }

    @Test func everySearchPlanOfManyTokensAnswersAsSQLiteDoes() throws {
        let location = try PostgresLocation(parsing: database.url, osUser: "root")
        let manyPlans = try PostgresStore(location, clock: FixedClock(Self.start), candidateLimit: 3)
        try expectPagesAsSQLite(manyPlans, limit: 3, "limit 3")
    }

    @Test func aNameSortedPageIsWholeWhenTheNamesOvercountTheirTokens() throws {
        // As if tokens were revoked between reading the names and reading their tokens: each name's count is high,
        // so the first names read hold fewer tokens than a page.
        ScratchPostgres.psql(database.url, "UPDATE token_name SET live = live + 40")
        let location = try PostgresLocation(parsing: database.url, osUser: "root")
        let manyPlans = try PostgresStore(location, clock: FixedClock(Self.start), candidateLimit: 3)
        for filter in [TokenFilter(search: "deploy"), TokenFilter(search: "ana")] {
            for descending in [false, true] {
                let order = TokenOrder(.name, descending: descending)
                let expected = try sqlite.tokens(matching: filter, order: order, limit: 12, by: root).map(\.id)
                #expect(try manyPlans.tokens(matching: filter, order: order, limit: 12, by: root).map(\.id) == expected, "\(filter) \(order)")
            }
        }
    }

    /// The organisation as apitokens with migrations v1 and v2 left it: no table of names, the old indexes.
    func rollBackToVersionTwo() {
        ScratchPostgres.psql(database.url, """
            DROP TRIGGER token_name_insert ON token; DROP TRIGGER token_name_update ON token; DROP FUNCTION token_name_follow;
            DROP TABLE token_name; DROP INDEX token_live_by_name_and_sorts; DROP INDEX token_personal_by_team;
            CREATE INDEX token_live_by_name ON token (nameKey, id) WHERE revokedAt IS NULL;
            CREATE INDEX token_live_name_trigrams ON token USING gin (nameKey gin_trgm_ops) WHERE revokedAt IS NULL;
            DELETE FROM apitokens_migration WHERE name IN ('v3-search-by-distinct-name', 'v4-compact-tallies')
            """)
    }

    @Test func anUpgradeWaitsBrieflyForAnotherSessionsTransactionAndChangesNothing() throws {
        rollBackToVersionTwo()
        // A report, or pg_dump, reading the table in a long transaction.
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        reader.arguments = [database.url, "-qAtc", "BEGIN; SELECT count(*) FROM token; SELECT pg_sleep(8); COMMIT;"]
        reader.standardOutput = FileHandle.nullDevice
        try reader.run()
        defer { reader.terminate(); reader.waitUntilExit() }
        usleep(500_000)
        let location = try PostgresLocation(parsing: database.url, osUser: "root")
        let started = Date()
        do {
            _ = try PostgresStore(location, clock: FixedClock(Self.start))
            Issue.record("the upgrade went ahead under another session's lock")
        } catch {
            #expect("\(error)".contains("holds a lock this needs") && "\(error)".contains("nothing was changed"), "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 6, "it waited for the other transaction instead of a moment")
        #expect(ScratchPostgresProbe.value(on: database.url, "SELECT count(*) FROM pg_class WHERE relname = 'token_name'") == "0")
        reader.waitUntilExit()
        _ = try PostgresStore(location, clock: FixedClock(Self.start))
        #expect(ScratchPostgresProbe.value(on: database.url, "SELECT count(*) FROM pg_class WHERE relname = 'token_name'") == "1")
    }

    @Test func aVersionTwoDatabaseGetsItsNamesOnOpening() throws {
        rollBackToVersionTwo()
        #expect(ScratchPostgresProbe.value(on: database.url, "SELECT count(*) FROM pg_class WHERE relname = 'token_name'") == "0")
        let location = try PostgresLocation(parsing: database.url, osUser: "root")
        let upgraded = try PostgresStore(location, clock: FixedClock(Self.start), candidateLimit: 3)
        let held = ScratchPostgresProbe.value(on: database.url, "SELECT count(*) || ' ' || sum(live) FROM token_name")
        let live = ScratchPostgresProbe.value(on: database.url,
                                            "SELECT count(DISTINCT nameKey) || ' ' || count(*) FROM token WHERE revokedAt IS NULL")
        #expect(held == live && !held.isEmpty)
        try expectPagesAsSQLite(upgraded, limit: 3, "upgraded")
    }

    /// The copy's triggers leave a dead version of a tally per token copied, which every count and search would read.
    @Test func aCopyLeavesTheTalliesAPageAndTheNamesInKeyOrder() throws {
        // Nine tallies: a page, or two (once seen under a loaded server); the copy's 300 dead versions made three.
        let tallyPages = Int(ScratchPostgresProbe.value(on: database.url, "SELECT pg_relation_size('token_tally') / 8192")) ?? 99
        #expect(tallyPages <= 2, "token_tally holds \(tallyPages) pages")
        let outOfOrder = ScratchPostgresProbe.value(on: database.url, """
            SELECT count(*) FROM (SELECT nameKey, lag(nameKey) OVER (ORDER BY ctid) AS before FROM token_name) AS names
            WHERE before > nameKey
            """)
        #expect(outOfOrder == "0")
    }

    @Test func bothEnginesFollowTheSameWritesAndKeepTheirChains() throws {
        let jo = try #require(try sqlite.account(login: "bruno"))
        for store in [sqlite, postgres] as [any TokenRepository] {
            let mine = try store.tokens(matching: TokenFilter(personalOwnerID: jo.id), order: TokenOrder(.name), by: jo)
            _ = try store.revoke(ids: [mine[0].id], by: jo)
            _ = try store.edit(id: mine[1].id, to: TokenDraft(name: "Renamed by both", kind: .personal, teamID: mine[1].teamID,
                                                            permissions: mine[1].permissions, expiresIn: mine[1].expiresIn), by: jo)
            _ = try store.roll(id: mine[2].id, grace: TimeSpan(hours: 2), by: jo)
            try store.removeAccount(login: "emil", by: root)
            let batch = try store.revokeBatch(matching: TokenFilter(status: .expired), after: 0, upTo: .max, except: [],
                                              limit: 25, reason: "cleanup", by: root)
            #expect(batch.revoked.count == 25)
        }
        // The rolled token's new secret, and so its hint, differs between the engines; everything else is the same.
        func facts(_ tokens: [Token]) -> [String] { tokens.map { "\($0.id) \($0.name) v\($0.version) \($0.expiresAt as Any) \($0.ownerLacksAccess)" } }
        for filter in Self.filters {
            #expect(try facts(postgres.tokens(matching: filter, order: TokenOrder(.expires), by: root))
                    == facts(sqlite.tokens(matching: filter, order: TokenOrder(.expires), by: root)), "\(filter)")
        }
        #expect(try postgres.story(ofToken: 3, by: root)?.history.map(\.action) == sqlite.story(ofToken: 3, by: root)?.history.map(\.action))
        #expect(try postgres.verifyAudit(by: root).isIntact)
        #expect(try sqlite.verifyAudit(by: root).isIntact)
        #expect(try postgres.auditLog(by: root).map(\.action) == sqlite.auditLog(by: root).map(\.action))
        let thresholds = [TimeSpan(hours: 24), TimeSpan(hours: 24 * 7)]
        #expect(try postgres.dueWarnings(within: thresholds, by: root).map(\.token.id) == sqlite.dueWarnings(within: thresholds, by: root).map(\.token.id))
    }

    @Test func anUnfinishedMigrateIsRefusedAndATamperedSourceIsNotCopied() throws {
        ScratchPostgres.psql(database.url, "INSERT INTO apitokens_migration (name) VALUES ('import-unfinished')")
        do {
            _ = try PostgresStore(PostgresLocation(parsing: database.url, osUser: "root"))
            Issue.record("a half-copied database opened")
        } catch {
            #expect("\(error)".contains("under way or did not finish; if none is running, drop and create the database"), "\(error)")
        }
        let fresh = try #require(ScratchPostgres())
        let target = try PostgresStore(PostgresLocation(parsing: fresh.url, osUser: "root"))
        try sqlite.setOrganisationPolicy(OrganisationPolicy(maxLifetimeDays: 90, requireIPAllowList: false), by: root)
        let file = scratch.path("tokens.sqlite")
        sqlite.close()
        let tamper = Process()
        tamper.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        tamper.arguments = [file, "UPDATE audit SET details = 'nothing' WHERE id = 1"]
        try tamper.run()
        tamper.waitUntilExit()
        let reopened = try TokenStore(path: file)
        #expect(throws: TokenStoreError.self) { try PostgresImport(from: reopened, to: target).run(by: root) { _ in } }
        #expect(try target.accounts().isEmpty)
    }

    @Test func aTamperedCopyFailsAuditVerifyOnPostgreSQL() throws {
        ScratchPostgres.psql(database.url, "UPDATE audit SET details = 'nothing happened' WHERE id = 2")
        let verification = try postgres.verifyAudit(by: root)
        #expect(verification.problem == "event #2 was changed after it was written")
    }
}
