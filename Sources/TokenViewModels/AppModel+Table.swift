import Foundation
import TokenDomain
import TokenStore

extension AppModel {
    /// The order `s` cycles through: the table's sortable columns, left to right.
    public static let sortCycle: [TokenSort] = [.name, .kind, .owner, .team, .lastUsed, .created, .expires]

    /// The token table's reducer: movement, search, sort, marks, and the dialogs its keys open.
    func reduceTable(_ action: Action.Table) {
        guard state.modal == nil, !state.onAuditLog else { return }
        state.helpOffset = nil
        if let reason = state.reasonUnavailable(.table(action)) { return notify(reason, error: true) }
        switch action {
        case .move(let movement): move(movement)
        case .selectRow(let index): if index < state.table.rows.count { state.table.selection = index }
        case .openSearch: state.table.isSearching = true
        case .search(let edit):
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
        case .newToken: openCreateForm()
        case .edit: openEditForm()
        case .details: openTokenDetails()
        case .refresh:
            guard let token = state.table.selected else { return }
            perform {
                let refreshed = try store.refresh(id: token.id, by: state.actor)
                reloadInPlace()
                notify("Refreshed '\(Sanitized.visible(refreshed.name))': expires \(Self.format(refreshed.expiresAt))")
            }
        case .roll:
            guard let token = state.table.selected else { return }
            var confirmation = Confirmation(intent: .roll(token))
            confirmation.previousGraceEnd = token.graceEnd(at: state.now)
            state.modal = .confirm(confirmation)
        case .revoke:
            if let marks = state.table.markedAll { return confirmRevokeAll(marks) }
            let marked = state.table.marked
            perform {
                var tokens = try marked.sorted().compactMap { try store.token(id: $0, by: state.actor) }
                if tokens.isEmpty, let token = state.table.selected { tokens = [token] }
                guard !tokens.isEmpty else { return notify("The marked tokens are gone", error: true) }
                for token in tokens { try Policy.check(.revoke, on: token, by: state.actor) }
                state.modal = .confirm(Confirmation(intent: .revoke(tokens)))
            }
        }
    }

    private func move(_ movement: Movement) {
        let table = state.table
        let window = self.window
        perform {
            switch movement {
            case .up where table.selection > 0: state.table.selection -= 1
            case .down where table.selection < table.rows.count - 1: state.table.selection += 1
            case .up:
                if let previous = try window.before(table.rows.first, limit: 1).first, !table.rows.isEmpty {
                    state.table.rows = [previous] + table.rows.dropLast(table.rows.count >= table.pageSize ? 1 : 0)
                } else {
                    state.table.beginsAtTop = true
                }
            case .down:
                if let next = try window.after(table.rows.last, limit: 1).first, !table.rows.isEmpty {
                    let scrolls = table.rows.count >= table.pageSize
                    state.table.rows = table.rows.dropFirst(scrolls ? 1 : 0) + [next]
                    state.table.selection = state.table.rows.count - 1
                    if scrolls { state.table.beginsAtTop = false }
                }
            case .pageDown:
                let next = try window.after(table.rows.last, limit: table.pageSize)
                if table.rows.isEmpty { return }
                state.table.rows = Array((table.rows + next).suffix(table.pageSize))
                if next.count < table.pageSize { state.table.selection = state.table.rows.count - 1 }
                if state.table.rows.first != table.rows.first { state.table.beginsAtTop = false }
            case .pageUp:
                let previous = try window.before(table.rows.first, limit: table.pageSize)
                if table.rows.isEmpty { return }
                state.table.rows = Array((previous + table.rows).prefix(table.pageSize))
                if previous.count < table.pageSize { state.table.selection = 0; state.table.beginsAtTop = true }
            case .home:
                state.table.rows = try window.first()
                state.table.selection = 0
                state.table.beginsAtTop = true
            case .end:
                state.table.rows = try window.last()
                state.table.selection = max(0, state.table.rows.count - 1)
                state.table.beginsAtTop = state.table.rows.count < table.pageSize
            }
        }
    }

    /// The filter of the tab shown, for the actor as last read.
    var tableFilter: TokenFilter { state.table.filter(for: state.actor, on: state.tab) }

    private var window: TableWindow {
        TableWindow(store: store, filter: tableFilter, order: state.table.order, size: state.table.pageSize, actor: state.actor)
    }

    /// Refetches what is on screen where it is: after a change, on the idle timer, on a resize.
    func reloadInPlace() {
        guard !state.onAuditLog else { return reloadAudit(keepSelection: true) }
        reloadTable(anchor: state.table.beginsAtTop ? nil : state.table.rows.first, inPlace: true)
    }

    /// Refetches the visible rows from `anchor` on, keeping the selected token selected when it is still there; with
    /// neither an anchor nor `inPlace`, starts again at the top.
    func reloadTable(anchor: Token?, inPlace: Bool = false) {
        searchIsStale = false
        state.now = store.now
        guard !state.onAuditLog else { return }
        // A fresh start (new sort, search or tab) begins at the top; a reload in place keeps the selection.
        let keep = inPlace || anchor != nil
        let selectedID = keep ? state.table.selected?.id : nil
        if !keep {
            // The rows of another sort, search or tab are not what is asked for: if the store cannot answer, the
            // list is empty and says why, rather than showing them under the new heading.
            state.table.selection = 0
            state.table.rows = []
            state.table.total = .exact(0)
        }
        if let marks = state.table.markedAll, marks.filter != tableFilter {
            state.table.markedAll = nil
            notify("The search changed: the marks made with A were cleared")
        }
        perform {
            if let anchor {
                (state.table.rows, state.table.beginsAtTop) = try window.starting(at: anchor)
                state.table.total = try store.count(matching: tableFilter, by: state.actor)
            } else {
                (state.table.rows, state.table.total) = try window.firstWithCount()
                state.table.beginsAtTop = true
            }
            if let selectedID, let index = state.table.rows.firstIndex(where: { $0.id == selectedID }) {
                state.table.selection = index
            } else {
                state.table.selection = min(state.table.selection, max(0, state.table.rows.count - 1))
            }
            if inPlace { try dropMarksOfTokensGone() }
        }
    }

    /// Tokens revoked elsewhere since they were marked are no longer counted as marked, so that the status line
    /// says what `x` would revoke: a mark of a token off the page is looked up, and `A`'s count is the list's.
    private func dropMarksOfTokensGone() throws {
        let shown = Set(state.table.rows.map(\.id))
        func isGone(_ id: Int64) throws -> Bool { try !shown.contains(id) && store.token(id: id, by: state.actor) == nil }
        for id in state.table.marked where try isGone(id) { state.table.marked.remove(id) }
        guard var marks = state.table.markedAll else { return }
        for id in marks.except where try isGone(id) { marks.except.remove(id) }
        if case .exact(let count) = state.table.total { marks.count = count }
        state.table.markedAll = marks
    }

    func select(_ id: Int64) {
        if let index = state.table.rows.firstIndex(where: { $0.id == id }) { state.table.selection = index }
    }
}
