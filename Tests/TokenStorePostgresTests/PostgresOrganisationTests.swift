import Foundation
import Testing
import TestSupport
import TokenDomain
import TokenStore
@testable import TokenStorePostgres

/// The organisation on PostgreSQL, against a real server: opening and migrating, people, teams, sites and policy,
/// each change audited on the same hash chain as SQLite's, and every permission judged on the facts in the store
/// when another connection changes them.
@Suite(.enabled(if: ScratchPostgres.serverURL != nil, "APITOKENS_TEST_POSTGRES names no server"))
struct PostgresOrganisationTests {
    let database: ScratchPostgres
    let location: PostgresLocation

    init() throws {
        database = try #require(ScratchPostgres())
        location = try PostgresLocation(parsing: database.url, osUser: NSUserName())
    }

    @Test func aNewDatabaseIsMigratedOnceAndBootstrapped() throws {
        let store = try PostgresStore(location)
        #expect(try store.bootstrapIfEmpty(login: "root", name: "Root Admin"))
        #expect(try !store.bootstrapIfEmpty(login: "other", name: "Other"))
        let root = try #require(try store.account(login: "root"))
        #expect(root.isAdmin && root.teams == ["Default"])
        store.close()
        // Opening again finds every migration applied and changes nothing.
        let again = try PostgresStore(location)
        #expect(try again.accounts().map(\.login) == ["root"])
        #expect(try again.auditLog(AuditFilter(), limit: nil, by: root).map(\.action) == ["bootstrap"])
    }

    @Test func peopleTeamsSitesAndPolicyAreKeptAndAudited() throws {
        let store = try PostgresStore(location)
        try store.bootstrapIfEmpty(login: "root", name: "Root")
        let root = try #require(try store.account(login: "root"))
        try store.addTeam(name: "Web", by: root)
        try store.addSite(name: "www.example.com", team: "Web", by: root)
        let jo = try store.addAccount(login: "jo", name: "Jo", role: .user, teams: ["Web"], by: root)
        #expect(jo.teams == ["Web"])
        #expect(try store.teams().map(\.name) == ["Default", "Web"])
        #expect(try store.teams().first { $0.name == "Web" }?.sites == ["www.example.com"])
        #expect(throws: TokenStoreError.duplicate("team 'web' already exists")) { try store.addTeam(name: "web", by: root) }
        #expect(throws: TokenStoreError.duplicate("account 'jo' already exists")) {
            try store.addAccount(login: "jo", name: nil, role: .viewer, teams: [], by: root)
        }
        try store.join(login: "jo", team: "Default", by: root)
        try store.leave(login: "jo", team: "Web", by: root)
        #expect(try store.account(login: "jo")?.teams == ["Default"])
        #expect(throws: TokenStoreError.notFound("jo is not a member of team 'Web'")) { try store.leave(login: "jo", team: "Web", by: root) }
        try store.removeSite(name: "WWW.example.com", team: "Web", by: root)
        try store.removeTeam(name: "Web", by: root)
        let policy = OrganisationPolicy(maxLifetimeDays: 90, requireIPAllowList: true)
        #expect(try store.setOrganisationPolicy(policy, by: root) == policy)
        #expect(try store.organisationPolicy() == policy)
        #expect(throws: TokenStoreError.self) {
            try store.setOrganisationPolicy(OrganisationPolicy(maxLifetimeDays: 400, requireIPAllowList: false), by: root)
        }
        let actions = try store.auditLog(AuditFilter(), limit: nil, by: root).map(\.action)
        #expect(actions == ["policy", "team.remove", "site.remove", "account.leave", "account.join", "account.add", "site.add",
                            "team.add", "bootstrap"])
        #expect(try store.auditLog(AuditFilter(text: "TEAM"), limit: 2, by: root).map(\.action) == ["team.remove", "team.add"])
        #expect(try store.auditHead(by: root).count == actions.count)
    }

    @Test func theChainHashesEveryEventAsSQLiteDoes() throws {
        let store = try PostgresStore(location)
        try store.bootstrapIfEmpty(login: "root", name: "Root")
        let root = try #require(try store.account(login: "root"))
        try store.addTeam(name: "Web", by: root)
        var previous = AuditDigest.genesis
        for event in try store.auditLog(AuditFilter(), limit: nil, by: root).reversed() {
            previous = AuditDigest.hash(id: event.id, at: Int64(event.at.timeIntervalSince1970), actor: event.actor,
                                        action: event.action, tokenID: event.tokenID, tokenName: event.tokenName,
                                        details: event.details, previous: previous)
        }
        #expect(try store.auditHead(by: root).hash == previous)
    }

    @Test func anotherConnectionsDemotionIsObeyedAtOnce() throws {
        let mine = try PostgresStore(location)
        try mine.bootstrapIfEmpty(login: "root", name: "Root")
        let root = try #require(try mine.account(login: "root"))
        let theirs = try PostgresStore(location)
        let ana = try theirs.addAccount(login: "ana", name: "Ana", role: .admin, teams: [], by: root)
        try theirs.setRole(login: "root", role: .user, by: ana)
        // `root` still says admin in this session's hands; the store judges the account as it is now.
        #expect(root.isAdmin)
        #expect(throws: TokenStoreError.refused(PolicyError("only administrators can add teams; root is a User"))) {
            try mine.addTeam(name: "Ops", by: root)
        }
        #expect(throws: TokenStoreError.conflict("ana is the last administrator; make another admin first")) {
            try theirs.setRole(login: "ana", role: .viewer, by: ana)
        }
    }

    @Test func concurrentWritersKeepOneUnbrokenChain() throws {
        let setup = try PostgresStore(location)
        try setup.bootstrapIfEmpty(login: "root", name: "Root")
        let root = try #require(try setup.account(login: "root"))
        let location = location
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 4) { writer in
            do {
                let store = try PostgresStore(location)
                for index in 0..<10 { try store.addTeam(name: "w\(writer)-\(index)", by: root) }
            } catch {
                failures.add("\(error)")
            }
        }
        #expect(failures.all.isEmpty)
        let events = try setup.auditLog(AuditFilter(), limit: nil, by: root)
        #expect(events.count == 41)
        #expect(events.map(\.id) == Array((1...41).reversed()))
        #expect(try setup.auditHead(by: root).count == 41)
    }

    @Test func aMissingDatabaseOrServerIsOneLine() throws {
        var components = try #require(URLComponents(string: database.url))
        components.path = "/no_such_database"
        #expect(throws: TokenStoreError.self) { try PostgresStore(PostgresLocation(parsing: components.string ?? "", osUser: NSUserName())) }
        do {
            _ = try PostgresStore(PostgresLocation(parsing: components.string ?? "", osUser: NSUserName()))
        } catch {
            #expect("\(error)".contains("there is no database 'no_such_database'"), "\(error)")
        }
        do {
            _ = try PostgresStore(PostgresLocation(parsing: "postgresql:///x?host=/nonexistent-socket-dir", osUser: "jo"))
            Issue.record("a missing server opened")
        } catch {
            #expect("\(error)".contains("is unreachable"), "\(error)")
            #expect(!"\(error)".contains("\n"))
        }
    }

    @Test func aDatabaseMigratedByANewerBuildIsRefused() throws {
        _ = try PostgresStore(location)
        ScratchPostgres.psql(database.url, "INSERT INTO apitokens_migration (name) VALUES ('v99-from-the-future')")
        do {
            _ = try PostgresStore(location)
            Issue.record("a newer schema opened")
        } catch {
            #expect("\(error)".contains("migrated by a newer apitokens (v99-from-the-future)"), "\(error)")
        }
    }
}

/// Errors collected from several threads.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var all: [String] { lock.withLock { messages } }
}
