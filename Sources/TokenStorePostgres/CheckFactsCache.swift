import Foundation
import TokenStore

/// Check answers' facts as read, each kept only while the change feed has seen no change since it was read, and
/// never longer than `lifetime`: a change through apitokens anywhere is obeyed at once (or within the feed's
/// `silence` when its connection was cut unnoticed); the lifetime bounds a change no trigger told (made by hand
/// with the triggers switched off).
final class CheckFactsCache: @unchecked Sendable {
    /// Longest a fact is trusted without a new read.
    static let lifetime: TimeInterval = 5
    /// Most secrets remembered; beyond it everything is forgotten and read again.
    static let capacity = 20_000

    private struct Entry {
        let facts: CheckFacts
        let generation: UInt64
        let readAt: TimeInterval
    }

    private let lock = NSLock()
    private var entries: [Data: Entry] = [:]

    /// The facts read for `hash` since the feed's `generation`, not older than `lifetime`.
    func facts(for hash: Data, generation: UInt64) -> CheckFacts? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[hash], entry.generation == generation,
              ProcessInfo.processInfo.systemUptime - entry.readAt < Self.lifetime else { return nil }
        return entry.facts
    }

    /// Remembers facts read while the feed stood at `generation`.
    func remember(_ facts: CheckFacts, for hash: Data, generation: UInt64, readAt: TimeInterval) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
        entries[hash] = Entry(facts: facts, generation: generation, readAt: readAt)
    }
}
