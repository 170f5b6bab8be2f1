import Foundation
import TokenDomain
import TokenStore

extension AppModel {
    /// The create / edit form's reducer: focus, editing, choices, and the save.
    func reduceForm(_ action: Action.Form) {
        guard case .form(var form) = state.modal else { return }
        switch action {
        case .focus(let step): form.moveFocus(by: step)
        case .edit(let edit): form.edit(edit)
        case .choice(let step): form.changeChoice(by: step)
        case .toggle: form.toggle()
        case .activate where form.focus == .cancel:
            state.modal = nil
            return
        case .activate where form.focus != .submit: form.moveFocus(by: 1)
        case .submit, .activate: return submit(form)
        }
        state.modal = .form(form)
    }

    func openCreateForm() {
        perform {
            let actor = state.actor
            let kindIsChoosable = actor.isAdmin && state.tab == .apiTokens
            let kind: TokenKind = kindIsChoosable ? .admin : .personal
            let allTeams = try store.teams()
            let offered = Policy.offeredTeams(kind: kind, owner: actor, allTeams: allTeams)
            let draft = TokenDraft(name: "", kind: kind, teamID: offered.first?.id ?? 0, permissions: PermissionSet([.readSite]))
            state.modal = .form(TokenForm(mode: .create, draft: draft, kindIsChoosable: kindIsChoosable, owner: actor, allTeams: allTeams,
                                          organisationPolicy: try store.organisationPolicy()))
        }
    }

    func openEditForm() {
        guard let token = state.table.selected else { return }
        perform {
            guard let owner = try store.account(login: token.owner) else {
                throw TokenStoreError.notFound("the owner of '\(Sanitized.visible(token.name))' was removed; revoke the token instead")
            }
            let form = TokenForm(mode: .edit(tokenID: token.id, version: token.version), draft: TokenDraft(token),
                                 kindIsChoosable: false, owner: owner, allTeams: try store.teams(),
                                 organisationPolicy: try store.organisationPolicy())
            state.modal = .form(form)
        }
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
}
