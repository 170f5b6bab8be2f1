import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore

/// Keyset pages walk the whole list in order, forwards and backwards, whatever the sort.
struct QueryTests {
    @Test(arguments: TokenSort.allCases, [false, true])
    func pagesCoverEveryTokenOnceInOrder(sort: TokenSort, descending: Bool) throws {
        let store = try TokenStore(inMemoryWith: FixedClock(StoreFixture.start))
        try store.bootstrapIfEmpty(login: "root", name: "Root")
        try DemoSeeder(store: store).seed(osLogin: "root", osName: "Root", tokenCount: 97)
        let order = TokenOrder(sort, descending: descending)
        let everything = try store.tokens(matching: TokenFilter(), order: order, by: try store.root())
        #expect(everything.count == 97)
        var forward: [Token] = []
        var cursor: Token?
        repeat {
            let page = try store.tokens(matching: TokenFilter(), order: order, after: cursor, limit: 10, by: try store.root())
            forward += page
            cursor = page.last
            if page.count < 10 { break }
        } while true
        #expect(forward.map(\.id) == everything.map(\.id))
        let lastPage = try store.tokens(matching: TokenFilter(), order: order, before: nil, limit: 10, by: try store.root())
        #expect(lastPage.map(\.id) == everything.suffix(10).map(\.id))
        let previous = try store.tokens(matching: TokenFilter(), order: order, before: lastPage.first, limit: 10, by: try store.root())
        #expect(previous.map(\.id) == everything.dropLast(10).suffix(10).map(\.id))
    }

    @Test func searchMatchesNameOrCreatorCaseInsensitively() throws {
        let store = try TokenStore(inMemoryWith: FixedClock(StoreFixture.start))
        try store.bootstrapIfEmpty(login: "root", name: "Root")
        try DemoSeeder(store: store).seed(osLogin: "root", osName: "Root", tokenCount: 60)
        let deploys = try store.tokens(matching: TokenFilter(search: "DEPLOY"), order: TokenOrder(.name), by: try store.root())
        #expect(!deploys.isEmpty && deploys.allSatisfy { $0.name.lowercased().contains("deploy") || $0.owner.contains("deploy") })
        let bruno = try store.tokens(matching: TokenFilter(search: "bruno"), order: TokenOrder(.name), by: try store.root())
        #expect(!bruno.isEmpty && bruno.allSatisfy { $0.owner == "bruno" })
        let percent = try store.tokens(matching: TokenFilter(search: "%"), order: TokenOrder(.name), by: try store.root())
        #expect(percent.isEmpty)
    }

    @Test func statusFilterAndExpirySortPutExpiredFirst() throws {
        let store = try TokenStore(inMemoryWith: FixedClock(StoreFixture.start))
        try store.bootstrapIfEmpty(login: "root", name: "Root")
        try DemoSeeder(store: store).seed(osLogin: "root", osName: "Root", tokenCount: 60)
        let now = store.now
        // One owner leaves a team where they hold a live personal token, which makes it inactive.
        let personal = try #require(try store.tokens(matching: TokenFilter(status: .active), order: TokenOrder(.name), by: try store.root())
            .first { $0.kind == .personal && $0.owner != "root" })
        try store.leave(login: personal.owner, team: personal.team, by: try store.root())
        let sorted = try store.tokens(matching: TokenFilter(), order: TokenOrder(.expires), by: try store.root())
        guard case .exact(let expired) = try store.count(matching: TokenFilter(status: .expired), by: try store.root()) else {
            Issue.record("60 tokens are counted exactly")
            return
        }
        #expect(expired > 0)
        #expect(sorted.prefix(expired).allSatisfy { $0.status(at: now) == .expired })
        #expect(sorted.last?.expiresAt == nil)
        for status in TokenStatus.allCases {
            let matching = try store.tokens(matching: TokenFilter(status: status), order: TokenOrder(.name), by: try store.root())
            #expect(!matching.isEmpty && matching.allSatisfy { $0.status(at: now) == status }, "\(status)")
        }
    }
}
