import Foundation

/// Which audit events to show; every field given must match.
public struct AuditFilter: Hashable, Sendable {
    public var tokenID: Int64?
    public var actor: String?
    public var action: String?
    /// Only events at or after this moment.
    public var since: Date?
    /// Only events whose actor, action or token name contains this, ignoring case: the UI's search.
    public var text: String

    public init(tokenID: Int64? = nil, actor: String? = nil, action: String? = nil, since: Date? = nil, text: String = "") {
        self.tokenID = tokenID
        self.actor = actor
        self.action = action
        self.since = since
        self.text = text
    }
}

/// One entry of the audit log; never holds a secret.
public struct AuditEvent: Hashable, Sendable {
    public let id: Int64
    public let at: Date
    public let actor: String
    public let action: String
    public let tokenID: Int64?
    public let tokenName: String?
    /// The changed fields, e.g. `name: "a" → "b"; expires_in: 30d → 90d`.
    public let details: String

    public init(id: Int64, at: Date, actor: String, action: String, tokenID: Int64?, tokenName: String?, details: String) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.tokenID = tokenID
        self.tokenName = tokenName
        self.details = details
    }
}
