import Foundation
import PostgresNIO
import TokenDomain
import TokenStore

extension PostgresStore {
    /// Counts are exact up to this many rows, then "at least".
    static let countLimit = 4_000

    /// Up to `limit` live tokens in `order`, starting just after `cursor` (or at the start): a keyset page on the
    /// sort's own index. Every list is authorised on the actor as they are now.
    public func tokens(matching filter: TokenFilter, order: TokenOrder, after cursor: Token?, limit: Int?,
                       by actor: Account) throws(TokenStoreError) -> [Token] {
        let now = nowSeconds()
        return try read { db in
            try db.authoriseList(filter, by: actor)
            return try db.page(filter, order, cursor: cursor, forward: true, limit: limit, now: now)
        }
    }

    /// Up to `limit` live tokens that come just before `cursor` (or at the very end), returned in `order`.
    public func tokens(matching filter: TokenFilter, order: TokenOrder, before cursor: Token?, limit: Int,
                       by actor: Account) throws(TokenStoreError) -> [Token] {
        let now = nowSeconds()
        return try read { db in
            try db.authoriseList(filter, by: actor)
            return try db.page(filter, order, cursor: cursor, forward: false, limit: limit, now: now).reversed()
        }
    }

    /// How many live tokens match: exact up to a few thousand, else a lower bound; the whole table from the tally.
    public func count(matching filter: TokenFilter, by actor: Account) throws(TokenStoreError) -> TokenCount {
        let now = nowSeconds()
        return try read { db in
            try db.authoriseList(filter, by: actor)
            return try db.count(filter, now: now)
        }
    }

    /// The first page and the count, for a new search or sort.
    public func firstPage(matching filter: TokenFilter, order: TokenOrder, limit: Int,
                          by actor: Account) throws(TokenStoreError) -> (tokens: [Token], count: TokenCount) {
        let now = nowSeconds()
        return try read { db in
            try db.authoriseList(filter, by: actor)
            return (try db.page(filter, order, cursor: nil, forward: true, limit: limit, now: now), try db.count(filter, now: now))
        }
    }

    /// How many live tokens match, counted exactly whatever it costs: the size of a bulk revoke, asked once.
    public func exactCount(matching filter: TokenFilter, by actor: Account) throws(TokenStoreError) -> Int {
        let now = nowSeconds()
        return try read { db in
            try db.authoriseList(filter, by: actor)
            var sql = SQLBuilder("SELECT count(*) FROM token WHERE ")
            try db.appendCondition(filter, now: now, to: &sql)
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
            try db.appendCondition(filter, now: now, to: &sql)
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

    /// One page in `order` (reversed when not `forward`), after `cursor`.
    func page(_ filter: TokenFilter, _ order: TokenOrder, cursor: Token?, forward: Bool, limit: Int?, now: Int64) throws -> [Token] {
        var sql = SQLBuilder("SELECT \(Self.tokenColumns) FROM token WHERE ")
        try appendCondition(filter, now: now, to: &sql)
        let expression = order.sort.postgresExpression
        let descending = order.descending != !forward
        if let cursor {
            sql.append(" AND (\(expression), token.id) \(descending ? "<" : ">") (")
            order.sort.bindKey(of: cursor, to: &sql)
            sql.append(", ")
            sql.bind(cursor.id)
            sql.append(")")
        }
        let direction = descending ? "DESC" : "ASC"
        sql.append(" ORDER BY \(expression) \(direction), token.id \(direction)")
        if let limit { sql.append(" LIMIT \(max(0, limit))") }
        return try rows(sql.query).map(Token.init(postgres:))
    }

    /// How many match, from the tally when nothing narrows the list, else counted up to the limit.
    func count(_ filter: TokenFilter, now: Int64) throws -> TokenCount {
        let plain = filter.search.trimmingCharacters(in: .whitespaces).isEmpty && filter.status == nil && filter.unusedFor == nil
            && filter.expiresWithin == nil && !filter.breaksPolicy
        if plain {
            let owner = filter.personalOwnerID
            let live = try value("""
                SELECT coalesce(sum(live), 0)::BIGINT FROM token_tally
                WHERE (\(owner)::BIGINT IS NULL OR (ownerId = \(owner) AND kind = 'personal'))
                """, as: Int64.self) ?? 0
            return .exact(Int(live))
        }
        let limit = PostgresStore.countLimit
        var sql = SQLBuilder("SELECT count(*) FROM (SELECT 1 FROM token WHERE ")
        try appendCondition(filter, now: now, to: &sql)
        sql.append(" LIMIT \(limit + 1)) AS capped")
        let counted = try value(sql.query, as: Int64.self) ?? 0
        return counted > limit ? .atLeast(limit + 1) : .exact(Int(counted))
    }

    /// Appends the WHERE clause every listed row passes, its arguments bound: the same rules as SQLite's query plan.
    func appendCondition(_ filter: TokenFilter, now: Int64, to sql: inout SQLBuilder) throws {
        sql.append("token.revokedAt IS NULL")
        if let owner = filter.personalOwnerID {
            sql.append(" AND token.ownerId = "); sql.bind(owner); sql.append(" AND token.kind = 'personal'")
        }
        let soon = now + Int64(TokenStatus.expiringWindow)
        let lacksAccess = Token.ownerLacksAccessSQL
        switch filter.status {
        case nil: break
        case .expired: sql.append(" AND token.expiresAt <= "); sql.bind(now)
        case .inactive:
            sql.append(" AND (token.expiresAt IS NULL OR token.expiresAt > "); sql.bind(now); sql.append(") AND \(lacksAccess)")
        case .expiring:
            sql.append(" AND token.expiresAt > "); sql.bind(now); sql.append(" AND token.expiresAt <= "); sql.bind(soon)
            sql.append(" AND NOT \(lacksAccess)")
        case .active:
            sql.append(" AND (token.expiresAt IS NULL OR token.expiresAt > "); sql.bind(soon); sql.append(") AND NOT \(lacksAccess)")
        }
        if let unused = filter.unusedFor { sql.append(" AND coalesce(token.lastUsedAt, 0) < "); sql.bind(now - unused.seconds) }
        if let within = filter.expiresWithin {
            sql.append(" AND token.expiresAt > "); sql.bind(now); sql.append(" AND token.expiresAt <= "); sql.bind(now + within.seconds)
        }
        if filter.breaksPolicy {
            let policy = try organisationPolicy()
            var broken: [String] = []
            if let days = policy.maxLifetimeDays { broken.append("token.expiresInDays IS NULL OR token.expiresInDays > \(days)") }
            // Empty, or holding a whole family (0.0.0.0/0, ::/0), as `OrganisationPolicy.ipProblem` judges.
            if policy.requireIPAllowList { broken.append("token.allowedIPs = '' OR (',' || token.allowedIPs || ',') LIKE '%/0,%'") }
            sql.append(broken.isEmpty ? " AND false" : " AND (" + broken.map { "(\($0))" }.joined(separator: " OR ") + ")")
        }
        let needle = Naming.uniquenessKey(filter.search.trimmingCharacters(in: .whitespaces))
        guard !needle.isEmpty else { return }
        // As on SQLite: shorter than a trigram matches the start of a name, else anywhere in it; the trigram index
        // serves the LIKE. Creators match by login or display name.
        let short = needle.unicodeScalars.count < 3
        let escaped = needle.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        let creators = try rows("SELECT id, login, name FROM account").compactMap { row -> Int64? in
            let (id, login, name) = try row.decode((Int64, String, String).self)
            let texts = [Naming.uniquenessKey(login), Naming.uniquenessKey(name)]
            return texts.contains { short ? $0.hasPrefix(needle) : $0.contains(needle) } ? id : nil
        }
        sql.append(" AND (token.nameKey LIKE "); sql.bind(short ? escaped + "%" : "%" + escaped + "%")
        sql.append(" ESCAPE '\\'")
        // Only when someone matches: an empty list still makes the planner read every walked row from the table.
        if !creators.isEmpty { sql.append(" OR token.ownerId = ANY("); sql.bind(creators); sql.append(")") }
        sql.append(")")
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
