import Foundation
import PostgresNIO
import TokenDomain
import TokenStore

/// How one filtered list is read on PostgreSQL. The server's planner picks the indexes; the plan gives it queries
/// in which the good choice is plain, as SQLite's `QueryPlan` does with its index hints:
/// - few candidates (a rare name, a creator with few tokens): the tokens of the matching names and creators,
///   fetched through their indexes and sorted;
/// - many: one condition, so that the planner walks the sort's index until a page matches;
/// - many, and creators among them: a union of the name matches and each creator's tokens, each read in the sort's
///   order through its own index, since one condition of the two would have the planner sort every match;
/// - under the Name sort, a longer needle's matching names, when few, are read first and the page is read through
///   the next few of them, so that the name index seeks to each instead of passing every name before.
struct ListPlan {
    /// A condition on `token` rows, appended after WHERE with its arguments bound.
    typealias Condition = (inout SQLBuilder) -> Void

    /// The conditions whose rows, together, are the list, each read on its own and merged.
    let branches: [Condition]
    /// Under the Name sort, the matching names in order, and the branches that read the tokens of some of them.
    let seek: NameSeek?
    /// Where the count comes from: the tally, the search's own probe, or counting the branches' rows.
    let count: CountSource
    /// Candidates up to this many are fetched and sorted; counts are exact up to it.
    let candidateLimit: Int

    /// How a plan's count is had, so that a page alone reads nothing for it.
    enum CountSource {
        /// Live tokens in all, or one owner's personal ones, from the tally the writing transactions keep.
        case tally(personalOwner: Int64?)
        /// Known from the search's probe of names.
        case known(TokenCount)
        /// Each branch's rows counted up to the candidate limit.
        case counted
    }

    /// The matching names of a Name-sorted search, each with its live tokens.
    struct NameSeek {
        let names: [(key: String, live: Int)]
        let branches: ([String]) -> [Condition]
    }

    /// Beyond this many matching creators, one condition tests them all.
    static let mostCreatorBranches = 4
}

extension Transaction {
    /// Plans `filter` for a page in `order`, or for a count when `order` is nil.
    func listPlan(_ filter: TokenFilter, order: TokenOrder?, now: Int64, candidateLimit limit: Int) throws -> ListPlan {
        let base = try baseCondition(filter, now: now)
        let needle = filter.needle
        let plain = filter.status == nil && filter.unusedFor == nil && filter.expiresWithin == nil && !filter.breaksPolicy
        guard !needle.isEmpty else {
            return ListPlan(branches: [base], seek: nil,
                            count: plain ? .tally(personalOwner: filter.personalOwnerID) : .counted, candidateLimit: limit)
        }
        let search = try PostgresSearch(self, needle: needle, personalOwner: filter.personalOwnerID,
                                        readingNames: order?.sort == .name, candidateLimit: limit)
        let match = search.match
        func and(_ test: @escaping ListPlan.Condition) -> ListPlan.Condition {
            { sql in base(&sql); sql.append(" AND "); test(&sql) }
        }
        if !search.isDense {
            // A rare search: the tokens of its names, and its creators', few enough to sort.
            var branches = search.named > 0 ? [and(match.nameTest(.subquery))] : []
            if !search.creators.isEmpty { branches.append(and(match.creatorTest)) }
            // Then the names' own counts are the count, when nothing else matches or narrows.
            let fromNames = search.creators.isEmpty && plain && filter.personalOwnerID == nil
            return ListPlan(branches: branches, seek: nil,
                            count: fromNames ? .known(.exact(search.named)) : .counted, candidateLimit: limit)
        }
        let count: ListPlan.CountSource = plain && filter.personalOwnerID == nil ? .known(.atLeast(limit + 1)) : .counted
        let separateCreators = filter.personalOwnerID == nil && (1...ListPlan.mostCreatorBranches).contains(search.creators.count)
        // Each creator's tokens of each kind they hold: one range of the owner index under the Owner sort, and
        // their own personal index, or a walk dense with them, under the others.
        let creatorBranches = !separateCreators ? [] : search.creators.flatMap { creator in
            creator.kinds.map { kind in
                and { sql in
                    sql.append("token.ownerId = "); sql.bind(creator.id)
                    sql.append(" AND token.ownerLogin = "); sql.bind(creator.login)
                    sql.append(" AND token.kind = "); sql.bind(kind.rawValue)
                }
            }
        }
        func branches(_ names: @escaping ListPlan.Condition) -> [ListPlan.Condition] {
            guard separateCreators else { return [and(match.test(names))] }
            return (search.named > 0 ? [and(names)] : []) + creatorBranches
        }
        // With creators tested in the same condition, a walk of the name index is the plan anyway.
        let seek = separateCreators || search.creators.isEmpty ? search.names.map { names in
            ListPlan.NameSeek(names: names, branches: { chunk in branches(match.nameTest(.list(chunk))) })
        } : nil
        return ListPlan(branches: branches(match.nameTest(.pattern)), seek: seek, count: count,
                        candidateLimit: limit)
    }

    /// Every row of `filter` passes this, and only those: the condition alone, for bulk work in id order, with no
    /// probe of names or tallies to plan a page.
    func matchCondition(_ filter: TokenFilter, now: Int64) throws -> ListPlan.Condition {
        let base = try baseCondition(filter, now: now)
        guard !filter.needle.isEmpty else { return base }
        let match = try SearchMatch(self, needle: filter.needle)
        let test = match.test(match.nameTest(.pattern))
        return { sql in base(&sql); sql.append(" AND "); test(&sql) }
    }

    /// Live tokens in all, or one owner's live personal tokens, from the tally kept by the writing transactions.
    func liveCount(personalOwner owner: Int64?) throws -> Int {
        var sql = SQLBuilder("SELECT coalesce(sum(live), 0)::BIGINT FROM token_tally")
        if let owner { sql.append(" WHERE kind = 'personal' AND ownerId = "); sql.bind(owner) }
        return Int(try value(sql.query, as: Int64.self) ?? 0)
    }

    /// The conditions of `filter` besides its search: live, the owner's personal tokens, status, use, expiry, policy.
    private func baseCondition(_ filter: TokenFilter, now: Int64) throws -> ListPlan.Condition {
        let policy = filter.breaksPolicy ? try organisationPolicy() : nil
        return { sql in
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
            if let policy {
                var broken: [String] = []
                if let days = policy.maxLifetimeDays { broken.append("token.expiresInDays IS NULL OR token.expiresInDays > \(days)") }
                // Empty, or holding a whole family (0.0.0.0/0, ::/0), as `OrganisationPolicy.ipProblem` judges.
                if policy.requireIPAllowList { broken.append("token.allowedIPs = '' OR (',' || token.allowedIPs || ',') LIKE '%/0,%'") }
                sql.append(broken.isEmpty ? " AND false" : " AND (" + broken.map { "(\($0))" }.joined(separator: " OR ") + ")")
            }
        }
    }
}

/// What a search needle matches, as SQL: names by a LIKE pattern (as on SQLite: shorter than a trigram matches the
/// start of a name, else anywhere in it), and the accounts whose login or display name holds it.
struct SearchMatch {
    /// How a condition names the matching names: by the LIKE pattern; through the distinct names' trigram index;
    /// or as a list of some of them.
    enum NameForm { case pattern, subquery, list([String]) }

    /// The accounts whose login or display name matches.
    let accounts: [(id: Int64, login: String)]
    /// The LIKE pattern of the needle: its start, or anywhere.
    let pattern: String
    let isShort: Bool

    init(_ db: Transaction, needle: String) throws {
        let short = needle.unicodeScalars.count < 3
        let escaped = needle.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        isShort = short
        pattern = short ? escaped + "%" : "%" + escaped + "%"
        accounts = try db.rows("SELECT id, login, name FROM account").compactMap { row -> (id: Int64, login: String)? in
            let (id, login, name) = try row.decode((Int64, String, String).self)
            let texts = [Naming.uniquenessKey(login), Naming.uniquenessKey(name)]
            return texts.contains { short ? $0.hasPrefix(needle) : $0.contains(needle) } ? (id, login) : nil
        }
    }

    /// True for a row whose name, tested by `names`, or creator matches.
    func test(_ names: @escaping ListPlan.Condition) -> ListPlan.Condition {
        guard !accounts.isEmpty else { return names }
        let creator = creatorTest
        return { sql in sql.append("("); names(&sql); sql.append(" OR "); creator(&sql); sql.append(")") }
    }

    /// True for a row of a matching creator.
    var creatorTest: ListPlan.Condition {
        let ids = accounts.map(\.id)
        return { sql in sql.append("token.ownerId = ANY("); sql.bind(ids); sql.append(")") }
    }

    /// True for a row whose name matches, tested in `form`.
    func nameTest(_ form: NameForm) -> ListPlan.Condition {
        let pattern = pattern
        switch form {
        case .list(let names):
            return { sql in sql.append("token.nameKey = ANY("); sql.bind(names); sql.append(")") }
        case .subquery where !isShort:
            return { sql in
                sql.append("token.nameKey IN (SELECT nameKey FROM token_name WHERE nameKey LIKE "); sql.bind(pattern)
                sql.append(" ESCAPE '\\')")
            }
        case .pattern, .subquery:
            // A start is one range of the name index, which the planner sees in the pattern.
            return { sql in sql.append("token.nameKey LIKE "); sql.bind(pattern); sql.append(" ESCAPE '\\'") }
        }
    }
}

/// A search probed for its plan: the kinds of token each matching creator holds, and how many live tokens the
/// matching distinct names hold, from the tally and the `token_name` table.
struct PostgresSearch {
    /// An account whose login or display name matches, with the kinds of live token it holds.
    struct Creator {
        let id: Int64
        let login: String
        let kinds: [TokenKind]
    }

    let match: SearchMatch
    let creators: [Creator]
    /// Live tokens holding the matching names, counted through the first `candidateLimit` and one names (or, to list
    /// them, twice as many).
    let named: Int
    /// True when more tokens match, by name or creator, than are fetched and sorted.
    let isDense: Bool
    /// The matching names in byte order, when asked for, the needle is a trigram or longer, and they are at most
    /// `namesPerCandidate` per candidate.
    let names: [(key: String, live: Int)]?

    /// Beyond this many matching names per candidate, a Name-sorted walk tests each row instead of seeking to each name.
    static let namesPerCandidate = 2

    init(_ db: Transaction, needle: String, personalOwner: Int64?, readingNames: Bool, candidateLimit limit: Int) throws {
        let match = try SearchMatch(db, needle: needle)
        self.match = match
        var creators: [Creator] = []
        var created = 0
        if !match.accounts.isEmpty {
            var sql = SQLBuilder("SELECT ownerId, kind, live FROM token_tally WHERE live > 0 AND ownerId = ANY(")
            sql.bind(match.accounts.map(\.id)); sql.append(")")
            if let owner = personalOwner { sql.append(" AND kind = 'personal' AND ownerId = "); sql.bind(owner) }
            sql.append(" ORDER BY ownerId, kind")
            var kinds: [Int64: [TokenKind]] = [:]
            for row in try db.rows(sql.query) {
                let (owner, kind, live) = try row.decode((Int64, String, Int64).self)
                kinds[owner, default: []].append(TokenKind(rawValue: kind) ?? .personal)
                created += Int(live)
            }
            creators = match.accounts.map { Creator(id: $0.id, login: $0.login, kinds: kinds[$0.id] ?? []) }
        }
        self.creators = creators
        // Every name is held by a live token, so the first candidate limit and one names decide whether the names'
        // tokens are few. The LIMIT keeps the planner on the trigram index. The server sums them: thousands of names
        // sent to be added up here cost more than finding them. The names themselves are sent, sorted, only to be
        // sought one by one under the Name sort.
        let listsNames = readingNames && !match.isShort
        let mostNames = limit * Self.namesPerCandidate
        var sql = SQLBuilder("SELECT count(*), coalesce(sum(live), 0)::BIGINT")
        if listsNames {
            sql.append(", CASE WHEN count(*) <= \(mostNames) THEN array_agg(nameKey ORDER BY nameKey) END")
            sql.append(", CASE WHEN count(*) <= \(mostNames) THEN array_agg(live ORDER BY nameKey) END")
        }
        sql.append(" FROM (SELECT nameKey, live FROM token_name WHERE nameKey LIKE "); sql.bind(match.pattern)
        sql.append(" ESCAPE '\\' LIMIT \((listsNames ? mostNames : limit) + 1)) AS found")
        guard let probe = try db.rows(sql.query).first else { throw TokenStoreError.database("the search's probe of names returned nothing") }
        let (found, live) = try probe.decode((Int64, Int64).self)
        named = Int(live)
        if listsNames, case let (_, _, keys?, counts?) = try probe.decode((Int64, Int64, [String]?, [Int64]?).self) {
            names = zip(keys, counts).map { (key: $0, live: Int($1)) }
        } else {
            names = nil
        }
        // On the personal tab the names' tokens are counted over every owner: a bound of the owner's.
        isDense = found > limit || named + created > limit
    }
}
