import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore
@testable import TokenViewModels

/// `A` then `x` on a filtered table, the batched revoke and its Esc, and the roll confirmation's grace choice,
/// with a second store on the same file acting as another admin would.
struct BulkAndGraceTests {
    let shared: SharedDemoFixture
    let model: AppModel
    var store: any TokenRepository { shared.store }
    var other: any TokenRepository { shared.other }
    var admin: Account { shared.admin }

    static let batch = 40

    init() throws {
        shared = try SharedDemoFixture(tokens: 3_000)
        let (store, admin) = (shared.store, shared.admin)
        model = AppModel(store: store, actor: admin, clipboard: RecordingClipboard(), width: 120, height: 30)
        model.bulkBatchSize = Self.batch
    }

    func search(_ text: String) {
        model.send(.table(.openSearch))
        text.forEach { model.send(.table(.search(.insert($0)))) }
        model.send(.table(.keepSearch))
    }

    func liveCount(_ search: String) throws -> Int {
        try store.exactCount(matching: TokenFilter(search: search), by: admin)
    }

    @Test func markAllThenRevokeGoesInBatchesAndEscKeepsWhatIsDone() throws {
        search("deploy")
        let matching = try liveCount("deploy")
        #expect(matching > 2 * Self.batch, "the demo should hold enough deploy tokens")
        model.send(.table(.markAll))
        #expect(model.state.table.markedCount == matching)
        #expect(model.state.table.rows.allSatisfy { model.state.table.isMarked($0) })
        let spared = try #require(model.state.table.selected)
        model.send(.table(.toggleMark))
        #expect(!model.state.table.isMarked(spared) && model.state.table.markedCount == matching - 1)

        model.send(.table(.revoke))
        guard case .confirm(let confirmation) = model.state.modal, case .revokeAll = confirmation.intent else {
            Issue.record("no bulk confirmation: \(String(describing: model.state.message))"); return
        }
        #expect(confirmation.title == "Revoke \(matching - 1) tokens?")
        #expect(confirmation.lines.contains { $0.contains("every token matching “deploy”") })
        model.send(.confirm(.answer(true)))
        #expect(model.state.bulkRevoke != nil)

        // The first batch is the lowest ids that match, less the one unmarked.
        let ids = try store.tokens(matching: TokenFilter(search: "deploy"), order: TokenOrder(.created), by: admin).map(\.id).sorted()
        let firstBatch = ids.prefix(Self.batch).filter { $0 != spared.id }.count
        model.send(.bulkRevokeStep)
        #expect(model.state.bulkRevoke?.done == firstBatch)
        #expect(model.state.message?.text.contains("Revoking… \(firstBatch) of \(matching - 1)") == true)
        model.send(.table(.newToken))
        #expect(model.state.modal == nil, "other keys wait while the revoke runs")
        model.send(.escape)
        #expect(model.state.bulkRevoke == nil && model.state.table.markedAll == nil)
        #expect(model.state.message?.text == "Stopped: revoked \(firstBatch) of \(matching - 1) tokens; the rest stay live")
        #expect(try liveCount("deploy") == matching - firstBatch)
        #expect(try store.token(id: spared.id, by: admin) != nil)
        let log = try store.auditLog(limit: firstBatch + 1, by: admin)
        #expect(log.prefix(firstBatch).allSatisfy { $0.action == "revoke" && $0.details == "bulk from the UI" })
        #expect(log[firstBatch].action != "revoke")
    }

    @Test func marksOfTokensAnotherAdminRevokesStopCountingOnTheNextRefresh() throws {
        // Two marked on the page and one off it, found by a search and kept when the search is cleared.
        model.send(.table(.toggleMark))
        model.send(.table(.toggleMark))
        search("pipeline 7")
        let offPage = try #require(model.state.table.selected)
        model.send(.table(.toggleMark))
        model.send(.escape)
        #expect(model.state.table.markedCount == 3 && !model.state.table.rows.contains { $0.id == offPage.id })
        let onPage = try #require(model.state.table.rows.first)
        try other.revoke(ids: [onPage.id, offPage.id], by: admin)
        model.send(.reload)
        #expect(model.state.table.markedCount == 1)

        // With A, the count follows the list, and an unmarked token revoked elsewhere is no longer subtracted.
        search("deploy")
        model.send(.table(.markAll))
        let spared = try #require(model.state.table.selected)
        model.send(.table(.toggleMark))
        let before = model.state.table.markedCount
        let revoked = try #require(model.state.table.rows.last { $0.id != spared.id })
        try other.revoke(ids: [spared.id, revoked.id], by: admin)
        model.send(.reload)
        #expect(model.state.table.markedCount == before - 1)
        #expect(model.state.table.markedCount == (try liveCount("deploy")))
    }

    @Test func aRevokeRunsToTheEndWhileAnotherAdminChangesTheSameTokens() throws {
        search("deploy")
        model.send(.table(.markAll))
        model.send(.table(.revoke))
        model.send(.confirm(.answer(true)))
        let matching = try liveCount("deploy")
        // Between batches another admin revokes ten of the marked tokens and creates a new match.
        model.send(.bulkRevokeStep)
        let leftover = try other.tokens(matching: TokenFilter(search: "deploy"), order: TokenOrder(.created), limit: 10, by: admin)
        try other.revoke(ids: leftover.map(\.id), by: admin)
        let team = try #require(try other.teams().first)
        _ = try other.create(TokenDraft(name: "deploy made meanwhile", kind: .admin, teamID: team.id, permissions: PermissionSet([.readSite])),
                             by: admin)
        var steps = 0
        while model.state.bulkRevoke != nil && steps < 100 {
            model.send(.bulkRevokeStep)
            steps += 1
        }
        #expect(model.state.bulkRevoke == nil)
        #expect(model.state.message?.text == "Revoked \(matching - 10) tokens")
        #expect(try liveCount("deploy") == 1, "the newcomer was never confirmed, so it stays")
    }

    @Test func aTokenMadeAfterTheConfirmationOpenedIsNotRevoked() throws {
        search("deploy")
        model.send(.table(.markAll))
        model.send(.table(.revoke))
        let team = try #require(try other.teams().first)
        let (newcomer, _) = try other.create(TokenDraft(name: "deploy made while the dialog was open", kind: .admin, teamID: team.id,
                                                        permissions: PermissionSet([.readSite])), by: admin)
        model.send(.confirm(.answer(true)))
        while model.state.bulkRevoke != nil { model.send(.bulkRevokeStep) }
        #expect(try liveCount("deploy") == 1)
        #expect(try store.token(id: newcomer.id, by: admin) != nil, "the person never saw it counted")
    }

    @Test func aDemotionBetweenBatchesStopsTheRevokeWhereItIs() throws {
        let second = try other.addAccount(login: "ad2", name: "Second Admin", role: .admin, teams: [], by: admin)
        let model = AppModel(store: store, actor: second, clipboard: RecordingClipboard(), width: 120, height: 30)
        model.bulkBatchSize = Self.batch
        model.send(.table(.openSearch))
        "deploy".forEach { model.send(.table(.search(.insert($0)))) }
        model.send(.table(.keepSearch))
        model.send(.table(.markAll))
        model.send(.table(.revoke))
        model.send(.confirm(.answer(true)))
        model.send(.bulkRevokeStep)
        let done = try #require(model.state.bulkRevoke?.done)
        try other.setRole(login: "ad2", role: .user, by: admin)
        model.send(.bulkRevokeStep)
        #expect(model.state.bulkRevoke == nil)
        #expect(model.state.message?.isError == true)
        #expect(model.state.message?.text.hasPrefix("Stopped after revoking \(done) of") == true)
        #expect(model.state.actor.role == .user, "the refusal makes the UI read the account again")
    }

    @Test func changingTheSearchClearsTheMarksOfA() throws {
        search("deploy")
        model.send(.table(.markAll))
        model.send(.table(.openSearch))
        model.send(.table(.search(.backspace)))
        #expect(model.state.table.markedAll == nil)
        #expect(model.state.message?.text.contains("marks made with A were cleared") == true)
    }

    @Test func theRollConfirmationOffersAGraceAndTheRollKeepsIt() throws {
        let token = try #require(model.state.table.selected)
        model.send(.table(.roll))
        #expect(Confirmation.graceOptions.map { $0?.label ?? "none" } == ["none", "1 hour", "24 hours", "7 days"])
        model.send(.confirm(.grace(1)))
        model.send(.confirm(.grace(1)))
        guard case .confirm(let confirmation) = model.state.modal else { Issue.record("no confirmation"); return }
        #expect(confirmation.grace == TimeSpan(hours: 24))
        #expect(confirmation.lines.contains("The current secret keeps working for 24 hours, then stops."))
        model.send(.confirm(.answer(true)))
        guard case .reveal = model.state.modal else { Issue.record("no reveal"); return }
        let rolled = try #require(try other.token(id: token.id, by: admin))
        #expect(rolled.graceEnd(at: ModelFixture.now) == ModelFixture.now.addingTimeInterval(86_400))
        model.send(.reveal(.close))
        model.send(.table(.roll))
        model.send(.confirm(.grace(-1)))
        guard case .confirm(let wrapped) = model.state.modal else { Issue.record("no confirmation"); return }
        #expect(wrapped.grace == TimeSpan(hours: 7 * 24), "↑ from none wraps to the longest")
    }
}
