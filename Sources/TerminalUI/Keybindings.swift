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
}

/// Where the keyboard is: decides which table of bindings applies.
public enum KeyContext: Hashable, Sendable {
    case table, search, formText, formChoice, reveal, confirm, event, help

    /// The context for the current state.
    public init(_ state: AppState) {
        if state.helpVisible { self = .help; return }
        switch state.modal {
        case .form(let form): self = form.focusIsText ? .formText : .formChoice
        case .reveal: self = .reveal
        case .confirm: self = .confirm
        case .event: self = .event
        case nil: self = state.table.isSearching ? .search : .table
        }
    }

    /// The title of the help overlay for this context.
    public var title: String {
        switch self {
        case .table: "Token table"
        case .search: "Search box"
        case .formText, .formChoice: "Token form"
        case .reveal: "Secret reveal"
        case .confirm: "Confirmation"
        case .event: "Audit event"
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

    static let textEditing: [Binding] = [
        Binding([.left], .formEdit(.left), "Move the cursor left"),
        Binding([.right], .formEdit(.right), "Move the cursor right"),
        Binding([.home, .control("a")], .formEdit(.home), "Cursor to the start"),
        Binding([.end, .control("e")], .formEdit(.end), "Cursor to the end"),
        Binding([.backspace], .formEdit(.backspace), "Delete before the cursor"),
        Binding([.delete], .formEdit(.deleteForward), "Delete under the cursor"),
        Binding([.control("u")], .formEdit(.clear), "Clear the field"),
    ]

    static let formCommon: [Binding] = [
        Binding([.tab, .down], .formFocus(1), "Next field", footer: "Next"),
        Binding([.backTab, .up], .formFocus(-1), "Previous field"),
        Binding([.control("s")], .formSubmit, "Create / save the token", footer: "Save"),
        Binding([.enter], .formActivate, "Press the focused button, else go to the next field"),
        Binding([.escape], .escape, "Cancel the form", footer: "Cancel"),
    ]

    /// The bindings that apply in a context, in the order help lists them.
    public static func bindings(for context: KeyContext) -> [Binding] {
        switch context {
        case .table:
            return [
                Binding([.character("n")], .newToken, "New token", footer: "New"),
                Binding([.enter, .character("e")], .editSelected, "Edit the selected token (Audit Log: show the event)", footer: "Edit"),
                Binding([.character("r")], .refreshSelected, "Refresh: expiry becomes now + expires-in", footer: "Refresh"),
                Binding([.character("R")], .rollSelected, "Roll the secret (asks first)", footer: "Roll"),
                Binding([.character("x"), .delete], .revokeSelected, "Revoke the selected or marked tokens (asks first)", footer: "Revoke"),
                Binding([.character(" ")], .toggleMark, "Mark / unmark the row"),
                Binding([.character("A")], .markAll, "Mark every token matching the search (again: unmark all)"),
                Binding([.character("/")], .openSearch, "Search by name or creator (Audit Log: actor, action, token name)", footer: "Search"),
                Binding([.character("s")], .sortNext, "Sort by the next column", footer: "Sort"),
                Binding([.character("S")], .sortReverse, "Reverse the sort order"),
                Binding([.up, .character("k")], .move(.up), "Move up"),
                Binding([.down, .character("j")], .move(.down), "Move down"),
                Binding([.pageUp], .move(.pageUp), "Page up"),
                Binding([.pageDown], .move(.pageDown), "Page down"),
                Binding([.home, .character("g")], .move(.home), "First row"),
                Binding([.end, .character("G")], .move(.end), "Last row"),
                Binding([.tab], .nextTab, "Next tab"),
                Binding([.backTab], .previousTab, "Previous tab"),
                Binding([.character("1")], .selectTab(1), "First tab"),
                Binding([.character("2")], .selectTab(2), "Second tab"),
                Binding([.character("3")], .selectTab(3), "Third tab"),
                Binding([.escape], .escape, "Clear the search"),
                help,
                Binding([.character("q")], .quit, "Quit", footer: "Quit"),
                quitAnywhere,
                suspend,
            ]
        case .search:
            return [
                Binding([.enter], .keepSearch, "Keep the filter and return to the table", footer: "Keep"),
                Binding([.escape], .escape, "Clear the filter", footer: "Clear"),
                Binding([.backspace], .searchEdit(.backspace), "Delete before the cursor"),
                Binding([.left], .searchEdit(.left), "Move the cursor left"),
                Binding([.right], .searchEdit(.right), "Move the cursor right"),
                Binding([.control("u")], .searchEdit(.clear), "Clear the query"),
                Binding([.up], .move(.up), "Move up"),
                Binding([.down], .move(.down), "Move down"),
                textHelp,
                quitAnywhere,
                suspend,
            ]
        case .formText:
            return formCommon + textEditing + [textHelp, quitAnywhere, suspend]
        case .formChoice:
            return formCommon + [
                Binding([.character(" ")], .formToggle, "Toggle the checkbox", footer: "Toggle"),
                Binding([.left], .formChoice(-1), "Previous choice (Type, Expires in, Team)", footer: "Choose"),
                Binding([.right], .formChoice(1), "Next choice (Type, Expires in, Team)"),
                help,
                quitAnywhere,
                suspend,
            ]
        case .reveal:
            return [
                Binding([.character("c")], .copySecret, "Copy the secret to the clipboard (OSC 52)", footer: "Copy"),
                Binding([.enter, .escape], .closeReveal, "Close: the secret is gone for good", footer: "Close"),
                help,
                quitAnywhere,
                suspend,
            ]
        case .confirm:
            return [
                Binding([.character("y")], .answer(true), "Yes", footer: "Yes"),
                Binding([.character("n")], .answer(false), "No", footer: "No"),
                Binding([.enter], .confirmActivate, "Press the focused button (No first)", footer: "Answer"),
                Binding([.left, .right, .tab, .backTab], .confirmSwitchFocus, "Move between the buttons"),
                Binding([.up], .confirmChoice(-1), "Roll: shorter grace for the current secret"),
                Binding([.down], .confirmChoice(1), "Roll: longer grace for the current secret"),
                Binding([.escape], .escape, "No"),
                help,
                quitAnywhere,
                suspend,
            ]
        case .event:
            return [
                Binding([.enter, .escape], .closeReveal, "Close", footer: "Close"),
                help,
                quitAnywhere,
                suspend,
            ]
        case .help:
            return [
                Binding([.escape, .character("?"), .character("q"), .f1], .escape, "Close help", footer: "Close"),
                quitAnywhere,
                suspend,
            ]
        }
    }

    /// The action a key causes in this state, or nil when it means nothing here.
    public static func action(for key: Key, in state: AppState) -> Action? {
        if case .resize(let width, let height) = key { return .resize(width: width, height: height) }
        let context = KeyContext(state)
        if case .click(let x, let y) = key { return MouseTargets.action(x: x, y: y, state: state) }
        if key == .scrollUp { return context == .table ? .move(.up) : nil }
        if key == .scrollDown { return context == .table ? .move(.down) : nil }
        if let binding = bindings(for: context).first(where: { $0.keys.contains(key) }) { return binding.action }
        if case .character(let character) = key {
            switch context {
            case .search: return .searchEdit(.insert(character))
            case .formText: return .formEdit(.insert(character))
            default: return nil
            }
        }
        return nil
    }
}
