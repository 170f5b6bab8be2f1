import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore
@testable import TokenViewModels

/// The form under the organisation's policy, a policy changed while the UI is open, and the Audit Log's search.
struct PolicyAndAuditModelTests {
    let shared: SharedDemoFixture
    var store: any TokenRepository { shared.store }
    var other: any TokenRepository { shared.other }
    var admin: Account { shared.admin }

    init() throws { shared = try SharedDemoFixture(tokens: 60) }

    func model(as login: String = "admin") throws -> AppModel {
        AppModel(store: store, actor: try #require(try store.account(login: login)), clipboard: RecordingClipboard(), width: 120, height: 32)
    }

    func openForm(_ model: AppModel) -> TokenForm? {
        if case .form(let form) = model.state.modal { return form }
        return nil
    }

    @Test(arguments: ["admin", "bruno", "dana"])
    func theFormGreysOutWhatThePolicyForbidsAndSaysWhy(login: String) throws {
        try store.setOrganisationPolicy(OrganisationPolicy(maxLifetimeDays: 90, requireIPAllowList: false), by: admin)
        let model = try model(as: login)
        model.send(.table(.newToken))
        let form = try #require(openForm(model))
        #expect(form.disabledReason(.days(365)) == "the organisation allows at most 90 days")
        #expect(form.disabledReason(.never)?.hasPrefix("the organisation allows at most 90 days") == true)
        #expect(form.disabledReason(.days(90)) == nil && form.disabledReason(.days(30)) == nil)
        // Cycling through Expires in never lands on a forbidden choice.
        model.send(.form(.focus(form.kindIsChoosable ? 2 : 1)))
        var seen: Set<ExpiresIn> = []
        for _ in 0..<12 {
            model.send(.form(.choice(1)))
            seen.insert(try #require(openForm(model)?.expiresIn))
        }
        #expect(seen == [.days(7), .days(30), .days(60), .days(90)])
    }

    @Test func aPolicyChangedWhileTheFormIsOpenIsObeyedWhenSaving() throws {
        let model = try model()
        model.send(.table(.newToken))
        "CI deploy".forEach { model.send(.form(.edit(.insert($0)))) }
        // Another admin requires an allow-list while this form is open without one.
        try other.setOrganisationPolicy(OrganisationPolicy(maxLifetimeDays: nil, requireIPAllowList: true), by: admin)
        model.send(.form(.submit))
        let form = try #require(openForm(model), "the form stays open")
        #expect(form.errors[.submit] == "the organisation requires an IP allow-list")
        #expect(form.organisationPolicy.requireIPAllowList, "the form shows the rules of now after a refusal")
        #expect(try store.tokens(matching: TokenFilter(search: "CI deploy"), order: TokenOrder(.created), by: admin)
            .allSatisfy { $0.createdAt != ModelFixture.now || $0.name != "CI deploy" })
    }

    @Test func aTighterLimitSetWhileTheFormIsOpenLeavesAChoiceThatWorks() throws {
        try store.setOrganisationPolicy(OrganisationPolicy(maxLifetimeDays: 3, requireIPAllowList: false), by: admin)
        let model = try model()
        model.send(.table(.newToken))
        "short".forEach { model.send(.form(.edit(.insert($0)))) }
        try other.setOrganisationPolicy(OrganisationPolicy(maxLifetimeDays: 2, requireIPAllowList: false), by: admin)
        model.send(.form(.submit))
        let form = try #require(openForm(model))
        #expect(form.errors[.submit] == "the organisation allows at most 2 days")
        #expect(form.expiryChoices.contains(.days(2)) && form.disabledReason(.days(2)) == nil)
        model.send(.form(.focus(2)))
        model.send(.form(.choice(1)))
        model.send(.form(.submit))
        #expect(model.state.modal.map { if case .reveal = $0 { true } else { false } } == true, "saved with the 2-day choice")
    }

    @Test func theAuditLogSearchesAndEnterShowsAnEventInFull() throws {
        let (token, _) = try other.create(TokenDraft(name: "Needle token", kind: .admin, teamID: try #require(try other.teams().first).id,
                                                     permissions: PermissionSet([.readSite])), by: admin)
        _ = try other.roll(id: token.id, grace: TimeSpan(hours: 1), by: admin)
        let model = try model()
        model.send(.switchTab(.number(3)))
        model.send(.audit(.openSearch))
        "needle".forEach { model.send(.audit(.search(.insert($0)))) }
        #expect(model.state.audit.events.map(\.action) == ["roll", "create"])
        model.send(.audit(.keepSearch))
        #expect(model.state.audit.selected?.action == "roll", "the newest match is selected")
        model.send(.reload)
        #expect(model.state.audit.selected?.action == "roll", "an idle reload keeps the selection")
        model.send(.audit(.move(.down)))
        model.send(.reload)
        #expect(model.state.audit.selected?.action == "create")
        model.send(.audit(.details))
        guard case .details(let sheet) = model.state.modal, case .event(let event) = sheet.subject else {
            Issue.record("no event details"); return
        }
        #expect(event.tokenName == "Needle token" && event.action == "create")
        model.send(.escape)
        #expect(model.state.modal == nil)
        model.send(.audit(.openSearch))
        "roll".forEach { _ in model.send(.audit(.search(.backspace))) }
        "admin".forEach { model.send(.audit(.search(.insert($0)))) }
        #expect(model.state.audit.events.allSatisfy { $0.actor.contains("admin") || $0.action.contains("admin") || ($0.tokenName ?? "").lowercased().contains("admin") })
    }
}
