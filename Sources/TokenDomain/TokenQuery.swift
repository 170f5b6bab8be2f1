import Foundation

/// The columns a token list can be sorted by.
public enum TokenSort: String, CaseIterable, Sendable {
    case name, kind, owner, team, created, expires
    case lastUsed = "last-used"
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
    /// Case-insensitive text to find in the name or the creator's login or name; empty matches all.
    /// Three or more characters match anywhere; one or two match the start, so that an index answers them.
    public var search: String
    /// Only tokens of this status, or all when nil.
    public var status: TokenStatus?
    /// Only tokens never used, or last used longer ago than this.
    public var unusedFor: TimeSpan?
    /// Only tokens that expire (and have not yet) within this.
    public var expiresWithin: TimeSpan?
    /// Only tokens that break the organisation's policy as it is when the list is read.
    public var breaksPolicy: Bool

    public init(personalOwnerID: Int64? = nil, search: String = "", status: TokenStatus? = nil, unusedFor: TimeSpan? = nil,
                expiresWithin: TimeSpan? = nil, breaksPolicy: Bool = false) {
        self.personalOwnerID = personalOwnerID
        self.search = search
        self.status = status
        self.unusedFor = unusedFor
        self.expiresWithin = expiresWithin
        self.breaksPolicy = breaksPolicy
    }
}

/// How many live tokens match a filter.
public enum TokenCount: Hashable, Sendable {
    case exact(Int)
    /// At least this many: counting exactly would read more rows than a keystroke may cost.
    case atLeast(Int)
}
