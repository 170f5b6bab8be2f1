/// One token with everything its details view tells: its team's sites and its own audit history, newest first.
public struct TokenStory: Hashable, Sendable {
    public let token: Token
    public let sites: [String]
    public let history: [AuditEvent]

    public init(token: Token, sites: [String], history: [AuditEvent]) {
        self.token = token
        self.sites = sites
        self.history = history
    }
}
