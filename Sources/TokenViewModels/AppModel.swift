import Foundation
import TokenDomain
import TokenStore

/// The dialog or form on top of the table, if any.
public enum Modal: Hashable, Sendable {
    case form(TokenForm)
    case reveal(SecretReveal)
    case confirm(Confirmation)
    /// One audit event in full.
    case event(AuditEvent)
}

/// Everything the screen shows, as one value.
public struct AppState: Hashable, Sendable {
    /// The person at the keyboard as last read from the store; the store judges every action on them as they are then.
    public internal(set) var actor: Account
    /// True once an administrator has removed the account: nothing can be done any more.
    public internal(set) var actorRemoved = false
    public internal(set) var table: TokenTable
    public internal(set) var modal: Modal?
    public internal(set) var helpVisible = false
    public internal(set) var message: StatusMessage?
    /// A bulk revoke under way; the event loop sends `.bulkRevokeStep` while it is set and no key waits.
    public internal(set) var bulkRevoke: BulkRevokeJob?
    public internal(set) var quit = false
    public internal(set) var width = 80
    public internal(set) var height = 24
    /// The moment statuses are judged at, refreshed with every reload.
    public internal(set) var now: Date
}

/// Row movements in the table.
public enum Movement: Hashable, Sendable {
    case up, down, pageUp, pageDown, home, end
}

/// Everything a person can do; keys and clicks become these.
public enum Action: Hashable, Sendable {
    case move(Movement)
    case nextTab, previousTab
    case selectTab(Int)
    case selectRow(Int)
    case openSearch
    case searchEdit(TextField.Edit)
    case keepSearch
    case sortNext, sortReverse
    case sortBy(TokenSort)
    case newToken, editSelected, refreshSelected, rollSelected, revokeSelected, toggleMark, markAll
    case showHelp, escape, quit
    case formFocus(Int)
    case formEdit(TextField.Edit)
    case formChoice(Int)
    case formToggle, formSubmit, formActivate
    case copySecret, closeReveal
    case answer(Bool)
    case confirmSwitchFocus, confirmActivate
    /// Moves a roll confirmation's grace choice.
    case confirmChoice(Int)
    /// Revokes the next batch of a bulk revoke.
    case bulkRevokeStep
    case resize(width: Int, height: Int)
    case reload
    /// Ctrl-Z: the event loop hands the terminal back to the shell; the state does not change.
    case suspend
}

/// The root view-model: holds the state, takes actions through `send`, and asks the store for effects.
public final class AppModel {
    public private(set) var state: AppState
    let store: TokenStore
    let clipboard: any Clipboard
    /// True while the search text has changed but its query has not run yet.
    private var searchIsStale = false
    /// Tokens per step of a bulk revoke; tests make it small.
    var bulkBatchSize = TokenStore.revokeBatchSize

    /// The order `s` cycles through: the table's sortable columns, left to right.
    public static let sortCycle: [TokenSort] = [.name, .kind, .owner, .team, .lastUsed, .created, .expires]

    public init(store: TokenStore, actor: Account, clipboard: any Clipboard, width: Int = 80, height: Int = 24) {
        self.store = store
        self.clipboard = clipboard
        state = AppState(actor: actor, table: TokenTable(tabs: Tab.visible(to: actor)), width: width, height: height, now: store.now)
        state.table.pageSize = Self.pageSize(height: height)
        reloadTable(anchor: nil)
    }

    /// Rows of the table that fit under the title, tabs, headings, status line and footer.
    static func pageSize(height: Int) -> Int { max(1, height - 5) }

    /// Applies one action to the state. When `moreKeysPending`, the person has typed ahead: a search edit then
    /// changes only the text, and the query runs once, for the last key, or before any other action.
    public func send(_ action: Action, moreKeysPending: Bool = false) {
        if case .searchEdit(let edit) = action, state.modal == nil, !state.helpVisible, moreKeysPending {
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
        case .resize(let width, let height):
            state.width = width
            state.height = height
            state.table.pageSize = Self.pageSize(height: height)
            reloadInPlace()
        case .reload:
            refreshActor()
            reloadInPlace()
        case .showHelp: state.helpVisible = true
        case .escape: escape()
        case .quit: state.quit = true
        case .suspend: break
        default:
            switch state.modal {
            case .form: sendToForm(action)
            case .reveal: sendToReveal(action)
            case .confirm: sendToConfirm(action)
            case .event: if action == .closeReveal { state.modal = nil }
            case nil: sendToTable(action)
            }
        }
    }

    /// Esc closes one layer at a time: help, then a dialog or form, then the search.
    private func escape() {
        if state.helpVisible { state.helpVisible = false; return }
        switch state.modal {
        case .form: state.modal = nil
        case .reveal: closeReveal()
        case .confirm, .event: state.modal = nil
        case nil:
            guard state.table.isSearching || !state.table.search.text.isEmpty else { return }
            state.table.isSearching = false
            state.table.search.apply(.clear)
            reloadTable(anchor: nil)
        }
    }

    // MARK: Table

    private func sendToTable(_ action: Action) {
        if state.helpVisible { state.helpVisible = false }
        let changes: [Action] = [.newToken, .editSelected, .refreshSelected, .rollSelected, .revokeSelected]
        if state.actorRemoved, changes.contains(action) { return notify(Self.removedNote(state.actor), error: true) }
        switch action {
        case .move(let movement): move(movement)
        case .selectRow(let index):
            let count = state.table.tab == .audit ? state.table.visibleEvents.count : state.table.rows.count
            if index < count { state.table.selection = index }
        case .nextTab, .previousTab:
            let tabs = state.table.tabs
            let index = tabs.firstIndex(of: state.table.tab) ?? 0
            switchTab(to: tabs[(index + (action == .nextTab ? 1 : tabs.count - 1)) % tabs.count])
        case .selectTab(let number):
            if state.table.tabs.indices.contains(number - 1) { switchTab(to: state.table.tabs[number - 1]) }
        case .openSearch: state.table.isSearching = true
        case .searchEdit(let edit):
            state.table.search.apply(edit)
            reloadTable(anchor: nil)
        case .keepSearch: state.table.isSearching = false
        case .sortNext:
            let cycle = Self.sortCycle
            let index = cycle.firstIndex(of: state.table.order.sort) ?? 0
            state.table.order = TokenOrder(cycle[(index + 1) % cycle.count], descending: false)
            reloadTable(anchor: nil)
        case .sortReverse:
            state.table.order.descending.toggle()
            reloadTable(anchor: nil)
        case .sortBy(let sort):
            state.table.order = state.table.order.sort == sort
                ? TokenOrder(sort, descending: !state.table.order.descending) : TokenOrder(sort)
            reloadTable(anchor: nil)
        case .toggleMark:
            guard let token = state.table.selected else { return }
            if state.table.markedAll != nil {
                if state.table.markedAll?.except.remove(token.id) == nil { state.table.markedAll?.except.insert(token.id) }
            } else if state.table.marked.remove(token.id) == nil {
                state.table.marked.insert(token.id)
            }
            move(.down)
        case .markAll: markAll()
        case .editSelected where state.table.tab == .audit:
            guard let event = state.table.selectedEvent else { return notify("No event selected", error: true) }
            state.modal = .event(event)
        case .newToken: openCreateForm()
        case .editSelected: openEditForm()
        case .refreshSelected:
            guard let token = selectedToken() else { return }
            perform {
                let refreshed = try store.refresh(id: token.id, by: state.actor)
                reloadInPlace()
                notify("Refreshed '\(Sanitized.visible(refreshed.name))': expires \(Self.format(refreshed.expiresAt))")
            }
        case .rollSelected:
            guard let token = selectedToken() else { return }
            perform {
                try Policy.check(.roll, on: token, by: state.actor)
                var confirmation = Confirmation(intent: .roll(token))
                confirmation.previousGraceEnd = token.graceEnd(at: state.now)
                state.modal = .confirm(confirmation)
            }
        case .revokeSelected:
            if let marks = state.table.markedAll { return confirmRevokeAll(marks) }
            let marked = state.table.marked
            perform {
                var tokens = try marked.sorted().compactMap { try store.token(id: $0, by: state.actor) }
                if tokens.isEmpty, let token = selectedToken() { tokens = [token] }
                guard !tokens.isEmpty else { return }
                for token in tokens { try Policy.check(.revoke, on: token, by: state.actor) }
                state.modal = .confirm(Confirmation(intent: .revoke(tokens)))
            }
        default: break
        }
    }

    /// `A`: marks every token matching the tab and search, or, when they already are, unmarks them.
    private func markAll() {
        guard state.table.tab != .audit else { return notify("Audit events cannot be marked", error: true) }
        if state.table.markedAll != nil {
            state.table.markedAll = nil
            return notify("Unmarked all")
        }
        let filter = state.table.filter(for: state.actor)
        perform {
            let count = try store.exactCount(matching: filter, by: state.actor)
            state.table.marked = []
            state.table.markedAll = MarkedAll(filter: filter, count: count)
            notify("Marked all \(count) matching tokens: x revokes them, Space unmarks one, A unmarks all")
        }
    }

    private func confirmRevokeAll(_ marks: MarkedAll) {
        perform {
            var marks = marks
            // Counted again: other people may have added or revoked tokens since the marks were made. What is made
            // after this dialog opens is left out, since the person never saw it counted.
            marks.upToID = try store.lastTokenID()
            marks.count = try store.exactCount(matching: marks.filter, by: state.actor)
            state.table.markedAll = marks
            guard marks.count > marks.except.count else { return notify("No marked token is left", error: true) }
            let first = try store.tokens(matching: marks.filter, order: state.table.order, limit: 5 + marks.except.count,
                                         by: state.actor).filter { !marks.except.contains($0.id) }.prefix(5)
            state.modal = .confirm(Confirmation(intent: .revokeAll(marks, first: Array(first))))
        }
    }

    /// While a bulk revoke runs, only its next step, Esc (stop), quit and resizes are taken.
    private func sendDuringBulkRevoke(_ action: Action) {
        guard var job = state.bulkRevoke else { return }
        switch action {
        case .bulkRevokeStep:
            do {
                let batch = try store.revokeBatch(matching: job.marks.filter, after: job.cursor, upTo: job.marks.upToID,
                                                  except: job.marks.except,
                                                  limit: bulkBatchSize, reason: "bulk from the UI", by: state.actor)
                job.done += batch.revoked.count
                job.cursor = batch.resumeAfter
                state.bulkRevoke = job
                notify(job.progress)
                if batch.isLast { finishBulkRevoke("Revoked \(job.done) tokens") }
            } catch {
                // A refusal or error stops the job where it is; what earlier batches did stays done.
                if case .refused = error { refreshActor() }
                finishBulkRevoke("Stopped after revoking \(job.done) of \(job.total) tokens: \(error.description)", error: true)
            }
        case .escape: finishBulkRevoke("Stopped: revoked \(job.done) of \(job.total) tokens; the rest stay live")
        case .quit: state.quit = true
        case .resize(let width, let height):
            state.width = width
            state.height = height
            state.table.pageSize = Self.pageSize(height: height)
        default: notify(job.progress)
        }
    }

    private func finishBulkRevoke(_ note: String, error: Bool = false) {
        state.bulkRevoke = nil
        state.table.markedAll = nil
        reloadInPlace()
        notify(note, error: error)
    }

    private func selectedToken() -> Token? {
        guard let token = state.table.selected else {
            notify(state.table.tab == .audit ? "Audit events cannot be changed" : "No token selected", error: true)
            return nil
        }
        return token
    }

    private func switchTab(to tab: Tab) {
        guard tab != state.table.tab else { return }
        state.table.tab = tab
        state.table.marked = []
        state.table.isSearching = false
        state.table.search.apply(.clear)
        reloadTable(anchor: nil)
    }

    private func move(_ movement: Movement) {
        if state.table.tab == .audit { return moveEvents(movement) }
        let table = state.table
        let window = self.window
        perform {
            switch movement {
            case .up where table.selection > 0: state.table.selection -= 1
            case .down where table.selection < table.rows.count - 1: state.table.selection += 1
            case .up:
                if let previous = try window.before(table.rows.first, limit: 1).first, !table.rows.isEmpty {
                    state.table.rows = [previous] + table.rows.dropLast(table.rows.count >= table.pageSize ? 1 : 0)
                }
            case .down:
                if let next = try window.after(table.rows.last, limit: 1).first, !table.rows.isEmpty {
                    state.table.rows = table.rows.dropFirst(table.rows.count >= table.pageSize ? 1 : 0) + [next]
                    state.table.selection = state.table.rows.count - 1
                }
            case .pageDown:
                let next = try window.after(table.rows.last, limit: table.pageSize)
                if table.rows.isEmpty { return }
                state.table.rows = Array((table.rows + next).suffix(table.pageSize))
                if next.count < table.pageSize { state.table.selection = state.table.rows.count - 1 }
            case .pageUp:
                let previous = try window.before(table.rows.first, limit: table.pageSize)
                if table.rows.isEmpty { return }
                state.table.rows = Array((previous + table.rows).prefix(table.pageSize))
                if previous.count < table.pageSize { state.table.selection = 0 }
            case .home:
                state.table.rows = try window.first()
                state.table.selection = 0
            case .end:
                state.table.rows = try window.last()
                state.table.selection = max(0, state.table.rows.count - 1)
            }
        }
    }

    private func moveEvents(_ movement: Movement) {
        let table = state.table
        let count = table.events.count
        guard count > 0 else { return }
        var absolute = table.eventOffset + table.selection
        switch movement {
        case .up: absolute -= 1
        case .down: absolute += 1
        case .pageUp: absolute -= table.pageSize
        case .pageDown: absolute += table.pageSize
        case .home: absolute = 0
        case .end: absolute = count - 1
        }
        absolute = min(max(0, absolute), count - 1)
        var offset = table.eventOffset
        if absolute < offset { offset = absolute }
        if absolute >= offset + table.pageSize { offset = absolute - table.pageSize + 1 }
        state.table.eventOffset = offset
        state.table.selection = absolute - offset
    }

    private var window: TableWindow {
        TableWindow(store: store, filter: state.table.filter(for: state.actor), order: state.table.order, size: state.table.pageSize,
                    actor: state.actor)
    }

    /// Refetches what is on screen where it is: after a change, on the idle timer, on a resize.
    func reloadInPlace() {
        reloadTable(anchor: state.table.rows.first, inPlace: true)
    }

    /// Refetches the visible rows from `anchor` on, keeping the selected token (or event) selected when it is still
    /// there; with neither an anchor nor `inPlace`, starts again at the top.
    func reloadTable(anchor: Token?, inPlace: Bool = false) {
        searchIsStale = false
        state.now = store.now
        // A fresh start (new sort, search or tab) begins at the top; a reload in place keeps the selection.
        let keep = inPlace || anchor != nil
        let selectedID = keep ? state.table.selected?.id : nil
        if !keep { state.table.selection = 0 }
        if let marks = state.table.markedAll, marks.filter != state.table.filter(for: state.actor) {
            state.table.markedAll = nil
            notify("The search changed: the marks made with A were cleared")
        }
        perform {
            if state.table.tab == .audit {
                let selectedEvent = keep ? state.table.selectedEvent?.id : nil
                state.table.events = try store.auditLog(AuditFilter(text: state.table.search.text), limit: 1000, by: state.actor)
                state.table.rows = []
                state.table.total = .exact(state.table.events.count)
                // The same event stays selected across a reload; a new search starts at the newest.
                let index = selectedEvent.flatMap { id in state.table.events.firstIndex { $0.id == id } } ?? 0
                let offset = state.table.eventOffset
                if selectedEvent == nil || !(offset..<offset + state.table.pageSize).contains(index) {
                    state.table.eventOffset = max(0, min(index, state.table.events.count - state.table.pageSize))
                }
                state.table.selection = index - state.table.eventOffset
                return
            }
            if anchor == nil {
                (state.table.rows, state.table.total) = try window.firstWithCount()
            } else {
                state.table.rows = try window.starting(at: anchor)
                state.table.total = try store.count(matching: state.table.filter(for: state.actor), by: state.actor)
            }
            if let selectedID, let index = state.table.rows.firstIndex(where: { $0.id == selectedID }) {
                state.table.selection = index
            } else {
                state.table.selection = min(state.table.selection, max(0, state.table.rows.count - 1))
            }
        }
    }

    // MARK: Form

    private func openCreateForm() {
        perform {
            let actor = state.actor
            let kindIsChoosable = actor.isAdmin && state.table.tab == .apiTokens
            let kind: TokenKind = kindIsChoosable ? .admin : .personal
            let allTeams = try store.teams()
            let offered = Policy.offeredTeams(kind: kind, owner: actor, allTeams: allTeams)
            let draft = TokenDraft(name: "", kind: kind, teamID: offered.first?.id ?? 0, permissions: PermissionSet([.readSite]))
            state.modal = .form(TokenForm(mode: .create, draft: draft, kindIsChoosable: kindIsChoosable, owner: actor, allTeams: allTeams,
                                          organisationPolicy: try store.organisationPolicy()))
        }
    }

    private func openEditForm() {
        guard let token = selectedToken() else { return }
        perform {
            try Policy.check(.edit, on: token, by: state.actor)
            guard let owner = try store.account(login: token.owner) else {
                throw TokenStoreError.notFound("the owner of '\(Sanitized.visible(token.name))' was removed; revoke the token instead")
            }
            let form = TokenForm(mode: .edit(tokenID: token.id, version: token.version), draft: TokenDraft(token),
                                 kindIsChoosable: false, owner: owner, allTeams: try store.teams(),
                                 organisationPolicy: try store.organisationPolicy())
            state.modal = .form(form)
        }
    }

    private func sendToForm(_ action: Action) {
        guard case .form(var form) = state.modal else { return }
        switch action {
        case .formFocus(let step): form.moveFocus(by: step)
        case .formEdit(let edit): form.edit(edit)
        case .formChoice(let step): form.changeChoice(by: step)
        case .formToggle: form.toggle()
        case .formActivate where form.focus == .cancel:
            state.modal = nil
            return
        case .formActivate where form.focus != .submit: form.moveFocus(by: 1)
        case .formSubmit, .formActivate: return submit(form)
        default: return
        }
        state.modal = .form(form)
    }

    private func submit(_ form: TokenForm) {
        var form = form
        guard let draft = form.validated() else {
            state.modal = .form(form)
            return
        }
        do {
            switch form.mode {
            case .create:
                let (token, secret) = try store.create(draft, by: state.actor)
                state.modal = .reveal(SecretReveal(tokenName: token.name, secret: secret.text, isRoll: false))
                reloadTable(anchor: nil)
                select(token.id)
            case .edit(let id, let version):
                let token = try store.edit(id: id, expectedVersion: version, to: draft, by: state.actor)
                state.modal = nil
                reloadInPlace()
                notify(token.version == version ? "Nothing to save: '\(Sanitized.visible(token.name))' already has these values"
                                                : "Saved '\(Sanitized.visible(token.name))': expires \(Self.format(token.expiresAt))")
            }
        } catch {
            // A rule refused it: the policy may have changed since the form opened, so it shows the rules of now.
            if case .refused = error, let policy = try? store.organisationPolicy(), policy != form.organisationPolicy {
                form.adopt(policy, movingExpiry: false)
            }
            switch error {
            case .duplicate(let message): form.errors[.name] = message
            case .invalid(let problem): form.errors[.submit] = problem.message
            default: form.errors[.submit] = error.description
            }
            state.modal = .form(form)
        }
    }

    private func select(_ id: Int64) {
        if let index = state.table.rows.firstIndex(where: { $0.id == id }) { state.table.selection = index }
    }

    // MARK: Reveal and confirm

    private func sendToReveal(_ action: Action) {
        guard case .reveal(var reveal) = state.modal else { return }
        switch action {
        case .copySecret:
            reveal.copyStatus = clipboard.copy(reveal.secret)
            state.modal = .reveal(reveal)
        case .closeReveal: closeReveal()
        default: break
        }
    }

    private func closeReveal() {
        state.modal = nil
        notify("The secret is gone for good; roll the token (R) if it was lost")
    }

    private func sendToConfirm(_ action: Action) {
        guard case .confirm(var confirmation) = state.modal else { return }
        switch action {
        case .answer(let yes): answer(confirmation, yes: yes)
        case .confirmActivate: answer(confirmation, yes: confirmation.yesFocused)
        case .confirmSwitchFocus:
            confirmation.yesFocused.toggle()
            state.modal = .confirm(confirmation)
        case .confirmChoice(let step):
            guard case .roll = confirmation.intent else { return }
            let count = Confirmation.graceOptions.count
            confirmation.graceChoice = (confirmation.graceChoice + step + count) % count
            state.modal = .confirm(confirmation)
        default: break
        }
    }

    /// Carries out a confirmed intent once: the dialog is taken down before anything runs.
    private func answer(_ confirmation: Confirmation, yes: Bool) {
        state.modal = nil
        guard yes else { return }
        perform {
            switch confirmation.intent {
            case .revoke(let tokens):
                let revoked = try store.revoke(ids: tokens.map(\.id), by: state.actor)
                state.table.marked.subtract(revoked.map(\.id))
                reloadInPlace()
                notify(revoked.count == 1 ? "Revoked '\(Sanitized.visible(revoked[0].name))'" : "Revoked \(revoked.count) tokens")
            case .revokeAll(let marks, _):
                state.bulkRevoke = BulkRevokeJob(marks: marks, total: marks.count - marks.except.count)
                notify(state.bulkRevoke?.progress ?? "")
            case .roll(let token):
                let (rolled, secret) = try store.roll(id: token.id, grace: confirmation.grace, by: state.actor)
                state.modal = .reveal(SecretReveal(tokenName: rolled.name, secret: secret.text, isRoll: true))
                reloadInPlace()
            }
        }
    }

    // MARK: The person at the keyboard

    /// Reads the account again, so a role changed or an account removed elsewhere shows at once: the title, the tabs
    /// and what the keys offer follow the account as it is now.
    private func refreshActor() {
        let before = state.actor
        do {
            guard let current = try store.account(login: before.login), current.id == before.id else {
                if !state.actorRemoved { state.table.rows = []; state.table.events = []; state.table.total = .exact(0) }
                state.actorRemoved = true
                return notify(Self.removedNote(before), error: true)
            }
            state.actorRemoved = false
            guard current != before else { return }
            state.actor = current
            state.table.tabs = Tab.visible(to: current)
            if !state.table.tabs.contains(state.table.tab) { switchTab(to: state.table.tabs[0]) }
            if current.role != before.role { notify("An administrator changed your role to \(current.role.label)") }
        } catch {
            notify(error.description, error: true)
        }
    }

    // MARK: Errors and messages

    /// Runs an effect; any error becomes the one status line the person sees. A refusal may come from a role
    /// changed elsewhere, so the account is read again after one.
    private func perform(_ effect: () throws -> Void) {
        do {
            try effect()
        } catch let error as TokenStoreError {
            if case .refused = error { refreshActor() }
            notify(error.description, error: true)
        } catch let error as PolicyError {
            refreshActor()
            notify(error.message, error: true)
        } catch {
            notify("\(error)", error: true)
        }
    }

    private func notify(_ text: String, error: Bool = false) {
        state.message = StatusMessage(text: text, isError: error)
    }

    private static func removedNote(_ account: Account) -> String {
        "Your account \(account.login) was removed by an administrator; it can no longer act"
    }

    static func format(_ date: Date?) -> String {
        date.map { RFC3339.string($0) } ?? "never"
    }
}

extension AppState {
    /// The same state with the help overlay closed: what help describes.
    public var withoutHelp: AppState {
        var copy = self
        copy.helpVisible = false
        return copy
    }
}
