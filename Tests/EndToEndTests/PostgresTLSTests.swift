import Foundation
import Testing
import TestSupport

/// The real binary on a PostgreSQL server of its own that takes TLS only, over TCP on localhost: each `sslmode`
/// does what libpq's does, a certificate the URL does not trust is one line (and no `serve`), and a revoke by one
/// process is obeyed by a `serve` whose connections are all encrypted.
@Suite(.serialized, .enabled(if: ScratchPostgres.serverURL != nil, "APITOKENS_TEST_POSTGRES names no server"), .timeLimit(.minutes(3)))
struct PostgresTLSTests {
    typealias OwnServer = PostgresServiceTests.OwnServer

    /// The server's URL with `parameters` added.
    func url(_ server: OwnServer, _ parameters: String, host: String = "localhost") -> String {
        server.url.replacingOccurrences(of: "@localhost:", with: "@\(host):") + "?" + parameters
    }

    @Test func theDefaultAndEveryEncryptingModeConnectAndAPlainConnectionIsRefusedByTheServer() throws {
        let server = try OwnServer(tls: true)
        // The server refuses connections without TLS, so each that works was encrypted.
        let made = try apitokens(["token", "create", "--name", "Edge proxy", "--team", "Default"], on: server.url)
        #expect(made.status == 0, "\(made.stderr)")
        for parameters in ["sslmode=prefer", "sslmode=require", "sslmode=verify-ca&sslrootcert=\(server.caFile)",
                           "sslmode=verify-full&sslrootcert=\(server.caFile)", "sslrootcert=\(server.caFile)&sslmode=require"] {
            let listed = try apitokens(["token", "list", "--all"], on: url(server, parameters))
            #expect(listed.status == 0 && listed.stdout.contains("Edge proxy"), "\(parameters): \(listed.stderr)")
        }
        let plain = try apitokens(["token", "list", "--all"], on: url(server, "sslmode=disable"))
        #expect(plain.status != 0 && plain.stderr.contains("no encryption"), "\(plain.stderr)")
        #expect(plain.stderr.split(separator: "\n").count == 1, "\(plain.stderr)")
    }

    @Test func aCertificateTheURLDoesNotTrustIsOneLineAndServeDoesNotStart() throws {
        let server = try OwnServer(tls: true)
        let refusals = [
            // The scratch CA is in no system store.
            (url(server, "sslmode=verify-ca"), "not signed by a trusted root"),
            // The certificate names localhost, not the address.
            (url(server, "sslmode=verify-full&sslrootcert=\(server.caFile)", host: "127.0.0.1"), "does not name this host"),
            (url(server, "sslmode=verify-full&sslrootcert=/etc/hostname"), "not a file of PEM certificates"),
            (url(server, "sslmode=verify-full&sslrootcert=/no/such/ca.crt"), "no readable file there"),
            (url(server, "sslmode=verify-everything"), "is not a mode"),
        ]
        for (database, reason) in refusals {
            let listed = try apitokens(["token", "list", "--all"], on: database)
            #expect(listed.status != 0 && listed.stderr.contains(reason), "\(database): \(listed.stderr)")
            #expect(listed.stderr.split(separator: "\n").count == 1 && listed.stdout.isEmpty, "\(listed.stderr)")
        }
        // A check service that cannot trust its database says so and stops, rather than answering 503 for ever.
        do {
            _ = try ServeProcess(database: refusals[0].0)
            Issue.record("serve started on a server whose certificate it does not trust")
        } catch let error as ServeProcess.ServeDidNotStart {
            #expect(error.stderr.contains("not signed by a trusted root"), "\(error.stderr)")
        }
    }

    @Test func requireRefusesAServerWithoutTLS() throws {
        let server = try OwnServer(tls: true)
        try server.restartWithoutTLS()
        let required = try apitokens(["token", "list", "--all"], on: url(server, "sslmode=require"))
        #expect(required.status != 0 && required.stderr.contains("does not offer TLS"), "\(required.stderr)")
        #expect(required.stderr.split(separator: "\n").count == 1, "\(required.stderr)")
    }

    @Test func aServeOnAnEncryptedConnectionObeysARevokeFromAnotherProcess() throws {
        let server = try OwnServer(tls: true)
        let verified = url(server, "sslmode=verify-full&sslrootcert=\(server.caFile)")
        let secret = try apitokens(["token", "create", "--name", "Edge proxy", "--team", "Default"], on: verified).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let serve = try ServeProcess(database: verified)
        #expect(try HTTPExchange.get(serve.url("/check"), bearer: secret).status == 204)
        let revoked = try apitokens(["token", "revoke", "1", "--yes"], on: verified)
        #expect(revoked.status == 0, "\(revoked.stderr)")
        // The change feed's LISTEN is on an encrypted connection too: the revoke is obeyed within a second.
        let deadline = Date().addingTimeInterval(1)
        var answer = 0
        repeat {
            answer = try HTTPExchange.get(serve.url("/check"), bearer: secret).status
        } while answer != 401 && Date() < deadline
        #expect(answer == 401)
    }
}
