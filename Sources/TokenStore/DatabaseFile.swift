import Foundation
import TokenDomain

/// Checks and prepares the database file before SQLite touches it, so foreign files stay byte-for-byte intact.
enum DatabaseFile {
    /// Our `PRAGMA application_id`: "ATOK".
    static let applicationID: Int32 = 0x4154_4F4B

    /// Refuses a file that is not ours; creates a missing directory (0700) and database (0600).
    /// Returns true when the database file was created just now.
    static func prepare(path: String, supportedVersion: Int32) throws(TokenStoreError) -> Bool {
        let manager = FileManager.default
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !manager.fileExists(atPath: directory) {
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                            attributes: [.posixPermissions: 0o700])
                chmod(directory, 0o700)
            } catch {
                throw .cannotOpen(path: path, reason: "cannot create directory \(directory)")
            }
        }
        if manager.fileExists(atPath: path) {
            try inspect(path: path, supportedVersion: supportedVersion)
            if access(path, W_OK) != 0 { throw .readOnly(path: path) }
            // WAL needs to create -wal and -shm beside the database.
            let folder = directory.isEmpty ? "." : directory
            if access(folder, W_OK) != 0 { throw .readOnlyDirectory(path: folder) }
            return false
        }
        // SQLite gives -wal and -shm the database file's mode, so creating it 0600 covers all three.
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        fchmod(descriptor, 0o600)
        close(descriptor)
        return true
    }

    /// Reads the 100-byte SQLite header and refuses anything that is not an apitokens database we understand.
    private static func inspect(path: String, supportedVersion: Int32) throws(TokenStoreError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .cannotOpen(path: path, reason: "permission denied")
        }
        defer { try? handle.close() }
        let header = [UInt8]((try? handle.read(upToCount: 100)) ?? Data())
        let size = (try? handle.seekToEnd()) ?? 0
        if header.isEmpty { return }  // an empty file is a new database
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

    /// Brings the database, -wal and -shm back to 0600 in case they predate us.
    static func tightenModes(path: String) {
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            chmod(path + suffix, 0o600)
        }
    }
}
