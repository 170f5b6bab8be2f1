import Foundation
internal import GRDB
import TokenDomain

/// The append-only list of named migrations; a shipped migration is never edited.
enum Schema {
    /// The `user_version` this build writes; a database with a higher one is refused.
    static let version: Int32 = 6

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
        migrator.registerMigration("v2-search-index-and-tallies") { db in
            try db.execute(sql: """
                -- The personal tab walks one owner's tokens in every sort order, as the API tab walks all of them.
                -- nameKey rides along so that a search walk rejects non-matching rows without reading the table.
                CREATE INDEX token_personal_by_name ON token(ownerId, nameKey, id) WHERE kind = 'personal' AND revokedAt IS NULL;
                CREATE INDEX token_personal_by_kind ON token(ownerId, kind, id, nameKey)
                  WHERE kind = 'personal' AND revokedAt IS NULL;
                CREATE INDEX token_personal_by_owner ON token(ownerId, ownerLogin, id, nameKey)
                  WHERE kind = 'personal' AND revokedAt IS NULL;
                CREATE INDEX token_personal_by_team ON token(ownerId, teamName, id, nameKey)
                  WHERE kind = 'personal' AND revokedAt IS NULL;
                CREATE INDEX token_personal_by_created ON token(ownerId, createdAt, id, nameKey)
                  WHERE kind = 'personal' AND revokedAt IS NULL;
                CREATE INDEX token_personal_by_expires ON token(ownerId, ifnull(expiresAt, 9223372036854775807), id, nameKey)
                  WHERE kind = 'personal' AND revokedAt IS NULL;
                CREATE INDEX token_personal_by_last_used ON token(ownerId, ifnull(lastUsedAt, 0), id, nameKey)
                  WHERE kind = 'personal' AND revokedAt IS NULL;

                -- Live token names, cut into trigrams, so a substring search reads an index instead of every row.
                -- Contentless: the index answers which rowids match; the rows themselves stay in token.
                CREATE VIRTUAL TABLE token_search USING fts5(
                  nameKey, content='', columnsize=0, tokenize='trigram');

                CREATE TRIGGER token_search_insert AFTER INSERT ON token WHEN new.revokedAt IS NULL BEGIN
                  INSERT INTO token_search (rowid, nameKey) VALUES (new.id, new.nameKey);
                END;
                CREATE TRIGGER token_search_update AFTER UPDATE OF nameKey, revokedAt ON token BEGIN
                  INSERT INTO token_search (token_search, rowid, nameKey)
                    SELECT 'delete', old.id, old.nameKey WHERE old.revokedAt IS NULL;
                  INSERT INTO token_search (rowid, nameKey) SELECT new.id, new.nameKey WHERE new.revokedAt IS NULL;
                END;
                CREATE TRIGGER token_search_delete AFTER DELETE ON token WHEN old.revokedAt IS NULL BEGIN
                  INSERT INTO token_search (token_search, rowid, nameKey) VALUES ('delete', old.id, old.nameKey);
                END;

                -- Live tokens per owner and kind, kept by triggers, so the table's row count costs a few rows.
                CREATE TABLE token_tally (
                  ownerId INTEGER NOT NULL,
                  kind TEXT NOT NULL,
                  live INTEGER NOT NULL,
                  PRIMARY KEY (ownerId, kind)
                ) WITHOUT ROWID;

                CREATE TRIGGER token_tally_insert AFTER INSERT ON token WHEN new.revokedAt IS NULL BEGIN
                  INSERT INTO token_tally (ownerId, kind, live) VALUES (new.ownerId, new.kind, 1)
                    ON CONFLICT (ownerId, kind) DO UPDATE SET live = live + 1;
                END;
                CREATE TRIGGER token_tally_update AFTER UPDATE OF ownerId, kind, revokedAt ON token BEGIN
                  UPDATE token_tally SET live = live - 1
                    WHERE old.revokedAt IS NULL AND ownerId = old.ownerId AND kind = old.kind;
                  INSERT INTO token_tally (ownerId, kind, live) SELECT new.ownerId, new.kind, 1 WHERE new.revokedAt IS NULL
                    ON CONFLICT (ownerId, kind) DO UPDATE SET live = live + 1;
                END;
                CREATE TRIGGER token_tally_delete AFTER DELETE ON token WHEN old.revokedAt IS NULL BEGIN
                  UPDATE token_tally SET live = live - 1 WHERE ownerId = old.ownerId AND kind = old.kind;
                END;
                """)
            try fillTallies(db)
            try fillTokenTrigrams(db)
        }
        migrator.registerMigration("v3-names-in-nfc") { db in
            // Names are stored in NFC from now on, so that `café` typed either way is one name. Older rows are
            // brought in line; a row whose normal form would clash with a live token of the same owner keeps its
            // old spelling rather than fail the upgrade.
            db.add(function: DatabaseFunction("apitokens_nfc", argumentCount: 1, pure: true) { values in
                String.fromDatabaseValue(values[0]).map { $0.precomposedStringWithCanonicalMapping }
            })
            db.add(function: DatabaseFunction("apitokens_name_key", argumentCount: 1, pure: true) { values in
                String.fromDatabaseValue(values[0]).map(Naming.uniquenessKey)
            })
            try db.execute(sql: """
                UPDATE OR IGNORE token SET name = apitokens_nfc(name), nameKey = apitokens_name_key(name)
                  WHERE name != apitokens_nfc(name) OR nameKey != apitokens_name_key(name);
                """)
        }
        migrator.registerMigration("v4-previous-secret") { db in
            // A roll with a grace keeps the secret it replaced, as a hash like the current one, until the grace ends.
            try db.execute(sql: """
                ALTER TABLE token ADD COLUMN previousSecretHash BLOB
                  CHECK (previousSecretHash IS NULL OR length(previousSecretHash) = 32);
                ALTER TABLE token ADD COLUMN previousSecretExpiresAt INTEGER
                  CHECK ((previousSecretHash IS NULL) = (previousSecretExpiresAt IS NULL));
                CREATE UNIQUE INDEX token_previous_secret ON token(previousSecretHash) WHERE previousSecretHash IS NOT NULL;
                """)
        }
        migrator.registerMigration("v5-policy-audit-chain-notify") { db in
            try db.execute(sql: """
                -- The organisation's rules: one row.
                CREATE TABLE policy (
                  id INTEGER PRIMARY KEY CHECK (id = 1),
                  maxLifetimeDays INTEGER CHECK (maxLifetimeDays BETWEEN 1 AND 366),
                  requireIPAllowList INTEGER NOT NULL DEFAULT 0 CHECK (requireIPAllowList IN (0, 1))
                );
                INSERT INTO policy (id) VALUES (1);

                -- Each event's hash covers its content and the previous event's hash; the head is kept beside the
                -- chain and moved in the transaction that appends, so removing the newest events shows too.
                ALTER TABLE audit ADD COLUMN previousHash BLOB;
                ALTER TABLE audit ADD COLUMN hash BLOB;
                CREATE TABLE audit_head (
                  id INTEGER PRIMARY KEY CHECK (id = 1),
                  count INTEGER NOT NULL,
                  lastId INTEGER NOT NULL,
                  lastHash BLOB NOT NULL
                );
                CREATE INDEX audit_by_token ON audit(tokenId, id);
                CREATE INDEX audit_by_actor ON audit(actor, id);
                CREATE INDEX audit_by_action ON audit(action, id);
                CREATE INDEX audit_by_time ON audit(at, id);

                -- Expiry warnings sent (or being sent), once per token, threshold and expiry.
                CREATE TABLE expiry_warning (
                  tokenId INTEGER NOT NULL,
                  withinSeconds INTEGER NOT NULL,
                  expiresAt INTEGER NOT NULL,
                  claimedAt INTEGER NOT NULL,
                  sentAt INTEGER,
                  PRIMARY KEY (tokenId, withinSeconds, expiresAt)
                ) WITHOUT ROWID;
                """)
            try AuditChain.chainExistingEvents(db)
        }
        migrator.registerMigration("v6-search-by-distinct-name") { db in
            try db.execute(sql: """
                -- Many tokens share a name (one per owner), so the trigram index covers each live name once, and a
                -- search finds the names first: read in name order, their tokens come out sorted by name without
                -- a sort, through the name index.
                DROP TRIGGER token_search_insert;
                DROP TRIGGER token_search_update;
                DROP TRIGGER token_search_delete;
                DROP TABLE token_search;

                CREATE TABLE token_name (
                  id INTEGER PRIMARY KEY,
                  nameKey TEXT NOT NULL UNIQUE,
                  live INTEGER NOT NULL CHECK (live > 0)
                );
                CREATE VIRTUAL TABLE token_name_search USING fts5(
                  nameKey, content='', columnsize=0, tokenize='trigram');

                CREATE TRIGGER token_name_insert AFTER INSERT ON token_name BEGIN
                  INSERT INTO token_name_search (rowid, nameKey) VALUES (new.id, new.nameKey);
                END;
                CREATE TRIGGER token_name_delete AFTER DELETE ON token_name BEGIN
                  INSERT INTO token_name_search (token_name_search, rowid, nameKey) VALUES ('delete', old.id, old.nameKey);
                END;

                -- A name stays while one live token holds it.
                CREATE TRIGGER token_names_insert AFTER INSERT ON token WHEN new.revokedAt IS NULL BEGIN
                  INSERT INTO token_name (nameKey, live) VALUES (new.nameKey, 1)
                    ON CONFLICT (nameKey) DO UPDATE SET live = live + 1;
                END;
                CREATE TRIGGER token_names_update AFTER UPDATE OF nameKey, revokedAt ON token BEGIN
                  DELETE FROM token_name WHERE old.revokedAt IS NULL AND nameKey = old.nameKey AND live = 1;
                  UPDATE token_name SET live = live - 1 WHERE old.revokedAt IS NULL AND nameKey = old.nameKey;
                  INSERT INTO token_name (nameKey, live) SELECT new.nameKey, 1 WHERE new.revokedAt IS NULL
                    ON CONFLICT (nameKey) DO UPDATE SET live = live + 1;
                END;
                CREATE TRIGGER token_names_delete AFTER DELETE ON token WHEN old.revokedAt IS NULL BEGIN
                  DELETE FROM token_name WHERE nameKey = old.nameKey AND live = 1;
                  UPDATE token_name SET live = live - 1 WHERE nameKey = old.nameKey;
                END;
                """)
            try fillNames(db)
        }
        return migrator
    }
}
