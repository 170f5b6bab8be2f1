import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore

/// The organisation's policy, each rule against create, edit, refresh and roll, for each role, in the store.
@Suite struct OrganisationPolicyTests {
    enum Rule: CaseIterable { case maxLifetime, ipAllowList }
    enum Change: CaseIterable { case create, edit, refresh, roll }

    static let cells: [(Rule, Change, Role)] = Rule.allCases.flatMap { rule in
        Change.allCases.flatMap { change in Role.allCases.map { (rule, change, $0) } }
    }

    /// Breaks the rule with a token made before the policy, then tries the change as an account of `role`.
    @Test(arguments: cells)
    func eachRuleBindsEachChangeForEveryRole(rule: Rule, change: Change, role: Role) throws {
        let fixture = try StoreFixture()
        let actor = switch role {
        case .admin: fixture.admin
        case .user: fixture.user
        case .viewer: fixture.viewer
        }
        let breaking = try fixture.draft("old", expiresIn: rule == .maxLifetime ? .days(365) : .days(30))
        let (old, _) = try fixture.store.create(breaking, by: actor)
        let policy = rule == .maxLifetime ? OrganisationPolicy(maxLifetimeDays: 90, requireIPAllowList: false)
                                          : OrganisationPolicy(maxLifetimeDays: nil, requireIPAllowList: true)
        try fixture.store.setOrganisationPolicy(policy, by: fixture.admin)
        let rule = rule == .maxLifetime ? "the organisation allows at most 90 days" : "the organisation requires an IP allow-list"
        func refusedNamingTheRule(_ body: () throws -> Void) {
            #expect {
                try body()
            } throws: { error in
                guard case .refused(let policyError) = error as? TokenStoreError else { return false }
                return policyError.message.hasPrefix(rule)
            }
        }
        switch change {
        case .create: refusedNamingTheRule { _ = try fixture.store.create(breaking, by: actor) }
        case .edit:
            var draft = TokenDraft(old)
            draft.name = "renamed"
            refusedNamingTheRule { _ = try fixture.store.edit(id: old.id, to: draft, by: actor) }
            draft.expiresIn = .days(60)
            draft.allowedIPs = try IPAllowList(parsing: "10.0.0.0/8")
            #expect(try fixture.store.edit(id: old.id, to: draft, by: actor).name == "renamed", "an edit that complies is saved")
        case .refresh: refusedNamingTheRule { _ = try fixture.store.refresh(id: old.id, by: actor) }
        case .roll: refusedNamingTheRule { _ = try fixture.store.roll(id: old.id, by: actor) }
        }
        let compliant = try fixture.draft("new", expiresIn: .days(90), ips: "10.0.0.0/8")
        #expect(try fixture.store.create(compliant, by: actor).0.name == "new")
    }

    @Test(arguments: Engine.available) func withoutRulesNoTokenBreaksThePolicyUnderAnySort(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        _ = try fixture.store.create(try fixture.draft("Kept"), by: fixture.user)
        for sort in TokenSort.allCases {
            #expect(try fixture.store.tokens(matching: TokenFilter(breaksPolicy: true), order: TokenOrder(sort), by: fixture.admin).isEmpty)
        }
        #expect(try fixture.store.count(matching: TokenFilter(breaksPolicy: true), by: fixture.admin) == .exact(0))
    }

    @Test(arguments: Engine.available) func neverBreaksAnyLimitAndOnlyAdminsChangeThePolicyAudited(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        try fixture.store.setOrganisationPolicy(OrganisationPolicy(maxLifetimeDays: 366, requireIPAllowList: false), by: fixture.admin)
        #expect(throws: TokenStoreError.self) { _ = try fixture.store.create(try fixture.draft("forever", expiresIn: .never), by: fixture.admin) }
        #expect(throws: TokenStoreError.self) {
            try fixture.store.setOrganisationPolicy(.none, by: fixture.user)
        }
        let event = try #require(try fixture.store.auditLog(limit: 1, by: fixture.admin).first)
        #expect(event.action == "policy" && event.details == "max_lifetime: none → 366d")
        try fixture.store.setOrganisationPolicy(OrganisationPolicy(maxLifetimeDays: 366, requireIPAllowList: false), by: fixture.admin)
        #expect(try fixture.store.auditLog(limit: 1, by: fixture.admin).first?.id == event.id, "setting the same policy writes nothing")
    }

    @Test(arguments: Engine.available) func anAllowListOfAWholeFamilyDoesNotMeetTheRequirement(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        _ = try fixture.store.create(try fixture.draft("everyone", ips: "10.0.0.0/8,0.0.0.0/0"), by: fixture.user)
        try fixture.store.setOrganisationPolicy(OrganisationPolicy(maxLifetimeDays: nil, requireIPAllowList: true), by: fixture.admin)
        for list in ["0.0.0.0/0", "::/0", "10.0.0.0/8,::/0"] {
            #expect(throws: TokenStoreError.self, "\(list)") { _ = try fixture.store.create(try fixture.draft("open \(list)", ips: list), by: fixture.user) }
        }
        #expect(try fixture.store.tokens(matching: TokenFilter(breaksPolicy: true), order: TokenOrder(.created), by: fixture.admin)
            .map(\.name) == ["everyone"])
    }

    @Test(arguments: Engine.available) func breaksPolicyFindsExactlyTheTokensThePolicyNames(_ engine: Engine) throws {
        let fixture = try StoreFixture(engine)
        let expiries: [ExpiresIn] = [.days(7), .days(30), .days(90), .days(91), .days(365), .never]
        for (index, expiry) in expiries.enumerated() {
            for ips in ["", "10.0.0.0/8"] {
                _ = try fixture.store.create(try fixture.draft("t\(index)\(ips)", expiresIn: expiry, ips: ips), by: fixture.user)
            }
        }
        let policy = OrganisationPolicy(maxLifetimeDays: 90, requireIPAllowList: true)
        try fixture.store.setOrganisationPolicy(policy, by: fixture.admin)
        let all = try fixture.store.tokens(matching: TokenFilter(), order: TokenOrder(.created), by: fixture.admin)
        let expected = Set(all.filter { !policy.violations(of: $0).isEmpty }.map(\.id))
        let found = try fixture.store.tokens(matching: TokenFilter(breaksPolicy: true), order: TokenOrder(.created), by: fixture.admin)
        #expect(Set(found.map(\.id)) == expected)
        #expect(expected.count == 9, "six without an allow-list, and three restricted ones that live too long")
    }
}

extension OrganisationPolicyTests.Rule: CustomTestStringConvertible {
    var testDescription: String { self == .maxLifetime ? "max lifetime" : "IP allow-list" }
}
