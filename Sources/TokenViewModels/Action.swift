import TokenDomain

/// Row movements in a list, or lines in a scrolling sheet.
public enum Movement: Hashable, Sendable {
    case up, down, pageUp, pageDown, home, end
}

/// Everything a person can do; keys and clicks become these. Each screen has actions of its own, taken by a reducer of
/// its own, so an action meant for one screen cannot be handed to another's.
public enum Action: Hashable, Sendable {
    case table(Table)
    case audit(Audit)
    case form(Form)
    case reveal(Reveal)
    case confirm(Confirm)
    case details(Details)
    case help(Help)
    /// Tab, Shift-Tab, 1 2 3 or a click on a tab, from the token table or the audit log.
    case switchTab(TabSwitch)
    case showHelp, escape, quit
    /// Ctrl-Z: the event loop hands the terminal back to the shell; the state does not change.
    case suspend
    /// A key whose binding cannot act here and now; the reason becomes the status line.
    case unavailable(String)
    case resize(width: Int, height: Int)
    /// The idle timer: the account and the rows are read again.
    case reload
    /// Revokes the next batch of a bulk revoke.
    case bulkRevokeStep

    /// The token table (API Tokens and Personal Access Tokens tabs) and its search box.
    public enum Table: Hashable, Sendable {
        case move(Movement)
        case selectRow(Int)
        case openSearch, keepSearch
        case search(TextField.Edit)
        case sortNext, sortReverse
        case sortBy(TokenSort)
        case newToken, edit, refresh, roll, revoke, toggleMark, markAll, details
    }

    /// The Audit Log tab and its search box.
    public enum Audit: Hashable, Sendable {
        case move(Movement)
        case selectRow(Int)
        case openSearch, keepSearch
        case search(TextField.Edit)
        /// Opens the selected event in full.
        case details
    }

    /// The create / edit form.
    public enum Form: Hashable, Sendable {
        case focus(Int)
        case edit(TextField.Edit)
        case choice(Int)
        case toggle, submit
        /// Enter: presses the focused button, else goes to the next field.
        case activate
    }

    /// The one-time secret dialog.
    public enum Reveal: Hashable, Sendable {
        case copy, close
    }

    /// A yes/no question before something irreversible.
    public enum Confirm: Hashable, Sendable {
        case answer(Bool)
        case switchFocus, activate
        /// Moves a roll's grace choice.
        case grace(Int)
    }

    /// A token's or an audit event's details sheet.
    public enum Details: Hashable, Sendable {
        case scroll(Movement)
        case close
    }

    /// The help overlay.
    public enum Help: Hashable, Sendable {
        case scroll(Movement)
    }
}

/// A change of tab.
public enum TabSwitch: Hashable, Sendable {
    case next, previous
    /// 1, 2 or 3.
    case number(Int)
}
