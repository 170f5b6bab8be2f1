import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore
@testable import TerminalUI
@testable import TokenViewModels

/// `Keybindings.standard.action(for:in:)` on its own: what a key does depends on where the keyboard is.
struct KeybindingsTests {
    struct NoClipboard: Clipboard {
        func copy(_ text: String) -> String { "" }
    }

    func model() throws -> AppModel {
        let store = try TokenStore(inMemoryWith: FixedClock(Date(timeIntervalSince1970: 1_800_000_000)))
        try store.bootstrapIfEmpty(login: "admin", name: "Ada Admin")
        try DemoSeeder(store: store).seed(osLogin: "admin", osName: "Ada Admin", tokenCount: 20)
        return AppModel(store: store, actor: try store.root(), clipboard: NoClipboard(), width: 100, height: 30)
    }

    @Test func theSameKeyMeansWhatTheContextSays() throws {
        let model = try model()
        #expect(Keybindings.standard.action(for: .character("x"), in: model.state) == .table(.revoke))
        #expect(Keybindings.standard.action(for: .character("A"), in: model.state) == .table(.markAll))
        #expect(Keybindings.standard.action(for: .character("d"), in: model.state) == .table(.details))
        #expect(Keybindings.standard.action(for: .character("z"), in: model.state) == nil)
        #expect(Keybindings.standard.action(for: .control("z"), in: model.state) == .suspend)
        #expect(Keybindings.standard.action(for: .f1, in: model.state) == .showHelp)
        #expect(Keybindings.standard.action(for: .resize(width: 90, height: 20), in: model.state) == .resize(width: 90, height: 20))

        model.send(.table(.openSearch))
        #expect(Keybindings.standard.action(for: .character("x"), in: model.state) == .table(.search(.insert("x"))))
        #expect(Keybindings.standard.action(for: .character("?"), in: model.state) == .table(.search(.insert("?"))))
        #expect(Keybindings.standard.action(for: .home, in: model.state) == .table(.search(.home)))
        #expect(Keybindings.standard.action(for: .enter, in: model.state) == .table(.keepSearch))
        model.send(.table(.keepSearch))

        model.send(.table(.roll))
        #expect(Keybindings.standard.action(for: .up, in: model.state) == .confirm(.grace(-1)))
        #expect(Keybindings.standard.action(for: .character("y"), in: model.state) == .confirm(.answer(true)))
        #expect(Keybindings.standard.action(for: .character("x"), in: model.state) == nil)
        model.send(.escape)

        model.send(.switchTab(.number(3)))
        #expect(Keybindings.standard.action(for: .character("x"), in: model.state)
                == .unavailable("Revoke the selected or marked tokens (asks first) works on the token tabs (1, 2); the Audit Log changes nothing"))
        #expect(Keybindings.standard.action(for: .character("/"), in: model.state) == .audit(.openSearch))
        model.send(.audit(.openSearch))
        #expect(Keybindings.standard.action(for: .character("q"), in: model.state) == .audit(.search(.insert("q"))))
        model.send(.audit(.keepSearch))
        model.send(.audit(.details))
        #expect(KeyContext(model.state) == .details)
        #expect(Keybindings.standard.action(for: .escape, in: model.state) == .details(.close))
        #expect(Keybindings.standard.action(for: .pageDown, in: model.state) == .details(.scroll(.pageDown)))
        #expect(Keybindings.standard.action(for: .control("c"), in: model.state) == .quit)
    }

    /// The search box's editing keys are the text fields' own, wrapped: nothing is copied by hand.
    @Test func theSearchBoxEditsAsTextFieldsDo() {
        let field = Keybindings.standard.bindings(for: .formText).filter { if case .form(.edit) = $0.action { true } else { false } }
        let search = Keybindings.standard.bindings(for: .search).filter { if case .table(.search) = $0.action { true } else { false } }
        #expect(!field.isEmpty && field.map(\.keys) == search.map(\.keys))
        #expect(field.map(\.description) == search.map(\.description))
    }

    /// The Audit Log's footer offers nothing it would refuse; a key that cannot act says why, and the footer drops it.
    @Test func theFooterOffersOnlyWhatWorks() throws {
        let model = try model()
        let tableFooter = Keybindings.standard.footer(for: model.state).compactMap(\.footer)
        #expect(tableFooter.starts(with: ["New", "Edit", "Details", "Refresh", "Roll", "Revoke"]))
        model.send(.switchTab(.number(3)))
        let auditFooter = Keybindings.standard.footer(for: model.state).compactMap(\.footer)
        #expect(auditFooter == ["Details", "Search", "Help", "Quit"])
        model.send(.switchTab(.number(1)))
        model.send(.table(.openSearch))
        "no such token anywhere".forEach { model.send(.table(.search(.insert($0)))) }
        model.send(.table(.keepSearch))
        let empty = Keybindings.standard.footer(for: model.state).compactMap(\.footer)
        #expect(!empty.contains("Edit") && !empty.contains("Roll") && !empty.contains("Revoke") && empty.contains("New"))
        #expect(Keybindings.standard.action(for: .character("R"), in: model.state) == .unavailable("No token selected"))
        model.send(Keybindings.standard.action(for: .character("R"), in: model.state)!)
        #expect(model.state.message == StatusMessage(text: "No token selected", isError: true))
        #expect(model.state.modal == nil)
    }

    @Test(arguments: KeyContext.allCases)
    func noKeyIsBoundTwiceInOneContext(context: KeyContext) {
        let keys = Keybindings.standard.bindings(for: context).flatMap(\.keys)
        #expect(keys.count == Set(keys).count, "\(context): \(keys.map(\.label))")
    }
}
