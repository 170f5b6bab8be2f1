import TokenDomain

/// Everything the store can refuse, each worded for the person at the keyboard.
public enum TokenStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case notADatabase(path: String)
    case truncated(path: String)
    case foreignDatabase(path: String)
    case newerVersion(path: String, found: Int32, supported: Int32)
    case cannotOpen(path: String, reason: String)
    case readOnly(path: String)
    case readOnlyDirectory(path: String)
    case missing(path: String)
    case isDirectory(path: String)
    case notRegularFile(path: String)
    case hardLinked(path: String, links: Int)
    case unsafeSideFile(path: String, problem: String)
    case empty(path: String)
    case danglingLink(path: String)
    case ownedByAnotherUser(path: String, owner: String)
    case invalid(ValidationError)
    case refused(PolicyError)
    case notFound(String)
    case duplicate(String)
    case staleEdit(String)
    case conflict(String)
    case database(String)

    public var description: String {
        switch self {
        case .notADatabase(let path): "\(path) is not an SQLite database; it was left untouched"
        case .truncated(let path): "\(path) is a damaged or truncated SQLite database; it was left untouched"
        case .foreignDatabase(let path): "\(path) belongs to another application, not apitokens; it was left untouched"
        case .newerVersion(let path, let found, let supported):
            "\(path) was written by a newer apitokens (schema \(found), this one knows \(supported)); upgrade apitokens"
        case .cannotOpen(let path, let reason): "cannot open \(path): \(reason)"
        case .readOnly(let path): "\(path) is read-only; nothing was changed"
        case .readOnlyDirectory(let path): "the directory \(path) is read-only, so the database's journal cannot be written; nothing was changed"
        case .missing(let path): "there is no database at \(path); nothing was created (check --db or $APITOKENS_DB)"
        case .isDirectory(let path): "\(path) is a directory, not a database file; name the file with --db"
        case .notRegularFile(let path): "\(path) is not a regular file (a pipe, socket or device?); it was left untouched"
        case .hardLinked(let path, let links):
            "\(path) has \(links) hard links; SQLite would keep a separate journal for each name, so it was left untouched"
        case .unsafeSideFile(let path, let problem):
            "\(path) \(problem); SQLite would write through it, so nothing was opened. Move it away"
        case .empty(let path): "\(path) is an empty file, not a database; it was left untouched"
        case .danglingLink(let path): "\(path) is a symbolic link to nothing; nothing was created"
        case .ownedByAnotherUser(let path, let owner):
            "\(path) belongs to \(owner), not to you; run apitokens as \(owner), or copy the database. It was left untouched"
        case .invalid(let error): error.message
        case .refused(let error): error.message
        case .notFound(let message), .duplicate(let message), .staleEdit(let message),
             .conflict(let message), .database(let message): message
        }
    }
}
