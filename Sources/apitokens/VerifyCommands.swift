import ArgumentParser
import Foundation
import TokenDomain
import TokenStore

/// Reads a secret from `$APITOKENS_TOKEN` or stdin: never from arguments, where `ps` would show it.
enum SecretInput {
    /// More than this on stdin cannot be one of our secrets, so no more is read.
    static let maximumBytes = 4096

    static func read() throws -> String {
        let interactive = isatty(STDIN_FILENO) == 1
        if let secret = ProcessInfo.processInfo.environment["APITOKENS_TOKEN"], !secret.isEmpty {
            // A different secret waiting on stdin is a mistake to point out, not something to override silently.
            if !interactive, let piped = try waitingLine(), !piped.isEmpty, piped != secret {
                throw CommandFailure.refused("a token is in $APITOKENS_TOKEN and a different one on stdin; give only one")
            }
            return secret
        }
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
        guard let line = try firstLine(), !line.isEmpty else {
            throw CommandFailure.refused("no token given: pipe it on stdin or set APITOKENS_TOKEN")
        }
        return line
    }

    /// The first line on stdin if something is already waiting there (or it is at its end), without blocking.
    private static func waitingLine() throws -> String? {
        var ready = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&ready, 1, 0) == 1, ready.revents & Int16(POLLIN | POLLHUP) != 0 else { return nil }
        return try firstLine()
    }

    /// Reads up to the first newline, at most `maximumBytes`; the newline (and a CR before it) is dropped.
    private static func firstLine() throws -> String? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while bytes.count <= maximumBytes {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            bytes += chunk.prefix(count)
            if bytes.contains(UInt8(ascii: "\n")) { break }
        }
        if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) { bytes = Array(bytes[..<newline]) }
        guard bytes.count <= maximumBytes else {
            throw CommandFailure.refused("stdin holds more than \(maximumBytes) bytes before its first newline; that is not a token")
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
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
            let request: VerificationRequest
            do {
                request = VerificationRequest(
                    clientIP: try ip.map(Self.address),
                    permissions: try permissions.flatMap { $0.split(separator: ",") }.map { try Permission.parse(String($0)) },
                    team: team, site: site)
            } catch {
                // Bad usage exits 2, and stdout still says what a script must assume: the token is not good.
                print(#"{"active":false}"#)
                throw error
            }
            // Whatever stops the token being judged (bad input, a malformed secret, a missing or unreadable database)
            // is an inactive answer like any other; only --explain tells them apart. A malformed secret or bad
            // checksum is refused before the database is even opened, and a check never creates a database.
            let answer: Verification
            do {
                let secret = try TokenSecret(parsing: try SecretInput.read())
                answer = try global.openStore(.check).verify(secret, request)
            } catch let error as TokenDomain.ValidationError {
                answer = .inactive(reason: error.message)
            } catch let error as CommandFailure {
                answer = .inactive(reason: error.message)
            } catch {
                answer = .inactive(reason: "\(error)")
            }
            switch answer {
            case .active(let token, let granted, let previousSecret):
                try Self.printCompact(Introspection(token: token, granted: granted, previousSecret: previousSecret))
            case .inactive(let reason), .outOfScope(let reason):
                print(#"{"active":false}"#)
                if explain { Output.warn("inactive: \(reason)") }
                throw ExitCode(1)
            }
        }

        static func address(_ text: String) throws -> IPAddress {
            guard let address = IPAddress(Substring(text)) else {
                throw CommandFailure.refused("--ip '\(text)' is not an IP address")
            }
            return address
        }

        static func printCompact(_ value: some Encodable) throws {
            try Output.json(value, pretty: false)
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
            guard let secret = try? TokenSecret(parsing: raw) else {
                throw CommandFailure.refused("the token is not active; it cannot refresh itself")
            }
            let token = try global.openStore(.existing).refreshSelf(secret, clientIP: clientIP)
            try Verify.printCompact(SelfRefresh(token))
        }
    }
}
