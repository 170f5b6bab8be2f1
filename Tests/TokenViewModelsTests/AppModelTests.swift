import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore
import TokenStorePostgres
@testable import TokenViewModels

/// A clipboard that remembers what it was given.
final class RecordingClipboard: Clipboard, @unchecked Sendable {
    private(set) var copied: [String] = []
    func copy(_ text: String) -> String {
        copied.append(text)
        return "Copied"
    }
}

/// A demo organisation at a fixed moment, opened as one of its accounts.
struct ModelFixture {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    let store: TokenStore
    let model: AppModel
    let clipboard = RecordingClipboard()

    init(as login: String = "admin", tokens: Int = 60, height: Int = 24) throws {
        store = try TokenStore(inMemoryWith: FixedClock(Self.now))
        try store.bootstrapIfEmpty(login: "admin", name: "Ada Admin")
        try DemoSeeder(store: store).seed(osLogin: "admin", osName: "Ada Admin", tokenCount: tokens)
        let actor = try #require(try store.account(login: login))
        model = AppModel(store: store, actor: actor, clipboard: clipboard, width: 120, height: height)
    }

    var state: AppState { model.state }

    func send(_ actions: Action...) { actions.forEach { model.send($0) } }

    func type(_ text: String, into field: (TextField.Edit) -> Action) {
        text.forEach { model.send(field(.insert($0))) }
    }

    var form: TokenForm? {
        if case .form(let form) = state.modal { return form }
        return nil
    }
}

/// A demo organisation in a file, or migrated into a PostgreSQL database of its own, with a second store on it:
/// another admin, or another process, acting meanwhile.
struct SharedDemoFixture {
    let scratch = ScratchDirectory("apitokens-shared-demo")
    private let postgres: ScratchPostgres?
    let store: any TokenRepository
    let other: any TokenRepository
    let admin: Account

    init(_ engine: Engine = .sqlite, tokens: Int) throws {
        let path = scratch.path("tokens.sqlite")
        let file = try TokenStore(path: path, clock: FixedClock(ModelFixture.now))
        try file.bootstrapIfEmpty(login: "admin", name: "Ada Admin")
        try DemoSeeder(store: file).seed(osLogin: "admin", osName: "Ada Admin", tokenCount: tokens)
        guard engine == .postgresql else {
            postgres = nil
            store = file
            other = try TokenStore(path: path, clock: FixedClock(ModelFixture.now))
            admin = try store.root()
            return
        }
        let database = try #require(ScratchPostgres())
        postgres = database
        func open() throws -> PostgresStore {
            try PostgresStore(PostgresLocation(parsing: database.url, osUser: NSUserName()), clock: FixedClock(ModelFixture.now))
        }
        let target = try open()
        _ = try PostgresImport(from: file, to: target).run(by: try file.root()) { _ in }
        file.close()
        store = target
        other = try open()
        admin = try store.root()
    }
}

struct AppModelTests {
    @Test func adminsSeeThreeTabsOthersOnlyTheirOwnTokens() throws {
        let admin = try ModelFixture()
        #expect(admin.state.tabs == [.apiTokens, .personal, .audit])
        #expect(admin.state.table.total == .exact(60))
        let user = try ModelFixture(as: "bruno")
        #expect(user.state.tabs == [.personal])
        #expect(user.state.table.rows.allSatisfy { $0.owner == "bruno" && $0.kind == .personal })
    }

    /// Another admin demotes, then removes, the person at the keyboard: the next reload shows it, and what they
    /// may no longer do is refused by the store with a reason.
    @Test func aRoleChangedElsewhereShowsAtOnce() throws {
        let fixture = try ModelFixture(as: "alice")
        let admin = try fixture.store.root()
        let adminToken = try #require(fixture.state.table.rows.first { $0.kind == .admin })
        try fixture.store.setRole(login: "alice", role: .user, by: admin)
        // Before any reload the table still shows the API Tokens tab; the store refuses regardless.
        fixture.send(.table(.selectRow(try #require(fixture.state.table.rows.firstIndex(of: adminToken)))), .table(.refresh))
        #expect(fixture.state.message?.text.contains("only administrators can refresh admin tokens; alice is a User") == true)
        #expect(fixture.state.actor.role == .user)
        #expect(fixture.state.tabs == [.personal] && fixture.state.tab == .personal)
        #expect(try fixture.store.token(id: adminToken.id, by: admin)?.version == adminToken.version)

        try fixture.store.removeAccount(login: "alice", by: admin)
        fixture.send(.reload)
        #expect(fixture.state.actorRemoved)
        #expect(fixture.state.table.rows.isEmpty)
        #expect(fixture.state.message?.text.contains("alice was removed by an administrator") == true)
        for action in [Action.table(.newToken), .table(.edit), .table(.refresh), .table(.roll), .table(.revoke)] {
            fixture.send(action)
            #expect(fixture.state.modal == nil, "\(action)")
            #expect(fixture.state.message?.text.contains("alice was removed by an administrator") == true, "\(action)")
        }
    }

    /// Characters that join the one before them (a ZWJ, a skin tone, a flag's second half, Hangul jamo) never
    /// leave the cursor past the end of the text, wherever they are typed.
    /// Another process makes a token that sorts first: a table showing the top of the list shows it at the next idle
    /// reload, while a table scrolled down keeps its rows where they are.
    @Test(arguments: Engine.available) func anIdleReloadAtTheTopShowsATokenMadeElsewhereAbove(_ engine: Engine) throws {
        let shared = try SharedDemoFixture(engine, tokens: 60)
        let model = AppModel(store: shared.store, actor: shared.admin, clipboard: RecordingClipboard(), width: 120, height: 24)
        let team = try #require(try shared.other.teams().first)
        func make(_ name: String) throws -> Token {
            try shared.other.create(TokenDraft(name: name, kind: .admin, teamID: team.id, permissions: PermissionSet([.readSite])),
                                    by: shared.admin).0
        }
        let first = try #require(model.state.table.rows.first)
        let made = try make("Made elsewhere")
        model.send(.reload)
        #expect(model.state.table.rows.first?.id == made.id, "the new newest token is not on screen")
        #expect(model.state.table.rows.dropFirst().first?.id == first.id)

        model.send(.table(.move(.pageDown)))
        let scrolled = try #require(model.state.table.rows.first)
        _ = try make("Made while scrolled")
        model.send(.reload)
        #expect(model.state.table.rows.first?.id == scrolled.id, "a scrolled table jumped")
        model.send(.table(.move(.home)))
        #expect(model.state.table.rows.first?.name == "Made while scrolled")
    }

    @Test func textFieldsSurviveCharactersThatJoinTheOneBefore() {
        var field = TextField(limit: 100)
        for character in ["a", "\u{200D}", "b", "👍", "\u{1F3FD}", "x", "🇫", "🇷", "x", "\u{1100}", "\u{1161}", "x"] {
            field.apply(.insert(Character(character)))
            #expect(field.cursor <= field.text.count)
        }
        field.apply(.home)
        field.apply(.right)
        field.apply(.insert(Character("\u{301}")))
        field.apply(.end)
        field.apply(.backspace)
        #expect(field.cursor == field.text.count && !field.text.hasSuffix("x"))
        #expect(Naming.length(field.text) <= 100)
    }

    @Test func windowHoldsOnlyTheRowsThatFit() throws {
        let fixture = try ModelFixture(height: 15)
        #expect(fixture.state.table.pageSize == 10)
        #expect(fixture.state.table.rows.count == 10)
    }

    @Test func movingPastTheWindowScrollsAndEndReachesTheLastRow() throws {
        let fixture = try ModelFixture(height: 15)
        let all = try fixture.store.tokens(matching: TokenFilter(), order: fixture.state.table.order, by: try fixture.store.root())
        for _ in 0..<12 { fixture.send(.table(.move(.down))) }
        #expect(fixture.state.table.selected?.id == all[12].id)
        fixture.send(.table(.move(.end)))
        #expect(fixture.state.table.selected?.id == all.last?.id)
        fixture.send(.table(.move(.pageUp)))
        #expect(fixture.state.table.rows.map(\.id) == all.dropLast(10).suffix(10).map(\.id))
        fixture.send(.table(.move(.home)))
        #expect(fixture.state.table.selected?.id == all.first?.id)
        fixture.send(.table(.move(.pageDown)), .table(.move(.pageDown)))
        #expect(fixture.state.table.rows.map(\.id) == Array(all[20..<30]).map(\.id))
    }

    @Test func searchFiltersAtOnceAndEscRestores() throws {
        let fixture = try ModelFixture()
        fixture.send(.table(.openSearch))
        fixture.type("DEPLOY", into: { .table(.search($0)) })
        #expect(fixture.state.table.isSearching)
        guard case .exact(let shown) = fixture.state.table.total else { Issue.record("a small search is counted exactly"); return }
        #expect(shown < 60 && shown > 0)
        #expect(fixture.state.table.rows.allSatisfy { $0.name.lowercased().contains("deploy") })
        fixture.send(.table(.keepSearch))
        #expect(!fixture.state.table.isSearching && fixture.state.table.search.text == "DEPLOY")
        fixture.send(.escape)
        #expect(fixture.state.table.search.text.isEmpty && fixture.state.table.total == .exact(60))
    }

    @Test func typingAheadRunsOneQueryForTheLastKey() throws {
        let fixture = try ModelFixture()
        let unfiltered = fixture.state.table.rows.map(\.id)
        fixture.send(.table(.openSearch))
        for character in "nightl" { fixture.model.send(.table(.search(.insert(character))), moreKeysPending: true) }
        #expect(fixture.state.table.search.text == "nightl")
        #expect(fixture.state.table.rows.map(\.id) == unfiltered, "no query ran for the keys typed ahead")
        fixture.model.send(.table(.search(.insert("y"))))
        #expect(!fixture.state.table.rows.isEmpty && fixture.state.table.rows.allSatisfy { $0.name.lowercased().contains("nightly") })

        fixture.model.send(.table(.search(.clear)), moreKeysPending: true)
        fixture.send(.table(.keepSearch))
        #expect(fixture.state.table.rows.map(\.id) == unfiltered, "any other key runs the superseded query first")
    }

    @Test func sortByExpiresPutsExpiredFirstAndSecondClickReverses() throws {
        let fixture = try ModelFixture()
        fixture.send(.table(.sortBy(.expires)))
        #expect(fixture.state.table.order == TokenOrder(.expires))
        #expect(fixture.state.table.rows.first?.status(at: ModelFixture.now) == .expired)
        fixture.send(.table(.sortBy(.expires)))
        #expect(fixture.state.table.order == TokenOrder(.expires, descending: true))
        #expect(fixture.state.table.rows.first?.expiresAt == nil)
    }

    @Test func newFormStartsWithDefaultsSoANameAndCtrlSCreates() throws {
        let fixture = try ModelFixture()
        fixture.send(.switchTab(.number(2)), .table(.newToken))
        let form = try #require(fixture.form)
        #expect(form.expiresIn == .days(30))
        #expect(form.permissions == PermissionSet([.readSite]))
        #expect(form.team?.name == "Marketing Web")
        #expect(form.kind == .personal && !form.kindIsChoosable)
        fixture.type("Nightly export", into: { .form(.edit($0)) })
        fixture.send(.form(.submit))
        guard case .reveal(let reveal) = fixture.state.modal else { Issue.record("no reveal"); return }
        #expect(reveal.secret.hasPrefix("ptk_"))
        fixture.send(.reveal(.copy))
        #expect(fixture.clipboard.copied == [reveal.secret])
        fixture.send(.reveal(.close))
        #expect(fixture.state.modal == nil)
        #expect(!"\(fixture.state)".contains(reveal.secret))
        #expect(fixture.state.table.selected?.name == "Nightly export")
    }

    @Test func enterMovesThroughFieldsAndPressesTheButtons() throws {
        let fixture = try ModelFixture()
        fixture.send(.switchTab(.number(2)), .table(.newToken))
        fixture.type("Via enter", into: { .form(.edit($0)) })
        fixture.send(.form(.activate))
        #expect(fixture.form?.focus == .expiresIn)
        fixture.send(.form(.focus(-1)), .form(.focus(-1)))
        #expect(fixture.form?.focus == .cancel)
        fixture.send(.form(.activate))
        #expect(fixture.state.modal == nil)
        fixture.send(.table(.newToken))
        fixture.type("Via enter", into: { .form(.edit($0)) })
        fixture.send(.form(.focus(-1)), .form(.focus(-1)), .form(.activate))
        guard case .reveal = fixture.state.modal else { Issue.record("Enter on Create token did not create"); return }
    }

    @Test func formErrorsShowBesideTheFieldAndNothingIsSaved() throws {
        let fixture = try ModelFixture()
        fixture.send(.table(.newToken))
        fixture.send(.form(.focus(1)), .form(.focus(1)), .form(.focus(1)))
        #expect(fixture.form?.focus == .allowedIPs)
        fixture.type("010.1.1.1", into: { .form(.edit($0)) })
        fixture.send(.form(.submit))
        let form = try #require(fixture.form)
        #expect(form.errors[.name] != nil)
        #expect(form.errors[.allowedIPs]?.contains("010.1.1.1") == true)
        #expect(form.focus == .name)
        #expect(try fixture.store.count(matching: TokenFilter(), by: try fixture.store.root()) == .exact(60))
    }

    @Test func formRefusesControlCharactersInTheName() throws {
        let fixture = try ModelFixture()
        fixture.send(.table(.newToken))
        fixture.type("evil\u{1B}]52;c;aGk=\u{07}", into: { .form(.edit($0)) })
        fixture.send(.form(.submit))
        #expect(fixture.form?.errors[.name]?.contains("control characters") == true)
        #expect(try fixture.store.count(matching: TokenFilter(), by: try fixture.store.root()) == .exact(60))
    }

    @Test func viewerFormOffersOnlyReadSite() throws {
        let fixture = try ModelFixture(as: "dana")
        fixture.send(.table(.newToken))
        let form = try #require(fixture.form)
        #expect(form.fields.filter { if case .permission = $0 { true } else { false } } == [.permission(.readSite)])
        #expect(form.disabledReason(.manageSites) == "Viewer accounts can only grant Read Site")
        // Every key a viewer can press on every field leaves them with Read Site alone, and so does the saved token.
        "viewer token".forEach { fixture.send(.form(.edit(.insert($0)))) }
        for _ in form.fields {
            fixture.send(.form(.toggle), .form(.toggle), .form(.choice(1)), .form(.focus(1)))
        }
        #expect(fixture.form?.permissions == PermissionSet([.readSite]))
        fixture.send(.form(.submit))
        let created = try fixture.store.tokens(matching: TokenFilter(search: "viewer token"), order: TokenOrder(.created),
                                               by: try fixture.store.root())
        #expect(created.map(\.permissions) == [PermissionSet([.readSite])])
    }

    @Test func adminTypeChoiceOffersEveryTeam() throws {
        let fixture = try ModelFixture()
        fixture.send(.table(.newToken))
        var form = try #require(fixture.form)
        #expect(form.kindIsChoosable && form.kind == .admin && form.teams.count == 3)
        fixture.send(.form(.focus(1)), .form(.choice(1)))
        form = try #require(fixture.form)
        #expect(form.kind == .personal)
    }

    @Test func revokeAsksFirstDefaultsToNoAndRemovesTheRow() throws {
        let fixture = try ModelFixture()
        let target = try #require(fixture.state.table.selected)
        fixture.send(.table(.revoke))
        guard case .confirm(let confirmation) = fixture.state.modal else { Issue.record("no confirm"); return }
        #expect(!confirmation.yesFocused)
        fixture.send(.confirm(.activate))
        #expect(fixture.state.modal == nil && fixture.state.table.total == .exact(60))
        fixture.send(.table(.revoke), .confirm(.answer(true)))
        #expect(fixture.state.table.total == .exact(59))
        #expect(!fixture.state.table.rows.contains { $0.id == target.id })
        #expect(fixture.state.message?.text.contains("Revoked") == true)
    }

    @Test func markedRowsAreRevokedTogether() throws {
        let fixture = try ModelFixture()
        fixture.send(.table(.toggleMark), .table(.toggleMark), .table(.toggleMark))
        #expect(fixture.state.table.marked.count == 3)
        fixture.send(.table(.revoke))
        guard case .confirm(let confirmation) = fixture.state.modal, case .revoke(let tokens) = confirmation.intent else {
            Issue.record("no confirm"); return
        }
        #expect(tokens.count == 3)
        fixture.send(.confirm(.answer(true)))
        #expect(fixture.state.table.total == .exact(57) && fixture.state.table.marked.isEmpty)
    }

    @Test func rollShowsTheNewSecretOnce() throws {
        let fixture = try ModelFixture()
        fixture.send(.table(.roll), .confirm(.answer(true)))
        guard case .reveal(let reveal) = fixture.state.modal else { Issue.record("no reveal"); return }
        #expect(reveal.isRoll)
        fixture.send(.escape)
        #expect(fixture.state.modal == nil)
    }

    @Test func staleEditIsRefusedWithAClearMessage() throws {
        let fixture = try ModelFixture()
        fixture.send(.table(.edit))
        let token = try #require(fixture.state.table.selected)
        let admin = try #require(try fixture.store.account(login: "admin"))
        _ = try fixture.store.roll(id: token.id, by: admin)
        fixture.send(.form(.submit))
        let form = try #require(fixture.form)
        #expect(form.errors[.submit]?.contains("changed by someone else") == true)
    }

    @Test func escClosesOneLayerAtATime() throws {
        let fixture = try ModelFixture()
        fixture.send(.table(.openSearch), .table(.search(.insert("a"))), .table(.keepSearch), .table(.newToken), .showHelp)
        #expect(fixture.state.helpVisible)
        fixture.send(.escape)
        #expect(!fixture.state.helpVisible && fixture.form != nil)
        fixture.send(.escape)
        #expect(fixture.state.modal == nil && fixture.state.table.search.text == "a")
        fixture.send(.escape)
        #expect(fixture.state.table.search.text.isEmpty)
    }

    @Test func refreshExtendsAnExpiredRowAtOnce() throws {
        let fixture = try ModelFixture()
        fixture.send(.table(.sortBy(.name)))
        // At most one pass over the 60 rows: a seeding without expired tokens fails here instead of looping forever.
        for _ in 0..<60 where fixture.state.table.selected?.status(at: ModelFixture.now) != .expired { fixture.send(.table(.move(.down))) }
        let expired = try #require(fixture.state.table.selected)
        try #require(expired.status(at: ModelFixture.now) == .expired, "the demo seeds expired tokens")
        fixture.send(.table(.refresh))
        let refreshed = try #require(try fixture.store.token(id: expired.id, by: try fixture.store.root()))
        #expect(refreshed.status(at: ModelFixture.now) != .expired)
        #expect(fixture.state.table.rows.first { $0.id == expired.id }?.expiresAt == refreshed.expiresAt)
        #expect(fixture.state.message?.text.hasPrefix("Refreshed") == true)
    }

    @Test func refreshOnNeverExpiringTokenSaysWhy() throws {
        let fixture = try ModelFixture()
        fixture.send(.table(.sortBy(.expires)), .table(.move(.end)), .table(.refresh))
        #expect(fixture.state.message?.isError == true)
        #expect(fixture.state.message?.text.contains("never expires") == true)
    }
}
