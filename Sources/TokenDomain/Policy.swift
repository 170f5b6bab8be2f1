/// Something an account may try to do to a token.
public enum TokenAction: String, Sendable, CaseIterable {
    case view, edit, refresh, roll, revoke
}

/// Why an action was refused, worded for the person who tried it.
public struct PolicyError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The rule table of the product: who may create, see and change which tokens, and what they may grant.
public enum Policy {
    /// The permissions an account of this role may select on a personal token.
    public static func selectablePermissions(for role: Role) -> PermissionSet {
        role == .viewer ? PermissionSet([.readSite]) : .all
    }

    /// The permissions offered for a token of this kind owned by an account of this role.
    public static func offeredPermissions(kind: TokenKind, ownerRole: Role) -> PermissionSet {
        kind == .admin ? .all : selectablePermissions(for: ownerRole)
    }

    /// Why a permission cannot be selected, or nil when it can.
    public static func disabledReason(_ permission: Permission, kind: TokenKind, ownerRole: Role) -> String? {
        guard !offeredPermissions(kind: kind, ownerRole: ownerRole).contains(permission) else { return nil }
        return "\(ownerRole.label) accounts can only grant Read Site"
    }

    /// The teams offered for a token of this kind owned by this account, from every team of the organisation.
    public static func offeredTeams(kind: TokenKind, owner: Account, allTeams: [Team]) -> [Team] {
        kind == .admin ? allTeams : allTeams.filter { owner.teams.contains($0.name) }
    }

    /// Whether the actor may create a token of this kind.
    public static func checkCreate(kind: TokenKind, by actor: Account) throws(PolicyError) {
        if kind == .admin && !actor.isAdmin {
            throw PolicyError("only administrators can create admin tokens; \(actor.login) is a \(actor.role.label)")
        }
    }

    /// Whether the actor may do this to the token: admins to any token, owners to their own personal tokens.
    public static func check(_ action: TokenAction, on token: Token, by actor: Account) throws(PolicyError) {
        if actor.isAdmin { return }
        if token.kind == .personal && token.owner == actor.login { return }
        let what = token.kind == .admin ? "admin tokens" : "other people's personal tokens"
        throw PolicyError("only administrators can \(action.rawValue) \(what); \(actor.login) is a \(actor.role.label)")
    }

    /// Whether the draft stays within what the owner may grant: offered team, permissions and a non-empty set.
    public static func checkDraft(_ draft: TokenDraft, owner: Account, allTeams: [Team]) throws(ValidationError) {
        guard let team = allTeams.first(where: { $0.id == draft.teamID }) else {
            throw ValidationError("the chosen team no longer exists")
        }
        guard offeredTeams(kind: draft.kind, owner: owner, allTeams: allTeams).contains(team) else {
            throw ValidationError("\(owner.login) is not a member of team '\(Sanitized.visible(team.name))'")
        }
        if draft.permissions.isEmpty { throw ValidationError("select at least one permission") }
        let offered = offeredPermissions(kind: draft.kind, ownerRole: owner.role)
        if let refused = draft.permissions.first(where: { !offered.contains($0) }) {
            throw ValidationError("\(owner.role.label) accounts cannot grant \(refused.label) (\(refused.id))")
        }
    }

    /// What a personal token still grants given its owner's current role and teams; nil when it is inactive.
    public static func effectivePermissions(of token: Token, owner: Account?) -> PermissionSet? {
        guard token.kind == .personal else { return token.permissions }
        guard let owner, owner.teams.contains(token.team) else { return nil }
        let granted = token.permissions.intersection(selectablePermissions(for: owner.role))
        return granted.isEmpty ? nil : granted
    }

    /// Why a personal token is inactive given its owner as they are now (nil owner: removed), or nil when it is not.
    public static func accessProblem(of token: Token, owner: Account?) -> String? {
        guard effectivePermissions(of: token, owner: owner) == nil else { return nil }
        guard let owner else { return "its owner \(token.owner) was removed" }
        if !owner.teams.contains(token.team) {
            return "its owner \(owner.login) is no longer a member of team \(token.team)"
        }
        return "its owner \(owner.login) is now a \(owner.role.label), who can grant none of its permissions"
    }
}
