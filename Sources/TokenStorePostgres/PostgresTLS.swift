import Foundation
import NIOSSL
import PostgresNIO
import Synchronization
import TokenStore

/// The TLS a location's `sslmode` asks for, as postgres-nio takes it: one context per mode and root file, made
/// once, since reading the system's trusted roots is not free and every reconnect needs it.
enum PostgresTLS {
    private static let contexts = Mutex<[PostgresLocation.Encryption: NIOSSLContext]>([:])

    /// What a connection to `location` does about TLS, or a one-line reason the root certificates cannot be used.
    static func configuration(for location: PostgresLocation) throws(TokenStoreError) -> PostgresConnection.Configuration.TLS {
        let encryption = location.encryption
        guard encryption != .disable, case .tcp = location.endpoint else { return .disable }
        let context = try context(for: encryption, location: location)
        return encryption == .prefer ? .prefer(context) : .require(context)
    }

    private static func context(for encryption: PostgresLocation.Encryption,
                                location: PostgresLocation) throws(TokenStoreError) -> NIOSSLContext {
        if let made = contexts.withLock({ $0[encryption] }) { return made }
        var tls = TLSConfiguration.makeClientConfiguration()
        switch encryption {
        case .disable, .prefer, .require:
            // As with libpq: these modes encrypt but trust whatever certificate the server shows.
            tls.certificateVerification = .none
        case .verify(let rootCertificates, let checksHost):
            tls.certificateVerification = checksHost ? .fullVerification : .noHostnameVerification
            if let path = rootCertificates {
                tls.trustRoots = .certificates(try certificates(in: path, location: location))
            }
        }
        let made: NIOSSLContext
        do {
            made = try NIOSSLContext(configuration: tls)
        } catch {
            throw .cannotOpen(path: "\(location)", reason: "TLS could not be set up: \(error)")
        }
        contexts.withLock { $0[encryption] = made }
        return made
    }

    /// The PEM certificates in `path`, or a one-line reason there are none.
    private static func certificates(in path: String, location: PostgresLocation) throws(TokenStoreError) -> [NIOSSLCertificate] {
        func bad(_ reason: String) -> TokenStoreError { .cannotOpen(path: "\(location)", reason: "sslrootcert=\(path): \(reason)") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw bad("no readable file there") }
        let found: [NIOSSLCertificate]
        do { found = try NIOSSLCertificate.fromPEMFile(path) } catch { throw bad("not a file of PEM certificates") }
        guard !found.isEmpty else { throw bad("the file holds no PEM certificate") }
        return found
    }

    /// A TLS failure, however wrapped, as a person reads it, or nil for any other error.
    static func describe(_ error: any Error) -> String? {
        switch error {
        case let error as PSQLError: return error.underlying.flatMap(describe)
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            return "the server's certificate does not name this host (sslmode=verify-full)"
        case NIOSSLError.handshakeFailed(let cause):
            let reason = "\(cause)".lowercased()
            if reason.contains("certificate_verify_failed") || reason.contains("certificate verify failed") {
                return "the server's certificate was refused: not signed by a trusted root (give its CA with sslrootcert=FILE), or out of its dates"
            }
            return "the TLS handshake failed (\(cause))"
        case let error as NIOSSLError:
            return "TLS failed (\(error))"
        default:
            return nil
        }
    }
}
