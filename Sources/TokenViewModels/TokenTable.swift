import Foundation
import TokenDomain
import TokenStore

/// The table of tokens: sort, filter, and the window of rows on screen.
public struct TokenTable: Hashable, Sendable {
    public internal(set) var order = TokenOrder(.created, descending: true)
    /// The incremental filter on name or creator.
    public internal(set) var search = TextField(limit: 100)
    /// True while the search box has the keyboard.
    public internal(set) var isSearching = false
    /// Only the rows on screen, fetched from the store.
    public internal(set) var rows: [Token] = []
    /// The index of the selected row within `rows`.
    public internal(set) var selection = 0
    /// Rows marked with Space, by token id.
    public internal(set) var marked: Set<Int64> = []
    /// Set by `A`: every token matching the filter is marked, but for those unmarked since with Space.
    public internal(set) var markedAll: MarkedAll?
    /// How many live tokens match the tab and filter.
    public internal(set) var total = TokenCount.exact(0)
    /// How many rows fit on screen.
    public internal(set) var pageSize = 10
    /// True when the first row on screen was the first of the list when read: a reload in place then starts at the
    /// top, so that a token added above shows, rather than holding the old first row there.
    public internal(set) var beginsAtTop = true

    /// Whether the row shows as marked.
    public func isMarked(_ token: Token) -> Bool {
        if let markedAll { return !markedAll.except.contains(token.id) }
        return marked.contains(token.id)
    }

    /// How many tokens are marked.
    public var markedCount: Int { markedAll.map { max(0, $0.count - $0.except.count) } ?? marked.count }

    /// The selected token, if any.
    public var selected: Token? { rows.isEmpty ? nil : rows[min(selection, rows.count - 1)] }

    /// The tokens a tab lists for this actor, as the search narrows them.
    func filter(for actor: Account, on tab: Tab) -> TokenFilter {
        TokenFilter(personalOwnerID: tab == .personal ? actor.id : nil, search: search.text)
    }
}

/// Window movement over the store: keyset pages, so the end of a million rows is as near as the start.
struct TableWindow {
    let store: any TokenRepository
    let filter: TokenFilter
    let order: TokenOrder
    let size: Int
    /// Who is looking; the store judges what they may see as they are now.
    let actor: Account

    /// The first window and the count of everything that matches, planned once.
    func firstWithCount() throws(TokenStoreError) -> (tokens: [Token], count: TokenCount) {
        try store.firstPage(matching: filter, order: order, limit: size, by: actor)
    }

    func first() throws(TokenStoreError) -> [Token] {
        try store.tokens(matching: filter, order: order, after: nil, limit: size, by: actor)
    }

    func last() throws(TokenStoreError) -> [Token] {
        try store.tokens(matching: filter, order: order, before: nil, limit: size, by: actor)
    }

    /// A full window starting at `anchor` (or the row that took its place), filled backwards at the end, and
    /// whether it begins at the top of the list.
    func starting(at anchor: Token) throws(TokenStoreError) -> (rows: [Token], atTop: Bool) {
        let previous = try store.tokens(matching: filter, order: order, before: anchor, limit: 1, by: actor).first
        var rows = try store.tokens(matching: filter, order: order, after: previous, limit: size, by: actor)
        var atTop = previous == nil
        if rows.count < size {
            let missing = size - rows.count
            let before = try store.tokens(matching: filter, order: order, before: rows.first, limit: missing, by: actor)
            rows = before + rows
            atTop = atTop || before.count < missing
        }
        return (rows, atTop)
    }

    func after(_ token: Token?, limit: Int) throws(TokenStoreError) -> [Token] {
        try store.tokens(matching: filter, order: order, after: token, limit: limit, by: actor)
    }

    func before(_ token: Token?, limit: Int) throws(TokenStoreError) -> [Token] {
        try store.tokens(matching: filter, order: order, before: token, limit: limit, by: actor)
    }
}

/// Every live token matching a filter, marked at once, less the ones unmarked one by one.
public struct MarkedAll: Hashable, Sendable {
    /// The tab and search the marks follow.
    public let filter: TokenFilter
    /// How many tokens matched when they were marked.
    public internal(set) var count: Int
    /// Tokens unmarked with Space since.
    public internal(set) var except: Set<Int64> = []
    /// The highest token id when the revoke was confirmed: tokens made after that are not part of it.
    public internal(set) var upToID: Int64 = .max
}
