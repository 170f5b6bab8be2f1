import Foundation
import Logging
import ServiceLifecycle
import TokenDomain
import TokenStore

/// Records last-used time and address behind the requests: a check only notes the use, and a batch is written
/// every second, and once more on shutdown, by a store of its own, so no check ever waits on the write lock.
/// Each token and address is written at most once a minute.
final class UsageRecorder: Service, @unchecked Sendable {
    private let store: any TokenRepository
    private let logger: Logger
    private let interval: Duration
    private let lock = NSLock()
    /// Uses noted since the last batch, one per token and address.
    private var pending: [Key: TokenUse] = [:]
    /// When each token and address was last noted, so a busy token costs one write a minute.
    private var lastNoted: [Key: Date] = [:]
    /// Writes happen here, off the threads that answer requests.
    private let queue = DispatchQueue(label: "apitokens.last-used")

    private struct Key: Hashable {
        let tokenID: Int64
        let clientIP: String?
    }

    init(store: any TokenRepository, logger: Logger, interval: Duration = .seconds(1)) {
        self.store = store
        self.logger = logger
        self.interval = interval
    }

    /// Notes a successful use of `token`; cheap, and never touches the database.
    func note(_ use: TokenUse, of token: Token) {
        let key = Key(tokenID: use.tokenID, clientIP: use.clientIP)
        lock.lock()
        defer { lock.unlock() }
        if let last = lastNoted[key], use.at.timeIntervalSince(last) < 60 { return }
        lastNoted[key] = use.at
        guard use.isNews(after: token) else { return }
        pending[key] = use
    }

    func run() async throws {
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                break  // shutting down: the last batch is written below
            }
            await flush()
        }
        await flush()
    }

    /// Writes what is pending in one transaction.
    func flush() async {
        let (batch, cutoff) = takeBatch()
        guard !batch.isEmpty else { return }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async {
                do {
                    try self.store.recordUses(batch)
                } catch {
                    self.logger.warning("could not record last use of \(batch.count) token(s): \(error)")
                }
                self.forget(before: cutoff)
                done.resume()
            }
        }
    }

    private func takeBatch() -> ([TokenUse], Date) {
        lock.lock()
        defer { lock.unlock() }
        let batch = Array(pending.values)
        pending = [:]
        return (batch, Date().addingTimeInterval(-60))
    }

    private func forget(before cutoff: Date) {
        lock.lock()
        defer { lock.unlock() }
        lastNoted = lastNoted.filter { $0.value >= cutoff }
    }
}
