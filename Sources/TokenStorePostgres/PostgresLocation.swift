import Foundation
import TokenStore

/// Where a PostgreSQL store lives: `postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME`, or
/// `postgresql:///DBNAME?host=/socket/dir` for a Unix socket. As with libpq, the user defaults to the OS user,
/// the port to 5432 and `sslmode` to `prefer`; `postgres://` is the same.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// How the server is reached.
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The server's socket `DIRECTORY/.s.PGSQL.PORT`.
        case socket(directory: String, port: Int)
    }

    /// What `sslmode` (and `sslrootcert`) ask of a TCP connection; a socket is never encrypted, as with libpq.
    public enum Encryption: Sendable, Hashable {
        case disable
        /// TLS when the server offers it, any certificate accepted.
        case prefer
        /// TLS or no connection, any certificate accepted.
        case require
        /// TLS with a certificate signed by the roots in `rootCertificates` (else the system's); with
        /// `checksHost`, also naming the host connected to.
        case verify(rootCertificates: String?, checksHost: Bool)
    }

    public let endpoint: Endpoint
    public let encryption: Encryption
    public let user: String
    public let password: String?
    public let database: String

    /// True for text that names a PostgreSQL database rather than a SQLite file: the scheme in any case, however
    /// mistyped what follows it is (so a typo is refused rather than made into a file named `postgresql:`).
    public static func isURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgresql:") || lower.hasPrefix("postgres:")
    }

    /// True for text shaped like a URL of some other scheme (`mysql://…`, `http://…`), which is no database of ours.
    public static func isOtherURL(_ text: String) -> Bool {
        guard let scheme = text.range(of: "://").map({ text[..<$0.lowerBound] }), !scheme.isEmpty else { return false }
        return !isURL(text) && scheme.allSatisfy { $0.isLetter || $0.isNumber || "+-.".contains($0) }
    }

    /// Parses a URL, or says in one line what is wrong with it.
    public init(parsing text: String, osUser: String) throws(TokenStoreError) {
        func bad(_ reason: String) -> TokenStoreError { .cannotOpen(path: Self.redacted(text), reason: reason) }
        guard Self.isURL(text), text.lowercased().hasPrefix("postgresql://") || text.lowercased().hasPrefix("postgres://"),
              let url = URLComponents(string: text) else {
            throw bad("not a PostgreSQL URL; write postgresql://USER@HOST:PORT/DBNAME or postgresql:///DBNAME?host=/socket/dir")
        }
        let parts = [url.path, url.user, url.password, url.host] + (url.queryItems ?? []).map(\.value)
        guard !parts.contains(where: { $0?.contains("\u{0}") == true }) else { throw bad("the URL holds a NUL character (%00)") }
        var socketDirectory: String?
        var mode: String?
        var rootCertificates: String?
        var systemRoots = false
        var seen: Set<String> = []
        for item in url.queryItems ?? [] {
            // A second value would quietly win over the first (sslmode=verify-full&sslmode=prefer): say so instead.
            guard seen.insert(item.name).inserted else { throw bad("\(item.name)= is given twice; give it once") }
            switch item.name {
            case "host":
                guard let value = item.value, value.hasPrefix("/") else { throw bad("host= takes the directory of the server's socket") }
                socketDirectory = value
            case "user":
                guard let value = item.value, !value.isEmpty else { throw bad("user= needs a name") }
                if let named = url.user, !named.isEmpty, named != value {
                    throw bad("the URL names two users, \(named)@ and user=\(value); give one")
                }
            case "sslmode":
                mode = item.value ?? ""
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else { throw bad("sslrootcert= takes a file of PEM certificates, or system") }
                systemRoots = value == "system"
                rootCertificates = systemRoots ? nil : value
            default:
                throw bad("unknown URL parameter '\(item.name)'; this build knows host= (a socket directory), user=, sslmode= and sslrootcert=")
            }
        }
        // As with libpq, the system's roots are trusted only to name the host: with them the mode is verify-full.
        if systemRoots, let mode, mode != "verify-full" {
            throw bad("sslrootcert=system needs sslmode=verify-full (or no sslmode), not sslmode=\(mode)")
        }
        switch mode ?? (systemRoots ? "verify-full" : "prefer") {
        case "disable": encryption = .disable
        // libpq's `allow` tries without TLS first; either way a server that offers TLS gets it, as with prefer.
        case "allow", "prefer": encryption = .prefer
        // As with libpq, a root file named makes require check the certificate against it.
        case "require": encryption = rootCertificates.map { .verify(rootCertificates: $0, checksHost: false) } ?? .require
        case "verify-ca": encryption = .verify(rootCertificates: rootCertificates, checksHost: false)
        case "verify-full": encryption = .verify(rootCertificates: rootCertificates, checksHost: true)
        case let mode: throw bad("sslmode=\(mode) is not a mode; write disable, allow, prefer, require, verify-ca or verify-full")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !database.isEmpty, !database.contains("/") else { throw bad("the URL names no database: add /DBNAME") }
        let port = url.port ?? 5432
        guard (1...65_535).contains(port) else { throw bad("port \(port) is out of range") }
        if let directory = socketDirectory {
            endpoint = .socket(directory: directory, port: port)
        } else if let host = url.host, !host.isEmpty {
            endpoint = .tcp(host: host, port: port)
        } else {
            throw bad("the URL names no server: add @HOST, or ?host=/socket/dir for a Unix socket")
        }
        let namedUser = url.user ?? url.queryItems?.first { $0.name == "user" }?.value
        user = namedUser.flatMap { $0.isEmpty ? nil : $0 } ?? osUser
        password = url.password
        self.database = database
    }

    /// The URL without its password, for messages.
    public var description: String {
        switch endpoint {
        case .tcp(let host, let port): "postgresql://\(user)@\(host):\(port)/\(database)"
        case .socket(let directory, let port): "postgresql://\(user)@/\(database)?host=\(directory)" + (port == 5432 ? "" : " (port \(port))")
        }
    }

    /// `text` with any password replaced, so an error never prints it: the one after `user:` before the last `@` of
    /// the authority, and any `password=` parameter, whether or not the rest of the URL parses.
    static func redacted(_ text: String) -> String {
        var text = text
        // Up to the last `@` of all: a password may hold `/` or `?` unescaped, and then the URL does not parse.
        if let start = text.range(of: "://")?.upperBound, let at = text[start...].lastIndex(of: "@"),
           let colon = text[start..<at].firstIndex(of: ":") {
            text.replaceSubrange(text.index(after: colon)..<at, with: "***")
        }
        if let parameter = text.range(of: "password=", options: .caseInsensitive) {
            let end = text[parameter.upperBound...].firstIndex(of: "&") ?? text.endIndex
            text.replaceSubrange(parameter.upperBound..<end, with: "***")
        }
        return text
    }
}
