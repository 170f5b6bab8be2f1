import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore
@testable import TerminalUI
@testable import TokenViewModels

/// `Keybindings.action(for:in:)` on its own: what a key does depends on where the keyboard is.
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
        #expect(Keybindings.action(for: .character("x"), in: model.state) == .revokeSelected)
        #expect(Keybindings.action(for: .character("A"), in: model.state) == .markAll)
        #expect(Keybindings.action(for: .character("z"), in: model.state) == nil)
        #expect(Keybindings.action(for: .resize(width: 90, height: 20), in: model.state) == .resize(width: 90, height: 20))

        model.send(.openSearch)
        #expect(Keybindings.action(for: .character("x"), in: model.state) == .searchEdit(.insert("x")))
        #expect(Keybindings.action(for: .character("?"), in: model.state) == .searchEdit(.insert("?")))
        #expect(Keybindings.action(for: .enter, in: model.state) == .keepSearch)
        model.send(.keepSearch)

        model.send(.rollSelected)
        #expect(Keybindings.action(for: .up, in: model.state) == .confirmChoice(-1))
        #expect(Keybindings.action(for: .character("y"), in: model.state) == .answer(true))
        #expect(Keybindings.action(for: .character("x"), in: model.state) == nil)
        model.send(.escape)

        model.send(.selectTab(3))
        model.send(.editSelected)
        #expect(KeyContext(model.state) == .event)
        #expect(Keybindings.action(for: .escape, in: model.state) == .closeReveal)
        #expect(Keybindings.action(for: .control("c"), in: model.state) == .quit)
    }

    @Test(arguments: [KeyContext.table, .search, .formText, .formChoice, .reveal, .confirm, .event, .help])
    func noKeyIsBoundTwiceInOneContext(context: KeyContext) {
        let keys = Keybindings.bindings(for: context).flatMap(\.keys)
        #expect(keys.count == Set(keys).count, "\(context): \(keys.map(\.label))")
    }
}
