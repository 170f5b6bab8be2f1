import Foundation
import TokenDomain

/// How a store opens its database file.
public enum StoreAccess: Sendable {
    /// Reads and writes; a missing database (and its directory) is created.
    case create
    /// Reads and writes an existing database; a missing one is an error, nothing is created.
    case existing
    /// A check: never creates, and opens read-only when the file cannot be written.
    case check
}

/// Checks and prepares the database file before SQLite touches it, so foreign files stay byte-for-byte intact.
///
/// Closing any descriptor on a database file drops every POSIX lock this process holds on it, and another process
/// may then delete the WAL under our connection (SQLite's "How To Corrupt", §2.2). So the header is read only while
/// no store of this process has the file open (see `OpenDatabases`), and everything else is judged by `stat`.
/// The same document's other ways are closed too: a file with several hard links is refused (each name would get
/// its own journal), writes are `synchronous = FULL`, and the file is never replaced, renamed or unlinked.
enum DatabaseFile {
    /// Our `PRAGMA application_id`: "ATOK".
    static let applicationID: Int32 = 0x4154_4F4B

    /// What preparing found: whether the file was created just now, whether it can be written, and which file it is.
    struct Prepared {
        let created: Bool
        let writable: Bool
        let claim: OpenDatabases.Claim
    }

    /// Refuses a file that is not ours; with `.create`, makes a missing database (0600). With `.create` the caller
    /// holds the `DirectoryLock`, so no other process is creating or stamping the same file meanwhile.
    /// On success the file is registered as open in this process; the caller must `OpenDatabases.release` the claim.
    static func prepare(path: String, for use: StoreAccess, supportedVersion: Int32) throws(TokenStoreError) -> Prepared {
        guard let facts = FileFacts(path: path) else {
            var link = stat()
            if lstat(path, &link) == 0 { throw .danglingLink(path: path) }
            guard use == .create else { throw .missing(path: path) }
            return try create(path: path)
        }
        if facts.isDirectory { throw .isDirectory(path: path) }
        guard facts.isRegular else { throw .notRegularFile(path: path) }
        // Each name of a file would get its own -wal and -shm, and two journals for one database corrupt it.
        if facts.links > 1 { throw .hardLinked(path: path, links: facts.links) }
        let ours = facts.owner == geteuid()
        // A check may read another user's database; nothing else adopts it, and a check never writes to it.
        if use != .check, !ours { throw .ownedByAnotherUser(path: path, owner: facts.ownerName) }
        // Only a command that may create a database treats an empty file as a new one.
        if facts.size == 0, use != .create { throw .empty(path: path) }
        try checkSideFiles(of: path, owner: facts.owner)
        let writable = ours && access(path, W_OK) == 0
        if use != .check {
            if !writable { throw .readOnly(path: path) }
            // WAL needs to create -wal and -shm beside the database.
            let folder = (path as NSString).deletingLastPathComponent
            if access(folder.isEmpty ? "." : folder, W_OK) != 0 { throw .readOnlyDirectory(path: folder.isEmpty ? "." : folder) }
        }
        let claim = try OpenDatabases.claim(facts.identity) { () throws(TokenStoreError) in
            try inspectSettled(path: path, supportedVersion: supportedVersion)
        }
        return Prepared(created: facts.size == 0, writable: writable, claim: claim)
    }

    /// SQLite opens `-wal` and `-shm` by name and writes through whatever is there: each must be a plain file of the
    /// database's owner with no other name, or SQLite would write into someone else's file.
    private static func checkSideFiles(of path: String, owner: uid_t) throws(TokenStoreError) {
        for suffix in ["-wal", "-shm"] {
            var info = stat()
            guard lstat(path + suffix, &info) == 0 else { continue }
            let problem: String? = if (info.st_mode & S_IFMT) == S_IFLNK { "is a symbolic link" }
                else if (info.st_mode & S_IFMT) != S_IFREG { "is not a regular file" }
                else if info.st_nlink > 1 { "has \(info.st_nlink) hard links" }
                else if info.st_uid != owner { "belongs to another user than the database" }
                else { nil }
            if let problem { throw .unsafeSideFile(path: path + suffix, problem: problem) }
        }
    }

    private static func create(path: String) throws(TokenStoreError) -> Prepared {
        // SQLite gives -wal and -shm the database file's mode, so creating it 0600 covers all three.
        // No connection can hold a file that did not exist, so this descriptor is safe to close.
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        fchmod(descriptor, 0o600)
        var info = stat()
        fstat(descriptor, &info)
        close(descriptor)
        let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        return Prepared(created: true, writable: true, claim: try OpenDatabases.claim(identity) {})
    }

    /// `inspect`, looked at again a few times when the file seems truncated: another process's checkpoint may be
    /// growing it between our size and our header (its page count can run ahead of the size for a moment). A file
    /// that really is truncated stays so.
    private static func inspectSettled(path: String, supportedVersion: Int32) throws(TokenStoreError) {
        for _ in 0..<5 {
            do {
                return try inspect(path: path, supportedVersion: supportedVersion)
            } catch .truncated {
                usleep(20_000)
            }
        }
        try inspect(path: path, supportedVersion: supportedVersion)
    }

    /// Reads the 100-byte SQLite header and refuses anything that is not an apitokens database we understand.
    /// Only ever called while no store of this process holds the file (`OpenDatabases` guarantees it).
    private static func inspect(path: String, supportedVersion: Int32) throws(TokenStoreError) {
        // O_NONBLOCK: a FIFO swapped in after the stat must not hang the open.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, reason: "permission denied") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw .notRegularFile(path: path) }
        var header = [UInt8](repeating: 0, count: 100)
        let count = header.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 100, 0) }
        let size = UInt64(info.st_size)
        if count <= 0 { return }  // an empty file is a new database
        header = Array(header.prefix(count))
        guard header.count >= 16, header[0..<16].elementsEqual(Array("SQLite format 3\0".utf8)) else {
            throw .notADatabase(path: path)
        }
        guard header.count == 100 else { throw .truncated(path: path) }
        func bigEndian(_ offset: Int) -> UInt32 {
            header[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        let rawPageSize = UInt32(header[16]) << 8 | UInt32(header[17])
        let pageSize = UInt64(rawPageSize == 1 ? 65_536 : rawPageSize)
        let pageCount = UInt64(bigEndian(28))
        guard pageSize >= 512, size % pageSize == 0, size >= pageCount * pageSize else {
            throw .truncated(path: path)
        }
        let userVersion = Int32(bitPattern: bigEndian(60))
        let application = Int32(bitPattern: bigEndian(68))
        guard application == applicationID else { throw .foreignDatabase(path: path) }
        if userVersion > supportedVersion {
            throw .newerVersion(path: path, found: userVersion, supported: supportedVersion)
        }
    }

    /// Takes group and other access off the database, -wal and -shm in case they predate us: regular files of ours
    /// only, never through a symbolic link, without opening them, and never adding a permission (a file its owner
    /// made read-only stays read-only).
    static func tightenModes(path: String) {
        for suffix in ["", "-wal", "-shm"] {
            var info = stat()
            guard lstat(path + suffix, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid(),
                  info.st_mode & 0o077 != 0 else { continue }
            chmod(path + suffix, info.st_mode & 0o700)
        }
    }
}

/// A file as the kernel knows it, whatever path names it.
struct FileIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64
}

/// What `stat` says of a path; nil when nothing is there.
struct FileFacts {
    let identity: FileIdentity
    let isRegular: Bool
    let isDirectory: Bool
    let owner: uid_t
    let links: Int
    let size: Int64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        isRegular = (info.st_mode & S_IFMT) == S_IFREG
        isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
        owner = info.st_uid
        links = Int(info.st_nlink)
        size = Int64(info.st_size)
    }

    /// The owner's login, or their uid when they have none.
    var ownerName: String {
        guard let entry = getpwuid(owner) else { return "uid \(owner)" }
        return String(cString: entry.pointee.pw_name)
    }
}

/// The database files this process has stores open on, so that a header is read only while no store holds the file.
enum OpenDatabases {
    /// One store's hold on one file; releasing it twice changes nothing.
    struct Claim: Hashable, Sendable {
        let identity: FileIdentity
        let serial: UInt64
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var holders: [FileIdentity: Set<UInt64>] = [:]
    nonisolated(unsafe) private static var lastSerial: UInt64 = 0

    /// Records a store opening on the file. `inspect` runs first, and only when no store of this process holds the
    /// file yet: a held file was inspected when its first store opened, and reading it again would drop its locks.
    /// The registry stays locked while `inspect` runs, so no other store can open a connection under it.
    static func claim(_ identity: FileIdentity,
                      inspectingFirst inspect: () throws(TokenStoreError) -> Void) throws(TokenStoreError) -> Claim {
        lock.lock()
        defer { lock.unlock() }
        if holders[identity, default: []].isEmpty { try inspect() }
        lastSerial += 1
        holders[identity, default: []].insert(lastSerial)
        return Claim(identity: identity, serial: lastSerial)
    }

    /// Forgets one store's hold once it has closed its connection.
    static func release(_ claim: Claim) {
        lock.lock()
        defer { lock.unlock() }
        holders[claim.identity]?.remove(claim.serial)
        if holders[claim.identity]?.isEmpty == true { holders[claim.identity] = nil }
    }
}

/// An exclusive `flock` on the database's directory while a process creates, stamps or migrates the database,
/// so that several first commands at once do not trip over each other. It locks the directory, not the database
/// file, so taking and dropping it never touches SQLite's locks.
final class DirectoryLock {
    private var descriptor: Int32

    /// Makes the directory (0700) when it is missing, then waits for the lock.
    init(around path: String, creatingDirectory: Bool) throws(TokenStoreError) {
        let directory = (path as NSString).deletingLastPathComponent
        let folder = directory.isEmpty ? "." : directory
        if creatingDirectory, !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                chmod(folder, 0o700)
            } catch {
                throw .cannotOpen(path: path, reason: "cannot create directory \(folder)")
            }
        }
        descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        // A directory we cannot open for reading cannot be locked; SQLite's own locks still keep the file sound.
        if descriptor >= 0 { while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {} }
    }

    /// Lets the next process in.
    func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    deinit { release() }
}
