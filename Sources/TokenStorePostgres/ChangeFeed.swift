import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Tells a process's check connections that something a check reads was changed by anyone, anywhere: one
/// `LISTEN` connection per database, on the channel the schema's triggers notify at every such commit. While it
/// is not listening (not yet, its connection was lost, or it has not answered for `silence`) it says so, and
/// nothing remembered may be used.
final class ChangeFeed: @unchecked Sendable {
    /// The channel the triggers of migration v2 notify.
    static let channel = "apitokens_change"

    private static let lock = NSLock()
    /// Guarded by `lock`.
    nonisolated(unsafe) private static var feeds: [String: ChangeFeed] = [:]

    /// The one feed of this process for the database `location` names, started on first use.
    static func shared(for location: PostgresLocation) -> ChangeFeed {
        lock.lock()
        defer { lock.unlock() }
        let key = "\(location)"
        if let feed = feeds[key] { return feed }
        let feed = ChangeFeed(location)
        feeds[key] = feed
        return feed
    }

    private let location: PostgresLocation
    /// The check facts this process keeps for the database, valid while this feed has seen no change.
    let facts = CheckFactsCache()
    private let lock = NSLock()
    /// Changes seen, and connections made: both end what was remembered before. Guarded by `lock`.
    private var generation: UInt64 = 0
    private var listening: PostgresConnection?
    /// When the listening connection last answered (system uptime). Guarded by `lock`.
    private var lastHeard: TimeInterval = 0
    private var connecting = false
    private var logger = Logger(label: "apitokens.postgres.feed")

    /// How often the listening connection is asked whether it is alive.
    static let heartbeat: TimeAmount = .milliseconds(250)
    /// How long the connection may stay silent before the feed stops counting as listening: a connection cut
    /// without the server noticing delivers no notification, so a change is obeyed within this all the same.
    static let silence: TimeInterval = 1

    private init(_ location: PostgresLocation) {
        self.location = location
        logger.logLevel = .critical
    }

    /// How many changes have been seen, or nil while no connection listens (or one went silent); then it
    /// starts another.
    func generationNow() -> UInt64? {
        lock.lock()
        defer { lock.unlock() }
        let now = ProcessInfo.processInfo.systemUptime
        if let listening, !listening.isClosed, now - lastHeard < Self.silence { return generation }
        if let listening { listening.close().whenComplete { _ in withExtendedLifetime(listening) {} } }
        listening = nil
        if !connecting {
            connecting = true
            listen()
        }
        return nil
    }

    /// Connects and listens; the feed counts as listening once the server has answered a query after `LISTEN`.
    private func listen() {
        let connecting = PostgresConnector.connect(to: location, id: 0, logger: logger)
        connecting.flatMap { connection in
            _ = connection.addListener(channel: Self.channel) { [weak self] _, _ in self?.changed() }
            return connection.query("SELECT 1", logger: self.logger).map { _ in connection }
        }.whenComplete { [self] result in
            lock.lock()
            defer { lock.unlock() }
            self.connecting = false
            if case .success(let connection) = result {
                generation &+= 1
                listening = connection
                lastHeard = ProcessInfo.processInfo.systemUptime
                beat(connection)
            }
        }
    }

    /// Asks `connection` to answer every `heartbeat`, for as long as it does and is the one listening.
    private func beat(_ connection: PostgresConnection) {
        connection.eventLoop.scheduleTask(in: Self.heartbeat) { [weak self] in
            connection.query("SELECT 1", logger: connection.logger).whenSuccess { _ in
                guard let self else { return }
                self.lock.lock()
                let current = self.listening === connection
                if current { self.lastHeard = ProcessInfo.processInfo.systemUptime }
                self.lock.unlock()
                if current { self.beat(connection) }
            }
        }
    }

    private func changed() {
        lock.lock()
        defer { lock.unlock() }
        generation &+= 1
        lastHeard = ProcessInfo.processInfo.systemUptime
    }
}
