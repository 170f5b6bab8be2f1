import ArgumentParser
import Foundation
import TokenDomain
import TokenStore

extension APITokens {
    /// `apitokens scan [PATH]...`: finds leaked secrets in files, directories or stdin.
    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find our secrets in files, directories (recursively) or stdin, and optionally revoke them.",
            discussion: """
                A finding is a string in our secret format whose checksum is valid; each is looked up by its hash and
                printed as PATH:LINE: HINT token ID 'NAME' (live|revoked|unknown), never the secret itself.
                live: the secret works, or would after a refresh; revoked: its token was revoked, or it is the previous
                secret of a roll whose grace has ended; unknown: no token of this database has it now (a secret rolled
                out without a grace is forgotten at once). Binary files, files over 50 MB, version-control directories
                (.git, .hg, .svn) and symbolic links inside directories are skipped, each said on stderr; stdin is
                always read as text.
                --revoke revokes the tokens of the live secrets found (a previous secret inside its roll's grace just
                stops working), each audited as leaked with where it was found. Holding a secret is the authority to
                kill it, whoever owns the token.
                Exit status: 0 nothing live found, 1 something live found (revoked or not), 2 bad usage.
                Examples:
                  apitokens scan .                       in a CI job or a pre-commit hook
                  git diff --cached | apitokens scan
                  apitokens scan ~/exports --revoke --yes
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Files or directories to scan; stdin when none.") var paths: [String] = []
        @Flag(help: "Revoke the tokens of the live secrets found.") var revoke = false
        @Flag(help: "With --revoke, do not ask for confirmation.") var yes = false
        @Flag(help: "Print the findings as JSON.") var json = false

        func validate() throws {
            if yes && !revoke { throw ArgumentParser.ValidationError("--yes goes with --revoke") }
        }

        func run() throws {
            for path in paths where !FileManager.default.fileExists(atPath: path) {
                throw CommandFailure.refused("no file or directory '\(path)'")
            }
            FileScan.allowEveryDescriptor()
            var scan = FileScan()
            if paths.isEmpty { scan.scanStandardInput() } else { paths.forEach { scan.scan(path: $0) } }
            scan.progress.finish()
            var outcomes = [FindingOutcome]()
            if !scan.found.isEmpty {
                let session = try Session(global, access: .existing)
                let lookups = try session.store.lookUpLeaks(scan.found.map(\.finding.secret), by: session.actor)
                outcomes = zip(scan.found, lookups).map { FindingOutcome(place: $0.0, lookup: $0.1) }
                if revoke { try revokeLive(&outcomes, session) }
            }
            try report(outcomes)
            if outcomes.contains(where: { $0.lookup.status == .live }) { throw ExitCode(1) }
        }

        private func revokeLive(_ outcomes: inout [FindingOutcome], _ session: Session) throws {
            let live = outcomes.indices.filter { outcomes[$0].lookup.status == .live }
            guard !live.isEmpty else { return }
            if !yes {
                let tokens = Set(live.compactMap { outcomes[$0].lookup.tokenID }).count
                report(outcomes.filter { $0.lookup.status == .live }, to: .standardError)
                try Confirm.ask("Revoke the \(tokens) token\(tokens == 1 ? "" : "s") whose secrets were found? "
                                + "Anything using \(tokens == 1 ? "it" : "them") stops working at once.")
            }
            let reports = live.map { LeakReport(secret: outcomes[$0].place.finding.secret, place: outcomes[$0].place.auditLabel) }
            let before = try session.store.revokeLeaked(reports, reporter: session.actor.login, actor: session.actor)
            // The same secret found twice is revoked once; both findings say so.
            let killed = Set(zip(reports, before).filter { $0.1.status == .live }.map(\.0.secret.text))
            for index in live where killed.contains(outcomes[index].place.finding.secret.text) { outcomes[index].killed = true }
        }

        private enum Stream { case standardOutput, standardError }

        private func report(_ outcomes: [FindingOutcome]) throws {
            if json { return try Output.json(outcomes) }
            report(outcomes, to: .standardOutput)
        }

        private func report(_ outcomes: [FindingOutcome], to stream: Stream) {
            for outcome in outcomes {
                Output.say(outcome.line, onStandardError: stream != .standardOutput)
            }
        }
    }
}

/// Where a secret was found.
struct FoundSecret {
    let path: String
    let finding: SecretFinding

    /// `path:line`, with any secret in the path itself shown by its hint.
    var label: String { "\(SecretScanner.redacting(path)):\(finding.line)" }

    /// The place as the audit log keeps it: an absolute path, which still means something later.
    var auditLabel: String {
        guard !path.hasPrefix("/"), path != FileScan.standardInputLabel else { return label }
        return FileManager.default.currentDirectoryPath + "/" + label
    }
}

/// A finding, what it belongs to, and whether this run killed the secret: revoked its token, or for a previous
/// secret, ended its grace.
struct FindingOutcome: Encodable {
    let place: FoundSecret
    let lookup: LeakLookup
    var killed = false

    /// `PATH:LINE: HINT token ID 'NAME' (status)`.
    var line: String {
        let owner = lookup.tokenID.map { "token \($0) '\(lookup.tokenName ?? "")'\(lookup.isPreviousSecret ? " (previous secret)" : "")" }
            ?? "no token of this database"
        let now = !killed ? "" : lookup.isPreviousSecret ? " — its grace ended now; the current secret still works" : " — revoked now"
        return "\(place.label): \(place.finding.secret.hint) \(owner) (\(lookup.status.rawValue))\(now)"
    }

    enum Key: String, CodingKey { case path, line, hint, token_id, name, status, previous_secret, revoked, grace_ended }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(SecretScanner.redacting(place.path), forKey: .path)
        try container.encode(place.finding.line, forKey: .line)
        try container.encode(place.finding.secret.hint, forKey: .hint)
        try container.encode(lookup.tokenID, forKey: .token_id)
        try container.encode(lookup.tokenName, forKey: .name)
        try container.encode(lookup.status.rawValue, forKey: .status)
        try container.encode(lookup.isPreviousSecret, forKey: .previous_secret)
        try container.encode(killed && !lookup.isPreviousSecret, forKey: .revoked)
        try container.encode(killed && lookup.isPreviousSecret, forKey: .grace_ended)
    }
}

/// Walks paths and reads files into one reused buffer, collecting findings and saying what it skipped.
struct FileScan {
    /// Larger files are skipped: a secret is looked for in text people write, not in dumps.
    static let maximumBytes = 50 * 1024 * 1024
    static let skippedDirectories: Set<String> = [".git", ".hg", ".svn"]
    static let standardInputLabel = "(stdin)"

    private(set) var found: [FoundSecret] = []
    private(set) var bytesScanned = 0
    private(set) var filesScanned = 0
    let progress = Progress()
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)

    /// A walk holds one descriptor per directory level; deep trees need more than the usual soft limit of 1024.
    static func allowEveryDescriptor() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    mutating func scan(path: String) {
        var info = stat()
        // A link named on the command line is followed; links met inside directories are not (no loops, no escapes).
        guard stat(path, &info) == 0 else { return skip(path, String(cString: strerror(errno))) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            let directory = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard directory >= 0 else { return skip(path, String(cString: strerror(errno))) }
            scanDirectory(directory, label: Array(path.utf8))
        case S_IFREG: scanFile(at: AT_FDCWD, name: Array(path.utf8), label: Array(path.utf8), size: Int(info.st_size))
        default: skip(path, "not a regular file")
        }
    }

    /// Walks a directory by descriptor and raw name bytes, so that names that are not UTF-8 and paths longer than
    /// PATH_MAX are read like any other. Closes `directory`.
    private mutating func scanDirectory(_ directory: Int32, label: [UInt8]) {
        guard let stream = fdopendir(directory) else {
            close(directory)
            return skip(Self.text(label), String(cString: strerror(errno)))
        }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
        }
        for name in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let child = (label.last == 0x2F ? label : label + [0x2F]) + name
            var info = stat()
            guard fstatat(directory, name.cString, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                skip(Self.text(child), String(cString: strerror(errno)))
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if Self.skippedDirectories.contains(Self.text(name)) {
                    skip(Self.text(child), "version-control data")
                    continue
                }
                let sub = openat(directory, name.cString, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if sub < 0 { skip(Self.text(child), String(cString: strerror(errno))) } else { scanDirectory(sub, label: child) }
            case S_IFREG: scanFile(at: directory, name: name, label: child, size: Int(info.st_size))
            case S_IFLNK: skip(Self.text(child), "a symbolic link inside a directory is not followed")
            default: skip(Self.text(child), "not a regular file")
            }
        }
    }

    private mutating func scanFile(at directory: Int32, name: [UInt8], label: [UInt8], size: Int) {
        let path = Self.text(label)
        guard size <= Self.maximumBytes else { return skip(path, "over 50 MB") }
        let descriptor = openat(directory, name.cString, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return skip(path, String(cString: strerror(errno))) }
        defer { close(descriptor) }
        scanDescriptor(descriptor, label: path, isFile: true)
    }

    /// A path as people read it: bytes that are not UTF-8 become U+FFFD.
    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    mutating func scanStandardInput() {
        scanDescriptor(STDIN_FILENO, label: Self.standardInputLabel, isFile: false)
    }

    /// Reads everything (up to the limit) into the buffer, then scans it once.
    /// A file that looks binary is skipped; stdin is always read as text (a pipe of logs may hold a stray NUL).
    private mutating func scanDescriptor(_ descriptor: Int32, label: String, isFile: Bool) {
        var length = 0
        while length <= Self.maximumBytes {
            if length == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + length, $0.count - length) }
            if got < 0 && errno == EINTR { continue }
            if got < 0 { return skip(label, String(cString: strerror(errno))) }
            if got == 0 { break }
            length += got
        }
        guard length <= Self.maximumBytes else { return skip(label, "over 50 MB") }
        let findings: [SecretFinding]? = buffer.withUnsafeBytes { all in
            let bytes = UnsafeRawBufferPointer(rebasing: all[..<length])
            return isFile && SecretScanner.looksBinary(bytes) ? nil : SecretScanner.findings(in: bytes)
        }
        guard let findings else { return skip(label, "binary") }
        found += findings.map { FoundSecret(path: label, finding: $0) }
        bytesScanned += length
        filesScanned += 1
        progress.show("\(filesScanned) files, \(bytesScanned / 1_048_576) MB scanned")
    }

    private func skip(_ path: String, _ why: String) {
        progress.finish()
        Output.warn("skipped \(SecretScanner.redacting(path)): \(why)")
    }
}

extension Array where Element == UInt8 {
    /// The bytes with a terminating NUL, for the C calls that take a name.
    fileprivate var cString: [CChar] { map { CChar(bitPattern: $0) } + [0] }
}
