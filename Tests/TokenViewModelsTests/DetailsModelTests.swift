import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore
@testable import TokenViewModels

/// `d`: one token's story, read from the store and kept up to date while another process changes the token.
struct DetailsModelTests {
    let shared: SharedDemoFixture
    var other: any TokenRepository { shared.other }
    var admin: Account { shared.admin }

    init() throws { shared = try SharedDemoFixture(tokens: 60) }

    func model(as login: String = "admin") throws -> AppModel {
        AppModel(store: shared.store, actor: try #require(try shared.store.account(login: login)), clipboard: RecordingClipboard(),
                 width: 100, height: 24)
    }

    func openStory(_ model: AppModel) -> (TokenStory, DetailsSheet)? {
        guard case .details(let sheet) = model.state.modal, case .token(let story) = sheet.subject else { return nil }
        return (story, sheet)
    }

    /// A token made by another process (the demo's own are seeded without events), newest first on the table.
    func madeElsewhere(by login: String = "admin", kind: TokenKind = .admin) throws -> Token {
        let owner = try #require(try other.account(login: login))
        let team = try #require(try other.teams().first { owner.teams.contains($0.name) })
        return try other.create(TokenDraft(name: "Made elsewhere", kind: kind, teamID: team.id, permissions: PermissionSet([.readSite])),
                                by: owner).0
    }

    @Test func detailsTellEveryFieldAndTheTokensOwnHistory() throws {
        _ = try madeElsewhere()
        let model = try model()
        let token = try #require(model.state.table.selected)
        #expect(token.name == "Made elsewhere")
        model.send(.table(.details))
        let (story, sheet) = try #require(openStory(model))
        #expect(story.token.id == token.id)
        #expect(story.sites == (try other.teams().first { $0.id == token.teamID }?.sites))
        #expect(story.history.allSatisfy { $0.tokenID == token.id } && story.history.first?.action == "create")
        let text = sheet.lines(width: 100, now: model.state.now).map { $0.label + " " + $0.text }
        for label in ["Name", "Type", "Status", "Created by", "Team", "Sites", "Permissions", "Expires in", "Expires at",
                      "Allowed IPs", "Created", "Updated", "Last used", "Previous secret", "History"] {
            #expect(text.contains { $0.hasPrefix(label + " ") }, "\(label)")
        }
    }

    /// Another admin renames and rolls the token while its details are open: the next idle reload shows both
    /// events; a revoke closes the sheet and says so.
    @Test func anOpenSheetFollowsAnotherProcess() throws {
        let model = try model()
        let token = try #require(model.state.table.selected)
        model.send(.table(.details))
        var draft = TokenDraft(token)
        draft.name = "Renamed elsewhere"
        _ = try other.edit(id: token.id, to: draft, by: admin)
        _ = try other.roll(id: token.id, grace: TimeSpan(hours: 1), by: admin)
        model.send(.reload)
        let (story, _) = try #require(openStory(model))
        #expect(story.token.name == "Renamed elsewhere" && story.history.prefix(2).map(\.action) == ["roll", "edit"])
        #expect(story.token.previousSecretExpiresAt != nil)
        _ = try other.revoke(ids: [token.id], by: admin)
        model.send(.reload)
        #expect(model.state.modal == nil)
        #expect(model.state.message == StatusMessage(text: "'Renamed elsewhere' was revoked meanwhile", isError: true))
    }

    /// A long history scrolls within bounds: End shows the last line, and nothing scrolls past it.
    @Test func aLongHistoryScrollsAndStopsAtItsEnd() throws {
        let model = try model()
        let token = try #require(model.state.table.selected)
        for round in 1...30 {
            var draft = TokenDraft(token)
            draft.name = "Round \(round)"
            _ = try other.edit(id: token.id, to: draft, by: admin)
        }
        model.send(.table(.details))
        let (_, opened) = try #require(openStory(model))
        let lines = opened.lines(width: 100, now: model.state.now)
        let rows = DetailsSheet.rows(height: 24)
        #expect(lines.count > rows)
        model.send(.details(.scroll(.end)))
        #expect(try #require(openStory(model)).1.offset == lines.count - rows)
        model.send(.details(.scroll(.pageDown)))
        model.send(.details(.scroll(.down)))
        #expect(try #require(openStory(model)).1.offset == lines.count - rows)
        model.send(.details(.scroll(.home)))
        model.send(.details(.scroll(.up)))
        #expect(try #require(openStory(model)).1.offset == 0)
        model.send(.escape)
        #expect(model.state.modal == nil)
    }

    /// A user sees their own token's story; someone else's personal token is refused by the store.
    @Test func aUserSeesTheirOwnTokensStory() throws {
        _ = try madeElsewhere(by: "bruno", kind: .personal)
        let bruno = try model(as: "bruno")
        bruno.send(.table(.details))
        let (story, _) = try #require(openStory(bruno))
        #expect(story.token.owner == "bruno" && !story.history.isEmpty)
        let chens = try #require(try other.tokens(matching: TokenFilter(search: "chen"), order: TokenOrder(.name), limit: 1, by: admin).first)
        #expect(throws: TokenStoreError.self) { try shared.store.story(ofToken: chens.id, by: try #require(try shared.store.account(login: "bruno"))) }
    }
}
