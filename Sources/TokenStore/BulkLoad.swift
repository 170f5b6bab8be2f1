internal import GRDB

extension Schema {
    /// Rows per statement when filling the version-2 search index: FTS5 merges its pending terms between
    /// statements, and one statement holding a million rows runs several times slower than ten holding a tenth each.
    static let searchFillChunk: Int64 = 100_000

    /// Rebuilds the live tallies from the token table, inside the caller's transaction.
    static func fillTallies(_ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM token_tally;
            INSERT INTO token_tally (ownerId, kind, live)
              SELECT ownerId, kind, count(*) FROM token WHERE revokedAt IS NULL GROUP BY ownerId, kind;
            """)
    }

    /// Fills version 2's per-token trigram index, which version 6 replaces; kept as that migration shipped.
    static func fillTokenTrigrams(_ db: Database) throws {
        try db.execute(sql: "INSERT INTO token_search (token_search) VALUES ('delete-all')")
        let lastID = try Int64.fetchOne(db, sql: "SELECT ifnull(max(id), 0) FROM token") ?? 0
        for start in stride(from: Int64(0), to: lastID, by: Int(searchFillChunk)) {
            try db.execute(sql: """
                INSERT INTO token_search (rowid, nameKey)
                  SELECT id, nameKey FROM token WHERE revokedAt IS NULL AND id > ? AND id <= ?
                """, arguments: [start, start + searchFillChunk])
        }
    }

    /// Rebuilds the distinct live names, and through their triggers the trigram index, inside the caller's transaction.
    static func fillNames(_ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM token_name;
            INSERT INTO token_name (nameKey, live)
              SELECT nameKey, count(*) FROM token INDEXED BY token_live_by_name WHERE revokedAt IS NULL GROUP BY nameKey;
            """)
    }

    /// Runs `load` with the token table's indexes and triggers set aside, then rebuilds them, all in the
    /// caller's transaction: sorting a million rows once per index beats inserting them one by one into ten.
    static func bulkLoadTokens(_ db: Database, _ load: () throws -> Void) throws {
        let derived = try Row.fetchAll(db, sql: """
            SELECT type, name, sql FROM sqlite_master
            WHERE tbl_name = 'token' AND type IN ('index', 'trigger') AND sql IS NOT NULL
            """)
        for object in derived {
            let type: String = object["type"]
            let name: String = object["name"]
            try db.execute(sql: "DROP \(type) \(name.quotedDatabaseIdentifier)")
        }
        try load()
        for object in derived where object["type"] == "index" { try db.execute(sql: object["sql"]) }
        try fillTallies(db)
        try fillNames(db)
        for object in derived where object["type"] == "trigger" { try db.execute(sql: object["sql"]) }
    }
}
