import Foundation
internal import GRDB

/// One stored value, as any engine can take it: for copying an organisation between engines.
package enum StoredValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob(Data)
}

/// The tables an organisation is made of, with the columns both engines give them, in the order to copy them.
package enum OrganisationTables {
    package static let columns: [(table: String, columns: [String])] = [
        ("team", ["id", "name"]),
        ("site", ["id", "teamId", "name"]),
        ("account", ["id", "login", "name", "role", "removedAt"]),
        ("membership", ["accountId", "teamId"]),
        ("policy", ["id", "maxLifetimeDays", "requireIPAllowList"]),
        ("token", ["id", "kind", "name", "nameKey", "ownerId", "ownerLogin", "ownerName", "teamId", "teamName", "permissions",
                   "expiresInDays", "expiresAt", "allowedIPs", "secretHash", "hint", "createdAt", "updatedAt", "lastUsedAt",
                   "lastUsedIP", "revokedAt", "version", "previousSecretHash", "previousSecretExpiresAt"]),
        ("audit", ["id", "at", "actor", "action", "tokenId", "tokenName", "details", "previousHash", "hash"]),
        ("audit_head", ["id", "count", "lastId", "lastHash"]),
        ("expiry_warning", ["tokenId", "withinSeconds", "expiresAt", "claimedAt", "sentAt"]),
    ]
}

extension TokenStore {
    /// Every row of `table`, `batch` rows at a time in key order, handed to `body`. For `apitokens migrate`, which
    /// copies an organisation to PostgreSQL while nothing writes to it. Tables keyed by `id` are read from a cursor on
    /// it; the others are small and read by offset.
    package func exportRows(of table: String, columns: [String], batch: Int,
                            _ body: ([[StoredValue]]) throws -> Void) throws(TokenStoreError) {
        let list = columns.joined(separator: ", ")
        let keyed = columns.first == "id"
        var offset = 0
        var after = Int64.min
        while true {
            let rows = try read { db in
                keyed
                    ? try Row.fetchAll(db, sql: "SELECT \(list) FROM \(table) WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, batch])
                    : try Row.fetchAll(db, sql: "SELECT \(list) FROM \(table) ORDER BY \(list) LIMIT ? OFFSET ?", arguments: [batch, offset])
            }
            guard let last = rows.last else { return }
            if keyed { after = last["id"] }
            let values = rows.map { row in
                (0..<row.count).map { index -> StoredValue in
                    switch row[index] as DatabaseValue {
                    case let value where value.isNull: .null
                    case let value: switch value.storage {
                        case .int64(let number): .integer(number)
                        case .double(let number): .integer(Int64(number))
                        case .string(let text): .text(text)
                        case .blob(let data): .blob(data)
                        case .null: .null
                        }
                    }
                }
            }
            do { try body(values) } catch { throw Self.translate(error) }
            offset += rows.count
        }
    }

    /// How many rows `table` holds.
    package func rowCount(of table: String) throws(TokenStoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    /// The secret hashes of every live token, in id order, `batch` at a time.
    package func liveSecretHashes(batch: Int, _ body: ([Data]) throws -> Void) throws(TokenStoreError) {
        var after: Int64 = 0
        while true {
            let rows = try read { db in
                try Row.fetchAll(db, sql: "SELECT id, secretHash FROM token WHERE id > ? AND revokedAt IS NULL ORDER BY id LIMIT ?",
                                 arguments: [after, batch])
            }
            guard let last = rows.last else { return }
            do { try body(rows.map { $0["secretHash"] }) } catch { throw Self.translate(error) }
            after = last["id"]
        }
    }
}
