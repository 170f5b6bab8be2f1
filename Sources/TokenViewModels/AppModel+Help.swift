extension AppModel {
    /// The help overlay's reducer: it scrolls when its lines do not fit.
    func reduceHelp(_ action: Action.Help) {
        guard let offset = state.helpOffset else { return }
        let last = max(0, helpLength(state.withoutHelp) - state.helpRows)
        let page = state.helpRows
        let moved = switch action {
        case .scroll(.up): offset - 1
        case .scroll(.down): offset + 1
        case .scroll(.pageUp): offset - page
        case .scroll(.pageDown): offset + page
        case .scroll(.home): 0
        case .scroll(.end): last
        }
        state.helpOffset = min(max(0, moved), last)
    }
}
