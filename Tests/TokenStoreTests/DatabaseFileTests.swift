import Foundation
import GRDB
import Testing
import TokenDomain
@testable import TokenStore
import TestSupport

/// The database file is ours alone: private modes, and foreign files left byte-for-byte untouched.
@Suite(.serialized)
struct DatabaseFileTests {
    let scratch = ScratchDirectory("apitokens-file")

    /// A path in a new directory of its own, inside this test's scratch directory.
    func temporaryPath(_ name: String = "tokens.sqlite") -> String {
        scratch.path(UUID().uuidString + "/" + name)
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func directoryIs0700AndFilesAre0600EvenUnderUmask000() throws {
        let path = temporaryPath()
        let previous = umask(0)
        defer { umask(previous) }
        let store = try TokenStore(path: path)
        try store.bootstrapIfEmpty(login: "root", name: "Root")
        #expect(try mode((path as NSString).deletingLastPathComponent) == 0o700)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            #expect(try mode(path + suffix) == 0o600, "\(suffix)")
        }
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }

    func expectUntouched(_ contents: Data, _ check: (TokenStoreError) -> Bool) throws {
        let path = temporaryPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(to: URL(fileURLWithPath: path))
        #expect {
            try TokenStore(path: path)
        } throws: { error in
            (error as? TokenStoreError).map(check) ?? false
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == contents)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func textFileIsRefusedAndUntouched() throws {
        try expectUntouched(Data("hello, this is my shopping list\n".utf8)) {
            if case .notADatabase = $0 { return true } else { return false }
        }
    }

    @Test func anotherApplicationsDatabaseIsRefusedAndUntouched() throws {
        let other = temporaryPath("other.sqlite")
        try FileManager.default.createDirectory(atPath: (other as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try runSQLite(other, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
        try expectUntouched(try Data(contentsOf: URL(fileURLWithPath: other))) {
            if case .foreignDatabase = $0 { return true } else { return false }
        }
    }

    @Test func newerVersionIsRefusedAndUntouched() throws {
        let path = temporaryPath()
        try TokenStore(path: path).bootstrapIfEmpty(login: "root", name: "Root")
        try runSQLite(path, "PRAGMA user_version = 99;")
        let contents = try Data(contentsOf: URL(fileURLWithPath: path))
        try expectUntouched(contents) {
            if case .newerVersion(_, 99, _) = $0 { return true } else { return false }
        }
    }

    @Test func truncatedDatabaseIsRefusedAndUntouched() throws {
        let path = temporaryPath()
        try TokenStore(path: path).bootstrapIfEmpty(login: "root", name: "Root")
        let contents = try Data(contentsOf: URL(fileURLWithPath: path))
        try expectUntouched(contents.prefix(contents.count - 1000)) {
            if case .truncated = $0 { return true } else { return false }
        }
    }

    @Test func reopeningKeepsEverything() throws {
        let path = temporaryPath()
        do {
            let store = try TokenStore(path: path)
            try store.bootstrapIfEmpty(login: "root", name: "Root")
        }
        let store = try TokenStore(path: path)
        #expect(try store.bootstrapIfEmpty(login: "someone", name: "x") == false)
        #expect(try store.account(login: "root")?.isAdmin == true)
        #expect(try store.integrityCheck() == "ok")
    }

    /// Runs SQL on a plain connection, as another application would.
    func runSQLite(_ path: String, _ sql: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: sql) }
        try queue.close()
    }
}

/// What is at the database path is judged by `stat` before anything opens it.
@Suite(.serialized)
struct DatabasePathTests {
    let scratch = ScratchDirectory("apitokens-path")


    @Test func aFIFOIsRefusedWithoutHanging() throws {
        let path = scratch.path("fifo.sqlite")
        #expect(mkfifo(path, 0o600) == 0)
        #expect(openingRefusal(path) == .notRegularFile(path: path))
        #expect(openingRefusal(path, access: .check) == .notRegularFile(path: path))
    }

    @Test func aDirectorySaysItIsADirectory() throws {
        let path = scratch.path("folder")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        #expect(openingRefusal(path) == .isDirectory(path: path))
        #expect(openingRefusal(path)?.description.contains("is a directory") == true)
    }

    @Test func aHardLinkedDatabaseIsRefused() throws {
        let path = scratch.path("tokens.sqlite")
        try TokenStore(path: path).close()
        #expect(link(path, scratch.path("other-name.sqlite")) == 0)
        #expect(openingRefusal(path) == .hardLinked(path: path, links: 2))
    }

    @Test func checksAndExistingOpensNeverCreateAnything() throws {
        let path = scratch.path("missing/tokens.sqlite")
        #expect(openingRefusal(path, access: .check) == .missing(path: path))
        #expect(openingRefusal(path, access: .existing) == .missing(path: path))
        #expect(!FileManager.default.fileExists(atPath: (path as NSString).deletingLastPathComponent))
    }

    @Test func tighteningModesNeverFollowsASymbolicLink() throws {
        let path = scratch.path("tokens.sqlite")
        try TokenStore(path: path).close()
        let elsewhere = scratch.path("someone-elses-file")
        FileManager.default.createFile(atPath: elsewhere, contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
        #expect(symlink(elsewhere, path + "-wal") == 0)
        DatabaseFile.tightenModes(path: path)
        #expect((try FileManager.default.attributesOfItem(atPath: elsewhere)[.posixPermissions] as? Int) == 0o644)
    }

    @Test func writesAreSynchronousFull() throws {
        let store = try TokenStore(path: scratch.path("tokens.sqlite"))
        #expect(try store.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 2)
    }

    /// Two stores on one file in one process work side by side (the end-to-end tests show the locks survive).
    @Test func aSecondStoreOnTheSameFileWorksBesideTheFirst() throws {
        let path = scratch.path("tokens.sqlite")
        let first = try TokenStore(path: path)
        try first.bootstrapIfEmpty(login: "root", name: "Root")
        let second = try TokenStore(path: path)
        #expect(try second.account(login: "root") != nil)
        second.close()
        #expect(try first.account(login: "root") != nil)
        #expect(try first.integrityCheck() == "ok")
    }
}

/// The journal files beside a database, and databases that several processes create at once.
@Suite(.serialized)
struct SideFileTests {
    let scratch = ScratchDirectory("apitokens-side")


    @Test(arguments: ["-wal", "-shm"])
    func aHardLinkedOrSymlinkedSideFileIsRefusedAndItsTargetLeftAlone(suffix: String) throws {
        let path = scratch.path("\(suffix)/tokens.sqlite")
        try TokenStore(path: path).close()
        let victim = scratch.path("\(suffix)-victim")
        let contents = Data("somebody's notes\n".utf8)
        FileManager.default.createFile(atPath: victim, contents: contents, attributes: [.posixPermissions: 0o644])
        #expect(link(victim, path + suffix) == 0)
        #expect(openingRefusal(path) == .unsafeSideFile(path: path + suffix, problem: "has 2 hard links"))
        unlink(path + suffix)
        #expect(symlink(victim, path + suffix) == 0)
        #expect(openingRefusal(path) == .unsafeSideFile(path: path + suffix, problem: "is a symbolic link"))
        #expect(openingRefusal(path, access: .check) == .unsafeSideFile(path: path + suffix, problem: "is a symbolic link"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: victim)) == contents)
        #expect((try FileManager.default.attributesOfItem(atPath: victim)[.posixPermissions] as? Int) == 0o644)
    }

    @Test func anEmptyFileIsANewDatabaseOnlyForACommandThatMayCreateOne() throws {
        let path = scratch.path("empty.sqlite")
        FileManager.default.createFile(atPath: path, contents: Data(), attributes: [.posixPermissions: 0o644])
        #expect(openingRefusal(path, access: .check) == .empty(path: path))
        #expect(openingRefusal(path, access: .existing) == .empty(path: path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o644)
        #expect(openingRefusal(path) == nil)
    }

    @Test func aDanglingSymbolicLinkSaysSo() throws {
        let path = scratch.path("dangling.sqlite")
        #expect(symlink(scratch.path("nowhere/else.sqlite"), path) == 0)
        #expect(openingRefusal(path) == .danglingLink(path: path))
    }

    @Test func aCheckNeverChangesTheDatabasesMode() throws {
        let path = scratch.path("mode/tokens.sqlite")
        try TokenStore(path: path).close()
        chmod(path, 0o644)
        try TokenStore(path: path, access: .check).close()
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o644)
    }
}

/// Why opening a store at `path` failed, or nil when it opened.
func openingRefusal(_ path: String, access: StoreAccess = .create) -> TokenStoreError? {
    do {
        _ = try TokenStore(path: path, access: access)
        return nil
    } catch {
        return error
    }
}
