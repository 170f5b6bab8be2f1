import Foundation

/// The RFC 7662 answer for an active token: what `verify` prints, and with `scope` and `token_type` what
/// `/introspect` serves. An inactive token's answer is exactly `{"active":false}`, never this.
public struct Introspection: Encodable, Sendable {
    public let token: Token
    public let granted: PermissionSet
    /// True when the secret was the one replaced by the token's last roll, still inside its grace.
    public let previousSecret: Bool
    /// Adds RFC 7662's `scope` (space-separated permission ids) and `token_type`.
    public let withScope: Bool

    public init(token: Token, granted: PermissionSet, previousSecret: Bool = false, withScope: Bool = false) {
        self.token = token
        self.granted = granted
        self.previousSecret = previousSecret
        self.withScope = withScope
    }

    enum Key: String, CodingKey {
        case active, token_id, kind, name, sub, team, permissions, scope, token_type, exp, iat, previous_secret
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(true, forKey: .active)
        try container.encode(token.id, forKey: .token_id)
        try container.encode(token.kind.rawValue, forKey: .kind)
        try container.encode(token.name, forKey: .name)
        try container.encode(token.owner, forKey: .sub)
        try container.encode(token.team, forKey: .team)
        try container.encode(granted.ids, forKey: .permissions)
        if withScope {
            try container.encode(granted.ids.joined(separator: " "), forKey: .scope)
            try container.encode("Bearer", forKey: .token_type)
        }
        // RFC 7662 makes `exp` optional: a token that never expires has none.
        try container.encodeIfPresent(token.expiresAt.map { Int64($0.timeIntervalSince1970) }, forKey: .exp)
        try container.encode(Int64(token.createdAt.timeIntervalSince1970), forKey: .iat)
        // Only present when true, so that a service can warn its operator to pick up the new secret.
        if previousSecret { try container.encode(true, forKey: .previous_secret) }
    }
}

/// The Refresh Token API's answer: the token and its new expiry.
public struct SelfRefresh: Encodable, Sendable {
    public let token_id: Int64
    public let expires_at: String?

    public init(_ token: Token) {
        token_id = token.id
        expires_at = token.expiresAt.map(RFC3339.string)
    }
}
