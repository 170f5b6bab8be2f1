import TokenDomain
import TokenViewModels

/// One entry of a screen's key table: the keys, what they do, and how help and the footer describe it.
public struct Binding: Sendable {
    public let keys: [Key]
    public let action: Action
    public let description: String
    /// The short label shown in the footer, for the bindings that appear there.
    public let footer: String?

    init(_ keys: [Key], _ action: Action, _ description: String, footer: String? = nil) {
        self.keys = keys
        self.action = action
        self.description = description
        self.footer = footer
    }

    /// The keys as written in help: `↑ k`.
    public var keyLabel: String { keys.map(\.label).joined(separator: " ") }

    /// Why this binding cannot act in this state, or nil when it can: such a binding leaves the footer, and its key
    /// says why.
    public func reasonUnavailable(in state: AppState) -> String? { state.reasonUnavailable(action) }
}

/// Where the keyboard is: decides which table of bindings applies.
public enum KeyContext: Hashable, Sendable, CaseIterable {
    case table, search, audit, auditSearch, formText, formChoice, reveal, confirm, details, help

    /// The context for the current state.
    public init(_ state: AppState) {
        if state.helpVisible { self = .help; return }
        switch state.modal {
        case .form(let form): self = form.focusIsText ? .formText : .formChoice
        case .reveal: self = .reveal
        case .confirm: self = .confirm
        case .details: self = .details
        case nil where state.onAuditLog: self = state.audit.isSearching ? .auditSearch : .audit
        case nil: self = state.table.isSearching ? .search : .table
        }
    }

    /// The title of the help overlay for this context.
    public var title: String {
        switch self {
        case .table: "Token table"
        case .search, .auditSearch: "Search box"
        case .audit: "Audit Log"
        case .formText, .formChoice: "Token form"
        case .reveal: "Secret reveal"
        case .confirm: "Confirmation"
        case .details: "Details"
        case .help: "Help"
        }
    }
}

/// The key tables of every screen; dispatch, footer hints and the help overlay all read these.
public enum Keybindings {
    static let help = Binding([.character("?"), .f1], .showHelp, "Show this help", footer: "Help")
    static let textHelp = Binding([.f1], .showHelp, "Show this help (? types a question mark here)", footer: "Help")
    static let quitAnywhere = Binding([.control("c")], .quit, "Quit at once")
    static let suspend = Binding([.control("z")], .suspend, "Suspend to the shell (fg returns)")

    /// The keys of every text input; a search box and the form's text fields wrap them in their own action.
    static func textEditing(_ edit: (TextField.Edit) -> Action) -> [Binding] {
        [
            Binding([.left], edit(.left), "Move the cursor left"),
            Binding([.right], edit(.right), "Move the cursor right"),
            Binding([.home, .control("a")], edit(.home), "Cursor to the start"),
            Binding([.end, .control("e")], edit(.end), "Cursor to the end"),
            Binding([.backspace], edit(.backspace), "Delete before the cursor"),
            Binding([.delete], edit(.deleteForward), "Delete under the cursor"),
            Binding([.control("u")], edit(.clear), "Clear the field"),
        ]
    }

    /// Line, page and end movement, for a list or a scrolling sheet.
    static func movement(_ move: (Movement) -> Action, rows: String) -> [Binding] {
        [
            Binding([.up, .character("k")], move(.up), "Up"),
            Binding([.down, .character("j")], move(.down), "Down"),
            Binding([.pageUp], move(.pageUp), "Page up"),
            Binding([.pageDown], move(.pageDown), "Page down"),
            Binding([.home, .character("g")], move(.home), "First \(rows)"),
            Binding([.end, .character("G")], move(.end), "Last \(rows)"),
        ]
    }

    static let tabs: [Binding] = [
        Binding([.tab], .switchTab(.next), "Next tab"),
        Binding([.backTab], .switchTab(.previous), "Previous tab"),
        Binding([.character("1")], .switchTab(.number(1)), "First tab"),
        Binding([.character("2")], .switchTab(.number(2)), "Second tab"),
        Binding([.character("3")], .switchTab(.number(3)), "Third tab"),
    ]

    static let formCommon: [Binding] = [
        Binding([.tab, .down], .form(.focus(1)), "Next field", footer: "Next"),
        Binding([.backTab, .up], .form(.focus(-1)), "Previous field"),
        Binding([.control("s")], .form(.submit), "Create / save the token", footer: "Save"),
        Binding([.enter], .form(.activate), "Press the focused button, else go to the next field"),
        Binding([.escape], .escape, "Cancel the form", footer: "Cancel"),
    ]

    /// The bindings that apply in a context, in the order help lists them.
    public static func bindings(for context: KeyContext) -> [Binding] {
        switch context {
        case .table:
            return [
                Binding([.character("n")], .table(.newToken), "New token", footer: "New"),
                Binding([.enter, .character("e")], .table(.edit), "Edit the selected token", footer: "Edit"),
                Binding([.character("d")], .table(.details), "Details: every field and the token's own history", footer: "Details"),
                Binding([.character("r")], .table(.refresh), "Refresh: expiry becomes now + expires-in", footer: "Refresh"),
                Binding([.character("R")], .table(.roll), "Roll the secret (asks first)", footer: "Roll"),
                Binding([.character("x"), .delete], .table(.revoke), "Revoke the selected or marked tokens (asks first)", footer: "Revoke"),
                Binding([.character(" ")], .table(.toggleMark), "Mark / unmark the row"),
                Binding([.character("A")], .table(.markAll), "Mark every token matching the search (again: unmark all)"),
                Binding([.character("/")], .table(.openSearch), "Search by name or creator", footer: "Search"),
                Binding([.character("s")], .table(.sortNext), "Sort by the next column", footer: "Sort"),
                Binding([.character("S")], .table(.sortReverse), "Reverse the sort order"),
            ] + movement({ .table(.move($0)) }, rows: "row") + tabs + [
                Binding([.escape], .escape, "Clear the search"),
                help,
                Binding([.character("q")], .quit, "Quit", footer: "Quit"),
                quitAnywhere,
                suspend,
            ]
        case .audit:
            return [
                Binding([.enter, .character("d")], .audit(.details), "Show the selected event in full", footer: "Details"),
                Binding([.character("/")], .audit(.openSearch), "Search by actor, action or token name", footer: "Search"),
            ] + movement({ .audit(.move($0)) }, rows: "event") + tabs + [
                Binding([.escape], .escape, "Clear the search"),
                help,
                Binding([.character("q")], .quit, "Quit", footer: "Quit"),
                quitAnywhere,
                suspend,
            ]
        case .search:
            return searchBox(keep: .table(.keepSearch), edit: { .table(.search($0)) }, move: { .table(.move($0)) })
        case .auditSearch:
            return searchBox(keep: .audit(.keepSearch), edit: { .audit(.search($0)) }, move: { .audit(.move($0)) })
        case .formText:
            return formCommon + textEditing { .form(.edit($0)) } + [textHelp, quitAnywhere, suspend]
        case .formChoice:
            return formCommon + [
                Binding([.character(" ")], .form(.toggle), "Toggle the checkbox", footer: "Toggle"),
                Binding([.left], .form(.choice(-1)), "Previous choice (Type, Expires in, Team)", footer: "Choose"),
                Binding([.right], .form(.choice(1)), "Next choice (Type, Expires in, Team)"),
                help,
                quitAnywhere,
                suspend,
            ]
        case .reveal:
            return [
                Binding([.character("c")], .reveal(.copy), "Copy the secret to the clipboard (OSC 52)", footer: "Copy"),
                Binding([.enter, .escape], .reveal(.close), "Close: the secret is gone for good", footer: "Close"),
                help,
                quitAnywhere,
                suspend,
            ]
        case .confirm:
            return [
                Binding([.character("y")], .confirm(.answer(true)), "Yes", footer: "Yes"),
                Binding([.character("n")], .confirm(.answer(false)), "No", footer: "No"),
                Binding([.enter], .confirm(.activate), "Press the focused button (No first)", footer: "Answer"),
                Binding([.left, .right, .tab, .backTab], .confirm(.switchFocus), "Move between the buttons"),
                Binding([.up], .confirm(.grace(-1)), "Roll: shorter grace for the current secret"),
                Binding([.down], .confirm(.grace(1)), "Roll: longer grace for the current secret"),
                Binding([.escape], .escape, "No"),
                help,
                quitAnywhere,
                suspend,
            ]
        case .details:
            return [Binding([.escape, .enter], .details(.close), "Close", footer: "Close")]
                + movement({ .details(.scroll($0)) }, rows: "line")
                + [help, quitAnywhere, suspend]
        case .help:
            return [Binding([.escape, .character("?"), .character("q"), .f1], .escape, "Close help", footer: "Close")]
                + movement({ .help(.scroll($0)) }, rows: "line")
                + [quitAnywhere, suspend]
        }
    }

    /// A search box: Enter keeps the filter, Esc clears it, the text keys edit, ↑ ↓ still move in the list.
    private static func searchBox(keep: Action, edit: (TextField.Edit) -> Action, move: (Movement) -> Action) -> [Binding] {
        [
            Binding([.enter], keep, "Keep the filter and return to the list", footer: "Keep"),
            Binding([.escape], .escape, "Clear the filter", footer: "Clear"),
        ] + textEditing(edit) + [
            Binding([.up], move(.up), "Move up"),
            Binding([.down], move(.down), "Move down"),
            textHelp,
            quitAnywhere,
            suspend,
        ]
    }

    /// The bindings the footer offers in this state: those with a label that can act now.
    public static func footer(for state: AppState) -> [Binding] {
        bindings(for: KeyContext(state)).filter { $0.footer != nil && $0.reasonUnavailable(in: state) == nil }
    }

    /// How many lines the help overlay lists for a state.
    public static func helpLength(_ state: AppState) -> Int { bindings(for: KeyContext(state)).count }

    /// The action a key causes in this state, or nil when it means nothing here. A key bound to something that
    /// cannot act now causes `.unavailable` with the reason.
    public static func action(for key: Key, in state: AppState) -> Action? {
        if case .resize(let width, let height) = key { return .resize(width: width, height: height) }
        let context = KeyContext(state)
        if case .click(let x, let y) = key { return MouseTargets.action(x: x, y: y, state: state) }
        if key == .scrollUp || key == .scrollDown {
            let movement: Movement = key == .scrollUp ? .up : .down
            switch context {
            case .table: return .table(.move(movement))
            case .audit: return .audit(.move(movement))
            case .details: return .details(.scroll(movement))
            case .help: return .help(.scroll(movement))
            default: return nil
            }
        }
        if let binding = bindings(for: context).first(where: { $0.keys.contains(key) }) {
            return binding.reasonUnavailable(in: state).map(Action.unavailable) ?? binding.action
        }
        if case .character(let character) = key {
            switch context {
            case .search: return .table(.search(.insert(character)))
            case .auditSearch: return .audit(.search(.insert(character)))
            case .formText: return .form(.edit(.insert(character)))
            default: return nil
            }
        }
        return nil
    }
}
