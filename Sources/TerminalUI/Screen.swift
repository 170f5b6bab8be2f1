import Foundation
import TokenDomain
import TokenViewModels

/// Draws the whole screen for a state: a pure function from state to cells.
public enum Screen {
    static let titleRow = 0
    static let tabRow = 1
    static let headingRow = 2
    static let firstRow = 3
    /// The smallest terminal the layout supports.
    public static let minimumWidth = 60
    public static let minimumHeight = 15

    /// True when the terminal is large enough to show the screen; keys then act, else only quitting does.
    public static func fits(_ state: AppState) -> Bool { state.width >= minimumWidth && state.height >= minimumHeight }

    /// Renders the state into a canvas the size of the terminal; footer and help show `keys` as they are in force.
    /// With `waitingSeconds`, the last key has waited that long on the store, and the status line says so.
    public static func render(_ state: AppState, keys: Keybindings = .standard, waitingSeconds: Int? = nil) -> Canvas {
        var canvas = Canvas(width: state.width, height: state.height)
        guard fits(state) else {
            let lines = ["Terminal too small", "need \(minimumWidth)×\(minimumHeight), have \(state.width)×\(state.height)",
                         "keys act once it is larger", "Ctrl-C quits"]
            for (index, line) in lines.enumerated() {
                let y = state.height / 2 - 1 + index
                canvas.put(line, x: max(0, (state.width - DisplayWidth.of(line)) / 2), y: y, style: Style(bold: index == 0))
            }
            return canvas
        }
        drawTitle(state, into: &canvas)
        drawTabs(state, into: &canvas)
        if state.onAuditLog { AuditView.draw(state, into: &canvas) } else { drawTable(state, into: &canvas) }
        drawStatus(state, into: &canvas)
        switch state.modal {
        case .form(let form): FormView.draw(form, state: state, into: &canvas)
        case .reveal(let reveal): DialogView.drawReveal(reveal, into: &canvas)
        case .confirm(let confirmation): DialogView.drawConfirm(confirmation, into: &canvas)
        case .details(let sheet): DialogView.drawDetails(sheet, state: state, into: &canvas)
        case nil: break
        }
        if let offset = state.helpOffset {
            DialogView.drawHelp(keys.bindings(for: KeyContext(state.withoutHelp)), title: KeyContext(state.withoutHelp).title,
                                offset: offset, rows: state.helpRows, into: &canvas)
        }
        // Over any dialog: what the screen shows is not yet the answer to the last key.
        if let waitingSeconds { drawWaiting(waitingSeconds, state: state, into: &canvas) }
        drawFooter(state, keys: keys, into: &canvas)
        return canvas
    }

    private static func drawTitle(_ state: AppState, into canvas: inout Canvas) {
        let bar = Style(bold: true, reverse: true)
        canvas.fill(x: 0, y: titleRow, width: state.width, height: 1, style: bar)
        let actor = state.actor
        let left = " apitokens · \(actor.name) (\(actor.login), \(state.actorRemoved ? "removed" : actor.role.label))"
        canvas.put(left, x: 0, y: titleRow, style: bar, maxWidth: state.width)
        let total = state.onAuditLog ? .exact(state.audit.events.count) : state.table.total
        let noun = (state.onAuditLog ? "event" : "token") + (total == .exact(1) ? "" : "s")
        // While the store cannot answer, the count read before it went is not news: the outage is.
        let count = if state.databaseProblem != nil {
            "database unavailable"
        } else {
            switch total {
            case .exact(let number): "\(grouped(number)) \(noun)"
            case .atLeast(let number): "\(grouped(number))+ \(noun)"
            }
        }
        let width = DisplayWidth.of(count) + 1
        if state.databaseProblem != nil {
            // Said whatever the room: the name on the left gives way to it.
            canvas.fill(x: state.width - width - 1, y: titleRow, width: width + 1, height: 1, style: bar)
            canvas.put(count, x: state.width - width, y: titleRow, style: Style(bold: true, reverse: true, color: .danger))
        } else if DisplayWidth.of(left) + width + 2 < state.width {
            canvas.put(count, x: state.width - width, y: titleRow, style: bar)
        }
    }

    /// What an empty list says while the store cannot answer: nothing was read, rather than nothing is there.
    static let unavailableNote = "The database is unavailable — retrying every few seconds"

    /// 1234567 as 1,234,567: a million rows stay readable.
    public static func grouped(_ number: Int) -> String {
        let digits = String(number)
        return digits.enumerated().map { index, digit in
            index > 0 && (digits.count - index) % 3 == 0 ? ",\(digit)" : "\(digit)"
        }.joined()
    }

    /// The x ranges of the tab titles, for drawing and for clicks.
    static func tabRanges(_ state: AppState) -> [Range<Int>] {
        var x = 1
        return state.tabs.enumerated().map { index, tab in
            let width = DisplayWidth.of(" \(index + 1) \(tab.title) ")
            defer { x += width + 1 }
            return x..<(x + width)
        }
    }

    private static func drawTabs(_ state: AppState, into canvas: inout Canvas) {
        let ranges = tabRanges(state)
        for (index, tab) in state.tabs.enumerated() {
            let selected = tab == state.tab
            canvas.put(" \(index + 1) \(tab.title) ", x: ranges[index].lowerBound, y: tabRow,
                       style: selected ? Style(bold: true, reverse: true, color: .accent) : .plain)
        }
        let (search, isSearching) = state.onAuditLog ? (state.audit.search, state.audit.isSearching)
                                                     : (state.table.search, state.table.isSearching)
        guard isSearching || !search.text.isEmpty else { return }
        let end = ranges.last?.upperBound ?? 0
        let room = state.width - end - 2
        guard room >= 12 else { return }
        let label = "/ "
        let boxWidth = min(room, 34)
        let x = state.width - boxWidth - 1
        let style = isSearching ? Style(underline: true, color: .search) : Style(color: .search)
        canvas.fill(x: x, y: tabRow, width: boxWidth, height: 1, style: style)
        canvas.put(label, x: x, y: tabRow, style: Style(bold: true, color: .search))
        let textRoom = boxWidth - 3
        let visible = String(search.text.suffix(textRoom))
        canvas.put(visible, x: x + 2, y: tabRow, style: style, maxWidth: textRoom)
        if isSearching {
            let cursorX = x + 2 + DisplayWidth.of(String(visible.prefix(max(0, search.cursor - (search.text.count - visible.count)))))
            canvas.restyle(x: cursorX, y: tabRow, width: 1, style: Style(reverse: true, color: .search))
        }
    }

    private static func drawTable(_ state: AppState, into canvas: inout Canvas) {
        let layout = TableLayout(width: state.width)
        let order = state.table.order
        for (column, x, width) in layout.columns {
            var title = column.title
            if column.sort == order.sort && (column.title != "Status") { title += order.descending ? " ▼" : " ▲" }
            canvas.put(title, x: x, y: headingRow, style: Style(bold: true, underline: true), maxWidth: width)
        }
        let rows = state.table.rows
        if rows.isEmpty {
            let query = state.table.search.text
            let text = state.actorRemoved ? "Your account was removed by an administrator; it can no longer see or change tokens"
                : state.databaseProblem != nil ? unavailableNote
                : query.isEmpty
                ? (state.tab == .personal ? "You have no personal access tokens yet — press n to create one"
                                                : "No tokens yet — press n to create one")
                : "No tokens match “\(query)” — Esc clears the search"
            canvas.put(text, x: max(2, (state.width - DisplayWidth.of(text)) / 2), y: firstRow + 1, style: Style(dim: true))
            return
        }
        for (index, token) in rows.enumerated() {
            let y = firstRow + index
            let status = token.status(at: state.now)
            var style = Style()
            switch status {
            case .expired: style.color = .danger
            case .expiring: style.color = .warning
            case .inactive: style.dim = true
            case .active: break
            }
            let selected = index == state.table.selection
            if selected { style.reverse = true; style.bold = true }
            canvas.fill(x: 0, y: y, width: state.width, height: 1, style: style)
            if state.table.isMarked(token) { canvas.put("●", x: 0, y: y, style: Style(bold: true, reverse: selected, color: .mark)) }
            for (column, x, width) in layout.columns {
                var cellStyle = style
                if column.title == "Status" && status != .active { cellStyle.bold = true }
                canvas.put(column.value(token, state.now), x: x, y: y, style: cellStyle, maxWidth: width)
            }
        }
    }

    private static func drawWaiting(_ seconds: Int, state: AppState, into canvas: inout Canvas) {
        let y = state.height - 2
        let text = " Waiting for the database… \(seconds) s · Ctrl-C quits"
        canvas.fill(x: 0, y: y, width: state.width, height: 1, style: .plain)
        canvas.put(text, x: 0, y: y, style: Style(bold: true, color: .warning), maxWidth: state.width)
    }

    private static func drawStatus(_ state: AppState, into canvas: inout Canvas) {
        let y = state.height - 2
        if let message = state.statusNote {
            let style = message.isError ? Style(bold: true, color: .danger) : Style(color: .success)
            // A message wider than the screen takes the rows above too, over the last rows of the list, rather than
            // losing its end (where an error says that nothing was changed).
            let lines = DisplayWidth.wrap(message.text, width: state.width - 2).prefix(3).map { " " + $0 }
            for (index, line) in lines.enumerated() {
                let row = y - lines.count + 1 + index
                canvas.fill(x: 0, y: row, width: state.width, height: 1, style: .plain)
                canvas.put(line, x: 0, y: row, style: style, maxWidth: state.width)
            }
            return
        }
        let table = state.table
        var parts: [String] = []
        if state.onAuditLog {
            if let event = state.audit.selected { parts.append("event #\(event.id) of the newest \(state.audit.events.count)") }
            if !state.audit.search.text.isEmpty { parts.append("filter “\(state.audit.search.text)”") }
        } else {
            let sortName = TokenColumn.all.first { $0.sort == table.order.sort }?.title ?? table.order.sort.rawValue
            parts.append("sorted by \(sortName) \(table.order.descending ? "▼" : "▲")")
            if !table.search.text.isEmpty { parts.append("filter “\(table.search.text)”") }
            if table.markedCount > 0 { parts.append("\(table.markedCount) marked") }
            if let token = table.selected {
                parts.append("#\(token.id) \(token.hint)")
                if let end = token.graceEnd(at: state.now) { parts.append("previous secret works until \(RFC3339.string(end))") }
                parts.append(token.allowedIPs.allowsAny ? "any IP"
                             : token.allowedIPs.isUnreadable ? "IP allow-list unreadable: no address allowed" : "IPs \(token.allowedIPs)")
            }
        }
        canvas.put(" " + parts.joined(separator: " · "), x: 0, y: y, style: Style(dim: true))
    }

    private static func drawFooter(_ state: AppState, keys: Keybindings, into canvas: inout Canvas) {
        let y = state.height - 1
        canvas.fill(x: 0, y: y, width: state.width, height: 1, style: Style(reverse: true))
        var x = 1
        for binding in keys.footer(for: state) {
            guard let text = binding.footer else { continue }
            let key = binding.keys[0].label
            let width = DisplayWidth.of(key) + DisplayWidth.of(text) + 3
            guard x + width <= state.width else { break }
            canvas.put(key, x: x, y: y, style: Style(bold: true, reverse: true, color: .accent))
            canvas.put(text, x: x + DisplayWidth.of(key) + 1, y: y, style: Style(reverse: true))
            x += width
        }
    }
}

/// The audit log tab.
enum AuditView {
    static func draw(_ state: AppState, into canvas: inout Canvas) {
        let columns: [(String, Int)] = [("Time", 20), ("Actor", 12), ("Action", 15), ("Token", 24)]
        var x = 1
        var positions: [Int] = []
        for (title, width) in columns {
            canvas.put(title, x: x, y: Screen.headingRow, style: Style(bold: true, underline: true), maxWidth: width)
            positions.append(x)
            x += width + 1
        }
        canvas.put("Details", x: x, y: Screen.headingRow, style: Style(bold: true, underline: true))
        if state.audit.events.isEmpty {
            let query = state.audit.search.text
            let text = state.databaseProblem != nil ? Screen.unavailableNote
                : query.isEmpty ? "No audit events yet" : "No events match “\(query)” — Esc clears the search"
            canvas.put(text, x: max(2, (state.width - DisplayWidth.of(text)) / 2), y: Screen.firstRow + 1, style: Style(dim: true))
        }
        for (index, event) in state.audit.visible(rows: state.pageSize).enumerated() {
            let y = Screen.firstRow + index
            let style = state.audit.offset + index == state.audit.selection ? Style(bold: true, reverse: true) : Style()
            canvas.fill(x: 0, y: y, width: state.width, height: 1, style: style)
            let token = event.tokenID.map { "#\($0) \(event.tokenName ?? "")" } ?? ""
            let values = [TimeText.minute(event.at), event.actor, event.action, token]
            for (column, value) in values.enumerated() {
                canvas.put(value, x: positions[column], y: y, style: style, maxWidth: columns[column].1)
            }
            canvas.put(event.details, x: x, y: y, style: style, maxWidth: state.width - x)
        }
    }
}
