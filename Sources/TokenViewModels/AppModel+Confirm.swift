import TokenDomain
import TokenStore

extension AppModel {
    /// The confirmation's reducer: the answer, the focused button, a roll's grace.
    func reduceConfirm(_ action: Action.Confirm) {
        guard case .confirm(var confirmation) = state.modal else { return }
        switch action {
        case .answer(let yes): answer(confirmation, yes: yes)
        case .activate: answer(confirmation, yes: confirmation.yesFocused)
        case .switchFocus:
            confirmation.yesFocused.toggle()
            state.modal = .confirm(confirmation)
        case .grace(let step):
            guard case .roll = confirmation.intent else { return }
            let count = Confirmation.graceOptions.count
            confirmation.graceChoice = (confirmation.graceChoice + step + count) % count
            state.modal = .confirm(confirmation)
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
}
