import Foundation
import GRDB
import TokenDomain

/// The columns a token list can be sorted by.
public enum TokenSort: String, CaseIterable, Sendable {
    case name, kind, owner, team, created, expires
    case lastUsed = "last-used"

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

/// A sort column and direction.
public struct TokenOrder: Hashable, Sendable {
    public var sort: TokenSort
    public var descending: Bool

    public init(_ sort: TokenSort, descending: Bool = false) {
        self.sort = sort
        self.descending = descending
    }
}

/// Which live tokens a list shows.
public struct TokenFilter: Hashable, Sendable {
    /// Only the personal tokens of this account, or every token when nil.
    public var personalOwnerID: Int64?
    /// Case-insensitive substring of the name or the creator's login or name; empty matches all.
    public var search: String
    /// Only tokens of this status, or all when nil.
    public var status: TokenStatus?

    public init(personalOwnerID: Int64? = nil, search: String = "", status: TokenStatus? = nil) {
        self.personalOwnerID = personalOwnerID
        self.search = search
        self.status = status
    }

    /// The WHERE clause and its arguments for this filter at `now`.
    func sql(now: Int64) -> (String, StatementArguments) {
        var clauses = ["revokedAt IS NULL"]
        var arguments = StatementArguments()
        if let owner = personalOwnerID {
            clauses.append("ownerId = ? AND kind = 'personal'")
            _ = arguments.append(contentsOf: [owner])
        }
        let needle = search.trimmingCharacters(in: .whitespaces)
        if !needle.isEmpty {
            let pattern = "%" + Self.escapeLike(needle.lowercased()) + "%"
            clauses.append("(nameKey LIKE ? ESCAPE '\\' OR ownerLogin LIKE ? ESCAPE '\\' OR ownerName LIKE ? ESCAPE '\\')")
            _ = arguments.append(contentsOf: [pattern, pattern, pattern])
        }
        let soon = now + Int64(TokenStatus.expiringWindow)
        switch status {
        case nil: break
        case .expired: clauses.append("expiresAt <= ?"); _ = arguments.append(contentsOf: [now])
        case .expiring:
            clauses.append("expiresAt > ? AND expiresAt <= ?"); _ = arguments.append(contentsOf: [now, soon])
        case .active: clauses.append("(expiresAt IS NULL OR expiresAt > ?)"); _ = arguments.append(contentsOf: [soon])
        }
        return (clauses.joined(separator: " AND "), arguments)
    }

    private static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}

extension TokenStore {
    /// Up to `limit` live tokens in `order`, starting just after `cursor` (or at the start): a keyset page.
    public func tokens(matching filter: TokenFilter, order: TokenOrder, after cursor: Token? = nil,
                       limit: Int? = nil) throws(TokenStoreError) -> [Token] {
        try page(filter, order, cursor: cursor, forward: true, limit: limit)
    }

    /// Up to `limit` live tokens that come just before `cursor` (or at the very end), returned in `order`.
    public func tokens(matching filter: TokenFilter, order: TokenOrder, before cursor: Token?,
                       limit: Int) throws(TokenStoreError) -> [Token] {
        try page(filter, order, cursor: cursor, forward: false, limit: limit).reversed()
    }

    /// How many live tokens match.
    public func count(matching filter: TokenFilter) throws(TokenStoreError) -> Int {
        let (whereClause, arguments) = filter.sql(now: nowSeconds())
        return try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM token WHERE \(whereClause)", arguments: arguments) ?? 0 }
    }

    private func page(_ filter: TokenFilter, _ order: TokenOrder, cursor: Token?, forward: Bool,
                      limit: Int?) throws(TokenStoreError) -> [Token] {
        var (whereClause, arguments) = filter.sql(now: nowSeconds())
        let expression = order.sort.expression
        // Walking backwards is walking forwards in the opposite direction, then reversing.
        let descending = order.descending != !forward
        if let cursor {
            whereClause += " AND (\(expression), id) \(descending ? "<" : ">") (?, ?)"
            _ = arguments.append(contentsOf: [order.sort.key(of: cursor), cursor.id])
        }
        let direction = descending ? "DESC" : "ASC"
        let sql = "SELECT * FROM token WHERE \(whereClause) ORDER BY \(expression) \(direction), id \(direction) LIMIT ?"
        _ = arguments.append(contentsOf: [limit ?? -1])
        return try read { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(Token.init(row:)) }
    }
}
