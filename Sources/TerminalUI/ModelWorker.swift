import Foundation
import TokenViewModels

/// Runs the view-model on a thread of its own, so that a key waiting on the store (a database that does not answer)
/// never stops the screen: the event loop paints the state last published, hands keys over in the order typed, and
/// can say that the store is being waited for.
final class ModelWorker: @unchecked Sendable {
    /// What the event loop hands over.
    enum Input {
        case key(Key)
        /// The idle timer: read everything again.
        case reload
        /// The terminal came back from a suspend at this size.
        case resumed(width: Int, height: Int)
    }

    /// What the event loop paints from.
    struct Snapshot {
        let state: AppState
        /// Counts publications, so that an unchanged state is not painted again.
        let version: Int
        /// When the input being handled began, or nil when none is.
        let busySince: Date?
        /// Inputs handed over and not yet begun.
        let queued: Int
        /// Of those, the keys typed ahead, which may change what a key typed after them means (a resize does not).
        let typedAhead: Int
        /// A key asked to suspend, which only the terminal's thread may do.
        let wantsSuspend: Bool
    }

    private let model: AppModel
    private let keys: Keybindings
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var inputs: [Input] = []
    private var published: AppState
    private var version = 0
    private var busySince: Date?
    private var wantsSuspend = false
    private var sent = 0
    private var handled = 0

    init(model: AppModel, keys: Keybindings) {
        self.model = model
        self.keys = keys
        published = model.state
        let thread = Thread { [self] in run() }
        thread.name = "apitokens model"
        thread.start()
    }

    var snapshot: Snapshot {
        condition.lock()
        defer { condition.unlock() }
        let typed = inputs.filter { input in
            guard case .key(let key) = input else { return false }
            if case .resize = key { return false }
            return true
        }
        return Snapshot(state: published, version: version, busySince: busySince, queued: inputs.count,
                        typedAhead: typed.count, wantsSuspend: wantsSuspend)
    }

    func send(_ input: Input) {
        condition.lock()
        inputs.append(input)
        sent += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until every input sent so far is handled, or `limit` has passed.
    func waitForInputs(atMost limit: TimeInterval) {
        let deadline = Date().addingTimeInterval(limit)
        condition.lock()
        while handled < sent && condition.wait(until: deadline) {}
        condition.unlock()
    }

    /// The terminal's thread has suspended and resumed.
    func suspended() {
        condition.lock()
        wantsSuspend = false
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            // A bulk revoke goes on by itself, one batch per turn, with the keys typed meanwhile taken between batches.
            while inputs.isEmpty && (published.bulkRevoke == nil || published.quit || wantsSuspend) { condition.wait() }
            let input = inputs.isEmpty ? nil : inputs.removeFirst()
            let morePending = !inputs.isEmpty
            busySince = Date()
            condition.unlock()

            let suspend = handle(input, morePending: morePending)

            condition.lock()
            published = model.state
            version += 1
            busySince = nil
            if input != nil { handled += 1 }
            if suspend { wantsSuspend = true }
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Applies one input to the model; true when it asks the terminal to suspend.
    private func handle(_ input: Input?, morePending: Bool) -> Bool {
        switch input {
        case nil: model.send(.bulkRevokeStep)
        case .reload: model.send(.reload)
        case .resumed(let width, let height): model.send(.resize(width: width, height: height))
        case .key(let key):
            let action = keys.action(for: key, in: model.state)
            // Nothing is done unseen: on a screen too small to show, only quitting, suspending and resizing act.
            if !Screen.fits(model.state) {
                switch action {
                case .quit?, .suspend?, .resize?: break
                default: return false
                }
            }
            switch action {
            case .suspend?: return true
            // A key typed ahead supersedes this one's search query: only the last is worth showing.
            case let action?: model.send(action, moreKeysPending: morePending)
            case nil: break
            }
        }
        return false
    }
}
