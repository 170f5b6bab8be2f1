import Foundation
import PostgresNIO
import TokenDomain
import TokenStore

extension PostgresStore {
    /// Up to `limit` live tokens in `order`, starting just after `cursor` (or at the start): a keyset page on the
    /// sort's own index. Every list is authorised on the actor as they are now.
    public func tokens(matching filter: TokenFilter, order: TokenOrder, after cursor: Token?, limit: Int?,
                       by actor: Account) throws(TokenStoreError) -> [Token] {
        let now = nowSeconds()
        return try read { db in
            try db.authoriseList(filter, by: actor)
            let plan = try db.listPlan(filter, order: order, now: now, candidateLimit: candidateLimit)
            return try db.page(plan, order, cursor: cursor, forward: true, limit: limit)
        }
    }

    /// Up to `limit` live tokens that come just before `cursor` (or at the very end), returned in `order`.
    public func tokens(matching filter: TokenFilter, order: TokenOrder, before cursor: Token?, limit: Int,
                       by actor: Account) throws(TokenStoreError) -> [Token] {
        let now = nowSeconds()
        return try read { db in
            try db.authoriseList(filter, by: actor)
            let plan = try db.listPlan(filter, order: order, now: now, candidateLimit: candidateLimit)
            return try db.page(plan, order, cursor: cursor, forward: false, limit: limit).reversed()
        }
    }

    /// How many live tokens match: exact up to a few thousand, else a lower bound; the whole table from the tally.
    public func count(matching filter: TokenFilter, by actor: Account) throws(TokenStoreError) -> TokenCount {
        let now = nowSeconds()
        return try read { db in
            try db.authoriseList(filter, by: actor)
            return try db.count(db.listPlan(filter, order: nil, now: now, candidateLimit: candidateLimit))
        }
    }

    /// The first page and the count, for a new search or sort.
    public func firstPage(matching filter: TokenFilter, order: TokenOrder, limit: Int,
                          by actor: Account) throws(TokenStoreError) -> (tokens: [Token], count: TokenCount) {
        let now = nowSeconds()
        return try read { db in
            try db.authoriseList(filter, by: actor)
            let plan = try db.listPlan(filter, order: order, now: now, candidateLimit: candidateLimit)
            return (try db.page(plan, order, cursor: nil, forward: true, limit: limit), try db.count(plan))
        }
    }

    /// How many live tokens match, counted exactly whatever it costs: the size of a bulk revoke, asked once.
    public func exactCount(matching filter: TokenFilter, by actor: Account) throws(TokenStoreError) -> Int {
        let now = nowSeconds()
        return try read { db in
            try db.authoriseList(filter, by: actor)
            var sql = SQLBuilder("SELECT count(*) FROM token WHERE ")
            try db.matchCondition(filter, now: now)(&sql)
            return Int(try db.value(sql.query, as: Int64.self) ?? 0)
        }
    }

    /// The highest token id so far; a bulk revoke bounded by it never reaches a token made after it was confirmed.
    public func lastTokenID() throws(TokenStoreError) -> Int64 {
        try read { db in try db.value("SELECT coalesce(max(id), 0) FROM token", as: Int64.self) ?? 0 }
    }

    /// Revokes, in one transaction, up to `limit` matching live tokens after `cursor` and at most `upTo`, leaving out
    /// `except`, each judged on the actor as they are now and audited with `reason`.
    public func revokeBatch(matching filter: TokenFilter, after cursor: Int64, upTo last: Int64, except: Set<Int64>,
                            limit: Int, reason: String, by actor: Account) throws(TokenStoreError) -> RevokeBatch {
        let now = nowSeconds()
        return try write { db in
            try db.authoriseList(filter, by: actor)
            let actor = try db.currentActor(actor)
            var sql = SQLBuilder("SELECT \(Transaction.tokenColumns) FROM token WHERE ")
            try db.matchCondition(filter, now: now)(&sql)
            sql.append(" AND token.id > "); sql.bind(cursor)
            sql.append(" AND token.id <= "); sql.bind(last)
            sql.append(" ORDER BY token.id LIMIT \(max(0, limit))")
            let found = try db.rows(sql.query).map(Token.init(postgres:))
            var revoked: [Token] = []
            for token in found where !except.contains(token.id) {
                try Policy.check(.revoke, on: token, by: actor)
                try db.revoke(token, at: now, by: actor.login, details: reason)
                revoked.append(token)
            }
            return RevokeBatch(revoked: revoked, resumeAfter: found.last?.id ?? cursor, isLast: found.count < limit)
        }
    }
}

extension Transaction {
    /// Refuses a list the actor, as they are now, may not see: every token, or someone else's personal ones.
    func authoriseList(_ filter: TokenFilter, by actor: Account) throws {
        let actor = try currentActor(actor)
        if actor.isAdmin || filter.personalOwnerID == actor.id { return }
        let what = filter.personalOwnerID == nil ? "list every token" : "list other people's personal tokens"
        throw PolicyError("only administrators can \(what); \(actor.login) is a \(actor.role.label)")
    }

    /// One page of `plan` in `order` (reversed when not `forward`), after `cursor`.
    func page(_ plan: ListPlan, _ order: TokenOrder, cursor: Token?, forward: Bool, limit: Int?) throws -> [Token] {
        guard let seek = plan.seek, let limit else {
            return try page(plan.branches, order, cursor: cursor, forward: forward, limit: limit)
        }
        // The names from the cursor's own on, in the page's direction: the page is read through the fewest of them
        // that hold a page of tokens, and through twice as many while rows past the last of them could come
        // before what was read (a creator's, or a name's tokens counted before a concurrent revoke).
        let descending = order.descending != !forward
        func sortsBefore(_ one: String, _ other: String) -> Bool {
            descending ? other.utf8.lexicographicallyPrecedes(one.utf8) : one.utf8.lexicographicallyPrecedes(other.utf8)
        }
        var names = ArraySlice(descending ? seek.names.reversed() : seek.names)
        if let cursor {
            let key = Naming.uniquenessKey(cursor.name)
            names = names.drop { sortsBefore($0.key, key) }
        }
        var taken = 0
        var held = 0
        while taken < names.count && held < limit {
            held += names[names.startIndex + taken].live
            taken += 1
        }
        while true {
            let chunk = names.prefix(max(1, taken))
            let rows = try page(seek.branches(chunk.map(\.key)), order, cursor: cursor, forward: forward, limit: limit)
            guard let bound = chunk.last?.key, chunk.count < names.count else { return rows }
            let complete = rows.prefix { !sortsBefore(bound, Naming.uniquenessKey($0.name)) }
            if complete.count >= limit { return Array(complete) }
            taken = chunk.count * 2
        }
    }

    /// One page of the rows of `branches`, each read in order on its own and merged.
    private func page(_ branches: [ListPlan.Condition], _ order: TokenOrder, cursor: Token?, forward: Bool,
                      limit: Int?) throws -> [Token] {
        guard !branches.isEmpty else { return [] }
        let expression = order.sort.postgresExpression
        let descending = order.descending != !forward
        let direction = descending ? "DESC" : "ASC"
        let limitClause = limit.map { " LIMIT \(max(0, $0))" } ?? ""
        let ordering = " ORDER BY \(expression) \(direction), token.id \(direction)"
        func select(_ condition: ListPlan.Condition, into sql: inout SQLBuilder) {
            // A page's ids first, then their rows: the ids come from the indexes alone where they hold what the
            // condition and the sort read, and only the page's rows are read from the table.
            sql.append("SELECT \(Self.tokenColumns), \(expression) AS sortKey FROM token WHERE ")
            if limit != nil { sql.append("token.id IN (SELECT token.id FROM token WHERE ") }
            condition(&sql)
            if let cursor {
                sql.append(" AND (\(expression), token.id) \(descending ? "<" : ">") (")
                order.sort.bindKey(of: cursor, to: &sql)
                sql.append(", ")
                sql.bind(cursor.id)
                sql.append(")")
            }
            sql.append(ordering + limitClause)
            if limit != nil { sql.append(")" + ordering) }
        }
        var sql = SQLBuilder("")
        if branches.count == 1 {
            select(branches[0], into: &sql)
        } else {
            // The union keeps a token found by two branches once.
            sql.append("SELECT * FROM (")
            for (index, branch) in branches.enumerated() {
                sql.append(index == 0 ? "(" : " UNION (")
                select(branch, into: &sql)
                sql.append(")")
            }
            sql.append(") AS listed ORDER BY sortKey \(direction), id \(direction)\(limitClause)")
        }
        return try rows(sql.query).map(Token.init(postgres:))
    }

    /// How many match: from the tally or the search when that knows, else counted up to the limit.
    func count(_ plan: ListPlan) throws -> TokenCount {
        switch plan.count {
        case .tally(let owner): return .exact(try liveCount(personalOwner: owner))
        case .known(let count): return count
        case .counted: break
        }
        guard !plan.branches.isEmpty else { return .exact(0) }
        // A branch holding more than the limit makes the union more than the limit, so each stops there.
        let limit = plan.candidateLimit
        var sql = SQLBuilder("SELECT count(*) FROM (")
        for (index, branch) in plan.branches.enumerated() {
            sql.append(index == 0 ? "(" : " UNION (")
            sql.append("SELECT token.id FROM token WHERE ")
            branch(&sql)
            sql.append(" LIMIT \(limit + 1))")
        }
        sql.append(") AS capped")
        let counted = try value(sql.query, as: Int64.self) ?? 0
        return counted > limit ? .atLeast(limit + 1) : .exact(Int(counted))
    }
}

/// SQL text and its arguments, built in pieces: each argument is bound as the next `$N`.
struct SQLBuilder {
    private(set) var text: String
    private(set) var binds = PostgresBindings()

    init(_ text: String) { self.text = text }

    mutating func append(_ sql: String) { text += sql }

    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) {
        binds.append(value)
        text += "$\(binds.count)"
    }

    mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value) throws {
        try binds.append(value)
        text += "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: text, binds: binds) }
}

extension TokenSort {
    /// The indexed expression this sort orders by on PostgreSQL: never-expiring sorts last, never-used first.
    var postgresExpression: String {
        switch self {
        case .name: "token.nameKey"
        case .kind: "token.kind"
        case .owner: "token.ownerLogin"
        case .team: "token.teamName"
        case .created: "token.createdAt"
        case .expires: "coalesce(token.expiresAt, 9223372036854775807)"
        case .lastUsed: "coalesce(token.lastUsedAt, 0)"
        }
    }

    /// Binds this sort's value for a token, to seek past it.
    func bindKey(of token: Token, to sql: inout SQLBuilder) {
        func seconds(_ date: Date?) -> Int64? { date.map { Int64($0.timeIntervalSince1970) } }
        switch self {
        case .name: sql.bind(Naming.uniquenessKey(token.name))
        case .kind: sql.bind(token.kind.rawValue)
        case .owner: sql.bind(token.owner)
        case .team: sql.bind(token.team)
        case .created: sql.bind(seconds(token.createdAt) ?? 0)
        case .expires: sql.bind(seconds(token.expiresAt) ?? Int64.max)
        case .lastUsed: sql.bind(seconds(token.lastUsedAt) ?? 0)
        }
    }
}
