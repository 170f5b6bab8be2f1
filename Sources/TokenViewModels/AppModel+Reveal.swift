extension AppModel {
    /// The secret dialog's reducer: copy, or close for good.
    func reduceReveal(_ action: Action.Reveal) {
        guard case .reveal(var reveal) = state.modal else { return }
        switch action {
        case .copy:
            reveal.copyStatus = clipboard.copy(reveal.secret)
            state.modal = .reveal(reveal)
        case .close: closeReveal()
        }
    }

    func closeReveal() {
        state.modal = nil
        notify("The secret is gone for good; roll the token (R) if it was lost")
    }
}
