import Foundation
import Testing
import TokenDomain
import TokenStore
import TestSupport
@testable import TerminalUI
@testable import TokenViewModels

/// The rendered grid of every screen, compared as text with files in `Snapshots/`.
/// Set `RECORD_SNAPSHOTS=1` to rewrite them after an intended change, then read the diff.
@Suite(.serialized)
struct SnapshotTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    struct NoClipboard: Clipboard {
        func copy(_ text: String) -> String { "Sent to the clipboard (OSC 52; your terminal must allow it)" }
    }

    func model(as login: String = "admin", width: Int, height: Int) throws -> AppModel {
        let store = try TokenStore(inMemoryWith: FixedClock(Self.now))
        try store.bootstrapIfEmpty(login: "admin", name: "Ada Admin")
        try DemoSeeder(store: store).seed(osLogin: "admin", osName: "Ada Admin", tokenCount: 60)
        let actor = try #require(try store.account(login: login))
        return AppModel(store: store, actor: actor, clipboard: NoClipboard(), width: width, height: height)
    }

    func assertSnapshot(_ model: AppModel, _ name: String, masking secret: String? = nil) throws {
        var text = Screen.render(model.state).lines.joined(separator: "\n") + "\n"
        if let secret {
            let hint = String(secret.prefix(4)) + "…" + String(secret.suffix(4))
            text = text.replacingOccurrences(of: secret, with: String(repeating: "•", count: secret.count))
                .replacingOccurrences(of: hint, with: String(secret.prefix(4)) + "…••••")
        }
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Snapshots/\(name)-\(model.state.width)x\(model.state.height).txt")
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(text == expected, "\(file.lastPathComponent) differs; rerun with RECORD_SNAPSHOTS=1 if intended")
    }

    static let sizes = [(80, 24), (120, 32)]

    @Test(arguments: sizes)
    func tableSortedByExpiry(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.sortBy(.expires))
        try assertSnapshot(model, "table-by-expiry")
    }

    @Test(arguments: sizes)
    func search(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.openSearch)
        "deploy".forEach { model.send(.searchEdit(.insert($0))) }
        try assertSnapshot(model, "search")
    }

    @Test(arguments: sizes)
    func createForm(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.newToken)
        "CI deploy".forEach { model.send(.formEdit(.insert($0))) }
        try assertSnapshot(model, "form-admin")
    }

    @Test(arguments: sizes)
    func viewerForm(width: Int, height: Int) throws {
        let model = try model(as: "dana", width: width, height: height)
        model.send(.newToken)
        try assertSnapshot(model, "form-viewer")
    }

    @Test(arguments: sizes)
    func formErrors(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.newToken)
        model.send(.formFocus(1))
        model.send(.formFocus(1))
        model.send(.formFocus(1))
        "10.0.0.1/8".forEach { model.send(.formEdit(.insert($0))) }
        model.send(.formSubmit)
        try assertSnapshot(model, "form-errors")
    }

    @Test(arguments: sizes)
    func secretReveal(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.newToken)
        "CI deploy".forEach { model.send(.formEdit(.insert($0))) }
        model.send(.formSubmit)
        guard case .reveal(let reveal) = model.state.modal else { Issue.record("no reveal"); return }
        model.send(.copySecret)
        try assertSnapshot(model, "reveal", masking: reveal.secret)
    }

    @Test(arguments: sizes)
    func revokeConfirmation(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.revokeSelected)
        try assertSnapshot(model, "revoke")
    }

    @Test(arguments: sizes)
    func rollConfirmationWithAGrace(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.rollSelected)
        model.send(.confirmChoice(1))
        model.send(.confirmChoice(1))
        try assertSnapshot(model, "roll-grace")
    }

    @Test(arguments: sizes)
    func revokeEverythingMatchingASearch(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.openSearch)
        "deploy".forEach { model.send(.searchEdit(.insert($0))) }
        model.send(.keepSearch)
        model.send(.markAll)
        model.send(.revokeSelected)
        try assertSnapshot(model, "revoke-all")
    }

    @Test(arguments: sizes)
    func formUnderANinetyDayPolicy(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        try model.store.setOrganisationPolicy(OrganisationPolicy(maxLifetimeDays: 90, requireIPAllowList: true), by: try model.store.root())
        model.send(.newToken)
        try assertSnapshot(model, "form-policy")
    }

    @Test(arguments: sizes)
    func auditEventDetails(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        let store = model.store
        let token = try #require(model.state.table.selected)
        var draft = TokenDraft(token)
        draft.name = "Renamed with a long story"
        draft.expiresIn = .days(90)
        _ = try store.edit(id: token.id, to: draft, by: try store.root())
        model.send(.selectTab(3))
        model.send(.editSelected)
        try assertSnapshot(model, "audit-event")
    }

    @Test(arguments: sizes)
    func help(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.showHelp)
        try assertSnapshot(model, "help")
    }

    @Test(arguments: sizes)
    func auditLog(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.selectTab(3))
        try assertSnapshot(model, "audit")
    }

    @Test func tooSmallTerminalSaysSo() throws {
        let model = try model(width: 59, height: 20)
        let lines = Screen.render(model.state).lines
        #expect(lines.contains { $0.contains("Terminal too small") })
        #expect(lines.contains { $0.contains("need 60×15, have 59×20") })
    }
}
