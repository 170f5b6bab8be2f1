import ArgumentParser
import Foundation
import TokenDomain
import TokenStore

extension APITokens {
    /// `apitokens account add|list|set-role|join|leave|remove`.
    struct AccountCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "account",
            abstract: "Manage the people who may use apitokens (admins).",
            discussion: "Accounts are matched to OS users by login. Example: apitokens account add jo --role user --team Platform",
            subcommands: [Add.self, List.self, SetRole.self, Join.self, Leave.self, Remove.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add an account for an OS user.",
                discussion: "Example: apitokens account add jo --name 'Jo Bloggs' --role user --team Platform")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The OS login of the person.") var login: String
            @Option(help: "Display name (defaults to the login).") var name: String?
            @Option(help: "admin, user or viewer.") var role: Role
            @Option(help: "A team to join; repeat for several.") var team: [String] = []
            func run() throws {
                let session = try Session(global)
                let account = try session.store.addAccount(login: login, name: name, role: role, teams: team, by: session.actor)
                Output.say("Added \(account.login) as \(account.role.rawValue)")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List accounts.", discussion: "Example: apitokens account list --json")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print JSON.") var json = false
            func run() throws {
                let session = try Session(global)
                let accounts = try session.store.accounts()
                if json {
                    try Output.json(accounts.map(AccountJSON.init))
                } else {
                    Output.table(["LOGIN", "NAME", "ROLE", "TEAMS"],
                                 accounts.map { [$0.login, $0.name, $0.role.rawValue, $0.teams.joined(separator: ", ")] })
                }
            }
        }

        struct SetRole: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "set-role", abstract: "Change an account's role.", discussion: "Example: apitokens account set-role jo viewer")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The account's login.") var login: String
            @Argument(help: "admin, user or viewer.") var role: Role
            func run() throws {
                let session = try Session(global)
                try session.store.setRole(login: login, role: role, by: session.actor)
                Output.say("\(login) is now \(role.rawValue)")
            }
        }

        struct Join: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add an account to a team.", discussion: "Example: apitokens account join jo Platform")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The account's login.") var login: String
            @Argument(help: "The team.") var team: String
            func run() throws {
                let session = try Session(global)
                try session.store.join(login: login, team: team, by: session.actor)
                Output.say("\(login) joined \(team)")
            }
        }

        struct Leave: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Take an account out of a team; its personal tokens there stop working.",
                discussion: "Example: apitokens account leave jo Platform")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The account's login.") var login: String
            @Argument(help: "The team.") var team: String
            func run() throws {
                let session = try Session(global)
                try session.store.leave(login: login, team: team, by: session.actor)
                Output.say("\(login) left \(team)")
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove an account and revoke its personal tokens.", discussion: "Example: apitokens account remove jo")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The account's login.") var login: String
            func run() throws {
                let session = try Session(global)
                try session.store.removeAccount(login: login, by: session.actor)
                Output.say("Removed \(login)")
            }
        }
    }
}
