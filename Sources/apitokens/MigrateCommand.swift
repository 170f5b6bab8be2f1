import ArgumentParser
import Foundation
import TokenDomain
import TokenStore
import TokenStorePostgres

extension APITokens {
    /// `apitokens migrate --from PATH --to URL`: an organisation moves from its SQLite file to PostgreSQL.
    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy an organisation from a SQLite file into an empty PostgreSQL database.",
            discussion: """
                Tokens (their secrets still verify), accounts, teams, sites, policy, expiry warnings and the audit chain
                are copied, one transaction per batch, then checked: the same rows in every table, every live token's
                secret present, and `audit verify` intact through the source's head. A database that already holds an
                organisation is refused. Stop writers to the file while it runs. You must be an admin of the source.
                Example: apitokens migrate --from ~/.local/share/apitokens/tokens.sqlite --to postgresql://ops@db/tokens
                """)
        @Option(help: ArgumentHelp("The SQLite file to copy.", valueName: "path")) var from: String
        @Option(help: ArgumentHelp("The PostgreSQL database to fill.", valueName: "url")) var to: String

        func validate() throws {
            guard PostgresLocation.isURL(to) else {
                throw ArgumentParser.ValidationError("--to takes a postgresql:// URL, such as postgresql://USER@HOST/DBNAME")
            }
            if PostgresLocation.isURL(from) { throw ArgumentParser.ValidationError("--from takes the path of a SQLite file") }
        }

        func run() throws {
            let source = try TokenStore(path: from, access: .existing)
            let user = OSUser.current
            guard let actor = try source.account(login: user.login), actor.isAdmin else {
                throw CommandFailure.refused("only an administrator of \(from) can copy it; \(user.login) is not one")
            }
            let target = try PostgresStore(PostgresLocation(parsing: to, osUser: user.login))
            let started = Date()
            let progress = Progress()
            let summary = try PostgresImport(from: source, to: target).run(by: actor) { progress.show($0) }
            progress.finish()
            Output.say("Copied \(summary.accounts) accounts, \(summary.tokens) tokens and \(summary.events) audit events to "
                + "\(try PostgresLocation(parsing: to, osUser: user.login)) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; "
                + "every live secret is there and the audit chain verifies")
        }
    }
}
