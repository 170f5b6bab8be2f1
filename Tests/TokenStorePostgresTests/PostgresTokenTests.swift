import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore
@testable import TokenStorePostgres

/// Tokens on PostgreSQL against a real server: created, checked, rolled, refreshed and revoked, with a second
/// connection acting between every two checks, as a second host's `serve` or CLI would.
@Suite(.enabled(if: ScratchPostgres.serverURL != nil, "APITOKENS_TEST_POSTGRES names no server"))
struct PostgresTokenTests {
    let database: ScratchPostgres
    let store: PostgresStore
    let root: Account
    let jo: Account
    let webID: Int64
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    init() throws {
        database = try #require(ScratchPostgres())
        store = try PostgresStore(PostgresLocation(parsing: database.url, osUser: NSUserName()), clock: FixedClock(Self.start))
        try store.bootstrapIfEmpty(login: "root", name: "Root")
        root = try #require(try store.account(login: "root"))
        webID = try store.addTeam(name: "Web", by: root).id
        try store.addSite(name: "www.example.com", team: "Web", by: root)
        jo = try store.addAccount(login: "jo", name: "Jo", role: .user, teams: ["Web"], by: root)
    }

    func another() throws -> PostgresStore {
        try PostgresStore(PostgresLocation(parsing: database.url, osUser: NSUserName()), clock: FixedClock(Self.start))
    }

    func draft(_ name: String, _ permissions: [Permission] = [.readSite], ips: String = "") throws -> TokenDraft {
        TokenDraft(name: name, kind: .personal, teamID: webID, permissions: PermissionSet(permissions),
                   allowedIPs: try IPAllowList(parsing: ips))
    }

    @Test func aCreatedTokenChecksUntilAnotherConnectionRevokesIt() throws {
        let (token, secret) = try store.create(try draft("CI deploy"), by: jo)
        #expect(token.owner == "jo" && token.team == "Web" && token.version == 1)
        #expect(try store.token(id: token.id, by: jo)?.name == "CI deploy")
        guard case .active(_, let granted, false) = try store.check(secret, VerificationRequest(permissions: [.readSite]), at: nil) else {
            Issue.record("a new token did not check"); return
        }
        #expect(granted == PermissionSet([.readSite]))
        #expect(try store.check(secret, VerificationRequest(site: "www.example.com"), at: nil) != .inactive(reason: "unknown token"))
        #expect(try store.check(secret, VerificationRequest(site: "shop.example.com"), at: nil)
                == .outOfScope(reason: "site shop.example.com is not in team Web"))

        let other = try another()
        try other.revoke(ids: [token.id], by: root)
        #expect(try store.check(secret, VerificationRequest(), at: nil) == .inactive(reason: "token was revoked"))
        #expect(try store.token(id: token.id, by: jo) == nil)
        #expect(try store.auditLog(AuditFilter(tokenID: token.id), limit: nil, by: root).map(\.action) == ["revoke", "create"])
    }

    /// An administrator ends the session under a check that waits (here on a lock another session holds): the
    /// check is read again on a new connection and answers, rather than failing, as a `serve` would have 503'd.
    @Test func aCheckWhoseConnectionIsEndedUnderItIsReadAgainOnANewOne() throws {
        let (_, secret) = try store.create(try draft("Survives a terminated backend"), by: jo)
        #expect(try store.check(secret, VerificationRequest(), at: nil) != .inactive(reason: "unknown token"))
        let blocker = Process()
        blocker.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        blocker.arguments = [database.url, "-qAtX", "-c", """
            BEGIN; LOCK TABLE token IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1);
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock';
            COMMIT;
            """]
        blocker.standardOutput = FileHandle.nullDevice
        try blocker.run()
        defer { blocker.waitUntilExit() }
        // The check starts once the lock is held, and waits for it until its backend is terminated.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, ScratchPostgresProbe.locks(on: database.url) == 0 { usleep(20_000) }
        guard case .active = try store.check(secret, VerificationRequest(), at: nil) else {
            Issue.record("the check did not answer from a new connection"); return
        }
        blocker.waitUntilExit()
        #expect(blocker.terminationStatus == 0)
    }

    /// The check's statement is prepared once per connection; one the server dropped (`DISCARD ALL`, as a pooler
    /// sends between clients) is prepared again, and the check answers.
    @Test func aCheckAnswersAfterTheServerDroppedItsPreparedStatement() throws {
        let (_, secret) = try store.create(try draft("Prepared once"), by: jo)
        guard case .active = try store.check(secret, VerificationRequest(), at: nil) else { Issue.record("no first answer"); return }
        try store.connector.withConnection { connection in try store.connector.run("DISCARD ALL", on: connection) }
        guard case .active = try store.check(secret, VerificationRequest(), at: nil) else {
            Issue.record("the check did not prepare its statement again"); return
        }
    }

    /// A check service's reader keeps a token's facts, and a revoke through another connection ends them at once:
    /// the commit's notification, not the second they may live, is what the next check obeys.
    @Test func aCachingReaderObeysARevokeElsewhereAtOnce() throws {
        let (reader, token, secret) = try cachingReader(withTokenNamed: "Cached, then revoked")
        for _ in 0..<3 { guard case .active = try reader.check(secret, VerificationRequest(), at: nil) else { Issue.record("refused"); return } }
        let revoked = Date()
        try another().revoke(ids: [token.id], by: root)
        var answer = try reader.check(secret, VerificationRequest(), at: nil)
        while answer != .inactive(reason: "token was revoked"), Date().timeIntervalSince(revoked) < ChangeFeed.silence / 2 {
            usleep(2_000)
            answer = try reader.check(secret, VerificationRequest(), at: nil)
        }
        #expect(answer == .inactive(reason: "token was revoked"), "the revoke was not told within half the feed's silence")
    }

    /// The listening connection stops answering without closing (its backend frozen, as behind a cut network):
    /// nothing it would have told is missed for longer than the feed's silence.
    @Test func aFrozenChangeFeedStopsTheCacheWithinItsSilence() throws {
        let (reader, token, secret) = try cachingReader(withTokenNamed: "Cached behind a cut")
        guard case .active = try reader.check(secret, VerificationRequest(), at: nil) else { Issue.record("refused"); return }
        let feedBackend = try #require(Int32(ScratchPostgresProbe.value(on: database.url, """
            SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'SELECT 1' LIMIT 1
            """)), "no feed connection found")
        kill(feedBackend, SIGSTOP)
        defer { kill(feedBackend, SIGCONT) }
        let revoked = Date()
        try another().revoke(ids: [token.id], by: root)
        var answer = try reader.check(secret, VerificationRequest(), at: nil)
        while answer != .inactive(reason: "token was revoked"), Date().timeIntervalSince(revoked) < ChangeFeed.silence * 2 {
            usleep(10_000)
            answer = try reader.check(secret, VerificationRequest(), at: nil)
        }
        #expect(answer == .inactive(reason: "token was revoked"), "a silent feed kept a revoked token alive")
        #expect(Date().timeIntervalSince(revoked) < ChangeFeed.silence * 1.5)
    }

    /// A change no notification tells (here a trigger switched off by hand) is still obeyed once the facts are
    /// `lifetime` old: what a reader remembers is used, and never for longer.
    @Test func aCachingReaderRemembersForItsLifetimeAtMost() throws {
        let (reader, token, secret) = try cachingReader(withTokenNamed: "Remembered")
        guard case .active = try reader.check(secret, VerificationRequest(), at: nil) else { Issue.record("refused"); return }
        ScratchPostgres.psql(database.url, """
            ALTER TABLE token DISABLE TRIGGER token_change_notice;
            UPDATE token SET revokedAt = 1800000000 WHERE id = \(token.id);
            ALTER TABLE token ENABLE TRIGGER token_change_notice;
            """)
        guard case .active = try reader.check(secret, VerificationRequest(), at: nil) else {
            Issue.record("the reader did not answer from what it remembered"); return
        }
        usleep(UInt32(CheckFactsCache.lifetime * 1_100_000))
        #expect(try reader.check(secret, VerificationRequest(), at: nil) == .inactive(reason: "token was revoked"))
    }

    /// A check service's reader, listening, and a token made before it listened, so that no notification of the
    /// token arrives after the reader read its facts.
    func cachingReader(withTokenNamed name: String) throws -> (PostgresStore, Token, TokenSecret) {
        let (token, secret) = try store.create(try draft(name), by: jo)
        let reader = try PostgresStore(PostgresLocation(parsing: database.url, osUser: NSUserName()),
                                       clock: FixedClock(Self.start), cachingChecks: true)
        try waitUntilListening(reader)
        return (reader, token, secret)
    }

    func waitUntilListening(_ reader: PostgresStore) throws {
        let deadline = Date().addingTimeInterval(5)
        while reader.checkCache?.feed.generationNow() == nil {
            try #require(Date() < deadline, "the change feed never listened")
            usleep(10_000)
        }
    }

    /// A column's type changed under the prepared check ("cached plan must not change result type"): the
    /// statement is prepared anew, and checks and health answer as before.
    @Test func aCheckAnswersAfterAColumnItReadsChangedType() throws {
        let (_, secret) = try store.create(try draft("Survives a type change"), by: jo)
        guard case .active = try store.check(secret, VerificationRequest(), at: nil) else { Issue.record("no first answer"); return }
        ScratchPostgres.psql(database.url, "ALTER TABLE site ALTER COLUMN name TYPE varchar(300)")
        guard case .active = try store.check(secret, VerificationRequest(), at: nil) else {
            Issue.record("the check did not prepare its statement anew"); return
        }
        #expect(store.healthProblem() == nil)
    }

    @Test func aRollWithAGraceKeepsTheOldSecretUntilItEnds() throws {
        let (token, old) = try store.create(try draft("Nightly export"), by: jo)
        let (rolled, new) = try store.roll(id: token.id, grace: TimeSpan(hours: 1), by: jo)
        #expect(rolled.version == 2)
        guard case .active(_, _, true) = try store.check(old, VerificationRequest(), at: nil) else {
            Issue.record("the previous secret stopped inside its grace"); return
        }
        guard case .active(_, _, false) = try store.check(new, VerificationRequest(), at: nil) else {
            Issue.record("the new secret did not check"); return
        }
        #expect(try store.check(old, VerificationRequest(), at: Self.start.addingTimeInterval(3_601))
                == .inactive(reason: "secret was rolled out; its grace ended at \(RFC3339.string(Self.start.addingTimeInterval(3_600)))"))
        _ = try store.roll(id: token.id, grace: nil, by: jo)
        #expect(try store.check(new, VerificationRequest(), at: nil) == .inactive(reason: "unknown token"))
    }

    @Test func permissionsAreJudgedOnTheOwnerAsTheyAreNow() throws {
        let (token, secret) = try store.create(try draft("Laptop", [.readSite, .manageDeploys]), by: jo)
        // A stale account value does not matter: the store reads the actor's role as it is now.
        #expect(try store.token(id: token.id, by: root.with(role: .viewer))?.id == token.id)
        let other = try another()
        try other.leave(login: "jo", team: "Web", by: root)
        #expect(try store.check(secret, VerificationRequest(), at: nil)
                == .inactive(reason: "its owner jo is no longer a member of team Web"))
        try other.join(login: "jo", team: "Web", by: root)
        guard case .active = try store.check(secret, VerificationRequest(), at: nil) else {
            Issue.record("a token whose owner joined again does not check"); return
        }
        try other.setRole(login: "jo", role: .viewer, by: root)
        let demoted = try store.check(secret, VerificationRequest(), at: nil)
        guard case .active(_, let granted, _) = demoted else { Issue.record("a viewer's read-site token: \(demoted)"); return }
        #expect(granted == PermissionSet([.readSite]))
        #expect(throws: TokenStoreError.refused(PolicyError("only administrators can add teams; jo is a Viewer"))) {
            try store.addTeam(name: "Ops", by: jo)
        }
    }

    @Test func aDuplicateNameOrABadDraftChangesNothing() throws {
        _ = try store.create(try draft("CI deploy"), by: jo)
        #expect(throws: TokenStoreError.duplicate("a live token named 'ci DEPLOY' already exists for this owner")) {
            try store.create(try draft("ci DEPLOY"), by: jo)
        }
        #expect(throws: TokenStoreError.self) { try store.create([try draft("Fine"), try draft("")], by: jo) }
        #expect(try store.auditLog(AuditFilter(action: "create"), limit: nil, by: root).count == 1)
    }

    @Test func verifyRecordsAUseOnceAMinuteAndRefreshSelfExtends() throws {
        let (token, secret) = try store.create(try draft("Monitor"), by: jo)
        let ip = try #require(IPAddress("203.0.113.9"))
        _ = try store.verify(secret, VerificationRequest(clientIP: ip))
        let used = try #require(try store.token(id: token.id, by: jo))
        #expect(used.lastUsedIP == "203.0.113.9" && used.lastUsedAt == Self.start)
        let refreshed = try store.refreshSelf(secret, clientIP: ip)
        #expect(refreshed.version == 2)
        #expect(try store.auditLog(AuditFilter(tokenID: token.id), limit: 1, by: root).first?.actor == "token:\(token.id)")
    }
}

private extension Account {
    func with(role: Role) -> Account { Account(id: id, login: login, name: name, role: role, teams: teams) }
}

/// What the server says about the test's own database, through psql.
enum ScratchPostgresProbe {
    /// How many exclusive table locks are held in the database now.
    static func locks(on url: String) -> Int {
        Int(value(on: url, "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND locktype = 'relation' AND granted")) ?? 0
    }

    /// What one query prints through psql, trimmed; empty when it fails.
    static func value(on url: String, _ sql: String) -> String {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        probe.arguments = [url, "-qAtX", "-c", sql]
        let pipe = Pipe()
        probe.standardOutput = pipe
        guard (try? probe.run()) != nil else { return "" }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        probe.waitUntilExit()
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
