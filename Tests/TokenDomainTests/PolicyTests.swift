import Testing
import TokenDomain

/// The rule table of the product, cell by cell, for each role and kind.
struct PolicyTests {
    static let teams = [Team(id: 1, name: "Web"), Team(id: 2, name: "Platform"), Team(id: 3, name: "Mobile")]

    static func account(_ login: String, _ role: Role, teams: [String] = ["Web"]) -> Account {
        Account(id: Int64(login.count), login: login, name: login, role: role, teams: teams)
    }

    static func token(_ kind: TokenKind, owner: String) -> Token {
        Token(id: 1, kind: kind, name: "t", owner: owner, ownerName: owner, team: "Web", teamID: 1,
              permissions: PermissionSet([.readSite]), expiresIn: .standard, expiresAt: nil, allowedIPs: .any,
              createdAt: .distantPast, updatedAt: .distantPast, lastUsedAt: nil, lastUsedIP: nil, hint: "", version: 1)
    }

    @Test(arguments: Role.allCases)
    func onlyAdminsCreateAdminTokensAnyoneCreatesPersonalOnes(role: Role) {
        let actor = Self.account("someone", role)
        #expect(throws: Never.self) { try Policy.checkCreate(kind: .personal, by: actor) }
        if role == .admin {
            #expect(throws: Never.self) { try Policy.checkCreate(kind: .admin, by: actor) }
        } else {
            #expect(throws: PolicyError.self) { try Policy.checkCreate(kind: .admin, by: actor) }
        }
    }

    @Test(arguments: Role.allCases, [TokenAction.edit, .refresh, .roll, .revoke])
    func adminTokensAreChangedByAdminsOnly(role: Role, action: TokenAction) {
        let token = Self.token(.admin, owner: "boss")
        let actor = Self.account("someone", role)
        if role == .admin {
            #expect(throws: Never.self) { try Policy.check(action, on: token, by: actor) }
        } else {
            #expect(throws: PolicyError.self) { try Policy.check(action, on: token, by: actor) }
        }
    }

    @Test(arguments: Role.allCases, [TokenAction.edit, .refresh, .roll, .revoke])
    func personalTokensAreChangedByTheirOwnerAndAdmins(role: Role, action: TokenAction) {
        let own = Self.token(.personal, owner: "someone")
        let others = Self.token(.personal, owner: "other")
        let actor = Self.account("someone", role)
        #expect(throws: Never.self) { try Policy.check(action, on: own, by: actor) }
        if role == .admin {
            #expect(throws: Never.self) { try Policy.check(action, on: others, by: actor) }
        } else {
            #expect(throws: PolicyError.self) { try Policy.check(action, on: others, by: actor) }
        }
    }

    @Test func viewerCanOnlySelectReadSite() {
        #expect(Policy.offeredPermissions(kind: .personal, ownerRole: .viewer) == PermissionSet([.readSite]))
        #expect(Policy.disabledReason(.manageSites, kind: .personal, ownerRole: .viewer) != nil)
        #expect(Policy.disabledReason(.readSite, kind: .personal, ownerRole: .viewer) == nil)
    }

    @Test(arguments: [Role.admin, .user])
    func adminsAndUsersMaySelectEveryPermission(role: Role) {
        #expect(Policy.offeredPermissions(kind: .personal, ownerRole: role) == .all)
    }

    @Test func adminTokensOfferEveryPermissionAndEveryTeam() {
        let admin = Self.account("boss", .admin, teams: [])
        #expect(Policy.offeredPermissions(kind: .admin, ownerRole: .admin) == .all)
        #expect(Policy.offeredTeams(kind: .admin, owner: admin, allTeams: Self.teams) == Self.teams)
    }

    @Test func personalTokensOfferOnlyTheOwnersTeams() {
        let user = Self.account("jo", .user, teams: ["Platform"])
        #expect(Policy.offeredTeams(kind: .personal, owner: user, allTeams: Self.teams).map(\.name) == ["Platform"])
        let draft = TokenDraft(name: "x", kind: .personal, teamID: 1, permissions: PermissionSet([.readSite]))
        #expect(throws: ValidationError.self) { try Policy.checkDraft(draft, owner: user, allTeams: Self.teams) }
    }

    @Test func draftWithNoPermissionIsRefused() {
        let user = Self.account("jo", .user, teams: ["Web"])
        let draft = TokenDraft(name: "x", kind: .personal, teamID: 1, permissions: PermissionSet([]))
        #expect(throws: ValidationError("select at least one permission")) {
            try Policy.checkDraft(draft, owner: user, allTeams: Self.teams)
        }
    }

    @Test func demotedOwnersPersonalTokenKeepsOnlyReadSite() {
        let token = Token(id: 1, kind: .personal, name: "t", owner: "jo", ownerName: "jo", team: "Web", teamID: 1,
                          permissions: PermissionSet([.readSite, .manageSites]), expiresIn: .standard, expiresAt: nil,
                          allowedIPs: .any, createdAt: .distantPast, updatedAt: .distantPast, lastUsedAt: nil,
                          lastUsedIP: nil, hint: "", version: 1)
        #expect(Policy.effectivePermissions(of: token, owner: Self.account("jo", .viewer)) == PermissionSet([.readSite]))
        #expect(Policy.effectivePermissions(of: token, owner: Self.account("jo", .user, teams: ["Mobile"])) == nil)
        #expect(Policy.effectivePermissions(of: token, owner: nil) == nil)
    }
}
