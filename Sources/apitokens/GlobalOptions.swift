import ArgumentParser
import Foundation
import TokenDomain
import TokenStore
import TokenStorePostgres

/// Options every subcommand takes: which database, and whom to act as.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The token database: a SQLite file, or a postgresql:// URL.", valueName: "path"))
    var db: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("Act as another account (admins only).", valueName: "login"))
    var actAs: String?

    /// The database path: `--db`, else `$APITOKENS_DB`, else the XDG data directory.
    var databasePath: String {
        if let db { return db }
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["APITOKENS_DB"], !path.isEmpty { return path }
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/share")
        return (dataHome as NSString).appendingPathComponent("apitokens/tokens.sqlite")
    }

    /// Opens the store the options name, with the access asked for: PostgreSQL for a `postgresql://` URL, else the
    /// SQLite file at the path.
    /// `cachingChecks` is for a check service's readers: on PostgreSQL they keep facts until told of a change;
    /// `interactive` for the full-screen UI, whose statements on PostgreSQL give up sooner.
    func openStore(_ access: StoreAccess, clock: any Clock = SystemClock(), cachingChecks: Bool = false,
                   interactive: Bool = false, waitingForServer: Bool = false) throws(TokenStoreError) -> any TokenRepository {
        if PostgresLocation.isOtherURL(databasePath) {
            throw .cannotOpen(path: databasePath, reason: "apitokens keeps its tokens in a SQLite file or a postgresql:// database, not this kind of URL")
        }
        if PostgresLocation.isURL(databasePath) {
            return try PostgresStore(PostgresLocation(parsing: databasePath, osUser: OSUser.current.login), clock: clock,
                                     cachingChecks: cachingChecks, interactive: interactive, waitingForServer: waitingForServer)
        }
        return try TokenStore(path: databasePath, access: access, clock: clock)
    }
}

/// An open store and the account acting on it.
struct Session {
    let store: any TokenRepository
    let actor: Account

    /// Opens the database, bootstraps a new one, and resolves the acting account from the OS user and `--as`;
    /// `interactive` for the full-screen UI.
    init(_ options: GlobalOptions, access: StoreAccess = .create, clock: any Clock = SystemClock(), interactive: Bool = false) throws {
        store = try options.openStore(access, clock: clock, interactive: interactive)
        let user = OSUser.current
        if access == .create { try store.bootstrapIfEmpty(login: user.login, name: user.name) }
        guard let own = try store.account(login: user.login) else {
            throw CommandFailure.refused(
                "no account for OS user '\(user.login)'; an admin can add it with: apitokens account add \(user.login) --role user --team TEAM")
        }
        guard let other = options.actAs, other != own.login else { actor = own; return }
        guard own.isAdmin else {
            throw CommandFailure.refused("--as is for administrators only; \(own.login) is a \(own.role.label)")
        }
        guard let account = try store.account(login: other) else {
            throw CommandFailure.refused("no account '\(other)' to act as")
        }
        actor = account
    }
}

/// The operating-system user running the program, the identity of the person at the keyboard.
enum OSUser {
    static var current: (login: String, name: String) {
        guard let entry = getpwuid(geteuid()) else { return ("uid\(geteuid())", "") }
        let login = String(cString: entry.pointee.pw_name)
        let gecos = entry.pointee.pw_gecos.map { String(cString: $0) } ?? ""
        let name = gecos.split(separator: ",").first.map(String.init) ?? ""
        return (login, Sanitized.containsControl(name) || name.isEmpty ? login : name)
    }
}
