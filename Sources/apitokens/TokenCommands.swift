import ArgumentParser
import Foundation
import TokenDomain
import TokenStore

extension APITokens {
    /// `apitokens token create|list|show|edit|refresh|roll|revoke`.
    struct TokenCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token",
            abstract: "Create, list, change and revoke API tokens.",
            discussion: """
                Example:
                  apitokens token create --name "CI deploy" --team Default --permission read_site --expires-in 90d
                  apitokens token list --all --sort expires
                """,
            subcommands: [Create.self, List.self, Show.self, Edit.self, Refresh.self, Roll.self, Revoke.self])
    }
}

/// Turns command-line text into domain values, with one-line errors.
enum Parse {
    static func team(_ name: String, in store: any TokenRepository) throws -> TokenDomain.Team {
        guard let team = try store.teams().first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
            throw CommandFailure.refused("no team '\(name)' (see: apitokens team list)")
        }
        return team
    }

    /// The live token with this id, if the actor may see it.
    static func visibleToken(_ id: Int64, _ session: Session) throws -> Token {
        guard let token = try session.store.token(id: id, by: session.actor) else {
            throw CommandFailure.refused("no live token with id \(id)")
        }
        return token
    }
}

extension APITokens.TokenCommand {
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print its secret, once.",
            discussion: """
                The secret is printed alone on stdout (or inside --json) and never again: store it now.
                Example: apitokens token create --name "CI deploy" --team Default --permission read_site --permission run_tests
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "A name to recognise the token by (1–100 characters).") var name: String
        @Option(help: "personal (anyone) or admin (admins only).") var kind: TokenKind = .personal
        @Option(help: "The team whose sites the token may reach.") var team: String
        @Option(name: .customLong("permission"), help: "A permission id; repeat for several (default read_site).")
        var permissions: [Permission] = []
        @Option(name: .customLong("expires-in"), help: "7d, 30d, 60d, 90d, 1y, never, or Nd up to 366d.",
                transform: { try ExpiresIn(parsing: $0) })
        var expiresIn = ExpiresIn.standard
        @Option(name: .customLong("ip"), help: "Allowed IP addresses and CIDR ranges, comma-separated (default any).",
                transform: { try IPAllowList(parsing: $0) })
        var ip = IPAllowList.any
        @Flag(help: "Print the token and its secret as JSON.") var json = false

        func run() throws {
            let session = try Session(global)
            let draft = TokenDraft(
                name: name, kind: kind, teamID: try Parse.team(team, in: session.store).id,
                permissions: permissions.isEmpty ? PermissionSet([.readSite]) : PermissionSet(permissions),
                expiresIn: expiresIn, allowedIPs: ip)
            let (token, secret) = try session.store.create(draft, by: session.actor)
            if json {
                try Output.json(RevealJSON(token: TokenJSON(token: token, now: session.store.now), secret: secret.text))
            } else {
                print(secret.text)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List live tokens: your personal tokens, or with --all every token (admins).",
            discussion: "Example: apitokens token list --all --search deploy --sort expires --status expiring --json")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Every token in the organisation (admins only).") var all = false
        @Option(help: "Only tokens whose name or creator contains this text (one or two characters: starts with it).") var search = ""
        @Option(help: "name, kind, owner, team, created, expires or last-used.") var sort: TokenSort = .created
        @Flag(help: "Sort in descending order.") var desc = false
        @Option(help: "Only active, expiring, expired or inactive tokens.") var status: TokenStatus?
        @Option(name: .customLong("expires-within"),
                help: ArgumentHelp("Only tokens that expire within this (Nh or Nd), as notify warns of them.", valueName: "duration"))
        var expiresWithin: String?
        @Option(parsing: .unconditional, help: "At most this many tokens.") var limit: Int?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if let limit, limit < 1 { throw ArgumentParser.ValidationError("--limit must be at least 1") }
            if let expiresWithin { _ = try TimeSpan(parsing: expiresWithin, what: "--expires-within") }
        }

        func run() throws {
            let session = try Session(global)
            let within = try expiresWithin.map { try TimeSpan(parsing: $0, what: "--expires-within") }
            let filter = TokenFilter(personalOwnerID: all ? nil : session.actor.id, search: search, status: status, expiresWithin: within)
            let tokens = try session.store.tokens(matching: filter, order: TokenOrder(sort, descending: desc), after: nil,
                                                  limit: limit, by: session.actor)
            let now = session.store.now
            if json {
                try Output.json(tokens.map { TokenJSON(token: $0, now: now) })
            } else {
                Output.table(["ID", "NAME", "TYPE", "CREATED BY", "TEAM", "PERMISSIONS", "EXPIRES AT", "STATUS"], tokens.map {
                    [String($0.id), $0.name, $0.kind.label, $0.owner, $0.team, "\($0.permissions.count)",
                     Output.time($0.expiresAt), $0.status(at: now).label]
                })
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one token.", discussion: "Example: apitokens token show 12 --json")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token's id.") var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let session = try Session(global)
            let token = try Parse.visibleToken(id, session)
            let now = session.store.now
            if json { return try Output.json(TokenJSON(token: token, now: now, withGrace: true)) }
            var status = token.status(at: now).label
            if token.status(at: now) == .inactive,
               let why = Policy.accessProblem(of: token, owner: try session.store.account(login: token.owner)) {
                status += " (\(why))"
            }
            let fields: [(String, String)] = [
                ("ID", String(token.id)), ("Name", token.name), ("Type", token.kind.label),
                ("Created by", "\(token.ownerName) (\(token.owner))"), ("Team", token.team),
                ("Permissions", token.permissions.ids.joined(separator: ", ")), ("Expires in", token.expiresIn.text),
                ("Expires at", Output.time(token.expiresAt)), ("Status", status),
                ("Allowed IPs", token.allowedIPs.summary),
                ("Secret", token.hint + (token.graceEnd(at: now).map { "; the previous secret works until \(Output.time($0))" } ?? "")),
                ("Created", Output.time(token.createdAt)), ("Updated", Output.time(token.updatedAt)),
                ("Last used", token.lastUsedAt.map { Output.time($0) + (token.lastUsedIP.map { " from \($0)" } ?? "") } ?? "never"),
            ]
            for (label, value) in fields {
                Output.say(label.padding(toLength: 12, withPad: " ", startingAt: 0) + value)
            }
        }
    }

    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a token's name, expiry, allowed IPs, team or permissions.",
            discussion: """
                Saving recomputes the expiry from now when the token had expired or --expires-in changed.
                Example: apitokens token edit 12 --name "CI deploy (prod)" --permission read_site --permission manage_deploys
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token's id.") var id: Int64
        @Option(help: "New name.") var name: String?
        @Option(name: .customLong("expires-in"), help: "7d, 30d, 60d, 90d, 1y, never, or Nd up to 366d.",
                transform: { try ExpiresIn(parsing: $0) })
        var expiresIn: ExpiresIn?
        @Option(name: .customLong("ip"), help: "New allow-list; an empty string allows any address.",
                transform: { try IPAllowList(parsing: $0) })
        var ip: IPAllowList?
        @Option(help: "New team.") var team: String?
        @Option(name: .customLong("permission"), help: "Replaces the permissions; repeat for several.") var permissions: [Permission] = []

        func run() throws {
            let session = try Session(global)
            let token = try Parse.visibleToken(id, session)
            var draft = TokenDraft(token)
            if let name { draft.name = name }
            if let expiresIn { draft.expiresIn = expiresIn }
            if let ip { draft.allowedIPs = ip }
            if let team { draft.teamID = try Parse.team(team, in: session.store).id }
            if !permissions.isEmpty { draft.permissions = PermissionSet(permissions) }
            let saved = try session.store.edit(id: id, expectedVersion: token.version, to: draft, by: session.actor)
            if saved.version == token.version {
                return Output.say("Token \(saved.id) '\(saved.name)' already has these values; nothing was changed")
            }
            Output.say("Saved token \(saved.id) '\(saved.name)', expires \(saved.expiresAt.map(RFC3339.string) ?? "never")")
        }
    }

    struct Refresh: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Extend a token to now plus its expires-in; works on expired tokens too.",
            discussion: "Example: apitokens token refresh 12")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token's id.") var id: Int64

        func run() throws {
            let session = try Session(global)
            let token = try session.store.refresh(id: id, by: session.actor)
            Output.say("Refreshed token \(token.id) '\(token.name)', expires \(Output.time(token.expiresAt))")
        }
    }

    struct Roll: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a token's secret and print the new one, once.",
            discussion: """
                Without --grace the old secret stops working at once. With --grace it keeps working that long, so that
                what still holds it can move over; a token keeps one previous secret, and rolling again ends it.
                Example: apitokens token roll 12 --grace 24h > new-secret.txt
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token's id.") var id: Int64
        @Option(help: ArgumentHelp("How long the old secret keeps working: Nh or Nd, at most 7d (default: not at all).",
                                   valueName: "duration"))
        var grace: String?
        @Flag(help: "Print the token and its new secret as JSON.") var json = false

        func validate() throws {
            if let grace { _ = try TimeSpan(parsing: grace, what: "grace", longest: .longestGrace) }
        }

        func run() throws {
            let session = try Session(global)
            let grace = try self.grace.map { try TimeSpan(parsing: $0, what: "grace", longest: .longestGrace) }
            let (token, secret) = try session.store.roll(id: id, grace: grace, by: session.actor)
            if json {
                try Output.json(RevealJSON(token: TokenJSON(token: token, now: session.store.now, withGrace: true), secret: secret.text))
            } else {
                print(secret.text)
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke tokens; they stop verifying at once and leave every list.",
            discussion: """
                Name tokens by id, or revoke in bulk every token that is unused or expired (your own personal tokens,
                or as an admin every token), narrowed by --search. --dry-run lists what would go. Asks first when run
                in a terminal. Bulk revokes run in batches of \(TokenStore.revokeBatchSize), each its own transaction,
                with one audit event per token.
                Examples:
                  apitokens token revoke 12 13 --yes
                  apitokens token revoke --unused-for 90d --search ci --dry-run
                  apitokens token revoke --status expired --yes
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The ids of the tokens.") var ids: [Int64] = []
        @Option(name: .customLong("unused-for"),
                help: ArgumentHelp("Bulk: tokens never used, or last used longer ago than this (Nh or Nd).", valueName: "duration"))
        var unusedFor: String?
        @Option(help: "Bulk: tokens of this status.") var status: RevocableStatus?
        @Option(help: "Bulk, with --unused-for or --status: only those whose name or creator contains this text (one or two characters: starts with it).")
        var search: String?
        @Flag(help: "Bulk: list what would be revoked and change nothing.") var dryRun = false
        @Flag(help: "Do not ask for confirmation.") var yes = false
        @Flag(help: "With --dry-run, print JSON.") var json = false

        var isBulk: Bool { unusedFor != nil || status != nil }

        func validate() throws {
            if isBulk && !ids.isEmpty {
                throw ArgumentParser.ValidationError("name token ids or --unused-for/--status, not both")
            }
            if !isBulk {
                if ids.isEmpty { throw ArgumentParser.ValidationError("name at least one token id, or --unused-for/--status") }
                if search != nil || dryRun || json {
                    throw ArgumentParser.ValidationError("--search, --dry-run and --json go with --unused-for or --status")
                }
            }
            if let unusedFor { _ = try TimeSpan(parsing: unusedFor, what: "--unused-for") }
            // An empty search would match everything: a script's empty variable must not widen a revoke to all.
            if let search, search.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ArgumentParser.ValidationError("--search needs some text; leave it out to revoke every match")
            }
        }

        func run() throws {
            let session = try Session(global)
            if isBulk { return try runBulk(session) }
            let tokens = try ids.map { try Parse.visibleToken($0, session) }
            let names = tokens.map { "'\($0.name)'" }.joined(separator: ", ")
            if !yes { try Confirm.ask("Revoke \(names)? Anything using \(tokens.count == 1 ? "it" : "them") stops working at once.") }
            for token in try session.store.revoke(ids: ids, by: session.actor) {
                Output.say("Revoked token \(token.id) '\(token.name)'")
            }
        }

        private func runBulk(_ session: Session) throws {
            let unused = try unusedFor.map { try TimeSpan(parsing: $0, what: "--unused-for") }
            let filter = TokenFilter(personalOwnerID: session.actor.isAdmin ? nil : session.actor.id, search: search ?? "",
                                     status: status?.status, unusedFor: unused)
            let what = [unused.map { "unused for \($0)" }, status.map(\.rawValue), search.map { "matching '\($0)'" }]
                .compactMap { $0 }.joined(separator: ", ")
            let store = session.store
            if dryRun {
                let tokens = try store.tokens(matching: filter, order: TokenOrder(.created), by: session.actor)
                if json { return try Output.json(tokens.map { TokenJSON(token: $0, now: store.now) }) }
                Output.say("Would revoke \(tokens.count) token\(tokens.count == 1 ? "" : "s") (\(what)):")
                return Output.table(["ID", "NAME", "TYPE", "CREATED BY", "TEAM", "LAST USED", "EXPIRES AT"], tokens.map {
                    [String($0.id), $0.name, $0.kind.label, $0.owner, $0.team,
                     $0.lastUsedAt.map(Output.time) ?? "never", Output.time($0.expiresAt)]
                })
            }
            // Only what exists when it is counted and confirmed: tokens made while it runs are not part of it.
            let last = try store.lastTokenID()
            let total = try store.exactCount(matching: filter, by: session.actor)
            guard total > 0 else { return Output.say("No live token is \(what); nothing revoked") }
            if !yes {
                let first = try store.tokens(matching: filter, order: TokenOrder(.created), limit: 3, by: session.actor)
                let names = first.map { "'\($0.name)'" }.joined(separator: ", ") + (total > first.count ? ", …" : "")
                try Confirm.ask("Revoke \(total) token\(total == 1 ? "" : "s") \(what) (\(names))? "
                                + "Anything using them stops working at once.")
            }
            let done = try BulkRevoke.run(store, filter, upTo: last, total: total, reason: "bulk: \(what)", by: session.actor)
            Output.say("Revoked \(done) token\(done == 1 ? "" : "s") (\(what))")
        }
    }
}

/// Revokes every live token matching a filter, a batch per transaction, with a progress line on a terminal.
enum BulkRevoke {
    /// Returns how many were revoked; tokens with ids past `last` (made after the count was confirmed) are left.
    static func run(_ store: any TokenRepository, _ filter: TokenFilter, upTo last: Int64, total: Int, reason: String,
                    by actor: Account) throws -> Int {
        let progress = Progress()
        defer { progress.finish() }
        var cursor: Int64 = 0
        var done = 0
        while true {
            let batch = try store.revokeBatch(matching: filter, after: cursor, upTo: last, except: [],
                                              limit: TokenStore.revokeBatchSize, reason: reason, by: actor)
            done += batch.revoked.count
            progress.show("\(done) of \(total) revoked")
            cursor = batch.resumeAfter
            if batch.isLast { return done }
        }
    }
}

/// A token with the secret that was just made for it.
struct RevealJSON: Encodable {
    let token: TokenJSON
    let secret: String

    func encode(to encoder: any Encoder) throws {
        try token.encode(to: encoder)
        enum Key: String, CodingKey { case secret }
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(secret, forKey: .secret)
    }
}
