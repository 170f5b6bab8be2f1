import ArgumentParser
import Foundation
import TokenDomain
import TokenStore

extension APITokens {
    /// `apitokens team add|list|remove`.
    struct Team: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the organisation's teams (admins).",
            discussion: "Example: apitokens team add Platform",
            subcommands: [Add.self, List.self, Remove.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a team.", discussion: "Example: apitokens team add Platform")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The team's name.") var name: String
            func run() throws {
                let session = try Session(global)
                let team = try session.store.addTeam(name: name, by: session.actor)
                Output.say("Added team \(team.name)")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List teams and their sites.", discussion: "Example: apitokens team list --json")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print JSON.") var json = false
            func run() throws {
                let session = try Session(global)
                let teams = try session.store.teams()
                if json {
                    struct TeamJSON: Encodable { let name: String; let sites: [String] }
                    try Output.json(teams.map { TeamJSON(name: $0.name, sites: $0.sites) })
                } else {
                    Output.table(["TEAM", "SITES"], teams.map { [$0.name, $0.sites.joined(separator: ", ")] })
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove a team with its sites; refused while live tokens use it.",
                discussion: "Example: apitokens team remove Platform")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The team's name.") var name: String
            func run() throws {
                let session = try Session(global)
                try session.store.removeTeam(name: name, by: session.actor)
                Output.say("Removed team \(name)")
            }
        }
    }

    /// `apitokens site add|list|remove`.
    struct Site: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the sites of each team (admins).",
            discussion: "Example: apitokens site add --team Platform api.example.com",
            subcommands: [Add.self, List.self, Remove.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add a site to a team.", discussion: "Example: apitokens site add --team Platform api.example.com")
            @OptionGroup var global: GlobalOptions
            @Option(help: "The team the site belongs to.") var team: String
            @Argument(help: "The site's name.") var name: String
            func run() throws {
                let session = try Session(global)
                try session.store.addSite(name: name, team: team, by: session.actor)
                Output.say("Added site \(name) to \(team)")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List sites, of one team or all.", discussion: "Example: apitokens site list --team Platform")
            @OptionGroup var global: GlobalOptions
            @Option(help: "Only this team's sites.") var team: String?
            @Flag(help: "Print JSON.") var json = false
            func run() throws {
                let session = try Session(global)
                let teams = try session.store.teams()
                if let team, !teams.contains(where: { $0.name.caseInsensitiveCompare(team) == .orderedSame }) {
                    throw CommandFailure.refused("no team '\(team)'")
                }
                let rows = teams.filter { team == nil || $0.name.caseInsensitiveCompare(team ?? "") == .orderedSame }
                    .flatMap { team in team.sites.map { (team: team.name, site: $0) } }
                if json {
                    struct SiteJSON: Encodable { let name: String; let team: String }
                    try Output.json(rows.map { SiteJSON(name: $0.site, team: $0.team) })
                } else {
                    Output.table(["SITE", "TEAM"], rows.map { [$0.site, $0.team] })
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove a site from a team.", discussion: "Example: apitokens site remove --team Platform api.example.com")
            @OptionGroup var global: GlobalOptions
            @Option(help: "The team the site belongs to.") var team: String
            @Argument(help: "The site's name.") var name: String
            func run() throws {
                let session = try Session(global)
                try session.store.removeSite(name: name, team: team, by: session.actor)
                Output.say("Removed site \(name) from \(team)")
            }
        }
    }
}

