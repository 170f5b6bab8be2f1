import Foundation
import TokenDomain

/// The organisation's store as the layers above see it: operations named for what they mean, each one transaction,
/// every permission judged on the actor as the store has them now. SQLite (`TokenStore`) implements it; nothing
/// above the store knows which engine answers.
public protocol TokenRepository: AnyObject, Sendable {
    /// The clock this store judges expiry by.
    var now: Date { get }
    /// False when the store could only be opened for reading (a check without write access): nothing is recorded.
    var isWritable: Bool { get }
    /// True when each call waits on a server (PostgreSQL) rather than on this host's CPU and disk (SQLite): a
    /// check service then runs calls off its request threads, on more connections, so that waits overlap.
    var waitsOnServer: Bool { get }
    /// Nil while the store can answer, else why not in one line: a check answers 503 meanwhile.
    func healthProblem() -> String?
    /// Lets go of the connection now, rather than when the last reference goes.
    func close()

    // MARK: The organisation

    /// Makes `login` the first administrator of an empty organisation; false when it already has people.
    func bootstrapIfEmpty(login: String, name: String) throws(TokenStoreError) -> Bool
    /// The live account with this login, or nil.
    func account(login: String) throws(TokenStoreError) -> Account?
    /// Every live account, admins first, then by login.
    func accounts() throws(TokenStoreError) -> [Account]
    func addAccount(login: String, name: String?, role: Role, teams: [String], by actor: Account) throws(TokenStoreError) -> Account
    func setRole(login: String, role: Role, by actor: Account) throws(TokenStoreError)
    func join(login: String, team: String, by actor: Account) throws(TokenStoreError)
    func leave(login: String, team: String, by actor: Account) throws(TokenStoreError)
    func removeAccount(login: String, by actor: Account) throws(TokenStoreError)
    func teams() throws(TokenStoreError) -> [Team]
    func addTeam(name: String, by actor: Account) throws(TokenStoreError) -> Team
    func removeTeam(name: String, by actor: Account) throws(TokenStoreError)
    func addSite(name: String, team: String, by actor: Account) throws(TokenStoreError)
    func removeSite(name: String, team: String, by actor: Account) throws(TokenStoreError)
    func organisationPolicy() throws(TokenStoreError) -> OrganisationPolicy
    func setOrganisationPolicy(_ policy: OrganisationPolicy, by actor: Account) throws(TokenStoreError) -> OrganisationPolicy

    // MARK: Tokens

    func token(id: Int64, by actor: Account) throws(TokenStoreError) -> Token?
    /// Every field of a token, the facts around it and its own audit history, newest first, from one snapshot.
    func story(ofToken id: Int64, historyLimit: Int, by actor: Account) throws(TokenStoreError) -> TokenStory?
    /// Creates a token owned by the actor and returns it with its secret, which is not kept.
    func create(_ draft: TokenDraft, by actor: Account) throws(TokenStoreError) -> (Token, TokenSecret)
    /// Creates several tokens in one transaction, all or none.
    func create(_ drafts: [TokenDraft], by actor: Account) throws(TokenStoreError) -> [(Token, TokenSecret)]
    /// Changes a live token; with `expectedVersion`, only if nobody changed it since that version was read.
    func edit(id: Int64, expectedVersion: Int64?, to draft: TokenDraft, by actor: Account) throws(TokenStoreError) -> Token
    func refresh(id: Int64, by actor: Account) throws(TokenStoreError) -> Token
    /// A new secret; with `grace`, the old one keeps working that long.
    func roll(id: Int64, grace: TimeSpan?, by actor: Account) throws(TokenStoreError) -> (Token, TokenSecret)
    func revoke(ids: [Int64], by actor: Account) throws(TokenStoreError) -> [Token]

    // MARK: Lists

    /// Up to `limit` live tokens in `order`, starting just after `cursor` (or at the start): a keyset page.
    func tokens(matching filter: TokenFilter, order: TokenOrder, after cursor: Token?, limit: Int?,
                by actor: Account) throws(TokenStoreError) -> [Token]
    /// Up to `limit` live tokens that come just before `cursor` (or at the very end), returned in `order`.
    func tokens(matching filter: TokenFilter, order: TokenOrder, before cursor: Token?, limit: Int,
                by actor: Account) throws(TokenStoreError) -> [Token]
    /// How many live tokens match, exactly when that is cheap, else a lower bound.
    func count(matching filter: TokenFilter, by actor: Account) throws(TokenStoreError) -> TokenCount
    /// The first page and the count from one plan: a new search or sort.
    func firstPage(matching filter: TokenFilter, order: TokenOrder, limit: Int,
                   by actor: Account) throws(TokenStoreError) -> (tokens: [Token], count: TokenCount)

    // MARK: Bulk revoke, leaks and warnings

    /// How many live tokens match, counted exactly whatever it costs.
    func exactCount(matching filter: TokenFilter, by actor: Account) throws(TokenStoreError) -> Int
    /// The highest token id so far: a bulk revoke stops there, so tokens made meanwhile are left alone.
    func lastTokenID() throws(TokenStoreError) -> Int64
    /// Revokes the next batch of matching tokens after `cursor`, in one transaction.
    func revokeBatch(matching filter: TokenFilter, after cursor: Int64, upTo last: Int64, except: Set<Int64>, limit: Int,
                     reason: String, by actor: Account) throws(TokenStoreError) -> RevokeBatch
    func lookUpLeaks(_ secrets: [TokenSecret], by actor: Account) throws(TokenStoreError) -> [LeakLookup]
    /// Revokes reported secrets at once; `actor` nil for a report through the check service's key.
    func revokeLeaked(_ reports: [LeakReport], reporter: String, actor: Account?) throws(TokenStoreError) -> [LeakLookup]
    func dueWarnings(within thresholds: [TimeSpan], by actor: Account) throws(TokenStoreError) -> [ExpiryWarning]
    func claimWarnings(within thresholds: [TimeSpan], by actor: Account) throws(TokenStoreError) -> [ExpiryWarning]
    func finishWarning(_ warning: ExpiryWarning, delivered: Bool) throws(TokenStoreError)

    // MARK: Checks

    /// Whether a secret is good for `request` now, recording its use.
    func verify(_ secret: TokenSecret, _ request: VerificationRequest) throws(TokenStoreError) -> Verification
    /// Whether a secret is good for `request` at `now`, without recording anything: the check service's answer.
    func check(_ secret: TokenSecret, _ request: VerificationRequest, at now: Date?) throws(TokenStoreError) -> Verification
    /// Writes uses that checks collected, in one transaction.
    func recordUses(_ uses: [TokenUse]) throws(TokenStoreError)
    /// A token refreshing itself with its own secret.
    func refreshSelf(_ secret: TokenSecret, clientIP: IPAddress?) throws(TokenStoreError) -> Token

    // MARK: The audit log

    /// The newest audit events first, those `filter` keeps; for administrators.
    func auditLog(_ filter: AuditFilter, limit: Int?, by actor: Account) throws(TokenStoreError) -> [AuditEvent]
    func auditHead(by actor: Account) throws(TokenStoreError) -> AuditHead
    /// Walks the whole chain; with `knownHead`, also checks that nothing after it was cut off.
    func verifyAudit(knownHead: Data?, by actor: Account) throws(TokenStoreError) -> AuditVerification
}

/// Opens one more connection to the organisation's store, with the access asked for.
public typealias RepositoryOpener = (StoreAccess) throws(TokenStoreError) -> any TokenRepository

/// The usual forms of the calls, with their defaults.
extension TokenRepository {
    public func edit(id: Int64, to draft: TokenDraft, by actor: Account) throws(TokenStoreError) -> Token {
        try edit(id: id, expectedVersion: nil, to: draft, by: actor)
    }

    public func roll(id: Int64, by actor: Account) throws(TokenStoreError) -> (Token, TokenSecret) {
        try roll(id: id, grace: nil, by: actor)
    }

    public func story(ofToken id: Int64, by actor: Account) throws(TokenStoreError) -> TokenStory? {
        try story(ofToken: id, historyLimit: 1_000, by: actor)
    }

    public func tokens(matching filter: TokenFilter, order: TokenOrder, by actor: Account) throws(TokenStoreError) -> [Token] {
        try tokens(matching: filter, order: order, after: nil, limit: nil, by: actor)
    }

    public func tokens(matching filter: TokenFilter, order: TokenOrder, limit: Int,
                       by actor: Account) throws(TokenStoreError) -> [Token] {
        try tokens(matching: filter, order: order, after: nil, limit: limit, by: actor)
    }

    public func tokens(matching filter: TokenFilter, order: TokenOrder, after cursor: Token?, by actor: Account) throws(TokenStoreError) -> [Token] {
        try tokens(matching: filter, order: order, after: cursor, limit: nil, by: actor)
    }

    public func revokeBatch(matching filter: TokenFilter, after cursor: Int64, reason: String,
                            by actor: Account) throws(TokenStoreError) -> RevokeBatch {
        try revokeBatch(matching: filter, after: cursor, upTo: .max, except: [], limit: TokenStore.revokeBatchSize, reason: reason, by: actor)
    }

    public func revokeLeaked(_ reports: [LeakReport], reporter: String) throws(TokenStoreError) -> [LeakLookup] {
        try revokeLeaked(reports, reporter: reporter, actor: nil)
    }

    public func auditLog(_ filter: AuditFilter, by actor: Account) throws(TokenStoreError) -> [AuditEvent] {
        try auditLog(filter, limit: nil, by: actor)
    }

    public func auditLog(limit: Int, by actor: Account) throws(TokenStoreError) -> [AuditEvent] {
        try auditLog(AuditFilter(), limit: limit, by: actor)
    }

    public func check(_ secret: TokenSecret, _ request: VerificationRequest) throws(TokenStoreError) -> Verification {
        try check(secret, request, at: nil)
    }

    public func auditLog(by actor: Account) throws(TokenStoreError) -> [AuditEvent] {
        try auditLog(AuditFilter(), limit: nil, by: actor)
    }

    public func verifyAudit(by actor: Account) throws(TokenStoreError) -> AuditVerification {
        try verifyAudit(knownHead: nil, by: actor)
    }
}
