import Foundation
internal import GRDB
import TokenDomain

/// How one filtered list is read: which rows drive the query, and the condition every listed row passes.
///
/// A filter is answered one of two ways, chosen by how many rows could match it:
/// - few candidates (a rare search, a short personal list): fetch them through their own index, then sort them;
/// - many: walk the sort column's index in order, which reaches a page of matches soon because they are dense.
/// With a candidate limit of L, a fetch reads at most L rows, and a walk about page × table / matches ≤ page × table / L,
/// unless the matches all sort at the far end of the walk (see the README's Performance section).
struct QueryPlan {
    /// Rows read one way and tested one way: a FROM clause and the WHERE clause every row from it must pass.
    struct Branch {
        let source: (sql: String, arguments: StatementArguments)
        let condition: (sql: String, arguments: StatementArguments)
    }

    /// The FROM clause: `token` (on the owner's index for a personal walk), or the candidate ids joined to `token`.
    let source: (sql: String, arguments: StatementArguments)
    /// The WHERE clause every listed row satisfies, whichever rows drive the query.
    let condition: (sql: String, arguments: StatementArguments)
    /// True when a small candidate set drives the query rather than a sort index.
    let usesCandidates: Bool
    /// The search's own test of a row, when there is a search.
    let searchPredicate: (sql: String, arguments: StatementArguments)?
    /// For a dense search that also matches creators, the same rows read as a union: the name matches one way, and
    /// the creators' tokens each through an index in the sort's order. A creator's tokens sit together in some
    /// orders (by Created by, or by Type for someone with only personal tokens), where one walk testing both would
    /// pass most of the table first. Nil when `source` and `condition` read the rows.
    let branches: [Branch]?
    /// The owner's live personal tokens, for a personal filter.
    private let owned: Int?
    /// True when more than the candidate limit match the search's name or creator alone.
    private let searchIsDense: Bool
    private let filter: TokenFilter
    private let limit: Int

    /// Plans `filter`; `order` names the sort a page walks (nil when only counting).
    init(_ db: Database, filter: TokenFilter, now: Int64, candidateLimit limit: Int, order: TokenOrder?) throws {
        let needle = filter.needle
        let search = needle.isEmpty ? nil : try TokenSearch(db, needle: needle, candidateLimit: limit)
        var clauses = ["token.revokedAt IS NULL"]
        var arguments = StatementArguments()
        if let owner = filter.personalOwnerID {
            clauses.append("token.ownerId = ? AND token.kind = 'personal'")
            arguments += [owner]
        }
        let soon = now + Int64(TokenStatus.expiringWindow)
        // Expired comes first, then inactive, then what the clock says: as `Token.status(at:)` decides.
        let lacksAccess = Token.ownerLacksAccessSQL
        switch filter.status {
        case nil: break
        case .expired: clauses.append("token.expiresAt <= ?"); arguments += [now]
        case .inactive:
            clauses.append("(token.expiresAt IS NULL OR token.expiresAt > ?) AND \(lacksAccess)"); arguments += [now]
        case .expiring:
            clauses.append("token.expiresAt > ? AND token.expiresAt <= ? AND NOT \(lacksAccess)"); arguments += [now, soon]
        case .active: clauses.append("(token.expiresAt IS NULL OR token.expiresAt > ?) AND NOT \(lacksAccess)"); arguments += [soon]
        }
        if let unused = filter.unusedFor {
            clauses.append("ifnull(token.lastUsedAt, 0) < ?")
            arguments += [now - unused.seconds]
        }
        if let within = filter.expiresWithin {
            clauses.append("token.expiresAt > ? AND token.expiresAt <= ?")
            arguments += [now, now + within.seconds]
        }
        if filter.breaksPolicy {
            let policy = try TokenStore.organisationPolicy(db)
            var broken: [String] = []
            if let days = policy.maxLifetimeDays {
                broken.append("token.expiresInDays IS NULL OR token.expiresInDays > ?")
                arguments += [days]
            }
            if policy.requireIPAllowList {
                // Empty, or holding a whole family (0.0.0.0/0, ::/0), as `OrganisationPolicy.ipProblem` judges.
                broken.append("token.allowedIPs = '' OR (',' || token.allowedIPs || ',') LIKE '%/0,%'")
            }
            // No rule breaks nothing; a constant false would leave a pinned index no plan to use.
            clauses.append(broken.isEmpty ? "token.id < 0" : "(" + broken.joined(separator: " OR ") + ")")
        }
        let base = (sql: clauses.joined(separator: " AND "), arguments: arguments)
        searchPredicate = search?.predicate(seekingNames: false)

        var candidates: (sql: String, arguments: StatementArguments, size: Int)?
        let owned = try filter.personalOwnerID.map { try Self.liveCount(db, owners: [$0], personalOnly: true) }
        if let owner = filter.personalOwnerID, let owned, owned <= limit {
            candidates = ("SELECT id FROM token WHERE ownerId = ? AND revokedAt IS NULL", [owner], owned)
        }
        var searchIsDense = false
        if let search {
            let created = try Self.liveCount(db, owners: search.creatorIDs, personalOnly: filter.personalOwnerID != nil)
            searchIsDense = search.named > limit || created > limit
            if !searchIsDense, search.named + created < candidates?.size ?? Int.max {
                candidates = (search.candidates.sql, search.candidates.arguments, search.named + created)
            }
        }
        // A walk in name order seeks from one matching name to the next instead of testing every row between.
        let seeksNames = candidates == nil && order?.sort == .name
        if let search {
            let predicate = search.predicate(seekingNames: seeksNames)
            condition = (base.sql + " AND " + predicate.sql, base.arguments + predicate.arguments)
        } else {
            condition = base
        }
        if let candidates {
            source = Self.joined(candidates.sql, candidates.arguments)
        } else if let order {
            // A walk must follow the sort: a short search's name range would otherwise tempt the planner to read
            // the whole range and sort it.
            source = ("token INDEXED BY \(filter.personalOwnerID != nil ? order.sort.personalIndex : order.sort.liveIndex)", [])
        } else {
            source = ("token", [])
        }
        usesCandidates = candidates != nil
        if let search, let order, candidates == nil, filter.personalOwnerID == nil, searchIsDense,
           (1...Self.mostCreatorBranches).contains(search.creatorIDs.count) {
            branches = try Self.branches(db, search: search, base: base, order: order, candidateLimit: limit)
        } else {
            branches = nil
        }
        self.owned = owned
        self.searchIsDense = searchIsDense
        self.filter = filter
        self.limit = limit
    }

    /// Candidate ids joined to their token rows.
    private static func joined(_ candidates: String, _ arguments: StatementArguments) -> (sql: String, arguments: StatementArguments) {
        ("(\(candidates)) AS candidate CROSS JOIN token ON token.id = candidate.id", arguments)
    }

    /// Beyond this many matching creators, one walk tests them all.
    static let mostCreatorBranches = 4

    /// The union of a dense search: name matches (their candidates when few, else a walk of the sort index), then
    /// each creator's tokens in the sort's order.
    private static func branches(_ db: Database, search: TokenSearch, base: (sql: String, arguments: StatementArguments),
                                 order: TokenOrder, candidateLimit limit: Int) throws -> [Branch] {
        func branch(_ source: (String, StatementArguments), _ test: String, _ testArguments: StatementArguments = []) -> Branch {
            Branch(source: source, condition: (base.sql + " AND " + test, base.arguments + testArguments))
        }
        let fewNamed = search.named <= limit
        let names = search.namePredicate(seekingNames: !fewNamed && order.sort == .name)
        let walk = ("token INDEXED BY \(order.sort.liveIndex)", StatementArguments())
        var branches = [branch(fewNamed ? joined(search.nameCandidates.sql, search.nameCandidates.arguments) : walk,
                               names.sql, names.arguments)]
        let ids = search.creatorIDs.map(String.init).joined(separator: ",")
        if order.sort == .owner {
            // The sort key is the creator's login: their tokens are one range of the sort index.
            let logins = try String.fetchAll(db, sql: "SELECT login FROM account WHERE id IN (\(ids))")
            let placeholders = logins.map { _ in "?" }.joined(separator: ",")
            branches.append(branch(walk, "token.ownerLogin IN (\(placeholders))", StatementArguments(logins)))
            return branches
        }
        for id in search.creatorIDs {
            branches.append(branch(("token INDEXED BY \(order.sort.personalIndex)", []), "token.ownerId = \(id) AND token.kind = 'personal'"))
        }
        // Their admin tokens, if any (only administrators make them): fetched and sorted when few, else the sort
        // index walked, which finds them soon (by Type, the walk starts at the admin tokens).
        let admin = try Int.fetchOne(db.cachedStatement(
            sql: "SELECT ifnull(sum(live), 0) FROM token_tally WHERE ownerId IN (\(ids)) AND kind = 'admin'")) ?? 0
        if admin > 0 {
            branches.append(branch(admin <= limit ? ("token INDEXED BY token_owner", []) : walk,
                                   "token.ownerId IN (\(ids)) AND token.kind = 'admin'"))
        }
        return branches
    }

    /// The count, when it is known without reading token rows: from the tally, or proven over the limit.
    func knownCount(_ db: Database) throws -> TokenCount? {
        guard filter.unusedFor == nil, filter.expiresWithin == nil, !filter.breaksPolicy else { return nil }
        switch (filter.needle.isEmpty, filter.status) {
        case (true, nil): return .exact(try owned ?? Self.liveCount(db, owners: nil, personalOnly: false))
        // More than the limit match the name or creator alone, and nothing else narrows them.
        case (false, nil) where searchIsDense && filter.personalOwnerID == nil: return .atLeast(limit + 1)
        default: return nil
        }
    }

    /// Live tokens of these owners (all owners when nil), read from the maintained tally.
    private static func liveCount(_ db: Database, owners: [Int64]?, personalOnly: Bool) throws -> Int {
        var clauses: [String] = []
        if let owners {
            if owners.isEmpty { return 0 }
            clauses.append("ownerId IN (\(owners.map(String.init).joined(separator: ",")))")
        }
        if personalOnly { clauses.append("kind = 'personal'") }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        return try Int.fetchOne(db.cachedStatement(sql: "SELECT ifnull(sum(live), 0) FROM token_tally \(whereClause)")) ?? 0
    }
}

/// A search needle as SQL: the indexes that find its candidates, and the predicate that decides a row.
struct TokenSearch {
    let needle: String
    /// Accounts whose login or display name matches.
    let creatorIDs: [Int64]
    /// How many live tokens the name alone matches, counted up to the candidate limit and one.
    let named: Int
    /// True when few enough distinct names match that a walk in name order seeks to each of them (see `seekableNames`).
    private let namesAreFew: Bool
    /// Needles shorter than a trigram match the start of a name instead of anywhere in it.
    private var isShort: Bool { needle.unicodeScalars.count < 3 }

    /// Beyond this many matching names per candidate, a walk tests each row rather than seeking to each name: the
    /// matching names are read and held first, at about a microsecond each.
    static let namesPerCandidate = 2

    init(_ db: Database, needle: String, candidateLimit limit: Int) throws {
        self.needle = needle
        let short = needle.unicodeScalars.count < 3
        creatorIDs = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, login, name FROM account")).compactMap { row in
            let texts = [Naming.uniquenessKey(row["login"]), Naming.uniquenessKey(row["name"])]
            let matches = texts.contains { short ? $0.hasPrefix(needle) : $0.contains(needle) }
            return matches ? row["id"] : nil
        }
        if short {
            let range = "SELECT 1 FROM token INDEXED BY token_live_by_name WHERE revokedAt IS NULL AND nameKey >= ? AND nameKey < ?"
            named = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM (\(range) LIMIT ?)"),
                                     arguments: [needle, needle + "\u{10FFFF}", limit + 1]) ?? 0
            namesAreFew = false
        } else {
            // Every name is held by at least one live token, so counting names up to the cap bounds the work.
            let cap = limit * Self.namesPerCandidate + 1
            let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT count(*), ifnull(sum(live), 0) FROM (
                  SELECT token_name.live FROM token_name_search JOIN token_name ON token_name.id = token_name_search.rowid
                  WHERE token_name_search MATCH ? LIMIT ?)
                """), arguments: [Self.phrase(needle), cap])
            let (names, tokens): (Int, Int) = (row?[0] ?? 0, row?[1] ?? 0)
            named = min(tokens, limit + 1)
            namesAreFew = names < cap
        }
    }

    /// True for a token row that matches; the same test whichever index found the row.
    /// `seekingNames` when rows are read in name order, so that the walk can seek to the matching names.
    func predicate(seekingNames: Bool) -> (sql: String, arguments: StatementArguments) {
        let names = namePredicate(seekingNames: seekingNames)
        var alternatives = [names.sql]
        if !creatorIDs.isEmpty { alternatives.append("token.ownerId IN (\(idList))") }
        return ("(" + alternatives.joined(separator: " OR ") + ")", names.arguments)
    }

    /// True for a token row whose name matches. A short needle's names are one range of the name index, written as
    /// a range so that a walk in name order seeks to it rather than testing every row before it; a longer needle's
    /// names, when few and `seekingNames`, are a list the walk seeks through.
    func namePredicate(seekingNames: Bool) -> (sql: String, arguments: StatementArguments) {
        if isShort { return ("(token.nameKey >= ? AND token.nameKey < ?)", [needle, needle + "\u{10FFFF}"]) }
        // The trigram index folds case its own way (ſ matches s), so each row it finds is tested as every other way does.
        if seekingNames && namesAreFew {
            return ("(token.nameKey IN (\(Self.matchingNames)) AND instr(token.nameKey, ?) > 0)", [Self.phrase(needle), needle])
        }
        return ("instr(token.nameKey, ?) > 0", [needle])
    }

    /// Ids of live tokens whose name may match: the name index, through the trigram index of names for longer needles
    /// (a superset: each listed row is tested again by `predicate`).
    var nameCandidates: (sql: String, arguments: StatementArguments) {
        if isShort {
            // Every name starting with the needle sorts between it and the needle followed by the last code point.
            return ("SELECT id FROM token WHERE revokedAt IS NULL AND nameKey >= ? AND nameKey < ?",
                    [needle, needle + "\u{10FFFF}"])
        }
        return ("SELECT id FROM token INDEXED BY token_live_by_name WHERE revokedAt IS NULL AND nameKey IN (\(Self.matchingNames))",
                [Self.phrase(needle)])
    }

    /// Ids of live tokens whose name or creator matches.
    var candidates: (sql: String, arguments: StatementArguments) {
        let named = nameCandidates
        if creatorIDs.isEmpty { return named }
        return ("\(named.sql) UNION SELECT id FROM token WHERE ownerId IN (\(idList)) AND revokedAt IS NULL", named.arguments)
    }

    /// The live names containing the phrase bound to it, through the trigram index of distinct names.
    private static let matchingNames =
        "SELECT nameKey FROM token_name WHERE id IN (SELECT rowid FROM token_name_search WHERE token_name_search MATCH ?)"

    /// The needle as one FTS5 phrase, so its characters are matched literally.
    private static func phrase(_ needle: String) -> String {
        "\"" + needle.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private var idList: String { creatorIDs.map(String.init).joined(separator: ",") }
}
