import Foundation

/// Which of the two token kinds a token is.
public enum TokenKind: String, CaseIterable, Sendable, Codable {
    case admin
    case personal

    /// The name shown to people.
    public var label: String {
        switch self {
        case .admin: "Admin"
        case .personal: "Personal"
        }
    }

    /// Parses `admin` or `personal`.
    public static func parse(_ text: String) throws(ValidationError) -> TokenKind {
        guard let kind = TokenKind(rawValue: text) else {
            throw ValidationError("unknown token kind '\(Sanitized.visible(text))' (valid: admin, personal)")
        }
        return kind
    }
}

/// A live token's standing, derived from the clock and its owner's access.
public enum TokenStatus: String, CaseIterable, Sendable, Codable {
    case active
    case expiring
    case expired
    /// A personal token whose owner no longer has access to its team: it verifies for nobody.
    case inactive

    /// How long before expiry a token counts as expiring.
    public static let expiringWindow: TimeInterval = 7 * 86_400

    /// The status of a token with this expiry at `now`, judged by the clock alone.
    public init(expiresAt: Date?, now: Date) {
        guard let expiresAt else { self = .active; return }
        if expiresAt <= now { self = .expired }
        else if expiresAt.timeIntervalSince(now) <= Self.expiringWindow { self = .expiring }
        else { self = .active }
    }

    /// The word shown in the Status column.
    public var label: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}

/// A live (not revoked) API token, as everyone outside the store sees it: never its secret.
public struct Token: Hashable, Sendable, Identifiable {
    public let id: Int64
    public let kind: TokenKind
    public let name: String
    /// The creating account's login and display name.
    public let owner: String
    public let ownerName: String
    public let team: String
    public let teamID: Int64
    public let permissions: PermissionSet
    public let expiresIn: ExpiresIn
    public let expiresAt: Date?
    public let allowedIPs: IPAllowList
    public let createdAt: Date
    public let updatedAt: Date
    public let lastUsedAt: Date?
    public let lastUsedIP: String?
    /// Prefix and last four characters of the current secret.
    public let hint: String
    /// Bumped by every change; an edit names the version it started from.
    public let version: Int64
    /// True for a personal token whose owner, as read with the token, may no longer use it (see `Policy.accessProblem`).
    public let ownerLacksAccess: Bool
    /// When the secret before the last roll stops working; nil when that roll gave it no grace.
    public let previousSecretExpiresAt: Date?

    public init(
        id: Int64, kind: TokenKind, name: String, owner: String, ownerName: String, team: String, teamID: Int64,
        permissions: PermissionSet, expiresIn: ExpiresIn, expiresAt: Date?, allowedIPs: IPAllowList,
        createdAt: Date, updatedAt: Date, lastUsedAt: Date?, lastUsedIP: String?, hint: String, version: Int64,
        ownerLacksAccess: Bool = false, previousSecretExpiresAt: Date? = nil
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.owner = owner
        self.ownerName = ownerName
        self.team = team
        self.teamID = teamID
        self.permissions = permissions
        self.expiresIn = expiresIn
        self.expiresAt = expiresAt
        self.allowedIPs = allowedIPs
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastUsedAt = lastUsedAt
        self.lastUsedIP = lastUsedIP
        self.hint = hint
        self.version = version
        self.ownerLacksAccess = ownerLacksAccess
        self.previousSecretExpiresAt = previousSecretExpiresAt
    }

    /// When the previous secret stops working, while it still works at `now`; nil otherwise.
    public func graceEnd(at now: Date) -> Date? {
        previousSecretExpiresAt.flatMap { $0 > now ? $0 : nil }
    }

    /// The token's status at `now`: expired first, then inactive, then what the clock says.
    public func status(at now: Date) -> TokenStatus {
        let byClock = TokenStatus(expiresAt: expiresAt, now: now)
        return byClock != .expired && ownerLacksAccess ? .inactive : byClock
    }
}

/// What a person enters to create or edit a token.
public struct TokenDraft: Hashable, Sendable {
    public var name: String
    public var kind: TokenKind
    public var teamID: Int64
    public var permissions: PermissionSet
    public var expiresIn: ExpiresIn
    public var allowedIPs: IPAllowList

    public init(name: String, kind: TokenKind, teamID: Int64, permissions: PermissionSet,
                expiresIn: ExpiresIn = .standard, allowedIPs: IPAllowList = .any) {
        self.name = name
        self.kind = kind
        self.teamID = teamID
        self.permissions = permissions
        self.expiresIn = expiresIn
        self.allowedIPs = allowedIPs
    }

    /// The draft that reproduces an existing token, the starting point of an edit.
    public init(_ token: Token) {
        self.init(name: token.name, kind: token.kind, teamID: token.teamID, permissions: token.permissions,
                  expiresIn: token.expiresIn, allowedIPs: token.allowedIPs)
    }
}
