import TokenDomain

extension AppState {
    /// Why an action cannot act here and now, or nil when it can: the footer offers only what can, and a key bound to
    /// what cannot says why. The store still judges every action on the facts at its moment; this only spares a trip.
    public func reasonUnavailable(_ action: Action) -> String? {
        switch action {
        case .table(let action): reasonUnavailable(action)
        case .audit(.details): audit.selected == nil ? "No event selected" : nil
        default: nil
        }
    }

    /// Whether the footer offers the action: only what can act now, and, while the database cannot answer, nothing
    /// that would change it (its key still tries, in case the database answers again).
    public func offers(_ action: Action) -> Bool {
        guard reasonUnavailable(action) == nil else { return false }
        guard databaseProblem != nil, case .table(let change) = action else { return true }
        return !Self.changes.contains(change)
    }

    private static let changes: [Action.Table] = [.newToken, .edit, .refresh, .roll, .revoke, .toggleMark, .markAll]

    private func reasonUnavailable(_ action: Action.Table) -> String? {
        if actorRemoved, Self.changes.contains(action) { return AppModel.removedNote(actor) }
        switch action {
        case .newToken where !actor.isAdmin && actor.teams.isEmpty:
            return "You are not a member of any team, so a token would have no sites; an administrator can add you to one"
        case .edit: return reasonUnavailable(TokenAction.edit)
        case .refresh:
            if let token = table.selected, token.expiresIn == .never { return "'\(Sanitized.visible(token.name))' never expires: nothing to refresh" }
            return reasonUnavailable(TokenAction.refresh)
        case .roll: return reasonUnavailable(TokenAction.roll)
        case .revoke: return table.markedCount > 0 ? nil : reasonUnavailable(TokenAction.revoke)
        case .details, .toggleMark: return table.selected == nil ? "No token selected" : nil
        case .markAll: return table.total == .exact(0) ? "No token to mark" : nil
        default: return nil
        }
    }

    private func reasonUnavailable(_ change: TokenAction) -> String? {
        guard let token = table.selected else { return "No token selected" }
        do { try Policy.check(change, on: token, by: actor) } catch { return error.message }
        return nil
    }
}
