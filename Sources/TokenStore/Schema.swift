import GRDB

/// The append-only list of named migrations; a shipped migration is never edited.
enum Schema {
    /// The `user_version` this build writes; a database with a higher one is refused.
    static let version: Int32 = 1

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-organisation-tokens-audit") { db in
            try db.execute(sql: """
                CREATE TABLE team (
                  id INTEGER PRIMARY KEY,
                  name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100)
                );
                CREATE TABLE site (
                  id INTEGER PRIMARY KEY,
                  teamId INTEGER NOT NULL REFERENCES team(id) ON DELETE CASCADE,
                  name TEXT NOT NULL COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100),
                  UNIQUE (teamId, name)
                );
                CREATE TABLE account (
                  id INTEGER PRIMARY KEY,
                  login TEXT NOT NULL UNIQUE,
                  name TEXT NOT NULL,
                  role TEXT NOT NULL CHECK (role IN ('admin', 'user', 'viewer')),
                  removedAt INTEGER
                );
                CREATE TABLE membership (
                  accountId INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                  teamId INTEGER NOT NULL REFERENCES team(id) ON DELETE CASCADE,
                  PRIMARY KEY (accountId, teamId)
                ) WITHOUT ROWID;
                CREATE INDEX membership_team ON membership(teamId);

                -- ownerLogin, ownerName and teamName are copies kept so that every sortable
                -- column has its own index; logins and names never change once written.
                CREATE TABLE token (
                  id INTEGER PRIMARY KEY,
                  kind TEXT NOT NULL CHECK (kind IN ('admin', 'personal')),
                  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
                  nameKey TEXT NOT NULL,
                  ownerId INTEGER NOT NULL REFERENCES account(id),
                  ownerLogin TEXT NOT NULL,
                  ownerName TEXT NOT NULL,
                  teamId INTEGER REFERENCES team(id) ON DELETE SET NULL,
                  teamName TEXT NOT NULL,
                  permissions INTEGER NOT NULL CHECK (permissions > 0),
                  expiresInDays INTEGER CHECK (expiresInDays BETWEEN 1 AND 366),
                  expiresAt INTEGER,
                  allowedIPs TEXT NOT NULL DEFAULT '',
                  secretHash BLOB NOT NULL UNIQUE CHECK (length(secretHash) = 32),
                  hint TEXT NOT NULL,
                  createdAt INTEGER NOT NULL,
                  updatedAt INTEGER NOT NULL,
                  lastUsedAt INTEGER,
                  lastUsedIP TEXT,
                  revokedAt INTEGER,
                  version INTEGER NOT NULL DEFAULT 1,
                  CHECK ((expiresInDays IS NULL) = (expiresAt IS NULL)),
                  CHECK (revokedAt IS NOT NULL OR teamId IS NOT NULL)
                );
                CREATE UNIQUE INDEX token_live_name ON token(ownerId, nameKey) WHERE revokedAt IS NULL;
                CREATE INDEX token_live_by_name ON token(nameKey, id) WHERE revokedAt IS NULL;
                CREATE INDEX token_live_by_kind ON token(kind, id) WHERE revokedAt IS NULL;
                CREATE INDEX token_live_by_owner ON token(ownerLogin, id) WHERE revokedAt IS NULL;
                CREATE INDEX token_live_by_team ON token(teamName, id) WHERE revokedAt IS NULL;
                CREATE INDEX token_live_by_created ON token(createdAt, id) WHERE revokedAt IS NULL;
                CREATE INDEX token_live_by_expires
                  ON token(ifnull(expiresAt, 9223372036854775807), id) WHERE revokedAt IS NULL;
                CREATE INDEX token_live_by_last_used ON token(ifnull(lastUsedAt, 0), id) WHERE revokedAt IS NULL;
                CREATE INDEX token_owner ON token(ownerId, id);

                CREATE TABLE audit (
                  id INTEGER PRIMARY KEY,
                  at INTEGER NOT NULL,
                  actor TEXT NOT NULL,
                  action TEXT NOT NULL,
                  tokenId INTEGER,
                  tokenName TEXT,
                  details TEXT NOT NULL DEFAULT ''
                );
                """)
        }
        return migrator
    }
}
