import Foundation
import TokenDomain
import TokenStore

/// The root view-model: holds the state, hands each action to its screen's reducer, and asks the store for effects.
/// The reducers live beside it, one file per screen: `AppModel+Table`, `+Audit`, `+Form`, `+Reveal`, `+Confirm`,
/// `+Details`, `+Help`, and `+BulkRevoke` for a revoke of everything marked.
public final class AppModel {
    public internal(set) var state: AppState
    let store: any TokenRepository
    let clipboard: any Clipboard
    /// How many lines the help overlay has for a state; the key tables that know it live in the terminal layer.
    let helpLength: (AppState) -> Int
    /// True while the search text has changed but its query has not run yet.
    var searchIsStale = false
    /// Tokens per step of a bulk revoke; tests make it small.
    var bulkBatchSize = TokenStore.revokeBatchSize

    public init(store: any TokenRepository, actor: Account, clipboard: any Clipboard, width: Int = 80, height: Int = 24,
                helpLength: @escaping (AppState) -> Int = { _ in 0 }) {
        self.store = store
        self.clipboard = clipboard
        self.helpLength = helpLength
        state = AppState(actor: actor, width: width, height: height, now: store.now)
        state.table.pageSize = state.pageSize
        reloadCurrentTab(keepSelection: false)
    }

    /// Applies one action to the state. When `moreKeysPending`, the person has typed ahead: a search edit then
    /// changes only the text, and the query runs once, for the last key, or before any other action.
    public func send(_ action: Action, moreKeysPending: Bool = false) {
        if case .table(.search(let edit)) = action, state.modal == nil, !state.helpVisible, moreKeysPending {
            state.table.search.apply(edit)
            searchIsStale = true
            return
        }
        if searchIsStale { reloadTable(anchor: nil) }
        if state.bulkRevoke != nil { return sendDuringBulkRevoke(action) }
        switch action {
        case .reload, .resize: break
        default: state.message = nil  // a note lasts until the person's next key
        }
        switch action {
        case .table(let action): reduceTable(action)
        case .audit(let action): reduceAudit(action)
        case .form(let action): reduceForm(action)
        case .reveal(let action): reduceReveal(action)
        case .confirm(let action): reduceConfirm(action)
        case .details(let action): reduceDetails(action)
        case .help(let action): reduceHelp(action)
        case .switchTab(let change): switchTab(change)
        case .showHelp: state.helpOffset = 0
        case .escape: escape()
        case .quit: state.quit = true
        case .suspend, .bulkRevokeStep: break
        case .unavailable(let reason): notify(reason, error: true)
        case .resize(let width, let height): resize(width: width, height: height)
        case .reload:
            refreshActor()
            reloadCurrentTab(keepSelection: true)
            reloadTokenDetails()
        }
    }

    /// Esc closes one layer at a time: help, then a dialog, form or sheet, then the search.
    private func escape() {
        if state.helpVisible { state.helpOffset = nil; return }
        switch state.modal {
        case .reveal: closeReveal()
        case .form, .confirm, .details: state.modal = nil
        case nil where state.onAuditLog:
            guard state.audit.isSearching || !state.audit.search.text.isEmpty else { return }
            state.audit.isSearching = false
            state.audit.search.apply(.clear)
            reloadAudit(keepSelection: false)
        case nil:
            guard state.table.isSearching || !state.table.search.text.isEmpty else { return }
            state.table.isSearching = false
            state.table.search.apply(.clear)
            reloadTable(anchor: nil)
        }
    }

    private func resize(width: Int, height: Int) {
        state.width = width
        state.height = height
        state.table.pageSize = state.pageSize
        if case .details(var sheet) = state.modal {
            sheet.offset = min(sheet.offset, sheet.lastOffset(width: width, height: height, now: state.now))
            state.modal = .details(sheet)
        }
        if let offset = state.helpOffset { state.helpOffset = min(offset, max(0, helpLength(state.withoutHelp) - state.helpRows)) }
        reloadCurrentTab(keepSelection: true)
    }

    /// Shows a problem found outside the model (a bad config file) as the status line, until the next key.
    public func report(_ problem: String) {
        notify(problem, error: true)
    }

    // MARK: Tabs

    func switchTab(_ change: TabSwitch) {
        guard state.modal == nil else { return }
        let tabs = state.tabs
        let index = tabs.firstIndex(of: state.tab) ?? 0
        switch change {
        case .next: switchTab(to: tabs[(index + 1) % tabs.count])
        case .previous: switchTab(to: tabs[(index + tabs.count - 1) % tabs.count])
        case .number(let number): if tabs.indices.contains(number - 1) { switchTab(to: tabs[number - 1]) }
        }
    }

    func switchTab(to tab: Tab) {
        guard tab != state.tab else { return }
        state.tab = tab
        state.table.marked = []
        state.table.markedAll = nil
        state.table.isSearching = false
        state.table.search.apply(.clear)
        state.audit.isSearching = false
        state.audit.search.apply(.clear)
        reloadCurrentTab(keepSelection: false)
    }

    /// Reads the shown tab again: in place (the same token or event stays selected) or from the top.
    func reloadCurrentTab(keepSelection: Bool) {
        if keepSelection { reloadInPlace() } else if state.onAuditLog { reloadAudit(keepSelection: false) } else { reloadTable(anchor: nil) }
    }

    // MARK: The person at the keyboard

    /// Reads the account again, so a role changed or an account removed elsewhere shows at once: the title, the tabs
    /// and what the keys offer follow the account as it is now.
    func refreshActor() {
        let before = state.actor
        do {
            let found = try store.account(login: before.login)
            if state.databaseProblem != nil {
                state.databaseProblem = nil
                notify("The database answers again")
            }
            guard let current = found, current.id == before.id else {
                if !state.actorRemoved { state.table.rows = []; state.audit.events = []; state.table.total = .exact(0) }
                state.actorRemoved = true
                return notify(Self.removedNote(before), error: true)
            }
            state.actorRemoved = false
            guard current != before else { return }
            state.actor = current
            state.tabs = Tab.visible(to: current)
            if !state.tabs.contains(state.tab) { switchTab(to: state.tabs[0]) }
            if current.role != before.role {
                notify("An administrator changed your role to \(current.role.label)")
                closeWhatTheRoleNoLongerAllows()
            }
        } catch {
            state.databaseProblem = error.description
            notify(error.description, error: true)
        }
    }

    /// A confirmation or edit form opened under the old role closes when the new one may not do what it offers; the
    /// store would refuse it anyway, but the screen should not offer it.
    private func closeWhatTheRoleNoLongerAllows() {
        let offered: [(TokenAction, Token)]
        switch state.modal {
        case .confirm(let confirmation):
            switch confirmation.intent {
            case .revoke(let tokens): offered = tokens.map { (.revoke, $0) }
            case .revokeAll(_, let first): offered = first.map { (.revoke, $0) }
            case .roll(let token): offered = [(.roll, token)]
            }
        case .form(let form):
            guard case .edit(let id, _) = form.mode, let token = state.table.rows.first(where: { $0.id == id }) else { return }
            offered = [(.edit, token)]
        default: return
        }
        for (change, token) in offered {
            do { try Policy.check(change, on: token, by: state.actor) } catch {
                state.modal = nil
                return notify("An administrator changed your role to \(state.actor.role.label); closed: \(error.message)", error: true)
            }
        }
    }

    // MARK: Errors and messages

    /// Runs an effect; any error becomes the one status line the person sees. A refusal may come from a role
    /// changed elsewhere, so the account is read again after one.
    func perform(_ effect: () throws -> Void) {
        do {
            try effect()
        } catch let error as TokenStoreError {
            if case .refused = error { refreshActor() }
            if case .database = error {
                // A read tells a database that is down from one that refused only this (a write that found another
                // process's lock, say): only the first is marked unavailable. Either way this failure is the status.
                refreshActor()
                if state.databaseProblem != nil { state.databaseProblem = error.description }
            }
            notify(error.description, error: true)
        } catch let error as PolicyError {
            refreshActor()
            notify(error.message, error: true)
        } catch {
            notify("\(error)", error: true)
        }
    }

    func notify(_ text: String, error: Bool = false) {
        state.message = StatusMessage(text: text, isError: error)
    }

    static func removedNote(_ account: Account) -> String {
        "Your account \(account.login) was removed by an administrator; it can no longer act"
    }

    static func format(_ date: Date?) -> String {
        date.map { RFC3339.string($0) } ?? "never"
    }
}
