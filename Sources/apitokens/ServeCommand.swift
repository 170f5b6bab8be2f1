import ArgumentParser
import Foundation
import Logging
import TokenDomain
import TokenService
import TokenStore

extension APITokens {
    /// `apitokens serve`: the check service for reverse proxies and services.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answer token checks over HTTP, for reverse proxies (nginx auth_request, Caddy forward_auth, …) and services.",
            discussion: """
                Endpoints: GET /check (204 good, 401 bad token, 403 insufficient scope, 503 database unavailable),
                POST /introspect (RFC 7662), POST /refresh, GET /healthz, GET /metrics, and with --leak-key POST /leaked:
                leak reports from a secret-scanning service, a JSON array of {"token","type","url","source"} signed
                over the raw body with ECDSA P-256 / SHA-256 (base64 DER in X-Signature, the key's name in X-Key-Id).
                Each live token reported is revoked at once; a bad or missing signature is 401 and changes nothing.
                The token comes as "Authorization: Bearer <secret>"; /check takes ?permission=ID (repeatable), &team=, &site=.

                Protect a location with nginx:
                  location = /_apitokens {
                      internal;
                      proxy_pass http://127.0.0.1:8080/check?permission=read_site;
                      proxy_pass_request_body off;
                      proxy_set_header Content-Length "";
                      proxy_set_header X-Forwarded-For $remote_addr;
                  }
                  location /api/ {
                      auth_request /_apitokens;
                      auth_request_set $token_sub $upstream_http_x_token_sub;
                      auth_request_set $token_team $upstream_http_x_token_team;
                      auth_request_set $token_permissions $upstream_http_x_token_permissions;
                      # Set every X-Token-* header the upstream reads, so a client cannot send its own.
                      proxy_set_header X-Token-Sub $token_sub;
                      proxy_set_header X-Token-Team $token_team;
                      proxy_set_header X-Token-Permissions $token_permissions;
                      proxy_set_header X-Token-Id "";
                      proxy_set_header X-Token-Kind "";
                      proxy_set_header X-Token-Name "";
                      proxy_set_header X-Token-Previous-Secret "";
                      proxy_pass http://127.0.0.1:9000;
                  }

                Plain HTTP is served on loopback and Unix sockets only; other addresses need --tls-cert and --tls-key.
                SIGTERM or SIGINT drains the requests in flight and exits 0.
                Example: apitokens serve --listen 127.0.0.1:8080 --listen unix:/run/apitokens/check.sock
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("Where to listen: 127.0.0.1:8080, [::1]:8080 or unix:/path; repeat for several.", valueName: "addr"))
        var listen: [String] = []
        @Option(name: .customLong("trust-proxy"),
                help: ArgumentHelp("A proxy range whose X-Forwarded-For is believed (loopback and the socket always are).", valueName: "cidr"))
        var trustProxy: [String] = []
        @Option(name: .customLong("tls-cert"), help: ArgumentHelp("PEM certificate chain, for HTTPS.", valueName: "file"))
        var tlsCert: String?
        @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key, for HTTPS.", valueName: "file"))
        var tlsKey: String?
        @Option(name: .customLong("leak-key"),
                help: ArgumentHelp("A secret-scanning service's ECDSA P-256 public key, NAME=FILE.pem; enables POST /leaked. Repeatable.",
                                   valueName: "name=file"))
        var leakKeys: [String] = []

        /// NIO's errors in words: the one people meet is an address already taken.
        static func explain(_ error: any Error) -> String {
            let text = "\(error)"
            if text.contains("Address already in use") { return "an address given to --listen is already in use" }
            if text.contains("Permission denied") { return "not allowed to listen there (a port below 1024 needs privileges)" }
            return text
        }

        func validate() throws {
            if (tlsCert == nil) != (tlsKey == nil) {
                throw ArgumentParser.ValidationError("--tls-cert and --tls-key go together")
            }
        }

        func run() throws {
            let addresses = try listen.isEmpty ? [ListenAddress.standard] : listen.map { try ListenAddress(parsing: $0) }
            let proxies = try trustProxy.flatMap { $0.split(separator: ",") }.map { try IPRange(parsing: Substring($0.trimmingCharacters(in: .whitespaces))) }
            // Sockets come into being as 0660, never wider for a moment.
            umask(0o117)
            LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
            var logger = Logger(label: "apitokens.serve")
            logger.logLevel = .notice
            let keys = try LeakReportKeys(specifications: leakKeys)
            // A check service may start before its database: it answers 503 until PostgreSQL answers.
            let service = try CheckService(opening: { access throws(TokenStoreError) in
                                               try global.openStore(access, cachingChecks: access == .check, waitingForServer: true) },
                                           trusting: proxies, leakKeys: keys, logger: logger)
            let tls = tlsCert.flatMap { cert in tlsKey.map { CheckServer.TLSFiles(certificate: cert, key: $0) } }
            let server = try CheckServer(service: service, addresses: addresses, tls: tls, logger: logger)
            if let failure = RunToCompletion.run({ try await server.run() }) {
                throw CommandFailure.refused("serve stopped: \(Self.explain(failure))")
            }
        }
    }
}

/// Runs async work from a synchronous command and waits for it; returns the error it ended with, if any.
enum RunToCompletion {
    private final class Ending: @unchecked Sendable {
        var error: (any Error)?
        let done = DispatchSemaphore(value: 0)
    }

    static func run(_ work: @escaping @Sendable () async throws -> Void) -> (any Error)? {
        let ending = Ending()
        Task {
            do { try await work() } catch { ending.error = error }
            ending.done.signal()
        }
        ending.done.wait()
        return ending.error
    }

    private final class Box<T>: @unchecked Sendable {
        var value: T?
        let done = DispatchSemaphore(value: 0)
    }

    /// Runs async work that cannot fail and waits for its value.
    static func value<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
        let box = Box<T>()
        Task {
            box.value = await work()
            box.done.signal()
        }
        box.done.wait()
        return box.value!
    }
}
