import Foundation
internal import GRDB
import TokenDomain

/// The chain's head: how many events, the last one's id and hash. Kept elsewhere, it proves the past later.
public struct AuditHead: Sendable, Equatable {
    public let count: Int
    public let lastID: Int64
    public let hash: Data

    public init(count: Int, lastID: Int64, hash: Data) {
        self.count = count
        self.lastID = lastID
        self.hash = hash
    }
}

/// What `audit verify` found.
public struct AuditVerification: Sendable, Equatable {
    /// Events walked.
    public let count: Int
    /// The first thing wrong, naming the event; nil when the chain is intact.
    public let problem: String?
    /// The event the problem is at, when there is one.
    public let eventID: Int64?

    public var isIntact: Bool { problem == nil }
}

/// Appends to and walks the hash-chained audit log.
enum AuditChain {
    /// Appends one event inside the caller's transaction: one read of the head, one insert, one head update.
    static func append(_ db: Database, at: Int64, actor: String, action: String, tokenID: Int64?, tokenName: String?,
                       details: String) throws {
        var head = try Row.fetchOne(db.cachedStatement(sql: "SELECT lastId, lastHash FROM audit_head WHERE id = 1"))
        if head == nil, let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1") {
            // The head was removed by hand: carry on from the last event, so the chain stays whole (verify has said so).
            try db.execute(sql: "INSERT INTO audit_head (id, count, lastId, lastHash) SELECT 1, count(*), ?, ? FROM audit",
                           arguments: [last["id"], (last["hash"] as Data?) ?? AuditDigest.genesis])
            head = try Row.fetchOne(db.cachedStatement(sql: "SELECT lastId, lastHash FROM audit_head WHERE id = 1"))
        }
        let previous: Data = head?["lastHash"] ?? AuditDigest.genesis
        // Past both the last row and the head's last event, so that a removed newest event leaves a gap that shows,
        // and a row someone added by hand cannot make it clash.
        let lastRow = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(id) FROM audit")) ?? 0
        let id = max(lastRow, (head?["lastId"] as Int64?) ?? 0) + 1
        let hash = AuditDigest.hash(id: id, at: at, actor: actor, action: action, tokenID: tokenID, tokenName: tokenName,
                                    details: details, previous: previous)
        try db.cachedStatement(sql: """
            INSERT INTO audit (id, at, actor, action, tokenId, tokenName, details, previousHash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, at, actor, action, tokenID, tokenName, details, previous, hash])
        try db.cachedStatement(sql: """
            INSERT INTO audit_head (id, count, lastId, lastHash) VALUES (1, 1, ?, ?)
              ON CONFLICT (id) DO UPDATE SET count = count + 1, lastId = excluded.lastId, lastHash = excluded.lastHash
            """).execute(arguments: [id, hash])
    }

    /// Chains the events of a database from before the chain, in id order: the migration to schema 5.
    static func chainExistingEvents(_ db: Database) throws {
        var previous = AuditDigest.genesis
        var count = 0
        var lastID: Int64 = 0
        let update = try db.makeStatement(sql: "UPDATE audit SET previousHash = ?, hash = ? WHERE id = ?")
        let page = try db.makeStatement(sql: """
            SELECT id, at, actor, action, tokenId, tokenName, details FROM audit WHERE id > ? ORDER BY id LIMIT 10000
            """)
        // In pages, so that a log of millions is never held in memory at once.
        while true {
            let rows = try Row.fetchAll(page, arguments: [lastID])
            if rows.isEmpty { break }
            for row in rows {
                let id: Int64 = row["id"]
                let hash = AuditDigest.hash(id: id, at: row["at"], actor: row["actor"], action: row["action"], tokenID: row["tokenId"],
                                            tokenName: row["tokenName"], details: row["details"], previous: previous)
                try update.execute(arguments: [previous, hash, id])
                previous = hash
                count += 1
                lastID = id
            }
        }
        if count > 0 {
            try db.execute(sql: "INSERT INTO audit_head (id, count, lastId, lastHash) VALUES (1, ?, ?, ?)",
                           arguments: [count, lastID, previous])
        }
    }

    /// The head, or nil before the first event (or when someone removed it, or its table).
    static func head(_ db: Database) throws -> AuditHead? {
        guard try db.tableExists("audit_head") else { return nil }
        return try Row.fetchOne(db, sql: "SELECT count, lastId, lastHash FROM audit_head WHERE id = 1").map {
            AuditHead(count: $0["count"], lastID: $0["lastId"], hash: $0["lastHash"])
        }
    }

    /// Walks every event in id order and names the first that was changed, removed or inserted by hand; then holds
    /// the end of the chain against the head, so that removing the newest events shows. With `knownHead`, also
    /// proves that the chain still passes through that hash.
    static func verify(_ db: Database, knownHead: Data?) throws -> AuditVerification {
        let head = try head(db)
        var walk = AuditWalk(knownHead: knownHead, recordedLastID: head?.lastID ?? 0)
        let rows = try Row.fetchCursor(db, sql: """
            SELECT id, at, actor, action, tokenId, tokenName, details, previousHash, hash FROM audit ORDER BY id
            """)
        while let row = try rows.next() {
            let event = AuditEvent(id: row[0], at: Date(timeIntervalSince1970: TimeInterval(row[1] as Int64)), actor: row[2],
                                   action: row[3], tokenID: row[4], tokenName: row[5], details: row[6])
            if let problem = walk.visit(event, link: row[7], stored: row[8]) { return problem }
        }
        return walk.finish(head: head, accounts: try Int.fetchOne(db, sql: "SELECT count(*) FROM account") ?? 0)
    }
}

/// One walk of the audit chain in id order, whichever engine holds it: fed each event with its stored link and
/// hash, it names the first that was changed, removed or inserted by hand, then holds the end against the head.
package struct AuditWalk {
    private var previous = AuditDigest.genesis
    private var count = 0
    private var lastID: Int64 = 0
    private let knownHead: Data?
    private var passedKnownHead: Bool
    /// The head's last event when the walk began: events past it were added by hand.
    private let recordedLastID: Int64
    private var firstPastHead: Int64?

    package init(knownHead: Data?, recordedLastID: Int64) {
        self.knownHead = knownHead
        passedKnownHead = knownHead == nil || knownHead == AuditDigest.genesis
        self.recordedLastID = recordedLastID
    }

    /// Takes the next event; returns the problem when it breaks the chain.
    package mutating func visit(_ event: AuditEvent, link: Data?, stored: Data?) -> AuditVerification? {
        let id = event.id
        func broken(_ problem: String) -> AuditVerification { AuditVerification(count: count, problem: problem, eventID: id) }
        guard let stored else { return broken("event #\(id) was inserted by hand: it carries no hash") }
        guard let link else { return broken("event #\(id) was changed after it was written") }
        let recomputed = AuditDigest.hash(id: id, at: Int64(event.at.timeIntervalSince1970), actor: event.actor, action: event.action,
                                          tokenID: event.tokenID, tokenName: event.tokenName, details: event.details, previous: link)
        if recomputed != stored {
            // Content that no longer hashes, and a link to something else: the row was moved here or replaced.
            if link != previous { return broken("event #\(id) was moved or replaced by hand: it does not belong here") }
            return broken("event #\(id) was changed after it was written")
        }
        if link != previous {
            if id > lastID + 1 {
                let gap = id - lastID - 1 == 1 ? "event #\(lastID + 1) was" : "events #\(lastID + 1)–#\(id - 1) were"
                return AuditVerification(count: count, problem: "\(gap) removed: event #\(id) does not follow event #\(lastID)",
                                         eventID: lastID + 1)
            }
            return broken("event #\(id) was inserted or moved by hand: it does not follow event #\(lastID)")
        }
        previous = stored
        count += 1
        lastID = id
        if stored == knownHead { passedKnownHead = true }
        if id > recordedLastID, firstPastHead == nil { firstPastHead = id }
        return nil
    }

    /// The verdict once every event was taken: the end of the chain against `head`, given how many accounts exist.
    package func finish(head: AuditHead?, accounts: Int) -> AuditVerification {
        if !passedKnownHead {
            return AuditVerification(count: count, problem: "the chain no longer passes through the head you gave: events up to it were rewritten or removed",
                                     eventID: nil)
        }
        guard let head else {
            // Every organisation's first event is its bootstrap: accounts without any event mean the log was emptied.
            if count == 0, accounts > 0 {
                return AuditVerification(count: 0, problem: "the audit log is empty but the organisation has accounts: every event was removed",
                                         eventID: nil)
            }
            return AuditVerification(count: count, problem: count == 0 ? nil : "the chain's head is missing: it was removed by hand",
                                     eventID: nil)
        }
        if count == head.count && lastID == head.lastID && previous == head.hash {
            return AuditVerification(count: count, problem: nil, eventID: nil)
        }
        if head.lastID > lastID {
            let from = lastID + 1
            return AuditVerification(count: count, problem: head.lastID > from
                ? "events #\(from)–#\(head.lastID) were removed: the head records \(head.count) events ending at #\(head.lastID)"
                : "event #\(from) was removed: the head records \(head.count) events ending at #\(head.lastID)",
                eventID: from)
        }
        if let added = firstPastHead, lastID > head.lastID, count > head.count {
            return AuditVerification(count: count, problem: "event #\(added) was added by hand after the head's last event #\(head.lastID)",
                                     eventID: added)
        }
        return AuditVerification(count: count, problem: "the chain's head was edited by hand: it records \(head.count) events ending at "
                                 + "#\(head.lastID), the log holds \(count) ending at #\(lastID)", eventID: nil)
    }
}

extension TokenStore {
    /// The audit chain's head, for administrators: keep it elsewhere to prove the past later.
    public func auditHead(by actor: Account) throws(TokenStoreError) -> AuditHead {
        try read { db in
            _ = try Self.requireAdmin(db, actor, to: "read the audit log")
            return try AuditChain.head(db) ?? AuditHead(count: 0, lastID: 0, hash: AuditDigest.genesis)
        }
    }

    /// Walks the whole audit chain; `knownHead` is a hash `auditHead` gave earlier.
    public func verifyAudit(knownHead: Data?, by actor: Account) throws(TokenStoreError) -> AuditVerification {
        try read { db in
            _ = try Self.requireAdmin(db, actor, to: "verify the audit log")
            // One snapshot: a writer appending meanwhile must not make the walk and the head disagree.
            var result: AuditVerification?
            try db.inTransaction(.deferred) {
                result = try AuditChain.verify(db, knownHead: knownHead)
                return .commit
            }
            return result ?? AuditVerification(count: 0, problem: "the audit log could not be read", eventID: nil)
        }
    }
}
