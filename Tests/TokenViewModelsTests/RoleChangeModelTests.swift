import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore
@testable import TokenViewModels

/// An open dialog under a role changed by another administrator: what the new role may not do is no longer offered.
struct RoleChangeModelTests {
    func model(as login: String, in shared: SharedDemoFixture) throws -> AppModel {
        AppModel(store: shared.store, actor: try #require(try shared.store.account(login: login)), clipboard: RecordingClipboard(),
                 width: 100, height: 30)
    }

    @Test(arguments: Engine.available) func aDemotionClosesARevokeTheNewRoleMayNotAnswer(_ engine: Engine) throws {
        let shared = try SharedDemoFixture(engine, tokens: 60)
        let alice = try model(as: "alice", in: shared)
        alice.send(.table(.sortBy(.kind)))
        #expect(alice.state.table.selected?.kind == .admin)
        alice.send(.table(.revoke))
        guard case .confirm = alice.state.modal else { Issue.record("no confirmation"); return }
        try shared.other.setRole(login: "alice", role: .user, by: shared.admin)
        alice.send(.reload)
        #expect(alice.state.modal == nil)
        #expect(alice.state.message?.text.hasPrefix("An administrator changed your role to User; closed: only administrators can revoke admin tokens") == true)
        #expect(try shared.other.token(id: try #require(alice.state.table.selected?.id), by: shared.admin) != nil, "nothing was revoked")
    }

    @Test(arguments: Engine.available) func aPromotionKeepsTheDialogOpen(_ engine: Engine) throws {
        let shared = try SharedDemoFixture(engine, tokens: 60)
        let bruno = try model(as: "bruno", in: shared)
        bruno.send(.table(.roll))
        guard case .confirm = bruno.state.modal else { Issue.record("no confirmation"); return }
        try shared.other.setRole(login: "bruno", role: .admin, by: shared.admin)
        bruno.send(.reload)
        guard case .confirm = bruno.state.modal else { Issue.record("the roll was closed"); return }
    }

    /// Someone in no team could only make a token without sites: New is not offered, and says why.
    @Test(arguments: Engine.available) func newIsNotOfferedToSomeoneInNoTeam(_ engine: Engine) throws {
        let shared = try SharedDemoFixture(engine, tokens: 60)
        try shared.other.leave(login: "dana", team: try #require(try shared.other.account(login: "dana")?.teams.first), by: shared.admin)
        let dana = try model(as: "dana", in: shared)
        #expect(dana.state.reasonUnavailable(.table(.newToken))?.hasPrefix("You are not a member of any team") == true)
        dana.send(.table(.newToken))
        #expect(dana.state.modal == nil)
    }
}
