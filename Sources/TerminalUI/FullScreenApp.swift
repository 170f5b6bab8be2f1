import Foundation
import TokenDomain
import TokenViewModels

/// The event loop: key → binding → action → view-model → render → paint.
public enum FullScreenApp {
    /// How often the table refetches, so changes made elsewhere and the passing of time show up.
    static let reloadInterval: Int32 = 2_000

    /// What the UI needs to build its view-model: the terminal's clipboard and size, and the length of help.
    public struct Surroundings {
        public let clipboard: any Clipboard
        public let width: Int
        public let height: Int
        public let helpLength: (AppState) -> Int
    }

    /// Runs the UI until the person quits, with the keys and colours of `configuration` (whose problem, if any, is
    /// the first status line); the terminal is restored however it ends.
    public static func run(configuration: Configuration = Configuration.load(), makeModel: (Surroundings) -> AppModel) {
        let keys = configuration.keys
        let terminal = NCursesTerminal(palette: configuration.palette)
        defer { terminal.close() }
        let clipboard = OSC52Clipboard { NCursesTerminal.writeRaw($0) }
        let (width, height) = terminal.size
        let model = makeModel(Surroundings(clipboard: clipboard, width: width, height: height, helpLength: keys.helpLength))
        if let problem = configuration.problem { model.report(problem) }
        var typedAhead: Key?
        while !model.state.quit {
            let key: Key
            if let waiting = typedAhead {
                key = waiting
            } else if model.state.bulkRevoke != nil {
                // A bulk revoke goes one batch per turn, painting its progress, and reads keys between batches.
                terminal.paint(Screen.render(model.state, keys: keys))
                guard let next = terminal.readKey(timeout: 0) else {
                    if terminal.isHungUp { return }
                    model.send(.bulkRevokeStep)
                    continue
                }
                key = next
            } else {
                terminal.paint(Screen.render(model.state, keys: keys))
                guard let next = terminal.readKey(timeout: reloadInterval) else {
                    if terminal.isHungUp { return }
                    model.send(.reload)
                    continue
                }
                key = next
            }
            // A key already waiting supersedes this one's search query and frame: only the last is worth showing.
            typedAhead = terminal.readKey(timeout: 0)
            let action = keys.action(for: key, in: model.state)
            // Nothing is done unseen: on a screen too small to show, only quitting, suspending and resizing act.
            if !Screen.fits(model.state) {
                switch action {
                case .quit?, .suspend?, .resize?: break
                default: continue
                }
            }
            switch action {
            case .suspend?:
                terminal.suspend()
                let (width, height) = terminal.size
                model.send(.resize(width: width, height: height))
            case let action?: model.send(action, moreKeysPending: typedAhead != nil)
            case nil: break
            }
        }
    }
}
