import Foundation
import PostgresNIO
import Synchronization
import TokenDomain
import TokenStore

/// The organisation in a PostgreSQL database, for more than one host: the same operations, rules and audit chain
/// as the SQLite store, each write one transaction holding the write lock.
public final class PostgresStore: TokenRepository {
    let connector: PostgresConnector
    let clock: any Clock
    /// With `cachingChecks`: what tells this store that a check's facts changed, and the facts kept meanwhile
    /// (shared by every such store of the process on the same database, so each secret is read once, not once
    /// per reader connection).
    let checkCache: (feed: ChangeFeed, facts: CheckFactsCache)?
    /// Searches matching up to this many tokens fetch them all and sort them; counts are exact up to it.
    let candidateLimit: Int

    /// False until this store's migrations ran, when it was opened waiting for the server.
    private let isMigrated: Mutex<Bool>

    /// Longest a statement of the full-screen UI may take: a person at the keyboard should learn of a hung server
    /// sooner than a script would.
    static let interactiveDeadline: TimeAmount = .seconds(5)

    /// The candidate limit of every store but a test's.
    public static let defaultCandidateLimit = 4_000

    /// Connects to the database `location` names and migrates it. With `cachingChecks` (a check service's
    /// readers), a check's facts are kept until any change anywhere, told by `LISTEN`/`NOTIFY`, or a second.
    /// A small `candidateLimit` makes a test's few tokens take the plans of many. With `waitingForServer` (a check
    /// service starting while PostgreSQL is down), a server that cannot be reached yet is connected to and migrated
    /// on the first call that finds it up; every call before fails as calls fail during an outage. An `interactive`
    /// store (the UI's) gives a statement 5 s rather than 15 s.
    public init(_ location: PostgresLocation, clock: any Clock = SystemClock(), cachingChecks: Bool = false,
                candidateLimit: Int = defaultCandidateLimit, interactive: Bool = false,
                waitingForServer: Bool = false) throws(TokenStoreError) {
        connector = try PostgresConnector(location, statementDeadline: interactive ? Self.interactiveDeadline : PostgresConnector.statementTimeout,
                                          waitingForServer: waitingForServer)
        self.clock = clock
        self.candidateLimit = candidateLimit
        do {
            try PostgresSchema.migrate(connector)
            isMigrated = Mutex(true)
        } catch where waitingForServer && !connector.isConnected {
            isMigrated = Mutex(false)
        }
        if cachingChecks {
            let feed = ChangeFeed.shared(for: location)
            checkCache = (feed, feed.facts)
        } else {
            checkCache = nil
        }
        _ = checkCache?.feed.generationNow()
    }

    /// The clock this store judges expiry by.
    public var now: Date { clock.now() }

    /// Always: a PostgreSQL role without write access is refused by the server, write by write.
    public var isWritable: Bool { true }

    /// Always: every call is a round trip to the server.
    public var waitsOnServer: Bool { true }

    /// Seconds since 1970, as stored.
    func nowSeconds() -> Int64 { Int64(clock.now().timeIntervalSince1970) }

    /// Lets go of the connection now; a later call connects again.
    public func close() { connector.close() }

    /// Nil while a check can be answered, else why not: the check's own statement runs (for a hash no token has),
    /// so a schema a check cannot read is unhealthy, not only a server that is down.
    public func healthProblem() -> String? {
        do {
            _ = try read { db in try db.checkFacts(hash: Data(count: 32)) }
            return nil
        } catch {
            return error.description
        }
    }

    /// Applies the migrations once the server answers, for a store opened while it did not.
    func migrateIfNeeded() throws(TokenStoreError) {
        let connector = connector
        try isMigrated.withLock { (migrated: inout Bool) throws(TokenStoreError) in
            if migrated { return }
            try PostgresSchema.migrate(connector)
            migrated = true
        }
    }

    /// Runs `body` in one write transaction: the connection it passes is in the transaction.
    func write<T>(_ body: (Transaction) throws -> T) throws(TokenStoreError) -> T {
        try migrateIfNeeded()
        return try connector.write { connection in try body(Transaction(connector: connector, connection: connection)) }
    }

    /// Runs `body`, which only reads, on the connection outside any transaction: each statement reads its own
    /// snapshot.
    func read<T>(_ body: (Transaction) throws -> T) throws(TokenStoreError) -> T {
        try migrateIfNeeded()
        return try connector.withConnection(readOnly: true) { connection in try body(Transaction(connector: connector, connection: connection)) }
    }
}

/// A connection lent to one operation, with the statements it runs spelled as queries.
struct Transaction {
    let connector: PostgresConnector
    let connection: PostgresConnection

    /// Runs a statement and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) throws -> [PostgresRow] { try connector.run(query, on: connection) }

    /// The first column of the first row, or nil when there is no row.
    func value<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self) throws -> T? {
        try rows(query).first.map { try $0.decode(T.self) }
    }

    /// How many rows a statement changed, from its command tag.
    func changes(_ query: PostgresQuery) throws -> Int {
        try connector.result(of: query, on: connection).metadata.rows ?? 0
    }
}
