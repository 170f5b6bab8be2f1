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
        func copy(_ text: String) -> String { "Sent to the clipboard (OSC 52, if your terminal allows)" }
    }

    func model(as login: String = "admin", width: Int, height: Int) throws -> AppModel {
        let store = try TokenStore(inMemoryWith: FixedClock(Self.now))
        try store.bootstrapIfEmpty(login: "admin", name: "Ada Admin")
        try DemoSeeder(store: store).seed(osLogin: "admin", osName: "Ada Admin", tokenCount: 60)
        let actor = try #require(try store.account(login: login))
        return AppModel(store: store, actor: actor, clipboard: NoClipboard(), width: width, height: height,
                        helpLength: Keybindings.standard.helpLength)
    }

    /// Compares the characters with `Snapshots/NAME-WxH.txt` and the attributes with `NAME-WxH.styles.txt`.
    func assertSnapshot(_ model: AppModel, _ name: String, masking secret: String? = nil) throws {
        let canvas = Screen.render(model.state)
        try compare(Self.styleLayer(canvas), with: "\(name)-\(model.state.width)x\(model.state.height).styles.txt")
        var text = canvas.lines.joined(separator: "\n") + "\n"
        if let secret {
            let hint = String(secret.prefix(4)) + "…" + String(secret.suffix(4))
            text = text.replacingOccurrences(of: secret, with: String(repeating: "•", count: secret.count))
                .replacingOccurrences(of: hint, with: String(secret.prefix(4)) + "…••••")
        }
        try compare(text, with: "\(name)-\(model.state.width)x\(model.state.height).txt")
    }

    private func compare(_ text: String, with name: String) throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots/\(name)")
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(text == expected, "\(file.lastPathComponent) differs; rerun with RECORD_SNAPSHOTS=1 if intended")
    }

    /// Every cell's attributes, as runs per row (`3: 0-79 bold reverse yellow`), plain runs left out: a highlight
    /// on the wrong row or a colour lost shows in the diff.
    static func styleLayer(_ canvas: Canvas) -> String {
        func describe(_ style: Style) -> String {
            [style.bold ? "bold" : nil, style.reverse ? "reverse" : nil, style.dim ? "dim" : nil,
             style.underline ? "underline" : nil, style.color.map { "\($0)" }].compactMap { $0 }.joined(separator: " ")
        }
        var rows: [String] = []
        for y in 0..<canvas.height {
            var runs: [String] = []
            var x = 0
            while x < canvas.width {
                let style = canvas[x, y].style
                let start = x
                while x < canvas.width, canvas[x, y].style == style { x += 1 }
                if style != .plain { runs.append("\(start)-\(x - 1) \(describe(style))") }
            }
            if !runs.isEmpty { rows.append("\(y): " + runs.joined(separator: ", ")) }
        }
        return rows.joined(separator: "\n") + "\n"
    }

    static let sizes = [(80, 24), (120, 32)]

    @Test(arguments: sizes)
    func tableSortedByExpiry(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.table(.sortBy(.expires)))
        try assertSnapshot(model, "table-by-expiry")
    }

    @Test(arguments: sizes)
    func search(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.table(.openSearch))
        "deploy".forEach { model.send(.table(.search(.insert($0)))) }
        try assertSnapshot(model, "search")
    }

    @Test(arguments: sizes)
    func createForm(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.table(.newToken))
        "CI deploy".forEach { model.send(.form(.edit(.insert($0)))) }
        try assertSnapshot(model, "form-admin")
    }

    /// While the model waits on the store, the event loop paints its last state at the terminal's new size.
    @Test func aStatePaintedAtAnotherSizeFitsItOrSaysItIsTooSmall() throws {
        let model = try model(width: 100, height: 30)
        model.send(.table(.newToken))
        "CI deploy".forEach { model.send(.form(.edit(.insert($0)))) }
        for (width, height) in [(90, 26), (120, 40), (60, 15), (30, 8), (1, 1)] {
            let canvas = Screen.render(model.state.sized(width: width, height: height), waitingSeconds: 3)
            #expect(canvas.width == width && canvas.height == height)
            let text = canvas.lines.joined(separator: "\n")
            // A single cell has room for nothing; it must only not trap.
            guard width > 1 else { continue }
            #expect(text.contains(Screen.fits(model.state.sized(width: width, height: height)) ? "Waiting for the database… 3 s" : "too small"),
                    "\(width)×\(height):\n\(text)")
        }
    }

    @Test(arguments: sizes)
    func viewerForm(width: Int, height: Int) throws {
        let model = try model(as: "dana", width: width, height: height)
        model.send(.table(.newToken))
        try assertSnapshot(model, "form-viewer")
    }

    @Test(arguments: sizes)
    func formErrors(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.table(.newToken))
        model.send(.form(.focus(1)))
        model.send(.form(.focus(1)))
        model.send(.form(.focus(1)))
        "10.0.0.1/8".forEach { model.send(.form(.edit(.insert($0)))) }
        model.send(.form(.submit))
        try assertSnapshot(model, "form-errors")
    }

    @Test(arguments: sizes)
    func secretReveal(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.table(.newToken))
        "CI deploy".forEach { model.send(.form(.edit(.insert($0)))) }
        model.send(.form(.submit))
        guard case .reveal(let reveal) = model.state.modal else { Issue.record("no reveal"); return }
        model.send(.reveal(.copy))
        try assertSnapshot(model, "reveal", masking: reveal.secret)
    }

    @Test(arguments: sizes)
    func revokeConfirmation(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.table(.revoke))
        try assertSnapshot(model, "revoke")
    }

    @Test(arguments: sizes)
    func rollConfirmationWithAGrace(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.table(.roll))
        model.send(.confirm(.grace(1)))
        model.send(.confirm(.grace(1)))
        try assertSnapshot(model, "roll-grace")
    }

    @Test(arguments: sizes)
    func revokeEverythingMatchingASearch(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.table(.openSearch))
        "deploy".forEach { model.send(.table(.search(.insert($0)))) }
        model.send(.table(.keepSearch))
        model.send(.table(.markAll))
        model.send(.table(.revoke))
        try assertSnapshot(model, "revoke-all")
    }

    @Test(arguments: sizes)
    func formUnderANinetyDayPolicy(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        try model.store.setOrganisationPolicy(OrganisationPolicy(maxLifetimeDays: 90, requireIPAllowList: true), by: try model.store.root())
        model.send(.table(.newToken))
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
        model.send(.switchTab(.number(3)))
        model.send(.audit(.details))
        try assertSnapshot(model, "audit-event")
    }

    @Test(arguments: sizes)
    func help(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.showHelp)
        try assertSnapshot(model, "help")
    }

    /// At 80×24 help does not fit: it scrolls, and its end reaches Quit.
    @Test(arguments: sizes)
    func helpScrolledToTheEnd(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.showHelp)
        model.send(.help(.scroll(.end)))
        try assertSnapshot(model, "help-end")
        #expect(Screen.render(model.state).lines.contains { $0.contains("Quit at once") })
    }

    /// `d`: a token's story, with its team's sites and its own history, scrolled a page down.
    @Test(arguments: sizes)
    func tokenDetails(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        let store = model.store
        let token = try #require(model.state.table.selected)
        var draft = TokenDraft(token)
        draft.name = "Renamed for the story"
        _ = try store.edit(id: token.id, to: draft, by: try store.root())
        let (_, secret) = try store.roll(id: token.id, grace: TimeSpan(hours: 24), by: try store.root())
        model.send(.reload)
        model.send(.table(.details))
        try assertSnapshot(model, "details", masking: secret.text)
        model.send(.details(.scroll(.pageDown)))
        try assertSnapshot(model, "details-scrolled", masking: secret.text)
    }

    @Test(arguments: sizes)
    func auditLog(width: Int, height: Int) throws {
        let model = try model(width: width, height: height)
        model.send(.switchTab(.number(3)))
        try assertSnapshot(model, "audit")
    }

    @Test func tooSmallTerminalSaysSo() throws {
        let model = try model(width: 59, height: 20)
        let lines = Screen.render(model.state).lines
        #expect(lines.contains { $0.contains("Terminal too small") })
        #expect(lines.contains { $0.contains("need 60×15, have 59×20") })
    }
}
