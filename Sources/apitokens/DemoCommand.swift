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
                Without --db the demo lives in a new temporary directory. You are one of its admins. A postgresql://
                URL names an empty database to fill, as `apitokens migrate` fills one.
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
            // Where the demo is, as a message may show it: never a URL's password.
            var shown = options.databasePath
            if PostgresLocation.isURL(options.databasePath) {
                shown = try seedPostgres(options.databasePath)
            } else {
                let store = try seedFile(options.databasePath)
                // The interface opens its own store on the file: one store per file per process.
                store.close()
            }
            if seedOnly {
                Output.say("Seeded \(tokens) tokens into \(shown)")
                return
            }
            try openUI(try Session(options, interactive: true))
            Output.say("The demo database stays at \(shown)")
        }

        /// The demo organisation in the SQLite file at `path`, with the OS user one of its admins.
        private func seedFile(_ path: String) throws -> TokenStore {
            let store = try TokenStore(path: path)
            let user = OSUser.current
            try store.bootstrapIfEmpty(login: user.login, name: user.name)
            try DemoSeeder(store: store).seed(osLogin: user.login, osName: user.name, tokenCount: tokens)
            return store
        }

        /// The demo organisation in an empty PostgreSQL database: seeded into a scratch file and copied as
        /// `apitokens migrate` copies one, checks and all.
        private func seedPostgres(_ url: String) throws -> String {
            let location = try PostgresLocation(parsing: url, osUser: OSUser.current.login)
            let target = try PostgresStore(location)
            guard try target.accounts().isEmpty else {
                throw CommandFailure.refused("\(location) already holds an organisation; the demo fills only an empty database")
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apitokens-demo-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            // Ctrl-C in a long seed or copy leaves neither the scratch file (hundreds of MB) nor the person guessing.
            signal(SIGINT, SIG_IGN)
            let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
            interrupt.setEventHandler {
                try? FileManager.default.removeItem(at: directory)
                if isatty(STDERR_FILENO) == 1 { StandardError.write("\r\u{1B}[K") }
                Output.warn("interrupted: \(location) may be partly filled; if so, drop and create the database, then run the demo again")
                Foundation.exit(130)
            }
            interrupt.resume()
            defer { interrupt.cancel(); signal(SIGINT, SIG_DFL) }
            let source = try seedFile(directory.appendingPathComponent("tokens.sqlite").path)
            defer { source.close() }
            guard let actor = try source.account(login: OSUser.current.login) else {
                throw CommandFailure.refused("the seeded demo has no account for \(OSUser.current.login)")
            }
            let progress = Progress()
            _ = try PostgresImport(from: source, to: target).run(by: actor) { progress.show($0) }
            progress.finish()
            target.close()
            return location.description
        }
    }
}
