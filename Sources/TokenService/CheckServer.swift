import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import TokenDomain

/// Runs the check service on its addresses until SIGTERM or SIGINT, then drains: stops accepting, finishes the
/// requests in flight, writes the pending last-used batch, and returns within two seconds.
public struct CheckServer: Sendable {
    /// A certificate chain and private key, both PEM files.
    public struct TLSFiles: Sendable {
        public let certificate: String
        public let key: String

        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    let service: CheckService
    let addresses: [ListenAddress]
    let tls: TLSFiles?
    let logger: Logger

    /// Refuses, with one line, plain HTTP on an address other hosts can reach.
    public init(service: CheckService, addresses: [ListenAddress], tls: TLSFiles?, logger: Logger) throws(ValidationError) {
        if Set(addresses).count < addresses.count {
            throw ValidationError("--listen names the same address twice")
        }
        if tls == nil, let open = addresses.first(where: { !$0.isLocal }) {
            throw ValidationError("--listen \(open) is reachable from other hosts; give --tls-cert and --tls-key to serve it, or listen on loopback or a Unix socket")
        }
        self.service = service
        self.addresses = addresses
        self.tls = tls
        self.logger = logger
    }

    /// Binds every address and serves until a shutdown signal.
    public func run() async throws {
        let server = try serverBuilder()
        let responder = service.router().buildResponder()
        var applications: [any Service] = []
        for address in addresses {
            if case .unix(let path) = address { try UnixSocketFile.prepare(path) }
            let configuration = ApplicationConfiguration(address: bindAddress(address), serverName: "apitokens")
            let logger = self.logger
            applications.append(Application(
                responder: responder, server: server, configuration: configuration,
                onServerRunning: { channel in
                    if case .unix(let path) = address { UnixSocketFile.restrict(path) }
                    let shown = channel.localAddress.flatMap { local in local.port.map { "\(address.host(port: $0))" } }
                        ?? address.description
                    logger.notice("apitokens serve: listening on \(shown)")
                },
                logger: logger))
        }
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: service.recorder)] + applications.map { .init(service: $0) },
            logger: logger)
        configuration.gracefulShutdownSignals = [.sigterm, .sigint]
        configuration.maximumGracefulShutdownDuration = .milliseconds(1500)
        configuration.maximumCancellationDuration = .milliseconds(300)
        // Services stop in reverse order: the servers drain first, then the recorder writes the last batch.
        try await ServiceGroup(configuration: configuration).run()
    }

    /// A connection that sends nothing for this long is closed, so idle and trickling clients cannot pile up.
    static let idleTimeout = TimeAmount.seconds(15)

    private func serverBuilder() throws -> HTTPServerBuilder {
        let http = HTTPServerBuilder.http1(configuration: .init(idleTimeout: Self.idleTimeout))
        guard let tls else { return http }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
            let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            return try .tls(http, tlsConfiguration: configuration)
        } catch {
            throw ValidationError("cannot use --tls-cert \(tls.certificate) and --tls-key \(tls.key): \(error)")
        }
    }

    private func bindAddress(_ address: ListenAddress) -> BindAddress {
        switch address {
        case .tcp(let host, let port): .hostname(host.description, port: port)
        case .unix(let path): .unixDomainSocket(path: path)
        }
    }
}

extension ListenAddress {
    /// The same address with the port the system chose, for `:0`.
    func host(port: Int) -> String {
        switch self {
        case .unix: description
        case .tcp(let host, _): ListenAddress.tcp(host: host, port: port).description
        }
    }
}

/// The Unix socket's file: a stale one nobody listens on is replaced, anything else is refused, and the socket
/// is 0660 (owner and group may connect) in a directory the service owns.
enum UnixSocketFile {
    static func prepare(_ path: String) throws(ValidationError) {
        let directory = (path as NSString).deletingLastPathComponent
        var folder = stat()
        guard stat(directory, &folder) == 0, (folder.st_mode & S_IFMT) == S_IFDIR else {
            throw ValidationError("--listen unix:\(path): the directory \(directory) does not exist")
        }
        guard folder.st_uid == geteuid() else {
            throw ValidationError("--listen unix:\(path): the directory \(directory) must belong to the user running the service")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw ValidationError("--listen unix:\(path): something that is not a socket is already there; it was left alone")
        }
        if someoneListens(path) {
            throw ValidationError("--listen unix:\(path): another server is listening on that socket")
        }
        unlink(path)
    }

    /// Narrows the socket to owner and group once it exists.
    static func restrict(_ path: String) {
        chmod(path, 0o660)
    }

    private static func someoneListens(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8.prefix(MemoryLayout.size(ofValue: address.sun_path) - 1))
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return connected == 0
    }
}
