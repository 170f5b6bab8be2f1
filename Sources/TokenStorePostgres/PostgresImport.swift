import Foundation
import PostgresNIO
import TokenDomain
import TokenStore

/// Copies an organisation from a SQLite store into an empty PostgreSQL one, one transaction per table batch, then
/// proves the copy: the same rows in every table, every live token's secret there, and the audit chain intact up
/// to the source's head.
public struct PostgresImport {
    /// Rows per transaction; a token row binds 23 values, and a statement takes at most 65,535.
    static let batch = 2_000

    let source: TokenStore
    let target: PostgresStore

    public init(from source: TokenStore, to target: PostgresStore) {
        self.source = source
        self.target = target
    }

    /// What was copied, for the person who asked.
    public struct Summary: Sendable {
        public let tokens: Int
        public let events: Int
        public let accounts: Int
    }

    /// Copies everything, or refuses a target that already holds an organisation. `progress` hears each table.
    public func run(by actor: Account, progress: (String) -> Void) throws(TokenStoreError) -> Summary {
        let sourceHead = try source.auditHead(by: actor)
        // A chain that is already broken would be copied and found broken only at the end.
        if let problem = try source.verifyAudit(knownHead: nil, by: actor).problem {
            throw TokenStoreError.conflict("the source's audit log does not verify (\(problem)); nothing was copied")
        }
        // Until the copy is proven, the target says so, and every command refuses it. Found empty and marked in one
        // write, so that of two copies started at once only one goes on.
        try target.write { db in
            let held = try db.value("SELECT (SELECT count(*) FROM account) + (SELECT count(*) FROM token) + (SELECT count(*) FROM audit)",
                                    as: Int64.self) ?? 0
            if held > 0 {
                throw TokenStoreError.conflict("\(target.connector.location) already holds an organisation; copy it only into an empty database (createdb a new one)")
            }
            let marked = try db.value("SELECT count(*) FROM apitokens_migration WHERE name = \(PostgresSchema.unfinishedImport)",
                                      as: Int64.self) ?? 0
            if marked > 0 { throw TokenStoreError.conflict("\(target.connector.location): \(PostgresSchema.unfinishedImportNote)") }
            try db.rows("INSERT INTO apitokens_migration (name) VALUES (\(PostgresSchema.unfinishedImport))")
        }
        for (table, columns) in OrganisationTables.columns {
            var copied = 0
            try target.write { db in
                // The new database's own policy row and head give way to the source's.
                if table == "policy" || table == "audit_head" { try db.rows(PostgresQuery(unsafeSQL: "DELETE FROM \(table)")) }
            }
            try source.exportRows(of: table, columns: columns, batch: Self.batch) { rows in
                try target.write { db in try db.insert(rows, into: table, columns: columns) }
                copied += rows.count
                progress("\(table): \(copied)")
            }
        }
        try target.write { db in
            for table in ["team", "site", "account", "token"] {
                try db.rows(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(table)', 'id'), greatest((SELECT max(id) FROM \(table)), 1))
                    """))
            }
        }
        try check(sourceHead: sourceHead, by: actor)
        // The copy's triggers counted each token into a name and an owner's tally, leaving a dead version per token
        // behind: rewritten, the tallies are a page again and the names in key order, as searches read them.
        progress("compact the tallies")
        try target.write { db in
            try db.rows("CLUSTER token_name USING token_name_pkey")
            try db.rows("CLUSTER token_tally USING token_tally_pkey")
        }
        try target.write { db in try db.rows("DELETE FROM apitokens_migration WHERE name = \(PostgresSchema.unfinishedImport)") }
        // Statistics for the planner after a bulk load, and the visibility map that index-only scans need.
        progress("vacuum and analyze")
        try target.connector.withConnection { connection in
            try target.connector.run("VACUUM (ANALYZE)", on: connection, deadline: .minutes(30))
        }
        return Summary(tokens: try source.rowCount(of: "token"), events: sourceHead.count, accounts: try source.rowCount(of: "account"))
    }

    /// Holds the copy against the source: row counts, live secrets, and the chain through the source's head.
    private func check(sourceHead: AuditHead, by actor: Account) throws(TokenStoreError) {
        for (table, _) in OrganisationTables.columns {
            let expected = try source.rowCount(of: table)
            let found = try target.read { db in
                Int(try db.value(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), as: Int64.self) ?? 0)
            }
            guard found == expected else {
                throw TokenStoreError.database("the copy is incomplete: \(table) holds \(found) rows, the source \(expected)")
            }
        }
        try source.liveSecretHashes(batch: Self.batch) { hashes in
            var sql = SQLBuilder("SELECT count(*) FROM token WHERE revokedAt IS NULL AND secretHash IN (")
            for (index, hash) in hashes.enumerated() {
                if index > 0 { sql.append(", ") }
                try sql.bind(hash)
            }
            sql.append(")")
            let query = sql.query
            let present = try target.read { db in try db.value(query, as: Int64.self) ?? 0 }
            guard present == hashes.count else {
                throw TokenStoreError.database("the copy is incomplete: \(hashes.count - Int(present)) live tokens' secrets are missing")
            }
        }
        let verification = try target.verifyAudit(knownHead: sourceHead.hash, by: actor)
        if let problem = verification.problem { throw TokenStoreError.database("the copied audit log does not verify: \(problem)") }
    }
}

extension Transaction {
    /// Inserts rows as they came from the other engine; SQLite's 0 and 1 become PostgreSQL's booleans.
    func insert(_ values: [[StoredValue]], into table: String, columns: [String]) throws {
        guard !values.isEmpty else { return }
        var sql = SQLBuilder("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ")
        for (index, row) in values.enumerated() {
            sql.append(index == 0 ? "(" : ", (")
            for (position, value) in row.enumerated() {
                if position > 0 { sql.append(", ") }
                switch value {
                case .null: sql.append("NULL")
                case .integer(let number) where columns[position] == "requireIPAllowList": sql.bind(number != 0)
                case .integer(let number): sql.bind(number)
                case .text(let text): sql.bind(text)
                case .blob(let data): try sql.bind(data)
                }
            }
            sql.append(")")
        }
        try rows(sql.query)
    }
}
