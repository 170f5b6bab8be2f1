import ArgumentParser
import Foundation
import TokenDomain
import TokenStore

/// Reads a secret from `$APITOKENS_TOKEN` or stdin: never from arguments, where `ps` would show it.
enum SecretInput {
    static func read() throws -> String {
        if let secret = ProcessInfo.processInfo.environment["APITOKENS_TOKEN"], !secret.isEmpty { return secret }
        let interactive = isatty(STDIN_FILENO) == 1
        var saved = termios()
        if interactive {
            StandardError.write("Token (input hidden): ")
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        }
        defer {
            if interactive {
                tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                StandardError.write("\n")
            }
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw CommandFailure.refused("no token given: pipe it on stdin or set APITOKENS_TOKEN")
        }
        return line
    }
}

extension APITokens {
    /// `apitokens verify`: RFC 7662-shaped token introspection for services.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a token (from stdin or $APITOKENS_TOKEN); exit 0 and JSON when it is active.",
            discussion: """
                On success prints {"active":true,"token_id":…,"kind":…,"name":…,"sub":…,"team":…,"permissions":[…],"exp":…,"iat":…}
                and exits 0. On any failure prints exactly {"active":false} and exits 1; --explain says why on stderr.
                Example: printf %s "$TOKEN" | apitokens verify --ip 203.0.113.7 --permission run_tests --team Platform
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The client's IP address, checked against the token's allow-list.") var ip: String?
        @Option(name: .customLong("permission"), help: "A permission the request needs; repeat for several.")
        var permissions: [String] = []
        @Option(help: "The team the request is for.") var team: String?
        @Option(help: "The site the request is for (must be in the token's team).") var site: String?
        @Flag(help: "Say on stderr why a token was refused.") var explain = false

        func run() throws {
            let request = VerificationRequest(
                clientIP: try ip.map(Self.address),
                permissions: try permissions.flatMap { $0.split(separator: ",") }.map { try Permission.parse(String($0)) },
                team: team, site: site)
            let answer: Verification
            // A malformed secret or bad checksum is refused before the database is even opened.
            do {
                let secret = try TokenSecret(parsing: try SecretInput.read())
                answer = try TokenStore(path: global.databasePath).verify(secret, request)
            } catch let error as TokenDomain.ValidationError {
                answer = .inactive(reason: error.message)
            }
            switch answer {
            case .active(let token, let granted):
                try Self.printCompact(Introspection(token: token, granted: granted))
            case .inactive(let reason):
                print(#"{"active":false}"#)
                if explain { StandardError.write("apitokens: inactive: \(Sanitized.visible(reason))\n") }
                throw ExitCode(1)
            }
        }

        static func address(_ text: String) throws -> IPAddress {
            guard let address = IPAddress(Substring(text)) else {
                throw CommandFailure.refused("--ip '\(Sanitized.visible(text))' is not an IP address")
            }
            return address
        }

        static func printCompact(_ value: some Encodable) throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(value), as: UTF8.self))
        }
    }

    /// `apitokens refresh-self`: the Refresh Token API.
    struct RefreshSelf: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "refresh-self",
            abstract: "A live token (from stdin or $APITOKENS_TOKEN) extends its own expiry by its expires-in.",
            discussion: "Example: printf %s \"$TOKEN\" | apitokens refresh-self")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The client's IP address, checked against the token's allow-list.") var ip: String?

        func run() throws {
            let clientIP = try ip.map(Verify.address)
            let raw = try SecretInput.read()
            let store = try TokenStore(path: global.databasePath)
            guard let secret = try? TokenSecret(parsing: raw) else {
                throw CommandFailure.refused("the token is not active; it cannot refresh itself")
            }
            let token = try store.refreshSelf(secret, clientIP: clientIP)
            struct Refreshed: Encodable { let token_id: Int64; let expires_at: String? }
            try Verify.printCompact(Refreshed(token_id: token.id, expires_at: token.expiresAt.map(RFC3339.string)))
        }
    }

    /// `apitokens audit`.
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the audit log, newest first (admins).",
            discussion: "Example: apitokens audit --limit 20")
        @OptionGroup var global: GlobalOptions
        @Option(help: "At most this many events.") var limit: Int?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let session = try Session(global)
            guard session.actor.isAdmin else {
                throw CommandFailure.refused("the audit log is for administrators only; \(session.actor.login) is a \(session.actor.role.label)")
            }
            let events = try session.store.auditLog(limit: limit)
            if json {
                struct EventJSON: Encodable {
                    let id: Int64, at: String, actor: String, action: String
                    let token_id: Int64?, token_name: String?, details: String
                }
                try Output.json(events.map {
                    EventJSON(id: $0.id, at: RFC3339.string($0.at), actor: $0.actor, action: $0.action,
                              token_id: $0.tokenID, token_name: $0.tokenName, details: $0.details)
                })
            } else {
                Output.table(["TIME", "ACTOR", "ACTION", "TOKEN", "DETAILS"], events.map { event in
                    [RFC3339.string(event.at), event.actor, event.action,
                     event.tokenID.map { "#\($0) \(event.tokenName ?? "")" } ?? "", event.details]
                })
            }
        }
    }
}

/// The RFC 7662 introspection answer for an active token.
struct Introspection: Encodable {
    let active = true
    let token_id: Int64
    let kind: String
    let name: String
    let sub: String
    let team: String
    let permissions: [String]
    let exp: Int64?
    let iat: Int64

    init(token: Token, granted: PermissionSet) {
        token_id = token.id
        kind = token.kind.rawValue
        name = token.name
        sub = token.owner
        team = token.team
        permissions = granted.ids
        exp = token.expiresAt.map { Int64($0.timeIntervalSince1970) }
        iat = Int64(token.createdAt.timeIntervalSince1970)
    }
}
