import Foundation
import TokenDomain
import TokenViewModels

/// A column of the token table: its heading, the sort it stands for, and how it shrinks.
struct TokenColumn: Sendable {
    let title: String
    let sort: TokenSort?
    let width: Int
    /// Lower numbers are dropped first on narrow terminals; nil never drops.
    let dropRank: Int?
    let value: @Sendable (Token, Date) -> String

    static let all: [TokenColumn] = [
        TokenColumn(title: "Name", sort: .name, width: 16, dropRank: nil) { token, _ in token.name },
        TokenColumn(title: "Type", sort: .kind, width: 8, dropRank: 3) { token, _ in token.kind.label },
        TokenColumn(title: "Created by", sort: .owner, width: 14, dropRank: 5) { token, _ in token.ownerName },
        TokenColumn(title: "Team", sort: .team, width: 14, dropRank: 4) { token, _ in token.team },
        TokenColumn(title: "Permissions", sort: nil, width: 18, dropRank: 2) { token, _ in
            let labels = token.permissions.map(\.label)
            return labels.count == Permission.allCases.count ? "All" : labels.count == 1
                ? labels[0] : "\(labels[0]) +\(labels.count - 1)"
        },
        TokenColumn(title: "Last used", sort: .lastUsed, width: 10, dropRank: 0) { token, now in
            TimeText.relative(token.lastUsedAt, now: now)
        },
        TokenColumn(title: "Created", sort: .created, width: 10, dropRank: 1) { token, _ in TimeText.day(token.createdAt) },
        TokenColumn(title: "Expires at", sort: .expires, width: 16, dropRank: nil) { token, _ in
            token.expiresAt.map(TimeText.minute) ?? "Never"
        },
        TokenColumn(title: "Status", sort: .expires, width: 8, dropRank: nil) { token, now in token.status(at: now).label },
    ]
}

/// Where each visible column sits for a terminal width; shared by drawing and mouse hit-testing.
struct TableLayout {
    /// Columns on screen with their x position and width.
    let columns: [(column: TokenColumn, x: Int, width: Int)]

    /// The mark column at the left edge.
    static let markWidth = 2

    init(width: Int) {
        var kept = TokenColumn.all
        func needed(_ columns: [TokenColumn]) -> Int {
            Self.markWidth + columns.reduce(0) { $0 + $1.width } + columns.count - 1
        }
        let dropOrder = TokenColumn.all.compactMap(\.dropRank).sorted()
        for rank in dropOrder where needed(kept) > width {
            kept.removeAll { $0.dropRank == rank }
        }
        let spare = max(0, width - needed(kept))
        var x = Self.markWidth
        var placed: [(TokenColumn, Int, Int)] = []
        for column in kept {
            // The name takes the spare room, up to a point; the rest goes to the creator and team.
            let extra = column.title == "Name" ? min(spare, 40) : 0
            placed.append((column, x, column.width + extra))
            x += column.width + extra + 1
        }
        columns = placed
    }

    /// The column under an x position.
    func column(at x: Int) -> TokenColumn? {
        columns.first { x >= $0.x && x < $0.x + $0.width + 1 }?.column
    }
}

/// Times as the table shows them.
enum TimeText {
    static func day(_ date: Date) -> String { String(RFC3339.string(date).prefix(10)) }

    static func minute(_ date: Date) -> String {
        let text = RFC3339.string(date)
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
    }

    static func relative(_ date: Date?, now: Date) -> String {
        guard let date else { return "never" }
        let seconds = Int(now.timeIntervalSince(date))
        switch seconds {
        case ..<60: return "just now"
        case ..<3_600: return "\(seconds / 60)m ago"
        case ..<86_400: return "\(seconds / 3_600)h ago"
        default: return "\(seconds / 86_400)d ago"
        }
    }
}

/// Turns mouse clicks into actions: headings sort, rows select, tabs switch.
enum MouseTargets {
    static func action(x: Int, y: Int, state: AppState) -> Action? {
        guard state.modal == nil, !state.helpVisible else { return nil }
        switch y {
        case Screen.tabRow:
            return Screen.tabRanges(state).firstIndex { $0.contains(x) }.map { .switchTab(.number($0 + 1)) }
        case Screen.headingRow where !state.onAuditLog:
            return TableLayout(width: state.width).column(at: x)?.sort.map { .table(.sortBy($0)) }
        case Screen.firstRow..<(Screen.firstRow + state.pageSize):
            return state.onAuditLog ? .audit(.selectRow(y - Screen.firstRow)) : .table(.selectRow(y - Screen.firstRow))
        default:
            return nil
        }
    }
}
