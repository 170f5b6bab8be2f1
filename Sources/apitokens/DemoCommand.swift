import ArgumentParser
import Foundation
import TokenDomain
import TokenStore
import TokenStorePostgres

extension APITokens {
    /// `apitokens demo`: a seeded organisation to try the product on.
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seed a demo organisation (3 teams, sites, people, ~60 tokens) and open it.",
            discussion: """
                Without --db the demo lives in a new temporary directory. You are one of its admins.
                Example: apitokens demo --db /tmp/demo.sqlite --seed-only --tokens 10000
                """)
        @OptionGroup var global: GlobalOptions
        @Flag(name: .customLong("seed-only"), help: "Seed and exit instead of opening the interface.") var seedOnly = false
        @Option(help: "How many tokens to seed.") var tokens = 60

        func validate() throws {
            if tokens < 0 || tokens > 10_000_000 { throw ArgumentParser.ValidationError("--tokens must be between 0 and 10000000") }
        }

        func run() throws {
            var options = global
            if options.db == nil && ProcessInfo.processInfo.environment["APITOKENS_DB"] == nil {
                let directory = FileManager.default.temporaryDirectory
                    .appendingPathComponent("apitokens-demo-\(UUID().uuidString.prefix(8))").path
                options.db = (directory as NSString).appendingPathComponent("tokens.sqlite")
            }
            if PostgresLocation.isURL(options.databasePath) {
                throw CommandFailure.refused("the demo seeds a SQLite file; give --db a path")
            }
            let store = try TokenStore(path: options.databasePath)
            let user = OSUser.current
            try store.bootstrapIfEmpty(login: user.login, name: user.name)
            try DemoSeeder(store: store).seed(osLogin: user.login, osName: user.name, tokenCount: tokens)
            // The interface opens its own store on the file: one store per file per process.
            store.close()
            if seedOnly {
                Output.say("Seeded \(tokens) tokens into \(options.databasePath)")
                return
            }
            try openUI(try Session(options, interactive: true))
            Output.say("The demo database stays at \(options.databasePath)")
        }
    }
}
