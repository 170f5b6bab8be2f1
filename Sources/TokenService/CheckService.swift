import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import TokenDomain
import TokenStore

/// The HTTP face of the store for reverse proxies and services: `/check`, `/introspect`, `/refresh`, `/healthz`,
/// `/metrics`, and `/leaked` for secret-scanning services when leak keys are given. Every answer reflects the database as it is at that moment: what a reader connection remembers is
/// dropped as soon as `PRAGMA data_version` shows a commit anywhere, so no answer outlives a revoke, roll or edit.
public final class CheckService: Sendable {
    private let readers: [any TokenRepository]
    private let writer: any TokenRepository
    let recorder: UsageRecorder
    private let clients: ClientAddressPolicy
    let metrics = ServiceMetrics()
    private let turn = Turn()
    private let logger: Logger
    private let outage = OutageLog()
    private let leakKeys: LeakReportKeys
    /// Where checks wait for a store that waits on a server, so that a request thread is never held by the wait.
    private let waiting: NIOThreadPool?

    /// Checks waiting on a server at once, each on a connection of its own: enough to keep the server busy while
    /// every round trip waits.
    static let serverReaders = 16

    /// Opens the store through `open` (it must exist): `readers` connections (one per core; `serverReaders` for a
    /// store that waits on a server) answer checks side by side, and one more records last use and refreshes.
    /// `trusting` adds proxy ranges to loopback and the Unix socket.
    public init(opening open: RepositoryOpener, trusting proxies: [IPRange] = [], leakKeys: LeakReportKeys = .none,
                readers: Int = max(2, ProcessInfo.processInfo.activeProcessorCount), logger: Logger) throws(TokenStoreError) {
        self.leakKeys = leakKeys
        writer = try open(.existing)
        let count = writer.waitsOnServer ? max(readers, Self.serverReaders) : readers
        var opened: [any TokenRepository] = []
        for _ in 0..<max(1, count) { opened.append(try open(.check)) }
        self.readers = opened
        if writer.waitsOnServer {
            let pool = NIOThreadPool(numberOfThreads: count)
            pool.start()
            waiting = pool
        } else {
            waiting = nil
        }
        recorder = UsageRecorder(store: writer, logger: logger)
        clients = ClientAddressPolicy(trusting: proxies)
        self.logger = logger
    }

    /// The routes, for an `Application` per listening address.
    func router() -> Router<CheckContext> {
        let router = Router(context: CheckContext.self)
        router.get("check") { request, context in try await self.offServerWait { self.check(request, context) } }
        router.post("introspect") { request, context in try await self.introspect(request, context) }
        router.post("refresh") { request, context in self.refresh(request, context) }
        if !leakKeys.isEmpty { router.post("leaked") { request, _ in try await self.leaked(request) } }
        router.get("healthz") { _, _ in
            try await self.offServerWait {
                guard let problem = self.reader.healthProblem() else { return Response(status: .ok) }
                self.outage.report(problem, to: self.logger)
                return Response(status: .serviceUnavailable)
            }
        }
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: self.metrics.exposition())))
        }
        return router
    }

    /// Runs `body` on the waiting threads when the store waits on a server, else here: SQLite's answers cost
    /// less than a hop to another thread.
    private func offServerWait<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
        guard let waiting else { return body() }
        return try await waiting.runIfActive(body)
    }

    // MARK: Endpoints

    private func check(_ request: Request, _ context: CheckContext) -> Response {
        let started = ContinuousClock.now
        let parameters = request.uri.queryParameters
        var needs = VerificationRequest(clientIP: client(of: request, context))
        needs.team = parameters["team"].map(String.init)
        needs.site = parameters["site"].map(String.init)
        var unanswerable = false
        for id in parameters[values: "permission"].flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            if let permission = try? Permission.parse(String(id)) { needs.permissions.append(permission) } else { unanswerable = true }
        }
        // A token has one team; two different teams or sites asked at once cannot both be met.
        for name: Substring in ["team", "site"] where Set(parameters[values: name]).count > 1 { unanswerable = true }
        var outcome = judge(bearer(request), needs)
        // No token grants a permission that does not exist; the token itself is judged first, so a bad one stays 401.
        if unanswerable, case .good = outcome { outcome = .insufficientScope(reason: "unknown permission or conflicting team or site") }
        return finish("check", outcome, started).checkResponse
    }

    /// RFC 7662: the caller proves itself with its own live token; the answer is `verify`'s JSON.
    private func introspect(_ request: Request, _ context: CheckContext) async throws -> Response {
        let started = ContinuousClock.now
        let caller = judge(bearer(request), VerificationRequest(clientIP: client(of: request, context)))
        guard case .good = caller else { return finish("introspect", caller, started).refusal }
        let body = try await request.body.collect(upTo: 16 * 1024)
        let form = FormBody(String(buffer: body))
        let outcome = judge(.present(form["token"] ?? ""), VerificationRequest())
        finish("introspect", outcome, started)
        switch outcome {
        case .good(let token, let granted, let previousSecret):
            return json(Introspection(token: token, granted: granted, previousSecret: previousSecret, withScope: true))
        case .unavailable: return outcome.refusal
        default: return json(["active": false])
        }
    }

    /// The Refresh Token API: the Bearer token extends its own expiry.
    private func refresh(_ request: Request, _ context: CheckContext) -> Response {
        let started = ContinuousClock.now
        guard case .present(let text) = bearer(request) else { return finish("refresh", .missingToken, started).refusal }
        guard let secret = try? TokenSecret(parsing: text) else {
            return finish("refresh", .invalidToken(reason: "malformed"), started).refusal
        }
        do {
            let token = try writer.refreshSelf(secret, clientIP: client(of: request, context))
            finish("refresh", .good(token, granted: token.permissions, previousSecret: false), started)
            return json(SelfRefresh(token))
        } catch {
            // Only the database failing is a 503; a token that is not active, or never expires, is the token's problem.
            if case .database(let message) = error {
                outage.report(message, to: logger)
                return finish("refresh", .unavailable, started).refusal
            }
            var refusal = finish("refresh", .invalidToken(reason: error.description), started).refusal
            // A rule of the organisation's policy is worth telling the caller (RFC 6750's error_description); it holds
            // no secret. Other reasons stay unsaid, like every other 401.
            if case .refused(let problem) = error, problem.message.hasPrefix("the organisation") {
                let description = problem.message.filter { $0.isASCII && $0 != "\"" && $0 != "\\" }
                refusal.headers[.wwwAuthenticate] = #"Bearer realm="apitokens", error="invalid_token", error_description=""#
                    + description + "\""
            }
            return refusal
        }
    }

    /// A leak report from a secret-scanning service: signed JSON `[{"token","type","url","source"}]`. Every live
    /// token reported is revoked at once, audited with the report's url; the answer labels each report by hint.
    private func leaked(_ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        let body = Data(buffer: try await request.body.collect(upTo: Self.largestLeakReport))
        guard leakKeys.isSigned(body, signature: request.headers[.signature], keyID: request.headers[.keyID]) else {
            metrics.record("leaked", "bad_signature", started: started)
            return Response(status: .unauthorized)
        }
        guard let items = try? JSONDecoder().decode([LeakItem].self, from: body) else {
            metrics.record("leaked", "bad_request", started: started)
            return Response(status: .badRequest)
        }
        let keyID = request.headers[.keyID] ?? ""
        let secrets = items.map { try? TokenSecret(parsing: $0.token) }
        let reports = zip(items, secrets).compactMap { item, secret in
            secret.map {
                LeakReport(secret: $0, place: SecretScanner.redacting(Sanitized.visible(item.url ?? item.source ?? "a leak report from \(keyID)")))
            }
        }
        let before: [LeakLookup]
        do {
            before = try writer.revokeLeaked(reports, reporter: "leak-report:\(Sanitized.visible(keyID))")
        } catch {
            outage.report(error.description, to: logger)
            metrics.record("leaked", "unavailable", started: started)
            return CheckOutcome.unavailable.refusal
        }
        var lookups = before.makeIterator()
        let labels = zip(items, secrets).map { item, secret in
            let known = secret != nil && lookups.next()?.status != .unknown
            return LeakLabel(token_hint: secret?.hint ?? LeakLabel.hint(ofUnparsed: item.token),
                             label: known ? "true_positive" : "false_positive")
        }
        let revoked = before.filter { $0.status == .live }.count
        logger.notice("leak report from \(Sanitized.visible(keyID)): \(items.count) reported, \(revoked) live killed")
        metrics.record("leaked", "ok", started: started)
        return json(labels)
    }

    /// Leak reports are small lists; anything larger is refused before it is read.
    static let largestLeakReport = 1 << 20

    // MARK: Judging

    /// What a request presents in `Authorization: Bearer`; a malformed header presents an empty secret.
    enum Presented {
        case absent
        case present(String)
    }

    private func bearer(_ request: Request) -> Presented {
        let values = request.headers[values: .authorization]
        guard !values.isEmpty else { return .absent }
        guard values.count == 1, let value = values.first else { return .present("") }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        // An empty header, or the scheme alone, sends no token at all.
        if parts.isEmpty || (parts.count == 1 && parts[0].lowercased() == "bearer") { return .absent }
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .present("") }
        return .present(String(parts[1]))  // TokenSecret(parsing:) ignores surrounding whitespace
    }

    /// Judges a presented secret against what the request needs, and notes a good use for the recorder.
    private func judge(_ presented: Presented, _ needs: VerificationRequest) -> CheckOutcome {
        guard case .present(let text) = presented else { return .missingToken }
        guard let secret = try? TokenSecret(parsing: text) else { return .invalidToken(reason: "malformed") }
        let now = Date()
        let outcome: CheckOutcome
        do {
            outcome = CheckOutcome(try reader.check(secret, needs, at: now))
        } catch {
            outage.report(error.description, to: logger)
            return .unavailable
        }
        if case .good(let token, _, _) = outcome {
            recorder.note(TokenUse(tokenID: token.id, clientIP: needs.clientIP?.description, at: now), of: token)
        }
        return outcome
    }

    private func client(of request: Request, _ context: CheckContext) -> IPAddress? {
        clients.client(peer: context.peerIP, forwardedFor: request.headers[values: .forwardedFor],
                       realIP: request.headers[.realIP])
    }

    /// The next reader connection, in turn.
    private var reader: any TokenRepository { readers[turn.next(modulo: readers.count)] }

    @discardableResult
    private func finish(_ endpoint: String, _ outcome: CheckOutcome, _ started: ContinuousClock.Instant) -> CheckOutcome {
        metrics.record(endpoint, outcome.label, started: started)
        return outcome
    }

    private func json(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data(#"{"active":false}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The request context: Hummingbird's, plus the TCP peer (nil on a Unix socket).
struct CheckContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peerIP: IPAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerIP = source.channel.remoteAddress.flatMap(IPAddress.init(peer:))
    }
}

/// Says on the log that the database cannot answer, at most once every ten seconds, however many requests fail.
private final class OutageLog: @unchecked Sendable {
    private let lock = NSLock()
    private var last: ContinuousClock.Instant?

    func report(_ message: String, to logger: Logger) {
        lock.lock()
        let due = last.map { ContinuousClock.now - $0 > .seconds(10) } ?? true
        if due { last = ContinuousClock.now }
        lock.unlock()
        if due { logger.error("the database cannot answer, so checks get 503: \(message)") }
    }
}

/// A counter that hands out turns across threads.
private final class Turn: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func next(modulo size: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        count &+= 1
        return count % size
    }
}

/// An `application/x-www-form-urlencoded` body.
struct FormBody {
    private let fields: [(String, String)]

    init(_ text: String) {
        fields = text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    subscript(name: String) -> String? { fields.first { $0.0 == name }?.1 }
}

extension IPAddress {
    /// The address of a TCP peer, read from the socket address itself; nil for a Unix socket.
    init?(peer: SocketAddress) {
        switch peer {
        case .v4(let address):
            self = .v4(UInt32(bigEndian: address.address.sin_addr.s_addr))
        case .v6(let address):
            var value: UInt128 = 0
            withUnsafeBytes(of: address.address.sin6_addr) { bytes in
                for byte in bytes { value = value << 8 | UInt128(byte) }
            }
            self = .v6(value)
        case .unixDomainSocket:
            return nil
        }
    }
}

/// One entry of a leak report.
struct LeakItem: Decodable {
    let token: String
    let type: String?
    let url: String?
    let source: String?
}

/// The answer for one entry: its hint, never the secret, and whether it was one of ours.
struct LeakLabel: Encodable {
    let token_hint: String
    let label: String

    /// A hint for a string that is not in our format: at most its first and last four printable ASCII characters.
    static func hint(ofUnparsed text: String) -> String {
        let visible = text.unicodeScalars.filter { $0.isASCII && (0x21...0x7E).contains($0.value) }.map(Character.init)
        guard visible.count >= 12 else { return "…" }
        return String(visible.prefix(4)) + "…" + String(visible.suffix(4))
    }
}
