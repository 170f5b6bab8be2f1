import Foundation
internal import GRDB
import TokenDomain

extension TokenSort {
    /// The indexed SQL expression this sort orders by; never-expiring sorts last, never-used first.
    var expression: String {
        switch self {
        case .name: "nameKey"
        case .kind: "kind"
        case .owner: "ownerLogin"
        case .team: "teamName"
        case .created: "createdAt"
        case .expires: "ifnull(expiresAt, 9223372036854775807)"
        case .lastUsed: "ifnull(lastUsedAt, 0)"
        }
    }

    /// The index that walks one owner's personal tokens in this order.
    var personalIndex: String { "token_personal_by_" + rawValue.replacingOccurrences(of: "-", with: "_") }

    /// The index that walks every live token in this order.
    var liveIndex: String { "token_live_by_" + rawValue.replacingOccurrences(of: "-", with: "_") }

    /// The value of this sort's expression for a token, to seek past it.
    func key(of token: Token) -> DatabaseValue {
        func seconds(_ date: Date?) -> Int64? { date.map { Int64($0.timeIntervalSince1970) } }
        switch self {
        case .name: return Naming.uniquenessKey(token.name).databaseValue
        case .kind: return token.kind.rawValue.databaseValue
        case .owner: return token.owner.databaseValue
        case .team: return token.team.databaseValue
        case .created: return (seconds(token.createdAt) ?? 0).databaseValue
        case .expires: return (seconds(token.expiresAt) ?? Int64.max).databaseValue
        case .lastUsed: return (seconds(token.lastUsedAt) ?? 0).databaseValue
        }
    }
}

extension TokenFilter {
    /// The search as matched against stored name keys: trimmed and folded the same way.
    package var needle: String { Naming.uniquenessKey(search.trimmingCharacters(in: .whitespaces)) }
}

extension TokenStore {
    /// Up to `limit` live tokens in `order`, starting just after `cursor` (or at the start): a keyset page.
    /// Every list is authorised on the actor as it is now: all tokens for admins, one's own personal ones for anyone.
    public func tokens(matching filter: TokenFilter, order: TokenOrder, after cursor: Token?,
                       limit: Int?, by actor: Account) throws(TokenStoreError) -> [Token] {
        try page(filter, order, cursor: cursor, forward: true, limit: limit, by: actor)
    }

    /// Up to `limit` live tokens that come just before `cursor` (or at the very end), returned in `order`.
    public func tokens(matching filter: TokenFilter, order: TokenOrder, before cursor: Token?,
                       limit: Int, by actor: Account) throws(TokenStoreError) -> [Token] {
        try page(filter, order, cursor: cursor, forward: false, limit: limit, by: actor).reversed()
    }

    /// How many live tokens match, exactly when that costs at most a few thousand rows.
    public func count(matching filter: TokenFilter, by actor: Account) throws(TokenStoreError) -> TokenCount {
        let now = nowSeconds()
        let limit = candidateLimit
        return try read { db in
            try Self.authoriseList(db, filter, by: actor)
            let plan = try QueryPlan(db, filter: filter, now: now, candidateLimit: limit, order: nil)
            return try Self.count(db, plan, filter, candidateLimit: limit)
        }
    }

    /// The first `limit` live tokens in `order` and how many match in all, from one plan: a new search or sort.
    public func firstPage(matching filter: TokenFilter, order: TokenOrder, limit: Int,
                          by actor: Account) throws(TokenStoreError) -> (tokens: [Token], count: TokenCount) {
        let now = nowSeconds()
        let candidateLimit = candidateLimit
        return try read { db in
            try Self.authoriseList(db, filter, by: actor)
            let plan = try QueryPlan(db, filter: filter, now: now, candidateLimit: candidateLimit, order: order)
            return (try Self.page(db, plan, order, cursor: nil, forward: true, limit: limit),
                    try Self.count(db, plan, filter, candidateLimit: candidateLimit))
        }
    }

    private static func count(_ db: Database, _ plan: QueryPlan, _ filter: TokenFilter, candidateLimit limit: Int) throws -> TokenCount {
        if let known = try plan.knownCount(db) { return known }
        let rows = "SELECT 1 FROM \(plan.source.sql) WHERE \(plan.condition.sql)"
        let arguments = plan.source.arguments + plan.condition.arguments
        if plan.usesCandidates {
            return .exact(try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM (\(rows))"), arguments: arguments) ?? 0)
        }
        if let owner = filter.personalOwnerID, filter.status == nil, let search = plan.searchPredicate {
            // The search reads only columns of the owner's personal index, so its entries are counted without
            // the table: sixteen times the candidate limit still costs a few milliseconds. "N+" beyond that.
            let examine = limit * 16
            let sample = """
                SELECT \(search.sql) AS hit FROM token INDEXED BY \(TokenSort.created.personalIndex)
                WHERE token.ownerId = ? AND token.kind = 'personal' AND token.revokedAt IS NULL LIMIT ?
                """
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT count(*), ifnull(sum(hit), 0) FROM (\(sample))"),
                                       arguments: search.arguments + [owner, examine])
            let (examined, hits): (Int, Int) = (row?[0] ?? 0, row?[1] ?? 0)
            return examined < examine ? .exact(hits) : .atLeast(hits)
        }
        let capped = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM (\(rows) LIMIT ?)"),
                                      arguments: arguments + [limit + 1]) ?? 0
        return capped > limit ? .atLeast(limit + 1) : .exact(capped)
    }

    /// Refuses a list the actor, as they are now, may not see: every token, or someone else's personal ones.
    static func authoriseList(_ db: Database, _ filter: TokenFilter, by actor: Account) throws {
        let actor = try currentActor(db, actor)
        if actor.isAdmin || filter.personalOwnerID == actor.id { return }
        let what = filter.personalOwnerID == nil ? "list every token" : "list other people's personal tokens"
        throw PolicyError("only administrators can \(what); \(actor.login) is a \(actor.role.label)")
    }

    private func page(_ filter: TokenFilter, _ order: TokenOrder, cursor: Token?, forward: Bool,
                      limit: Int?, by actor: Account) throws(TokenStoreError) -> [Token] {
        let now = nowSeconds()
        let candidateLimit = candidateLimit
        return try read { db in
            try Self.authoriseList(db, filter, by: actor)
            let plan = try QueryPlan(db, filter: filter, now: now, candidateLimit: candidateLimit, order: order)
            return try Self.page(db, plan, order, cursor: cursor, forward: forward, limit: limit)
        }
    }

    private static func page(_ db: Database, _ plan: QueryPlan, _ order: TokenOrder, cursor: Token?, forward: Bool,
                             limit: Int?) throws -> [Token] {
        let expression = order.sort.expression
        // Walking backwards is walking forwards in the opposite direction, then reversing.
        let descending = order.descending != !forward
        let direction = descending ? "DESC" : "ASC"
        let ordering = "ORDER BY \(expression) \(direction), token.id \(direction) LIMIT ?"
        func select(_ branch: QueryPlan.Branch) -> (sql: String, arguments: StatementArguments) {
            var whereClause = branch.condition.sql
            var arguments = branch.source.arguments + branch.condition.arguments
            if let cursor {
                whereClause += " AND (\(expression), token.id) \(descending ? "<" : ">") (?, ?)"
                arguments += [order.sort.key(of: cursor), cursor.id]
            }
            return ("SELECT \(Token.selection) FROM \(branch.source.sql) WHERE \(whereClause) \(ordering)", arguments + [limit ?? -1])
        }
        var (sql, arguments): (String, StatementArguments)
        if let branches = plan.branches {
            // Each branch reads its own first page in order; the union keeps a token found by two once.
            let selects = branches.map(select)
            sql = "SELECT * FROM (" + selects.map { "SELECT * FROM (\($0.sql))" }.joined(separator: " UNION ") + ") AS token \(ordering)"
            arguments = selects.reduce(into: StatementArguments()) { $0 += $1.arguments } + [limit ?? -1]
        } else {
            (sql, arguments) = select(QueryPlan.Branch(source: plan.source, condition: plan.condition))
        }
        // A cursor's rows are read in place; fetchAll would copy every row before decoding it.
        return try Array(Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments).map(Token.init(row:)))
    }
}
