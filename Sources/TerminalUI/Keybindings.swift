import TokenDomain
import TokenViewModels

/// One entry of a screen's key table: the keys, what they do, and how help and the footer describe it.
public struct Binding: Sendable {
    /// The action's name in config.toml's `[keys]` and in `apitokens keys`.
    public let name: String
    public internal(set) var keys: [Key]
    public let action: Action
    public let description: String
    /// The short label shown in the footer, for the bindings that appear there.
    public let footer: String?

    init(_ name: String, _ keys: [Key], _ action: Action, _ description: String, footer: String? = nil) {
        self.name = name
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

/// The key tables of every screen, as config.toml may have changed them; dispatch, footer hints and the help
/// overlay all read these, so help shows the keys in force.
public struct Keybindings: Sendable {
    /// Keys chosen in config.toml, by action name; every other binding keeps its default keys.
    public let overrides: [String: [Key]]
    /// Every context's bindings with the keys in force, built once: dispatch and every frame read them.
    private let tables: [KeyContext: [Binding]]

    public init(overrides: [String: [Key]] = [:]) {
        self.overrides = overrides
        tables = Dictionary(uniqueKeysWithValues: KeyContext.allCases.map { context in
            (context, Self.defaults(for: context).map { binding in
                var binding = binding
                if let keys = overrides[binding.name] { binding.keys = keys }
                return binding
            })
        })
    }

    /// The defaults, with nothing changed.
    public static let standard = Keybindings()

    static let help = Binding("help", [.character("?"), .f1], .showHelp, "Show this help", footer: "Help")
    static let textHelp = Binding("help_in_text", [.f1], .showHelp, "Show this help (? types a question mark here)", footer: "Help")
    static let quitAnywhere = Binding("quit_now", [.control("c")], .quit, "Quit at once")
    static let suspend = Binding("suspend", [.control("z")], .suspend, "Suspend to the shell (fg returns)")

    /// The keys of every text input; a search box and the form's text fields wrap them in their own action.
    static func textEditing(_ edit: (TextField.Edit) -> Action) -> [Binding] {
        [
            Binding("cursor_left", [.left], edit(.left), "Move the cursor left"),
            Binding("cursor_right", [.right], edit(.right), "Move the cursor right"),
            Binding("cursor_start", [.home, .control("a")], edit(.home), "Cursor to the start"),
            Binding("cursor_end", [.end, .control("e")], edit(.end), "Cursor to the end"),
            Binding("delete_back", [.backspace], edit(.backspace), "Delete before the cursor"),
            Binding("delete_forward", [.delete], edit(.deleteForward), "Delete under the cursor"),
            Binding("clear_field", [.control("u")], edit(.clear), "Clear the field"),
        ]
    }

    /// Line, page and end movement, for a list or a scrolling sheet.
    static func movement(_ move: (Movement) -> Action, rows: String) -> [Binding] {
        [
            Binding("up", [.up, .character("k")], move(.up), "Up"),
            Binding("down", [.down, .character("j")], move(.down), "Down"),
            Binding("page_up", [.pageUp], move(.pageUp), "Page up"),
            Binding("page_down", [.pageDown], move(.pageDown), "Page down"),
            Binding("first", [.home, .character("g")], move(.home), "First \(rows)"),
            Binding("last", [.end, .character("G")], move(.end), "Last \(rows)"),
        ]
    }

    static let tabs: [Binding] = [
        Binding("next_tab", [.tab], .switchTab(.next), "Next tab"),
        Binding("previous_tab", [.backTab], .switchTab(.previous), "Previous tab"),
        Binding("tab_1", [.character("1")], .switchTab(.number(1)), "First tab"),
        Binding("tab_2", [.character("2")], .switchTab(.number(2)), "Second tab"),
        Binding("tab_3", [.character("3")], .switchTab(.number(3)), "Third tab"),
    ]

    static let formCommon: [Binding] = [
        Binding("next_field", [.tab, .down], .form(.focus(1)), "Next field", footer: "Next"),
        Binding("previous_field", [.backTab, .up], .form(.focus(-1)), "Previous field"),
        Binding("save", [.control("s")], .form(.submit), "Create / save the token", footer: "Save"),
        Binding("press", [.enter], .form(.activate), "Press the focused button, else go to the next field"),
        Binding("back", [.escape], .escape, "Cancel the form", footer: "Cancel"),
    ]

    /// The bindings that apply in a context, in the order help lists them, with the keys in force.
    public func bindings(for context: KeyContext) -> [Binding] { tables[context] ?? [] }

    /// The contexts where text is typed: a printable key bound there could no longer be typed.
    static let textContexts: Set<KeyContext> = [.search, .auditSearch, .formText]

    /// Every action name once, with its description where it first appears and its default keys.
    public static var actions: [(name: String, description: String, keys: [Key])] {
        var seen: Set<String> = []
        return KeyContext.allCases.flatMap(defaults(for:)).filter { seen.insert($0.name).inserted }
            .map { ($0.name, $0.description, $0.keys) }
    }

    /// What is wrong with the overrides, by action name: a key bound twice in one context, or a printable key
    /// where text is typed.
    func problems() -> [(name: String, problem: String)] {
        var found: [(String, String)] = []
        for context in KeyContext.allCases {
            let bindings = bindings(for: context)
            for binding in bindings where overrides[binding.name] != nil {
                for key in binding.keys {
                    if let other = bindings.first(where: { $0.name != binding.name && $0.keys.contains(key) }) {
                        found.append((binding.name, "\(key.configName) is already \(other.name) in the \(context.title.lowercased())"))
                    } else if Self.textContexts.contains(context), case .character = key {
                        found.append((binding.name, "\(key.configName) would no longer type in the \(context.title.lowercased())"))
                    }
                }
            }
        }
        var seen: Set<String> = []
        return found.filter { seen.insert($0.0).inserted }.map { (name: $0.0, problem: $0.1) }
    }

    /// The default bindings of a context, in the order help lists them.
    static func defaults(for context: KeyContext) -> [Binding] {
        switch context {
        case .table:
            return [
                Binding("new", [.character("n")], .table(.newToken), "New token", footer: "New"),
                Binding("edit", [.enter, .character("e")], .table(.edit), "Edit the selected token", footer: "Edit"),
                Binding("details", [.character("d")], .table(.details), "Details: every field and the token's own history", footer: "Details"),
                Binding("refresh", [.character("r")], .table(.refresh), "Refresh: expiry becomes now + expires-in", footer: "Refresh"),
                Binding("roll", [.character("R")], .table(.roll), "Roll the secret (asks first)", footer: "Roll"),
                Binding("revoke", [.character("x"), .delete], .table(.revoke), "Revoke the selected or marked tokens (asks first)", footer: "Revoke"),
                Binding("mark", [.character(" ")], .table(.toggleMark), "Mark / unmark the row"),
                Binding("mark_all", [.character("A")], .table(.markAll), "Mark every token matching the search (again: unmark all)"),
                Binding("search", [.character("/")], .table(.openSearch), "Search by name or creator", footer: "Search"),
                Binding("sort", [.character("s")], .table(.sortNext), "Sort by the next column", footer: "Sort"),
                Binding("sort_reverse", [.character("S")], .table(.sortReverse), "Reverse the sort order"),
            ] + movement({ .table(.move($0)) }, rows: "row") + tabs + [
                Binding("back", [.escape], .escape, "Clear the search"),
                help,
                Binding("quit", [.character("q")], .quit, "Quit", footer: "Quit"),
                quitAnywhere,
                suspend,
            ]
        case .audit:
            return [
                Binding("show_event", [.enter, .character("d")], .audit(.details), "Show the selected event in full", footer: "Details"),
                Binding("search", [.character("/")], .audit(.openSearch), "Search by actor, action or token name", footer: "Search"),
            ] + movement({ .audit(.move($0)) }, rows: "event") + tabs + [
                Binding("back", [.escape], .escape, "Clear the search"),
                help,
                Binding("quit", [.character("q")], .quit, "Quit", footer: "Quit"),
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
                Binding("toggle", [.character(" ")], .form(.toggle), "Toggle the checkbox", footer: "Toggle"),
                Binding("previous_choice", [.left], .form(.choice(-1)), "Previous choice (Type, Expires in, Team)", footer: "Choose"),
                Binding("next_choice", [.right], .form(.choice(1)), "Next choice (Type, Expires in, Team)"),
                help,
                quitAnywhere,
                suspend,
            ]
        case .reveal:
            return [
                Binding("copy", [.character("c")], .reveal(.copy), "Copy the secret to the clipboard (OSC 52)", footer: "Copy"),
                Binding("close_secret", [.enter, .escape], .reveal(.close), "Close: the secret is gone for good", footer: "Close"),
                help,
                quitAnywhere,
                suspend,
            ]
        case .confirm:
            return [
                Binding("yes", [.character("y")], .confirm(.answer(true)), "Yes", footer: "Yes"),
                Binding("no", [.character("n")], .confirm(.answer(false)), "No", footer: "No"),
                Binding("press", [.enter], .confirm(.activate), "Press the focused button (No first)", footer: "Answer"),
                Binding("switch_button", [.left, .right, .tab, .backTab], .confirm(.switchFocus), "Move between the buttons"),
                Binding("shorter_grace", [.up], .confirm(.grace(-1)), "Roll: shorter grace for the current secret"),
                Binding("longer_grace", [.down], .confirm(.grace(1)), "Roll: longer grace for the current secret"),
                Binding("back", [.escape], .escape, "No"),
                help,
                quitAnywhere,
                suspend,
            ]
        case .details:
            return [Binding("close_details", [.escape, .enter], .details(.close), "Close", footer: "Close")]
                + movement({ .details(.scroll($0)) }, rows: "line")
                + [help, quitAnywhere, suspend]
        case .help:
            return [Binding("close_help", [.escape, .character("?"), .character("q"), .f1], .escape, "Close help", footer: "Close")]
                + movement({ .help(.scroll($0)) }, rows: "line")
                + [quitAnywhere, suspend]
        }
    }

    /// A search box: Enter keeps the filter, Esc clears it, the text keys edit, ↑ ↓ still move in the list.
    private static func searchBox(keep: Action, edit: (TextField.Edit) -> Action, move: (Movement) -> Action) -> [Binding] {
        [
            Binding("keep_search", [.enter], keep, "Keep the filter and return to the list", footer: "Keep"),
            Binding("back", [.escape], .escape, "Clear the filter", footer: "Clear"),
        ] + textEditing(edit) + [
            Binding("search_up", [.up], move(.up), "Move up"),
            Binding("search_down", [.down], move(.down), "Move down"),
            textHelp,
            quitAnywhere,
            suspend,
        ]
    }

    /// The bindings the footer offers in this state: those with a label that can act now.
    public func footer(for state: AppState) -> [Binding] {
        bindings(for: KeyContext(state)).filter { $0.footer != nil && state.offers($0.action) }
    }

    /// How many lines the help overlay lists for a state.
    public func helpLength(_ state: AppState) -> Int { bindings(for: KeyContext(state)).count }

    /// The action a key causes in this state, or nil when it means nothing here. A key bound to something that
    /// cannot act now causes `.unavailable` with the reason.
    public func action(for key: Key, in state: AppState) -> Action? {
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
        if context == .audit, let binding = bindings(for: .table).first(where: { $0.keys.contains(key) }) {
            return .unavailable("\(binding.description) works on the token tabs (1, 2); the Audit Log changes nothing")
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
