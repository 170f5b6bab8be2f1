import Foundation
import TokenDomain

/// The dialog, form or sheet on top of the table, if any.
public enum Modal: Hashable, Sendable {
    case form(TokenForm)
    case reveal(SecretReveal)
    case confirm(Confirmation)
    /// A token's story or one audit event, in full.
    case details(DetailsSheet)
}

/// The tabs of the main screen.
public enum Tab: Hashable, Sendable {
    case apiTokens, personal, audit

    /// The tab's title.
    public var title: String {
        switch self {
        case .apiTokens: "API Tokens"
        case .personal: "Personal Access Tokens"
        case .audit: "Audit Log"
        }
    }

    /// The tabs an account sees: admins get every token and the audit log, everyone their own tokens.
    public static func visible(to account: Account) -> [Tab] {
        account.isAdmin ? [.apiTokens, .personal, .audit] : [.personal]
    }
}

/// Everything the screen shows, as one value.
public struct AppState: Hashable, Sendable {
    /// The person at the keyboard as last read from the store; the store judges every action on them as they are then.
    public internal(set) var actor: Account
    /// True once an administrator has removed the account: nothing can be done any more.
    public internal(set) var actorRemoved = false
    public internal(set) var tabs: [Tab]
    public internal(set) var tab: Tab
    /// The token tabs' table.
    public internal(set) var table = TokenTable()
    /// The Audit Log tab, with a selection of its own.
    public internal(set) var audit = AuditLog()
    public internal(set) var modal: Modal?
    /// The help overlay, when shown: how far it is scrolled.
    public internal(set) var helpOffset: Int?
    public internal(set) var message: StatusMessage?
    /// Why the store could not answer the last time it was asked (PostgreSQL down, say), until it answers again:
    /// what is on screen is what was last read.
    public internal(set) var databaseProblem: String?
    /// What the status line says: the note left by the last key, else, while the store cannot answer, why not.
    public var statusNote: StatusMessage? { message ?? databaseProblem.map { StatusMessage(text: $0, isError: true) } }
    /// A bulk revoke under way; the event loop sends `.bulkRevokeStep` while it is set and no key waits.
    public internal(set) var bulkRevoke: BulkRevokeJob?
    public internal(set) var quit = false
    public internal(set) var width = 80
    public internal(set) var height = 24
    /// The moment statuses are judged at, refreshed with every reload.
    public internal(set) var now: Date

    init(actor: Account, width: Int, height: Int, now: Date) {
        self.actor = actor
        tabs = Tab.visible(to: actor)
        tab = tabs[0]
        self.width = width
        self.height = height
        self.now = now
    }

    /// Whether the help overlay is up.
    public var helpVisible: Bool { helpOffset != nil }

    /// True on the Audit Log tab.
    public var onAuditLog: Bool { tab == .audit }

    /// Rows of a list that fit under the title, tabs, headings, status line and footer.
    public var pageSize: Int { max(1, height - 5) }

    /// This state laid out for a terminal of another size: painted while the model is busy and cannot re-read.
    public func sized(width: Int, height: Int) -> AppState {
        var copy = self
        copy.width = width
        copy.height = height
        return copy
    }

    /// Lines of the help overlay that fit inside its frame.
    public var helpRows: Int { max(1, height - 6) }

    /// The same state with the help overlay closed: what help describes.
    public var withoutHelp: AppState {
        var copy = self
        copy.helpOffset = nil
        return copy
    }
}

/// A one-line note at the bottom of the screen: what just happened, or what went wrong.
public struct StatusMessage: Hashable, Sendable {
    public let text: String
    public let isError: Bool
}
