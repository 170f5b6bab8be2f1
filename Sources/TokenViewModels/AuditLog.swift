import TokenDomain

/// The Audit Log tab: the newest events, a window on them, a selection and a search of its own.
public struct AuditLog: Hashable, Sendable {
    /// The events read, newest first.
    public internal(set) var events: [AuditEvent] = []
    /// The selected event's index in `events`.
    public internal(set) var selection = 0
    /// The first event on screen.
    public internal(set) var offset = 0
    /// Finds text in the actor, the action or the token name.
    public internal(set) var search = TextField(limit: 100)
    /// True while the search box has the keyboard.
    public internal(set) var isSearching = false

    /// How many events the tab reads at most.
    public static let limit = 1_000

    /// The selected event, if any.
    public var selected: AuditEvent? { events.indices.contains(selection) ? events[selection] : nil }

    /// The events on screen for a window of `rows`.
    public func visible(rows: Int) -> ArraySlice<AuditEvent> { events.dropFirst(offset).prefix(rows) }

    /// Moves the selection and keeps it inside a window of `rows`.
    mutating func move(_ movement: Movement, rows: Int) {
        guard !events.isEmpty else { return }
        switch movement {
        case .up: select(selection - 1, rows: rows)
        case .down: select(selection + 1, rows: rows)
        case .pageUp: select(selection - rows, rows: rows)
        case .pageDown: select(selection + rows, rows: rows)
        case .home: select(0, rows: rows)
        case .end: select(events.count - 1, rows: rows)
        }
    }

    /// Selects an index (clamped), scrolling the window only as far as it must.
    mutating func select(_ index: Int, rows: Int) {
        selection = min(max(0, index), max(0, events.count - 1))
        if selection < offset { offset = selection }
        if selection >= offset + rows { offset = selection - rows + 1 }
        offset = max(0, min(offset, events.count - rows))
    }

    /// Takes freshly read events, keeping the same event selected and the window where it was when it can.
    mutating func replaceEvents(_ fresh: [AuditEvent], keepSelection: Bool, rows: Int) {
        let selectedID = keepSelection ? selected?.id : nil
        events = fresh
        guard let selectedID, let index = fresh.firstIndex(where: { $0.id == selectedID }) else {
            offset = 0
            return select(0, rows: rows)
        }
        select(index, rows: rows)
    }
}
