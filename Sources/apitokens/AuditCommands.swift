import ArgumentParser
import Foundation
import TokenDomain
import TokenStore

extension APITokens {
    /// `apitokens audit [list]|verify|head`: the hash-chained audit log.
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show, verify and anchor the audit log (admins).",
            discussion: """
                Every event carries the SHA-256 of its content and of the event before it, and the database keeps
                the chain's head, so an event changed, removed or inserted by hand shows.
                Examples:
                  apitokens audit --token 12 --since 7d
                  apitokens audit verify
                  apitokens audit head > audit-head.txt      (keep it elsewhere)
                  apitokens audit verify --head "$(cut -d' ' -f2 audit-head.txt)"
                """,
            subcommands: [List.self, Verify.self, Head.self], defaultSubcommand: List.self)
    }
}

extension APITokens.Audit {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the audit log, newest first; filters combine.",
            discussion: "Example: apitokens audit --actor jo --action revoke --since 2026-11-01 --json")
        @OptionGroup var global: GlobalOptions
        @Option(parsing: .unconditional, help: "At most this many events.") var limit: Int?
        @Option(help: "Only events about this token id.") var token: Int64?
        @Option(help: "Only events by this login.") var actor: String?
        @Option(help: "Only events of this action (create, edit, refresh, roll, revoke, end-grace, policy, …).") var action: String?
        @Option(help: ArgumentHelp("Only events since this moment: an RFC 3339 time, a date, or Nh/Nd ago.", valueName: "time"))
        var since: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if let limit, limit < 1 { throw ArgumentParser.ValidationError("--limit must be at least 1") }
            if let since { _ = try Moment.parse(since, now: Date()) }
        }

        func run() throws {
            let session = try Session(global)
            let filter = AuditFilter(tokenID: token, actor: actor, action: action,
                                     since: try since.map { try Moment.parse($0, now: session.store.now) })
            let events = try session.store.auditLog(filter, limit: limit, by: session.actor)
            if json { return try Output.json(events.map(AuditEventJSON.init)) }
            Output.table(["TIME", "ACTOR", "ACTION", "TOKEN", "DETAILS"], events.map { event in
                [RFC3339.string(event.at), event.actor, event.action,
                 event.tokenID.map { "#\($0) \(event.tokenName ?? "")" } ?? "", event.details]
            })
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the audit chain; exit 0 when intact, 1 naming the first event changed, removed or inserted.",
            discussion: "With --head, also prove that nothing before a head printed earlier by `audit head` was rewritten.")
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("A hash `audit head` printed earlier.", valueName: "hash")) var head: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if let head { _ = try AuditDigest.parse(hex: head) }
        }

        func run() throws {
            let session = try Session(global)
            let known = try head.map { try AuditDigest.parse(hex: $0) }
            let started = ContinuousClock.now
            let result = try session.store.verifyAudit(knownHead: known, by: session.actor)
            let seconds = (ContinuousClock.now - started).components
            let took = Double(seconds.seconds) + Double(seconds.attoseconds) / 1e18
            if json {
                struct VerifyJSON: Encodable { let intact: Bool, events: Int, problem: String?, event_id: Int64? }
                try Output.json(VerifyJSON(intact: result.isIntact, events: result.count, problem: result.problem,
                                           event_id: result.eventID))
            } else if let problem = result.problem {
                Output.say("broken: \(problem)")
            } else {
                Output.say("intact: \(result.count) events" + (known == nil ? "" : ", through the head you gave")
                      + String(format: " (%.2f s)", took))
            }
            if !result.isIntact { throw ExitCode(1) }
        }
    }

    struct Head: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the audit chain's head, COUNT HASH, to keep somewhere the database's writers cannot reach.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let session = try Session(global)
            let head = try session.store.auditHead(by: session.actor)
            if json {
                struct HeadJSON: Encodable { let count: Int, last_event_id: Int64, hash: String }
                return try Output.json(HeadJSON(count: head.count, last_event_id: head.lastID, hash: AuditDigest.hex(head.hash)))
            }
            Output.say("\(head.count) \(AuditDigest.hex(head.hash))")
        }
    }
}

/// An audit event as JSON.
struct AuditEventJSON: Encodable {
    let id: Int64, at: String, actor: String, action: String
    let token_id: Int64?, token_name: String?, details: String

    init(_ event: AuditEvent) {
        id = event.id
        at = RFC3339.string(event.at)
        actor = event.actor
        action = event.action
        token_id = event.tokenID
        token_name = event.tokenName
        details = event.details
    }
}

/// Moments typed on the command line: `2026-12-01T09:30:00Z`, `2026-12-01`, or `24h` / `7d` ago.
enum Moment {
    static func parse(_ text: String, now: Date) throws(TokenDomain.ValidationError) -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let span = try? TimeSpan(parsing: trimmed, what: "time") { return now.addingTimeInterval(-TimeInterval(span.seconds)) }
        // The parser rolls 2026-11-31 over to December; a moment that does not print back as typed is refused.
        if let moment = try? Date(trimmed, strategy: Date.ISO8601FormatStyle()),
           !trimmed.uppercased().hasSuffix("Z") || RFC3339.string(moment).prefix(19) == trimmed.uppercased().prefix(19) { return moment }
        if let day = try? Date(trimmed + "T00:00:00Z", strategy: Date.ISO8601FormatStyle()),
           RFC3339.string(day).hasPrefix(trimmed) { return day }
        throw TokenDomain.ValidationError(
            "'\(text)' is not a time: use 2026-12-01T09:30:00Z, 2026-12-01, or 24h / 7d ago")
    }
}
