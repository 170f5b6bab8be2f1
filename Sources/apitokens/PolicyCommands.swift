import ArgumentParser
import Foundation
import TokenDomain
import TokenStore

extension APITokens {
    /// `apitokens policy show|set|check`: the organisation's rules for every token.
    struct PolicyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "policy",
            abstract: "Show, set and check the organisation's token policy.",
            discussion: """
                The policy binds everyone, admins included, on create, edit, refresh and roll, in the command line,
                the UI and serve. Tokens made before a change keep working; `policy check` lists them.
                Examples:
                  apitokens policy set --max-lifetime 90d --require-ip-allowlist
                  apitokens policy check --revoke
                """,
            subcommands: [Show.self, Set.self, Check.self])
    }
}

extension APITokens.PolicyCommand {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the policy.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let session = try Session(global)
            let policy = try session.store.organisationPolicy()
            if json {
                struct PolicyJSON: Encodable {
                    let max_lifetime: String?, require_ip_allowlist: Bool
                    func encode(to encoder: any Encoder) throws {
                        enum Key: String, CodingKey { case max_lifetime, require_ip_allowlist }
                        var container = encoder.container(keyedBy: Key.self)
                        try container.encode(max_lifetime, forKey: .max_lifetime)  // null when there is no limit
                        try container.encode(require_ip_allowlist, forKey: .require_ip_allowlist)
                    }
                }
                return try Output.json(PolicyJSON(max_lifetime: policy.maxLifetimeDays.map { ExpiresIn.days($0).text },
                                                  require_ip_allowlist: policy.requireIPAllowList))
            }
            Output.say("Max lifetime       \(policy.maxLifetimeDays.map { ExpiresIn.days($0).label } ?? "none")")
            Output.say("IP allow-list      \(policy.requireIPAllowList ? "required" : "not required")")
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change the policy (admins); audited.",
            discussion: "Example: apitokens policy set --max-lifetime 90d --no-require-ip-allowlist")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("max-lifetime"), help: ArgumentHelp("Longest expires-in: Nd up to 366d, 1y, or none.", valueName: "duration"))
        var maxLifetime: String?
        @Flag(inversion: .prefixedNo, help: "Whether every token must have an IP allow-list.") var requireIpAllowlist: Bool?

        func validate() throws {
            if maxLifetime == nil && requireIpAllowlist == nil {
                throw ArgumentParser.ValidationError("give --max-lifetime, --require-ip-allowlist or --no-require-ip-allowlist")
            }
            if let maxLifetime { _ = try Self.days(maxLifetime) }
        }

        /// `none`, or a lifetime in days; `never` is not a limit.
        static func days(_ text: String) throws -> Int? {
            if text.trimmingCharacters(in: .whitespaces).lowercased() == "none" { return nil }
            guard let days = try? ExpiresIn(parsing: text).days else {
                throw TokenDomain.ValidationError(
                    "invalid --max-lifetime '\(text)': use Nd with 1 ≤ N ≤ \(ExpiresIn.maximumDays), 1y, or none")
            }
            return days
        }

        func run() throws {
            let session = try Session(global)
            var policy = try session.store.organisationPolicy()
            if let maxLifetime { policy.maxLifetimeDays = try Self.days(maxLifetime) }
            if let requireIpAllowlist { policy.requireIPAllowList = requireIpAllowlist }
            let saved = try session.store.setOrganisationPolicy(policy, by: session.actor)
            Output.say("Policy: \(saved.summary)")
            let breaking = try session.store.exactCount(matching: TokenFilter(breaksPolicy: true), by: session.actor)
            if breaking > 0 {
                Output.say("\(breaking) live token\(breaking == 1 ? " breaks" : "s break") it; see: apitokens policy check")
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the live tokens that break the policy (admins); --revoke revokes them.",
            discussion: "Exit 0 when none breaks it, 1 when some do (after --revoke too). Example: apitokens policy check --json")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Revoke the tokens that break the policy.") var revoke = false
        @Flag(help: "With --revoke, do not ask for confirmation.") var yes = false
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if yes && !revoke { throw ArgumentParser.ValidationError("--yes goes with --revoke") }
        }

        func run() throws {
            let session = try Session(global)
            guard session.actor.isAdmin else {
                throw CommandFailure.refused("only administrators can check every token against the policy")
            }
            let store = session.store
            let policy = try store.organisationPolicy()
            let filter = TokenFilter(breaksPolicy: true)
            let last = try store.lastTokenID()
            let tokens = try store.tokens(matching: filter, order: TokenOrder(.created), by: session.actor)
            if json {
                struct BreachJSON: Encodable { let token: TokenJSON, violations: [String]
                    func encode(to encoder: any Encoder) throws {
                        try token.encode(to: encoder)
                        enum Key: String, CodingKey { case violations }
                        var container = encoder.container(keyedBy: Key.self)
                        try container.encode(violations, forKey: .violations)
                    }
                }
                try Output.json(tokens.map { BreachJSON(token: TokenJSON(token: $0, now: store.now), violations: policy.violations(of: $0)) })
            } else if tokens.isEmpty {
                Output.say("Every live token keeps the policy (\(policy.summary))")
            } else {
                Output.table(["ID", "NAME", "TYPE", "CREATED BY", "EXPIRES IN", "ALLOWED IPS", "BREAKS"], tokens.map {
                    [String($0.id), $0.name, $0.kind.label, $0.owner, $0.expiresIn.text, $0.allowedIPs.summary,
                     policy.violations(of: $0).joined(separator: "; ")]
                })
            }
            guard !tokens.isEmpty else { return }
            if revoke {
                if !yes { try Confirm.ask("Revoke these \(tokens.count) tokens? Anything using them stops working at once.") }
                let done = try BulkRevoke.run(store, filter, upTo: last, total: tokens.count,
                                              reason: "breaks the policy: \(policy.summary)", by: session.actor)
                Output.say("Revoked \(done) token\(done == 1 ? "" : "s") that broke the policy", onStandardError: true)
            }
            throw ExitCode(1)
        }
    }
}
