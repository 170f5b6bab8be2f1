import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import TokenDomain
import TokenStore

extension APITokens {
    /// `apitokens notify`: posts expiry warnings to a webhook, each once per token and threshold.
    struct Notify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Post a warning to a webhook for each live token about to expire (admins); run it from cron.",
            discussion: """
                One JSON body per token that has come within a threshold of its expiry and was not yet warned for it:
                {"event":"token.expiring","token_id","name","owner","team","expires_at","within"}. With --secret-file,
                each body is signed: X-Apitokens-Signature: sha256=<hex HMAC-SHA256 of the body>. A warning is sent once
                per token, threshold and expiry however often this runs; one that failed is tried again next run.
                Exit 0 when every warning was delivered (or none was due), 1 when some failed.
                Example (crontab): */15 * * * * apitokens notify --webhook https://chat.example.com/hooks/tokens --secret-file /etc/apitokens/hook.key
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The URL to POST each warning to (http or https).") var webhook: String
        @Option(help: ArgumentHelp("Thresholds before expiry, comma-separated (Nh or Nd).", valueName: "durations")) var within = "7d,1d"
        @Option(name: .customLong("secret-file"), help: ArgumentHelp("A file whose content signs each body (HMAC-SHA256).", valueName: "file"))
        var secretFile: String?
        @Flag(help: "List what would be sent; send nothing and record nothing.") var dryRun = false

        static let timeout: TimeAmount = .seconds(5)

        func validate() throws {
            _ = try thresholds()
            guard let url = URLComponents(string: webhook), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  url.host?.isEmpty == false, url.port.map({ (1...65_535).contains($0) }) ?? true
            else { throw ArgumentParser.ValidationError("--webhook must be an http:// or https:// URL with a port from 1 to 65535, if any") }
        }

        func thresholds() throws -> [TimeSpan] {
            let spans = try within.split(separator: ",", omittingEmptySubsequences: false).map {
                try TimeSpan(parsing: String($0), what: "--within threshold")
            }
            guard !spans.isEmpty else { throw ArgumentParser.ValidationError("--within needs at least one threshold") }
            return spans
        }

        func run() throws {
            let secret = try secretFile.map { file -> Data in
                guard let data = FileManager.default.contents(atPath: file), !data.trimmingTrailingNewline().isEmpty else {
                    throw CommandFailure.refused("cannot read the secret file \(file), or it is empty")
                }
                return data.trimmingTrailingNewline()
            }
            let session = try Session(global)
            let thresholds = try thresholds()
            if dryRun {
                for warning in try session.store.dueWarnings(within: thresholds, by: session.actor) {
                    Output.say("would warn: token \(warning.token.id) '\(warning.token.name)' expires "
                          + "\(Output.time(warning.token.expiresAt)) (within \(warning.within))")
                }
                return
            }
            let warnings = try session.store.claimWarnings(within: thresholds, by: session.actor)
            guard !warnings.isEmpty else { return }
            let deliveries = Deliveries(webhook: webhook, secret: secret)
            defer { deliveries.shutdown() }
            var failed = 0
            for warning in warnings {
                // Recorded as each one goes, so a run stopped halfway never sends again what it delivered.
                let failure = RunToCompletion.value { await deliveries.send(warning) }
                try session.store.finishWarning(warning, delivered: failure == nil)
                let what = "token \(warning.token.id) '\(warning.token.name)' (within \(warning.within))"
                if let failure {
                    failed += 1
                    Output.warn("notify: \(what) not delivered: \(failure); it is tried again next run")
                } else {
                    Output.say("warned: \(what)")
                }
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

/// Posts warnings one after another through one kept HTTP client, each with a short timeout.
final class Deliveries: Sendable {
    let webhook: String
    /// The signing key's bytes (swift-crypto's key type is not `Sendable`).
    let secret: Data?
    private let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                    configuration: .init(redirectConfiguration: .disallow,
                                                         timeout: .init(connect: APITokens.Notify.timeout, read: APITokens.Notify.timeout)))

    init(webhook: String, secret: Data?) {
        self.webhook = webhook
        self.secret = secret
    }

    func shutdown() { try? client.syncShutdown() }

    /// Why the warning was not delivered, in words; nil when it was (a 2xx answer).
    func send(_ warning: ExpiryWarning) async -> String? {
        let body = Self.body(warning)
        var request = HTTPClientRequest(url: webhook)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "apitokens-notify")
        if let secret {
            let signature = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret)).map { String(format: "%02x", $0) }.joined()
            request.headers.add(name: "X-Apitokens-Signature", value: "sha256=\(signature)")
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: APITokens.Notify.timeout)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return (200..<300).contains(Int(response.status.code)) ? nil : "HTTP \(response.status.code) from the webhook"
        } catch {
            return Self.explain(error)
        }
    }

    /// The warning as the webhook receives it.
    static func body(_ warning: ExpiryWarning) -> Data {
        struct Body: Encodable {
            let event = "token.expiring"
            let token_id: Int64, name: String, owner: String, team: String, expires_at: String?, within: String
        }
        let token = warning.token
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(Body(token_id: token.id, name: token.name, owner: token.owner, team: token.team,
                                         expires_at: token.expiresAt.map(RFC3339.string), within: warning.within.description))) ?? Data()
    }

    static func explain(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") || text.contains("deadlineExceeded") || text.contains("readTimeout") {
            return "no answer within \(APITokens.Notify.timeout.nanoseconds / 1_000_000_000) s"
        }
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("remoteConnectionClosed") || text.contains("closed channel") { return "the webhook closed the connection" }
        if text.contains("SSL") || text.contains("TLS") || text.contains("certificate") { return "the TLS handshake failed" }
        if text.contains("DNS") || text.contains("resolve") || text.contains("NXDOMAIN") { return "the host name did not resolve" }
        // Anything else in one short line, without the library's internals.
        return "the request failed (" + String(text.prefix { $0 != "\n" }.prefix(120)) + ")"
    }
}

extension Data {
    /// The file's content without the newline an editor leaves at its end.
    fileprivate func trimmingTrailingNewline() -> Data {
        var data = self
        while let last = data.last, last == 0x0A || last == 0x0D { data.removeLast() }
        return data
    }
}
