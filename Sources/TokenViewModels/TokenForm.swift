import Foundation
import TokenDomain

/// The create / edit form: its fields, which one has focus, and the errors beside them.
public struct TokenForm: Hashable, Sendable {
    /// A place the focus can be, in the SPEC's order.
    public enum Field: Hashable, Sendable {
        case name, type, expiresIn, allowedIPs, team
        case permission(Permission)
        case submit, cancel
    }

    /// Whether this form creates a token or edits one.
    public enum Mode: Hashable, Sendable {
        case create
        case edit(tokenID: Int64, version: Int64)
    }

    public let mode: Mode
    public internal(set) var name: TextField
    public internal(set) var kind: TokenKind
    /// Whether the person may choose the type (admins creating on the API Tokens tab).
    public let kindIsChoosable: Bool
    public internal(set) var expiresIn: ExpiresIn
    /// The choices offered for Expires in, including a token's odd value such as `45d`.
    public internal(set) var expiryChoices: [ExpiresIn]
    public internal(set) var allowedIPs: TextField
    public internal(set) var teams: [Team]
    public internal(set) var teamIndex: Int
    public internal(set) var permissions: PermissionSet
    /// The role whose rules decide which permissions may be chosen: the token owner's.
    public var ownerRole: Role { owner.role }
    /// The owner of the token, whose teams a personal token may use.
    public let owner: Account
    public let allTeams: [Team]
    /// The organisation's rules as read when the form opened; the store judges the save on the rules as they are then.
    public internal(set) var organisationPolicy: OrganisationPolicy
    public internal(set) var focus: Field = .name
    /// Errors shown beside their fields, plus one for the form as a whole under `.submit`.
    public internal(set) var errors: [Field: String] = [:]

    /// The title of the form.
    public var title: String {
        switch mode {
        case .create: kind == .admin ? "New admin token" : "New personal access token"
        case .edit: "Edit token"
        }
    }

    /// The label of the button that saves.
    public var submitLabel: String { mode == .create ? "Create token" : "Save" }

    /// The team currently chosen, if any is offered.
    public var team: Team? { teams.indices.contains(teamIndex) ? teams[teamIndex] : nil }

    init(mode: Mode, draft: TokenDraft, kindIsChoosable: Bool, owner: Account, allTeams: [Team],
         organisationPolicy: OrganisationPolicy = .none) {
        self.mode = mode
        name = TextField(draft.name, limit: 100)
        kind = draft.kind
        self.kindIsChoosable = kindIsChoosable
        self.organisationPolicy = organisationPolicy
        expiresIn = draft.expiresIn
        expiryChoices = []
        originalExpiry = draft.expiresIn
        allowedIPs = TextField(draft.allowedIPs.description, limit: 1000)
        self.owner = owner
        self.allTeams = allTeams
        teams = Policy.offeredTeams(kind: draft.kind, owner: owner, allTeams: allTeams)
        teamIndex = teams.firstIndex { $0.id == draft.teamID } ?? 0
        permissions = draft.permissions
        adopt(organisationPolicy, movingExpiry: mode == .create)
    }

    /// The focus stops in order; disabled permissions are skipped.
    public var fields: [Field] {
        var fields: [Field] = [.name]
        if kindIsChoosable { fields.append(.type) }
        fields += [.expiresIn, .allowedIPs, .team]
        fields += Permission.allCases.filter { disabledReason($0) == nil }.map(Field.permission)
        return fields + [.submit, .cancel]
    }

    /// Why a permission checkbox is disabled, or nil.
    public func disabledReason(_ permission: Permission) -> String? {
        Policy.disabledReason(permission, kind: kind, ownerRole: ownerRole)
    }

    /// The expires-in the form opened with, kept among the choices.
    private let originalExpiry: ExpiresIn

    /// Takes the organisation's rules as they are now: the choices, a token's odd value such as `45d`, and the
    /// policy's own limit, so that something is always allowed. With `movingExpiry`, a forbidden choice moves to the
    /// longest allowed one.
    mutating func adopt(_ policy: OrganisationPolicy, movingExpiry: Bool) {
        organisationPolicy = policy
        let extra = [originalExpiry] + (policy.maxLifetimeDays.map { [ExpiresIn.days($0)] } ?? [])
        expiryChoices = Array(Set(ExpiresIn.choices + extra)).sorted { ($0.days ?? .max) < ($1.days ?? .max) }
        if movingExpiry, policy.expiryProblem(expiresIn) != nil {
            expiresIn = expiryChoices.last { policy.expiryProblem($0) == nil } ?? expiresIn
        }
    }

    /// Why an expiry choice is disabled by the organisation's policy, or nil.
    public func disabledReason(_ choice: ExpiresIn) -> String? {
        organisationPolicy.expiryProblem(choice)
    }

    /// Whether the focused field takes typed text.
    public var focusIsText: Bool { focus == .name || focus == .allowedIPs }

    mutating func moveFocus(by step: Int) {
        let fields = fields
        let index = fields.firstIndex(of: focus) ?? 0
        focus = fields[(index + step + fields.count) % fields.count]
    }

    mutating func edit(_ edit: TextField.Edit) {
        switch focus {
        case .name: name.apply(edit); errors[.name] = nil
        case .allowedIPs: allowedIPs.apply(edit); errors[.allowedIPs] = nil
        default: break
        }
    }

    /// Moves the focused choice (Type, Expires in, Team) one step left or right.
    mutating func changeChoice(by step: Int) {
        switch focus {
        case .type:
            kind = kind == .admin ? .personal : .admin
            let currentTeam = team
            teamsChanged(keeping: currentTeam)
            permissions = permissions.intersection(Policy.offeredPermissions(kind: kind, ownerRole: ownerRole))
            if permissions.isEmpty { permissions = PermissionSet([.readSite]) }
        case .expiresIn:
            // Choices the policy forbids are shown but skipped.
            var index = expiryChoices.firstIndex(of: expiresIn) ?? 0
            for _ in expiryChoices {
                index = (index + step + expiryChoices.count) % expiryChoices.count
                if disabledReason(expiryChoices[index]) == nil { break }
            }
            if disabledReason(expiryChoices[index]) == nil { expiresIn = expiryChoices[index] }
            errors[.expiresIn] = nil
        case .team where !teams.isEmpty:
            teamIndex = (teamIndex + step + teams.count) % teams.count
            errors[.team] = nil
        case .submit, .cancel:
            focus = focus == .submit ? .cancel : .submit
        default: break
        }
    }

    private mutating func teamsChanged(keeping current: Team?) {
        let offered = Policy.offeredTeams(kind: kind, owner: owner, allTeams: allTeams)
        teamIndex = offered.firstIndex { $0.id == current?.id } ?? 0
        teams = offered
    }

    /// Toggles the focused permission checkbox.
    mutating func toggle() {
        guard case .permission(let permission) = focus, disabledReason(permission) == nil else { return }
        permissions.toggle(permission)
        errors[.permission(.readSite)] = nil
    }

    /// Checks every field; fills `errors` and returns the draft only when all are valid.
    mutating func validated() -> TokenDraft? {
        errors = [:]
        var draft = TokenDraft(name: "", kind: kind, teamID: team?.id ?? 0, permissions: permissions, expiresIn: expiresIn)
        do { draft.name = try Naming.validate(name.text, what: "Name") } catch { errors[.name] = error.message }
        do { draft.allowedIPs = try IPAllowList(parsing: allowedIPs.text) } catch { errors[.allowedIPs] = error.message }
        if let problem = organisationPolicy.expiryProblem(expiresIn) { errors[.expiresIn] = problem }
        if errors[.allowedIPs] == nil, let problem = organisationPolicy.ipProblem(draft.allowedIPs) { errors[.allowedIPs] = problem }
        if team == nil { errors[.team] = "\(owner.login) is not a member of any team; ask an admin to add them" }
        if permissions.isEmpty { errors[.permission(.readSite)] = "Select at least one permission" }
        if !errors.isEmpty { focus = fields.first { errors[$0] != nil } ?? focus }
        return errors.isEmpty ? draft : nil
    }
}
