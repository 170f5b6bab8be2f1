import Foundation
import GRDB
import TokenDomain

/// The organisation's tokens, accounts and teams in one SQLite database; every write is one audited transaction.
public final class TokenStore: Sendable {
    let writer: DatabaseQueue
    let clock: any Clock
    /// Searches with at most this many candidates fetch and sort them; larger ones walk the sort index.
    let candidateLimit: Int
    /// Where the database lives; `:memory:` for a private in-memory store.
    public let path: String

    /// Opens (creating if needed) the database at `path`, refusing files that are not ours, and migrates it.
    public init(path: String, clock: any Clock = SystemClock()) throws(TokenStoreError) {
        self.path = path
        self.clock = clock
        candidateLimit = Self.defaultCandidateLimit
        let created = try DatabaseFile.prepare(path: path, supportedVersion: Schema.version)
        do {
            if created {
                // Stamp the header before WAL exists, so a crash can never leave an unmarked file.
                let stamp = try DatabaseQueue(path: path)
                try stamp.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA application_id = \(DatabaseFile.applicationID)")
                }
                try stamp.close()
            }
            writer = try DatabaseQueue(path: path, configuration: Self.configuration())
            try Self.migrate(writer)
        } catch let error as DatabaseError {
            throw Self.openingError(error, path: path)
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        DatabaseFile.tightenModes(path: path)
    }

    /// The candidate limit of stores on disk: both search strategies then read at most a few thousand rows.
    public static let defaultCandidateLimit = 4000

    /// A private in-memory store, for tests and benchmarks; a small `candidateLimit` exercises the index walk.
    public init(inMemoryWith clock: any Clock, candidateLimit: Int = defaultCandidateLimit) throws(TokenStoreError) {
        path = ":memory:"
        self.clock = clock
        self.candidateLimit = candidateLimit
        do {
            writer = try DatabaseQueue(configuration: Self.configuration())
            try Self.migrate(writer)
        } catch {
            throw .database("cannot create in-memory database: \(error)")
        }
    }

    private static func configuration() -> Configuration {
        var config = Configuration()
        config.journalMode = .wal
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // Every reported change must survive power loss, revokes and rolls above all.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return config
    }

    private static func migrate(_ writer: DatabaseQueue) throws {
        try Schema.migrator.migrate(writer)
        // Stamp only when needed: a write on every open would cost a commit and a checkpoint per command.
        let stamped = try writer.inDatabase { db in
            try Int64.fetchOne(db, sql: "PRAGMA application_id") == Int64(DatabaseFile.applicationID)
                && Int32.fetchOne(db, sql: "PRAGMA user_version") == Schema.version
        }
        if stamped { return }
        try writer.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try db.execute(sql: "PRAGMA application_id = \(DatabaseFile.applicationID)")
                try db.execute(sql: "PRAGMA user_version = \(Schema.version)")
                return .commit
            }
        }
    }

    private static func openingError(_ error: DatabaseError, path: String) -> TokenStoreError {
        switch error.resultCode {
        case .SQLITE_NOTADB: .notADatabase(path: path)
        case .SQLITE_CORRUPT: .truncated(path: path)
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM: .readOnly(path: path)
        default: .cannotOpen(path: path, reason: error.message ?? "\(error.resultCode)")
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction, translating database errors at the boundary.
    func write<T>(_ body: (Database) throws -> T) throws(TokenStoreError) -> T {
        do {
            return try writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw TokenStoreError.database("transaction produced no result") }
                return result
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
            return try writer.inDatabase(body)
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

    /// Appends one event to the audit log, inside the caller's transaction.
    func audit(_ db: Database, actor: String, action: String, tokenID: Int64? = nil, tokenName: String? = nil,
               details: String = "") throws {
        try db.execute(
            sql: "INSERT INTO audit (at, actor, action, tokenId, tokenName, details) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [nowSeconds(), actor, action, tokenID, tokenName, details])
    }

    /// The newest audit events first.
    public func auditLog(limit: Int? = nil) throws(TokenStoreError) -> [AuditEvent] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY id DESC LIMIT ?", arguments: [limit ?? -1])
                .map(AuditEvent.init(row:))
        }
    }

    /// Runs SQLite's own consistency check; "ok" when the file is sound.
    public func integrityCheck() throws(TokenStoreError) -> String {
        try read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }
}

/// One entry of the audit log; never holds a secret.
public struct AuditEvent: Hashable, Sendable {
    public let id: Int64
    public let at: Date
    public let actor: String
    public let action: String
    public let tokenID: Int64?
    public let tokenName: String?
    /// The changed fields, e.g. `name: "a" → "b"; expires_in: 30d → 90d`.
    public let details: String

    init(row: Row) {
        id = row["id"]
        at = Date(timeIntervalSince1970: TimeInterval(row["at"] as Int64))
        actor = row["actor"]
        action = row["action"]
        tokenID = row["tokenId"]
        tokenName = row["tokenName"]
        details = row["details"]
    }
}

extension TokenStore {
    /// Reports every statement this store runs from now on, arguments written in, or stops when `observer` is nil.
    /// For benchmarks, which replay them through the bare SQLite API; the text can hold secret hashes, never log it.
    public func traceStatements(_ observer: (@Sendable (String) -> Void)?) {
        try? writer.inDatabase { db in
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
