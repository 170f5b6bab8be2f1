import Foundation
import Synchronization
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

    /// After this long on one input, the screen says the store is being waited for, and `q` quits at once.
    static let waitingNotice: TimeInterval = 0.3

    /// Runs the UI until the person quits, with the keys and colours of `configuration` (whose problem, if any, is
    /// the first status line); the terminal is restored however it ends. The view-model runs on a thread of its
    /// own (`ModelWorker`): this one reads keys and paints, whatever the store is doing. Returns `.leftWaiting`
    /// when the person quit while the model still waited on the store, which the caller should not wait for.
    @discardableResult
    public static func run(configuration: Configuration = Configuration.load(), makeModel: (Surroundings) -> AppModel) -> Ending {
        let keys = configuration.keys
        let terminal = NCursesTerminal(palette: configuration.palette)
        defer { terminal.close() }
        // The clipboard's escape sequence is written by this thread, between paints, never into the middle of one.
        let outbox = Outbox()
        let clipboard = OSC52Clipboard { outbox.add($0) }
        let (width, height) = terminal.size
        let model = makeModel(Surroundings(clipboard: clipboard, width: width, height: height, helpLength: keys.helpLength))
        if let problem = configuration.problem { model.report(problem) }
        let worker = ModelWorker(model: model, keys: keys)
        var painted: (version: Int, waiting: Int?, width: Int, height: Int) = (-1, nil, 0, 0)
        var lastInput = Date()
        func suspend() {
            terminal.suspend()
            let (width, height) = terminal.size
            worker.send(.resumed(width: width, height: height))
        }
        while true {
            let now = worker.snapshot
            if now.state.quit { return .quit }
            for text in outbox.take() { NCursesTerminal.writeRaw(text) }
            if now.wantsSuspend {
                worker.suspended()
                suspend()
                continue
            }
            let waited = now.busySince.map { Date().timeIntervalSince($0) }.flatMap { $0 >= waitingNotice ? Int($0) : nil }
            // While the model waits, a resized terminal is painted at its new size from the state it last published.
            let (width, height) = terminal.size
            if painted.version != now.version || painted.waiting != waited || (painted.width, painted.height) != (width, height) {
                let shown = (width, height) == (now.state.width, now.state.height) ? now.state : now.state.sized(width: width, height: height)
                terminal.paint(Screen.render(shown, keys: keys, waitingSeconds: waited))
                painted = (now.version, waited, width, height)
            }
            let idle = now.busySince == nil && now.queued == 0 && now.state.bulkRevoke == nil
            let untilReload = Int32(max(0, Double(reloadInterval) - Date().timeIntervalSince(lastInput) * 1000))
            // While the model works, the screen is looked at often enough to show its result, or that it waits.
            guard let key = terminal.readKey(timeout: idle ? untilReload : 30) else {
                if terminal.isHungUp { return idle ? .quit : .leftWaiting }
                if idle && untilReload == 0 {
                    worker.send(.reload)
                    lastInput = Date()
                }
                continue
            }
            lastInput = Date()
            // Keys typed ahead go over together, so that only the last of a search's keys runs its query; each is
            // first looked at here, since one that quits or suspends must not wait behind the others.
            var next: Key? = key
            var suspended = false
            while let key = next {
                let atOnce = actsAtOnce(key, keys: keys, worker: worker, noticeShown: waited != nil)
                if atOnce == .quit { return .leftWaiting }
                if atOnce == .suspend { suspended = true; break }
                worker.send(.key(key))
                next = terminal.readKey(timeout: 0)
            }
            if suspended {
                suspend()
                continue
            }
            // A quick answer is painted at once; a slow one gets the notice that it is being waited for.
            worker.waitForInputs(atMost: waitingNotice)
        }
    }
}

extension FullScreenApp {
    /// What a key does on this thread, without the model: quit or suspend while the model is busy, or nil to hand it
    /// over. What the screen shows is what the person acts on. Ctrl-C and Ctrl-Z mean that on every screen, so they
    /// act at once whatever is queued ahead of them; `q` only once the screen says it waits, and when nothing typed
    /// ahead could have made it a letter.
    static func actsAtOnce(_ key: Key, keys: Keybindings, worker: ModelWorker, noticeShown: Bool) -> Action? {
        let now = worker.snapshot
        let action = keys.action(for: key, in: now.state)
        guard action == .quit || action == .suspend else { return nil }
        let busy = now.busySince != nil || now.queued > 0
        if case .control = key, busy { return action }
        if action == .quit, noticeShown, now.typedAhead == 0 { return action }
        return nil
    }

    /// How the UI ended.
    public enum Ending {
        case quit
        /// Quit while the model still waited on the store.
        case leftWaiting
    }
}

/// Escape sequences the model asked to write, kept until the terminal's thread writes them.
final class Outbox: Sendable {
    private let texts = Mutex<[String]>([])

    func add(_ text: String) { texts.withLock { $0.append(text) } }

    func take() -> [String] { texts.withLock { texts in defer { texts = [] }; return texts } }
}
