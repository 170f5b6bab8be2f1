import ArgumentParser
import Foundation
import TokenDomain
import TokenStore
import TokenViewModels
import TerminalUI

/// The `apitokens` command: the full-screen UI by default, subcommands for scripts.
@main
struct APITokens: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apitokens",
        abstract: "Create, browse and revoke your organisation's API tokens; check them with `verify`.",
        discussion: """
            Without a subcommand, opens the full-screen interface on the token database.

            Get started on a new machine:
              apitokens token create --name "CI deploy" --team Default --permission read_site
              echo "$SECRET" | apitokens verify --permission read_site

            The database is --db PATH, else $APITOKENS_DB, else $XDG_DATA_HOME/apitokens/tokens.sqlite
            (~/.local/share/apitokens/tokens.sqlite); a postgresql://USER@HOST:PORT/DBNAME URL (or
            postgresql:///DBNAME?host=/socket/dir) uses PostgreSQL instead, for several hosts sharing one store.
            The first user to open a new database becomes its admin.
            Exit status: 0 success, 1 verification failed, 2 bad usage or refused.
            """,
        subcommands: [
            Team.self, Site.self, AccountCommand.self, TokenCommand.self, Verify.self, RefreshSelf.self,
            Audit.self, PolicyCommand.self, Notify.self, Demo.self, Serve.self, Scan.self, Keys.self, Migrate.self,
        ]
    )

    @OptionGroup var global: GlobalOptions

    mutating func run() throws {
        let session = try Session(global, interactive: true)
        try openUI(session)
    }

    /// Parses, runs, and turns every failure into one line on stderr and the exit status of the SPEC.
    static func main() {
        // Past a file-size limit, fail the write with an error (and roll back) instead of dying mid-command.
        signal(SIGXFSZ, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch let failure as CommandFailure {
            fail(failure.message, status: failure.status)
        } catch let error as TokenStoreError {
            fail(error.description)
        } catch let error as TokenDomain.ValidationError {
            fail(error.message)
        } catch let error as PolicyError {
            fail(error.message)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            // Help and version exit through here with success; real usage errors get one line and status 2.
            let message = oneLine(self.message(for: error))
            fail("\(message) (see --help)", status: code == .failure || code.rawValue == 64 ? 2 : code.rawValue)
        }
    }

    /// The parser's message on one line: a list of valid values after a colon is joined with commas.
    private static func oneLine(_ message: String) -> String {
        let lines = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = lines.first else { return message }
        guard first.hasSuffix(":"), lines.count > 1 else { return first }
        return first + " " + lines.dropFirst().map { $0.hasPrefix("- ") ? String($0.dropFirst(2)) : $0 }.joined(separator: ", ")
    }

    /// One line on stderr and the exit. Messages can quote arguments, which may hold control characters.
    private static func fail(_ message: String, status: Int32 = 2) -> Never {
        Output.warn(message)
        Foundation.exit(status)
    }
}

/// Opens the full-screen interface, refusing when stdin or stdout is not a terminal.
func openUI(_ session: Session) throws {
    guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
        throw CommandFailure.refused("the interface needs a terminal; see apitokens --help for the command line")
    }
    if let problem = NCursesTerminal.problem() { throw CommandFailure.refused(problem) }
    let ending = FullScreenApp.run { surroundings in
        AppModel(store: session.store, actor: session.actor, clipboard: surroundings.clipboard, width: surroundings.width,
                 height: surroundings.height, helpLength: surroundings.helpLength)
    }
    // The model's thread still waits on the store, and closing the store would wait for it: the person asked to go.
    if ending == .leftWaiting { exit(0) }
}

/// A refusal or failure with the exit status it deserves.
struct CommandFailure: Error {
    let message: String
    let status: Int32

    /// Bad usage or a refused action: exit status 2.
    static func refused(_ message: String) -> CommandFailure { CommandFailure(message: message, status: 2) }
}
