import Foundation
import TokenDomain
import TokenStore
import TokenViewModels

/// The event loop: key → binding → action → view-model → render → paint.
public enum FullScreenApp {
    /// How often the table refetches, so changes made elsewhere and the passing of time show up.
    static let reloadInterval: Int32 = 2_000

    /// Runs the UI until the person quits; the terminal is restored however it ends.
    public static func run(store: TokenStore, actor: Account) {
        let terminal = NCursesTerminal()
        defer { terminal.close() }
        let clipboard = OSC52Clipboard { NCursesTerminal.writeRaw($0) }
        let (width, height) = terminal.size
        let model = AppModel(store: store, actor: actor, clipboard: clipboard, width: width, height: height)
        while !model.state.quit {
            terminal.paint(Screen.render(model.state))
            guard let key = terminal.readKey(timeout: reloadInterval) else {
                if terminal.isHungUp { return }
                model.send(.reload)
                continue
            }
            if let action = Keybindings.action(for: key, in: model.state) { model.send(action) }
        }
    }
}
