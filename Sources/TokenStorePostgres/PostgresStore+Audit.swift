import Foundation
import PostgresNIO
import TokenDomain
import TokenStore

extension Transaction {
    /// Appends one event to the hash chain inside this transaction: the same digest as SQLite's, so a chain copied
    /// from one engine to the other still verifies.
    func audit(at: Int64, actor: String, action: String, tokenID: Int64? = nil, tokenName: String? = nil,
               details: String = "") throws {
        let head = try rows("SELECT lastId, lastHash FROM audit_head WHERE id = 1").first.map { try $0.decode((Int64, Data).self) }
        let previous = head?.1 ?? AuditDigest.genesis
        let lastRow = try value("SELECT coalesce(max(id), 0) FROM audit", as: Int64.self) ?? 0
        let id = max(lastRow, head?.0 ?? 0) + 1
        let hash = AuditDigest.hash(id: id, at: at, actor: actor, action: action, tokenID: tokenID, tokenName: tokenName,
                                    details: details, previous: previous)
        try rows("""
            INSERT INTO audit (id, at, actor, action, tokenId, tokenName, details, previousHash, hash)
            VALUES (\(id), \(at), \(actor), \(action), \(tokenID), \(tokenName), \(details), \(previous), \(hash))
            """)
        try rows("""
            INSERT INTO audit_head (id, count, lastId, lastHash) VALUES (1, 1, \(id), \(hash))
              ON CONFLICT (id) DO UPDATE SET count = audit_head.count + 1, lastId = excluded.lastId, lastHash = excluded.lastHash
            """)
    }
}

extension Transaction {
    /// The events a query selects, as `id, at, actor, action, tokenId, tokenName, details`.
    func auditEvents(_ query: PostgresQuery) throws -> [AuditEvent] {
        try rows(query).map { row in
            let (id, at, who, action, tokenID, tokenName, details) = try row.decode((Int64, Int64, String, String, Int64?, String?, String).self)
            return AuditEvent(id: id, at: Date(timeIntervalSince1970: TimeInterval(at)), actor: who, action: action,
                              tokenID: tokenID, tokenName: tokenName, details: details)
        }
    }
}

extension PostgresStore {
    /// The newest audit events first, those `filter` keeps; for administrators, as they are now.
    public func auditLog(_ filter: AuditFilter, limit: Int?, by actor: Account) throws(TokenStoreError) -> [AuditEvent] {
        try read { db in
            _ = try db.requireAdmin(actor, to: "read the audit log")
            let needle = filter.text.trimmingCharacters(in: .whitespaces).lowercased()
            let since = filter.since.map { Int64($0.timeIntervalSince1970) }
            return try db.auditEvents("""
                SELECT id, at, actor, action, tokenId, tokenName, details FROM audit
                WHERE (\(filter.tokenID)::BIGINT IS NULL OR tokenId = \(filter.tokenID))
                  AND (\(filter.actor)::TEXT IS NULL OR actor = \(filter.actor))
                  AND (\(filter.action)::TEXT IS NULL OR action = \(filter.action))
                  AND (\(since)::BIGINT IS NULL OR at >= \(since))
                  AND (\(needle) = '' OR strpos(lower(actor), \(needle)) > 0 OR strpos(lower(action), \(needle)) > 0
                       OR strpos(lower(coalesce(tokenName, '')), \(needle)) > 0)
                ORDER BY id DESC LIMIT \(limit.map(Int64.init))
                """)
        }
    }

    /// How many events the chain holds and its last hash, to keep elsewhere; for administrators.
    public func auditHead(by actor: Account) throws(TokenStoreError) -> AuditHead {
        try read { db in
            _ = try db.requireAdmin(actor, to: "read the audit log")
            guard let row = try db.rows("SELECT count, lastId, lastHash FROM audit_head WHERE id = 1").first else {
                return AuditHead(count: 0, lastID: 0, hash: AuditDigest.genesis)
            }
            let (count, lastID, hash) = try row.decode((Int64, Int64, Data).self)
            return AuditHead(count: Int(count), lastID: lastID, hash: hash)
        }
    }
}

extension PostgresStore {
    /// Walks the whole chain in one snapshot, as SQLite's store does; `knownHead` is a hash `auditHead` gave earlier.
    public func verifyAudit(knownHead: Data?, by actor: Account) throws(TokenStoreError) -> AuditVerification {
        try migrateIfNeeded()
        return try connector.withConnection(readOnly: true) { connection in
            let db = Transaction(connector: connector, connection: connection)
            try db.rows("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { _ = try? db.rows("COMMIT") }
            _ = try db.requireAdmin(actor, to: "verify the audit log")
            let head = try db.rows("SELECT count, lastId, lastHash FROM audit_head WHERE id = 1").first
                .map { try $0.decode((Int64, Int64, Data).self) }
                .map { AuditHead(count: Int($0.0), lastID: $0.1, hash: $0.2) }
            var walk = AuditWalk(knownHead: knownHead, recordedLastID: head?.lastID ?? 0)
            var after: Int64 = 0
            // In pages, so that a log of millions is never held in memory at once.
            while true {
                let rows = try db.rows("""
                    SELECT id, at, actor, action, tokenId, tokenName, details, previousHash, hash FROM audit
                    WHERE id > \(after) ORDER BY id LIMIT 10000
                    """)
                if rows.isEmpty { break }
                for row in rows {
                    let (id, at, who, action, tokenID, tokenName, details, link, stored)
                        = try row.decode((Int64, Int64, String, String, Int64?, String?, String, Data?, Data?).self)
                    let event = AuditEvent(id: id, at: Date(timeIntervalSince1970: TimeInterval(at)), actor: who, action: action,
                                           tokenID: tokenID, tokenName: tokenName, details: details)
                    if let problem = walk.visit(event, link: link, stored: stored) { return problem }
                    after = id
                }
            }
            let accounts = try db.value("SELECT count(*) FROM account", as: Int64.self) ?? 0
            return walk.finish(head: head, accounts: Int(accounts))
        }
    }
}
