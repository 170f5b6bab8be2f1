import Foundation
internal import GRDB
import TokenDomain

/// The organisation's tokens, accounts and teams in one SQLite database; every write is one audited transaction.
public final class TokenStore: TokenRepository {
    let writer: any DatabaseWriter
    let clock: any Clock
    /// Searches with at most this many candidates fetch and sort them; larger ones walk the sort index.
    let candidateLimit: Int
    /// Where the database lives; `:memory:` for a private in-memory store.
    public let path: String
    /// False when the file could only be opened for reading (a check without write access): nothing is recorded.
    public let isWritable: Bool
    /// Never: SQLite answers from this host's own file.
    public var waitsOnServer: Bool { false }
    /// This store's hold on its file in the process-wide registry; nil in memory.
    private let claim: OpenDatabases.Claim?
    /// What checks on this connection have read, while nothing was committed since.
    let checkCache = CheckCache()

    /// Every store is made here, over a connection already opened and migrated, as in GRDB's demo application.
    private init(writer: any DatabaseWriter, path: String, clock: any Clock, candidateLimit: Int, isWritable: Bool,
                 claim: OpenDatabases.Claim?) {
        self.writer = writer
        self.path = path
        self.clock = clock
        self.candidateLimit = candidateLimit
        self.isWritable = isWritable
        self.claim = claim
    }

    /// Opens the database at `path` (creating it only with `.create`), refusing files that are not ours, and migrates it.
    /// Several stores may share a file in one process (see `OpenDatabases`); each is one SQLite connection.
    public convenience init(path: String, access: StoreAccess = .create, clock: any Clock = SystemClock()) throws(TokenStoreError) {
        // Creating, stamping and migrating happen one process at a time, so first commands started together agree.
        let creating = access == .create ? try DirectoryLock(around: path, creatingDirectory: true) : nil
        defer { creating?.release() }
        let prepared = try DatabaseFile.prepare(path: path, for: access, supportedVersion: Schema.version)
        let writer: DatabaseQueue
        do {
            if prepared.created {
                // Stamp the header before WAL exists, so a crash can never leave an unmarked file.
                let stamp = try DatabaseQueue(path: path)
                try stamp.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA application_id = \(DatabaseFile.applicationID)")
                }
                try stamp.close()
            }
            writer = try DatabaseQueue(path: path, configuration: Self.configuration(for: access, writable: prepared.writable))
            if prepared.writable {
                try Self.migrate(writer, path: path, alreadyLocked: creating != nil)
            } else {
                try Self.requireCurrentSchema(writer, path: path)
            }
        } catch let error as DatabaseError {
            OpenDatabases.release(prepared.claim)
            throw Self.openingError(error, path: path, writable: prepared.writable)
        } catch let error as TokenStoreError {
            OpenDatabases.release(prepared.claim)
            throw error
        } catch {
            OpenDatabases.release(prepared.claim)
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        // A check changes nothing, not even modes: other readers may rely on them.
        if access != .check { DatabaseFile.tightenModes(path: path) }
        self.init(writer: writer, path: path, clock: clock, candidateLimit: Self.defaultCandidateLimit,
                  isWritable: prepared.writable, claim: prepared.claim)
    }

    /// A private in-memory store, for tests and benchmarks; a small `candidateLimit` exercises the index walk.
    public convenience init(inMemoryWith clock: any Clock, candidateLimit: Int = defaultCandidateLimit) throws(TokenStoreError) {
        let writer: DatabaseQueue
        do {
            writer = try DatabaseQueue(configuration: Self.configuration(for: .create, writable: true))
            try Self.migrate(writer, path: ":memory:", alreadyLocked: true)
        } catch {
            throw .database("cannot create in-memory database: \(error)")
        }
        self.init(writer: writer, path: ":memory:", clock: clock, candidateLimit: candidateLimit, isWritable: true, claim: nil)
    }

    deinit {
        if let claim { OpenDatabases.release(claim) }
    }

    /// Whether the path still names the file this store opened. A long-lived process whose database was replaced
    /// (restored from a backup, say) or removed would otherwise go on reading the old file for good.
    public var stillNamesItsFile: Bool {
        guard let claim else { return true }
        return FileFacts(path: path)?.identity == claim.identity
    }

    /// Closes the connection now, rather than when the last reference goes.
    public func close() {
        try? writer.close()
        if let claim { OpenDatabases.release(claim) }
    }

    /// The candidate limit of stores on disk: both search strategies then read at most a few thousand rows.
    public static let defaultCandidateLimit = 4000

    /// How long a write waits for another writer's lock before it gives up.
    static let busyTimeoutMilliseconds = 10_000

    private static func configuration(for access: StoreAccess, writable: Bool) -> Configuration {
        var config = Configuration()
        // A check must not write, nor wait on a writer, to open: the file is already in WAL mode, which persists.
        config.journalMode = access == .check ? .default : .wal
        config.readonly = !writable
        config.foreignKeysEnabled = true
        // A check waits a moment at most, even on a database someone locked exclusively: it fails closed instead.
        config.busyMode = .timeout(access == .check ? 0.25 : TimeInterval(busyTimeoutMilliseconds) / 1000)
        return config
    }

    /// Every reported change must survive power loss, revokes and rolls above all. Set after opening, because
    /// GRDB's WAL set-up lowers it to NORMAL after `prepareDatabase` has run.
    private static func requireFullSync(_ writer: any DatabaseWriter) throws {
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    }

    /// A read-only store cannot migrate: an older schema is refused with what to do.
    private static func requireCurrentSchema(_ writer: any DatabaseWriter, path: String) throws {
        let version = try writer.unsafeRead { db in try Int32.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
        if version < Schema.version {
            throw TokenStoreError.cannotOpen(
                path: path, reason: "its schema is older than this apitokens and it is read-only here; open it once with write access to upgrade it")
        }
    }

    private static func migrate(_ writer: any DatabaseWriter, path: String, alreadyLocked: Bool) throws {
        try requireFullSync(writer)
        if try !writer.read({ try Schema.migrator.hasCompletedMigrations($0) }) {
            let lock = alreadyLocked ? nil : try DirectoryLock(around: path, creatingDirectory: false)
            defer { lock?.release() }
            try Schema.migrator.migrate(writer)
        }
        // Stamp only when needed: a write on every open would cost a commit and a checkpoint per command.
        let stamped = try writer.unsafeRead { db in
            try Int64.fetchOne(db, sql: "PRAGMA application_id") == Int64(DatabaseFile.applicationID)
                && Int32.fetchOne(db, sql: "PRAGMA user_version") == Schema.version
        }
        if stamped { return }
        try writer.write { db in
            try db.execute(sql: "PRAGMA application_id = \(DatabaseFile.applicationID)")
            try db.execute(sql: "PRAGMA user_version = \(Schema.version)")
        }
    }

    private static func openingError(_ error: DatabaseError, path: String, writable: Bool) -> TokenStoreError {
        switch error.resultCode {
        case .SQLITE_NOTADB: .notADatabase(path: path)
        case .SQLITE_CORRUPT: .truncated(path: path)
        case .SQLITE_READONLY where !writable, .SQLITE_CANTOPEN where !writable:
            .cannotOpen(path: path, reason: "reading it without write access needs its -wal and -shm files to exist, "
                        + "or a directory you may write to create them in")
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM: .readOnly(path: path)
        default: .cannotOpen(path: path, reason: error.message ?? "\(error.resultCode)")
        }
    }

    /// Runs `body` in one transaction (GRDB's `write` begins it IMMEDIATE, so writers queue rather than deadlock),
    /// translating database errors at the boundary.
    func write<T>(_ body: (Database) throws -> T) throws(TokenStoreError) -> T {
        do {
            return try writer.write { db in
                checkCache.invalidate()
                return try body(db)
            }
        } catch {
            throw Self.translate(error)
        }
    }

    /// Runs `body` as a read, translating database errors at the boundary.
    /// No transaction wraps it: each statement reads its own snapshot. Reads are a lookup, or a page and the counts
    /// that plan it, where a write landing in between changes nothing that matters; and GRDB's wrapping savepoint
    /// would prepare two more statements per read, a third of what a verify costs.
    func read<T>(_ body: (Database) throws -> T) throws(TokenStoreError) -> T {
        do {
            return try writer.unsafeRead(body)
        } catch {
            throw Self.translate(error)
        }
    }

    static func translate(_ error: any Error) -> TokenStoreError {
        switch error {
        case let error as TokenStoreError: return error
        case let error as ValidationError: return .invalid(error)
        case let error as PolicyError: return .refused(error)
        case let error as DatabaseError:
            switch error.resultCode {
            case .SQLITE_READONLY: return .database("the database is read-only; nothing was changed")
            case .SQLITE_FULL: return .database("the disk is full; nothing was changed")
            case .SQLITE_BUSY: return .database("the database stayed busy for 10 seconds; nothing was changed, try again")
            default: return .database("database error: \(error.message ?? "\(error.resultCode)"); nothing was changed")
            }
        default: return .database("\(error)")
        }
    }

    /// Seconds since 1970, as stored.
    func nowSeconds() -> Int64 { Int64(clock.now().timeIntervalSince1970) }

    /// The clock this store judges expiry by.
    public var now: Date { clock.now() }

    /// Appends one event to the audit log's hash chain, inside the caller's transaction.
    func audit(_ db: Database, actor: String, action: String, tokenID: Int64? = nil, tokenName: String? = nil,
               details: String = "") throws {
        try AuditChain.append(db, at: nowSeconds(), actor: actor, action: action, tokenID: tokenID, tokenName: tokenName,
                              details: details)
    }

    /// The newest audit events first, those `filter` keeps; for administrators, as they are now.
    public func auditLog(_ filter: AuditFilter, limit: Int?,
                         by actor: Account) throws(TokenStoreError) -> [AuditEvent] {
        try read { db in
            _ = try Self.requireAdmin(db, actor, to: "read the audit log")
            var clauses: [String] = []
            var arguments = StatementArguments()
            if let token = filter.tokenID { clauses.append("tokenId = ?"); arguments += [token] }
            if let actor = filter.actor { clauses.append("actor = ?"); arguments += [actor] }
            if let action = filter.action { clauses.append("action = ?"); arguments += [action] }
            if let since = filter.since { clauses.append("at >= ?"); arguments += [Int64(since.timeIntervalSince1970)] }
            let needle = filter.text.trimmingCharacters(in: .whitespaces).lowercased()
            if !needle.isEmpty {
                clauses.append("(instr(lower(actor), ?) > 0 OR instr(lower(action), ?) > 0 OR instr(lower(ifnull(tokenName, '')), ?) > 0)")
                arguments += [needle, needle, needle]
            }
            let condition = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: "SELECT * FROM audit \(condition) ORDER BY id DESC LIMIT ?",
                                    arguments: arguments + [limit ?? -1]).map(AuditEvent.init(row:))
        }
    }

    /// Runs SQLite's own consistency check; "ok" when the file is sound.
    public func integrityCheck() throws(TokenStoreError) -> String {
        try read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }
}

extension AuditEvent {
    init(row: Row) {
        self.init(id: row["id"], at: Date(timeIntervalSince1970: TimeInterval(row["at"] as Int64)), actor: row["actor"],
                  action: row["action"], tokenID: row["tokenId"], tokenName: row["tokenName"], details: row["details"])
    }
}

extension TokenStore {
    /// Reports every statement this store runs from now on, arguments written in, or stops when `observer` is nil.
    /// For benchmarks, which replay them through the bare SQLite API; the text can hold secret hashes, never log it.
    package func traceStatements(_ observer: (@Sendable (String) -> Void)?) {
        try? writer.writeWithoutTransaction { db in
            guard let observer else { return db.trace(options: .statement, nil) }
            db.trace(options: .statement) { event in
                guard case .statement(let statement) = event else { return }
                let sql = statement.expandedSQL
                // Trigger bodies are reported as comments; their statement already counts them.
                if !sql.hasPrefix("--") { observer(sql) }
            }
        }
    }
}
