import TokenDomain
import TokenStore

extension AppModel {
    /// The details sheet's reducer: scrolling and closing.
    func reduceDetails(_ action: Action.Details) {
        guard case .details(var sheet) = state.modal else { return }
        let last = sheet.lastOffset(width: state.width, height: state.height, now: state.now)
        let page = DetailsSheet.rows(height: state.height)
        switch action {
        case .close: return state.modal = nil
        case .scroll(.up): sheet.offset -= 1
        case .scroll(.down): sheet.offset += 1
        case .scroll(.pageUp): sheet.offset -= page
        case .scroll(.pageDown): sheet.offset += page
        case .scroll(.home): sheet.offset = 0
        case .scroll(.end): sheet.offset = last
        }
        sheet.offset = min(max(0, sheet.offset), last)
        state.modal = .details(sheet)
    }

    /// On the idle reload, an open token's story is read again where it is scrolled to: other admins, scripts and
    /// `serve` change tokens meanwhile. A token revoked or no longer visible closes the sheet with a note.
    func reloadTokenDetails() {
        guard case .details(let sheet) = state.modal, case .token(let story) = sheet.subject else { return }
        do {
            guard let fresh = try store.story(ofToken: story.token.id, by: state.actor) else {
                state.modal = nil
                return notify("'\(Sanitized.visible(story.token.name))' was revoked meanwhile", error: true)
            }
            var updated = DetailsSheet(subject: .token(fresh))
            updated.offset = min(sheet.offset, updated.lastOffset(width: state.width, height: state.height, now: state.now))
            state.modal = .details(updated)
        } catch {
            state.modal = nil
            notify(error.description, error: true)
        }
    }

    /// `d`: the selected token's story, read in one snapshot, judged on the actor as they are now.
    func openTokenDetails() {
        guard let token = state.table.selected else { return }
        perform {
            guard let story = try store.story(ofToken: token.id, by: state.actor) else {
                reloadInPlace()
                return notify("'\(Sanitized.visible(token.name))' was revoked meanwhile", error: true)
            }
            state.modal = .details(DetailsSheet(subject: .token(story)))
        }
    }
}
