import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization
import TokenDomain
import TokenStore

/// One connection to PostgreSQL, used by one caller at a time and opened again on the next call after it was lost,
/// behind a blocking interface like SQLite's. Its own event loop, so that a caller already on another loop (the check
/// service's) may wait for it.
final class PostgresConnector: @unchecked Sendable {
    /// Every connector's loop: blocking calls wait on it, never run on it.
    private static let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
    /// Held by every write transaction: writers take turns, as SQLite's `BEGIN IMMEDIATE` makes them, while reads go
    /// on beside them on their own snapshots.
    static let writeLockKey: Int64 = 0x6170_6974_6F6B

    let location: PostgresLocation
    let logger: Logger
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var connection: PostgresConnection?
    private var nextID = 0
    /// The names of the statements prepared on `connection`. Guarded by `lock`.
    private var prepared: Set<String> = []

    /// Longest a statement may take, unless it says otherwise, before its connection is given up.
    let statementDeadline: TimeAmount

    /// Connects at once, so that a wrong URL, password or server is said when the store is opened; with
    /// `waitingForServer`, a server that cannot be reached now is left to the first call, which connects again.
    init(_ location: PostgresLocation, statementDeadline: TimeAmount = statementTimeout,
         waitingForServer: Bool = false) throws(TokenStoreError) {
        self.location = location
        self.statementDeadline = statementDeadline
        var logger = Logger(label: "apitokens.postgres")
        logger.logLevel = .critical
        self.logger = logger
        // Root certificates that cannot be read are said now, whether or not the server answers.
        _ = try PostgresTLS.configuration(for: location)
        lock.lock()
        defer { lock.unlock() }
        do {
            _ = try open()
        } catch where waitingForServer && Self.isUnreachable(error) {
            return
        } catch {
            throw translate(error)
        }
    }

    /// True while a connection is open.
    var isConnected: Bool {
        lock.lock()
        defer { lock.unlock() }
        return connection.map { !$0.isClosed } ?? false
    }

    /// The server could not be reached, or is starting or stopping, rather than refusing who we are or what we asked.
    private static func isUnreachable(_ error: any Error) -> Bool {
        if PostgresTLS.describe(error) != nil { return false }
        if error is TimedOut || isLostConnection(error) { return true }
        return !(error is PSQLError)
    }

    deinit { close() }

    /// Runs `body` on the connection, opening it first if it is not open. A `body` that only reads is run once
    /// more on a new connection when the one it had was lost under it (the server restarted, or an administrator
    /// ended the session): a read is safe to repeat, and a check should not fail for a connection that sat idle.
    /// A write is never repeated, since the server may have committed it before the connection went.
    func withConnection<T>(readOnly: Bool = false, _ body: (PostgresConnection) throws -> T) throws(TokenStoreError) -> T {
        lock.lock()
        defer { lock.unlock() }
        do {
            do {
                return try attempt(body)
            } catch where readOnly && (Self.isLostConnection(error) || (error as? TimedOut).map({ $0.after < statementDeadline }) == true) {
                return try attempt(body)
            }
        } catch {
            // A statement or a connection that got no answer in its time, and no retry that did better: the
            // server is stuck, or cut off, rather than this connection.
            if Self.isTimeOut(error) { holdOffAttempts() }
            throw translate(error)
        }
    }

    /// Runs `body` once on the open connection, dropping the connection when it is closed or did not answer.
    private func attempt<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try open()
        do {
            return try body(connection)
        } catch {
            // A server's FATAL answer comes before the connection shows it is closed: drop it now all the same.
            if connection.isClosed || error is TimedOut || Self.isLostConnection(error) {
                Self.closeInBackground(connection)
                self.connection = nil
            }
            throw error
        }
    }

    /// The connection went away under a statement, rather than the statement failing or taking too long.
    private static func isLostConnection(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        if let state = error.serverInfo?[.sqlState] { return state.hasPrefix("57P") || state.hasPrefix("08") }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .connectionError: return true
        default: return false
        }
    }

    /// The attempt waited out its time, ours or the TCP connect's, rather than being refused.
    private static func isTimeOut(_ error: any Error) -> Bool {
        switch error {
        case is TimedOut: return true
        case ChannelError.connectTimeout: return true
        case let error as NIOConnectionError: return error.connectionErrors.contains { isTimeOut($0.error) }
        case let error as PSQLError: return error.underlying.map(isTimeOut) ?? false
        default: return false
        }
    }

    /// Runs `body` in one transaction holding the write lock, committed when it returns, rolled back when it throws.
    func write<T>(_ body: (PostgresConnection) throws -> T) throws(TokenStoreError) -> T {
        try withConnection { connection in
            try run("BEGIN ISOLATION LEVEL READ COMMITTED", on: connection)
            do {
                try run(PostgresQuery(unsafeSQL: "SELECT pg_advisory_xact_lock(\(Self.writeLockKey))"), on: connection)
                let value = try body(connection)
                try run("COMMIT", on: connection)
                return value
            } catch {
                if !connection.isClosed, !(error is TimedOut) { _ = try? run("ROLLBACK", on: connection) }
                throw error
            }
        }
    }

    /// Longest a statement may take by default before its connection is given up: a server that vanished without
    /// closing the connection (a host down, a network cut) must not hold a check or a keystroke for ever.
    static let statementTimeout: TimeAmount = .seconds(15)

    /// Runs one statement and collects its rows.
    @discardableResult
    func run(_ query: PostgresQuery, on connection: PostgresConnection,
             deadline: TimeAmount? = nil) throws -> [PostgresRow] {
        Array(try result(of: query, on: connection, deadline: deadline).rows)
    }

    /// Runs one statement, giving the connection up if it outlasts `deadline` (by default the connector's).
    func result(of query: PostgresQuery, on connection: PostgresConnection,
                deadline: TimeAmount? = nil) throws -> PostgresQueryResult {
        try Self.wait(for: connection.query(query, logger: logger), at: deadline ?? statementDeadline) {
            Self.closeInBackground(connection)
        }
    }

    /// Runs a statement prepared once per connection, so the server plans it once rather than on every call:
    /// for a check, planning costs several times what running does. `arguments` are SQL literals the caller
    /// spells safely (a hash in hex), since a prepared statement is run by an `EXECUTE` of its own.
    func execute(_ statement: PreparedStatement, _ arguments: [String], on connection: PostgresConnection) throws -> [PostgresRow] {
        let execute = PostgresQuery(unsafeSQL: "EXECUTE \(statement.name)(\(arguments.joined(separator: ", ")))")
        if prepared.contains(statement.name) {
            do {
                return try run(execute, on: connection, deadline: statement.deadline)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "26000" {
                // Dropped on the server (DISCARD ALL, or a pooler in between): prepared again below.
                prepared.remove(statement.name)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "0A000" {
                // "cached plan must not change result type": a column's type changed under it. Prepared anew.
                try run(PostgresQuery(unsafeSQL: "DEALLOCATE \(statement.name)"), on: connection, deadline: statement.deadline)
                prepared.remove(statement.name)
            }
        }
        try run(PostgresQuery(unsafeSQL: "PREPARE \(statement.name)(\(statement.parameterTypes)) AS \(statement.sql)"), on: connection,
                deadline: statement.deadline)
        prepared.insert(statement.name)
        return try run(execute, on: connection, deadline: statement.deadline)
    }

    /// A statement the server keeps prepared on each connection, by name.
    struct PreparedStatement {
        let name: String
        /// The types of `$1`, `$2`, …, comma-separated.
        let parameterTypes: String
        let sql: String
        /// Longest it may take before its connection is given up (by default the connector's): a read with a
        /// shorter one is tried once more on a new connection.
        var deadline: TimeAmount?
    }

    /// A statement or connection attempt that outlasted its time.
    struct TimedOut: Error {
        let after: TimeAmount
    }

    /// Waits for `future`, but never longer than `limit`: then `giveUp` runs and the wait fails, whatever the
    /// future does later (a connection killed under a query may never answer it).
    static func wait<Value: Sendable>(for future: EventLoopFuture<Value>, at limit: TimeAmount,
                                      giveUp: @escaping @Sendable () -> Void) throws -> Value {
        let promise = future.eventLoop.makePromise(of: Value.self)
        future.cascade(to: promise)
        let timeout = future.eventLoop.scheduleTask(in: limit) {
            promise.fail(TimedOut(after: limit))
            giveUp()
        }
        defer { timeout.cancel() }
        return try promise.futureResult.wait()
    }

    /// Closes `connection` without waiting, and keeps it until it is closed (postgres-nio insists a connection is
    /// closed before it goes).
    private static func closeInBackground(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Closes the connection now; the next call opens another.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        if let connection { try? connection.close().wait() }
        connection = nil
    }

    /// Longest a new connection may take to be ready, login included.
    static let connectTimeout: TimeAmount = .seconds(5)
    /// How often a held-off server is tried again, by a connection of the probe's own.
    static let probeInterval: TimeInterval = 1
    /// The servers, by location, that let a statement or a connection attempt time out and have not accepted a
    /// connection since. Every connector to one fails at once rather than each waiting out a deadline of its own
    /// (during a hung server or a cut network a keystroke or a check gets its answer, unavailable, now), while one
    /// probe per server tries a new connection every `probeInterval` and lets them all go on once one opens. A
    /// server that refuses outright costs nothing to ask again, so is never held off.
    private static let heldOff = Mutex<Set<String>>([])

    /// Holds every connector to this server off until the probe connects.
    private func holdOffAttempts() {
        guard Self.heldOff.withLock({ $0.insert(location.description).inserted }) else { return }
        let server = location, logger = logger
        Thread.detachNewThread {
            repeat { Thread.sleep(forTimeInterval: Self.probeInterval) } while !Self.accepts(server, logger: logger)
            _ = Self.heldOff.withLock { $0.remove(server.description) }
        }
    }

    /// True when a new connection to `location` opens in time; it is closed again.
    private static func accepts(_ location: PostgresLocation, logger: Logger) -> Bool {
        let connecting = connect(to: location, id: 0, logger: logger)
        guard let opened = try? wait(for: connecting, at: connectTimeout, giveUp: { connecting.whenSuccess { closeInBackground($0) } }) else {
            return false
        }
        closeInBackground(opened)
        return true
    }

    /// A call not tried, because the server let a statement or a connection time out and has accepted none since.
    struct HeldOff: Error {}

    /// The open connection, or a new one. Called with `lock` held.
    private func open() throws -> PostgresConnection {
        if Self.heldOff.withLock({ $0.contains(location.description) }) { throw HeldOff() }
        if let connection, !connection.isClosed { return connection }
        connection = nil
        nextID += 1
        let connecting = Self.connect(to: location, id: nextID, logger: logger)
        let opened: PostgresConnection
        do {
            opened = try Self.wait(for: connecting, at: Self.connectTimeout) {
                connecting.whenSuccess { Self.closeInBackground($0) }
            }
        } catch {
            if Self.isTimeOut(error) { holdOffAttempts() }
            throw error
        }
        connection = opened
        prepared = []
        return opened
    }

    /// Starts a new connection to `location` on one of the connectors' loops.
    static func connect(to location: PostgresLocation, id: Int, logger: Logger) -> EventLoopFuture<PostgresConnection> {
        var configuration: PostgresConnection.Configuration
        switch location.endpoint {
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            do { tls = try PostgresTLS.configuration(for: location) } catch { return group.next().makeFailedFuture(error) }
            configuration = .init(host: host, port: port, username: location.user, password: location.password,
                                  database: location.database, tls: tls)
        case .socket(let directory, let port):
            configuration = .init(unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: location.user,
                                  password: location.password, database: location.database)
        }
        configuration.options.connectTimeout = .seconds(3)
        return PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger)
    }

    /// Says in one line what went wrong, naming the server but never the password.
    private func translate(_ error: any Error) -> TokenStoreError {
        switch error {
        case let error as TokenStoreError: return error
        case let error as ValidationError: return .invalid(error)
        case let error as PolicyError: return .refused(error)
        case _ where PostgresTLS.describe(error) != nil:
            // A certificate refused is the URL's or the server's setup, not an outage: it stays until one changes.
            return .cannotOpen(path: "\(location)", reason: PostgresTLS.describe(error) ?? "TLS failed")
        case _ where error is HeldOff || Self.isTimeOut(error):
            return .database("PostgreSQL at \(location) did not answer in time; nothing was changed")
        case let error as PSQLError:
            if let state = error.serverInfo?[.sqlState] {
                let message = error.serverInfo?[.message] ?? "an error"
                switch state {
                case "28P01", "28000": return .cannotOpen(path: "\(location)", reason: "PostgreSQL refused the login: \(message)")
                case "3D000": return .cannotOpen(path: "\(location)", reason: "there is no database '\(location.database)' on that server")
                case "23505": return .duplicate("already exists: \(error.serverInfo?[.detail] ?? message)")
                case "40001", "40P01": return .conflict("another change got there first; nothing was changed, try again")
                case "55P03":
                    return .conflict("another session's transaction holds a lock this needs (\(message)); nothing was changed, try again once it ends")
                case let state where state.hasPrefix("57P"), let state where state.hasPrefix("08"):
                    return .database("PostgreSQL at \(location) is unavailable (\(message)); nothing was changed")
                default: return .database("PostgreSQL error: \(message); nothing was changed")
                }
            }
            switch error.code {
            case .sslUnsupported:
                return .cannotOpen(path: "\(location)", reason: "the server does not offer TLS, which the URL's sslmode requires; turn ssl on in postgresql.conf, or write sslmode=prefer")
            case .authMechanismRequiresPassword:
                return .cannotOpen(path: "\(location)", reason: "the server asks for a password and the URL gives none; write postgresql://USER:PASSWORD@HOST/DBNAME")
            case .unsupportedAuthMechanism:
                return .cannotOpen(path: "\(location)", reason: "the server asks for a kind of login this build does not speak; allow scram-sha-256, md5 or trust for this user")
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
                let cause = error.underlying.map { Self.describe($0) } ?? "the connection was closed"
                return .database("PostgreSQL at \(location) is unreachable: \(cause); nothing was changed")
            default:
                return .database("PostgreSQL: \(error.code); nothing was changed")
            }
        default:
            return .database("PostgreSQL at \(location) is unreachable: \(Self.describe(error)); nothing was changed")
        }
    }

    /// A network error as a person reads it.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
            return describe(first.error)
        }
        if error is ChannelError { return "the connection was closed" }
        if let error = error as? PSQLError {
            return error.serverInfo?[.message] ?? error.underlying.map(describe) ?? "the connection was closed (\(error.code))"
        }
        return "\(error)"
    }
}
