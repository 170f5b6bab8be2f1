import Foundation
import TokenDomain
import TokenStore

extension AppModel {
    /// The Audit Log tab's reducer: its own selection, its own search, and an event's details.
    func reduceAudit(_ action: Action.Audit) {
        guard state.modal == nil, state.onAuditLog else { return }
        state.helpOffset = nil
        if let reason = state.reasonUnavailable(.audit(action)) { return notify(reason, error: true) }
        switch action {
        case .move(let movement): state.audit.move(movement, rows: state.pageSize)
        case .selectRow(let row): state.audit.select(state.audit.offset + min(row, state.audit.visible(rows: state.pageSize).count - 1),
                                                     rows: state.pageSize)
        case .openSearch: state.audit.isSearching = true
        case .keepSearch: state.audit.isSearching = false
        case .search(let edit):
            state.audit.search.apply(edit)
            reloadAudit(keepSelection: false)
        case .details:
            guard let event = state.audit.selected else { return }
            state.modal = .details(DetailsSheet(subject: .event(event)))
        }
    }

    /// Reads the newest events again, as the search narrows them; with `keepSelection` the same event stays selected.
    func reloadAudit(keepSelection: Bool) {
        state.now = store.now
        if !keepSelection { state.audit.replaceEvents([], keepSelection: false, rows: state.pageSize) }
        perform {
            let events = try store.auditLog(AuditFilter(text: state.audit.search.text), limit: AuditLog.limit, by: state.actor)
            state.audit.replaceEvents(events, keepSelection: keepSelection, rows: state.pageSize)
        }
    }
}
