import ArgumentParser
import Foundation
import TerminalUI

extension APITokens {
    /// `apitokens keys`: the UI's action names and the keys in force, for config.toml.
    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the interface's actions and their keys, as config.toml may remap them.",
            discussion: """
                Remap keys in $XDG_CONFIG_HOME/apitokens/config.toml (~/.config/apitokens/config.toml) by action name,
                and choose colours by role:
                  [keys]
                  revoke = "X"
                  down = ["j", "Down"]
                  [colors]
                  danger = "magenta"
                  accent = 33
                Keys are written x, Enter, Esc, Tab, Shift-Tab, Space, Up, Down, Left, Right, PgUp, PgDn, Home, End,
                Delete, Backspace, F1 or Ctrl-X. A file with a mistake changes nothing: the defaults apply, and the
                interface and this command name the line. Exit status 2 when the file has a mistake.
                """)

        func run() throws {
            let configuration = Configuration.load()
            let keys = configuration.keys
            Output.say("Config file: \(Configuration.path())")
            Output.table(["ACTION", "KEYS", "DEFAULT", "WHAT IT DOES"], Keybindings.actions.map { action in
                let inForce = keys.overrides[action.name] ?? action.keys
                return [action.name, inForce.map(\.configName).joined(separator: " "),
                        Set(inForce) == Set(action.keys) ? "" : action.keys.map(\.configName).joined(separator: " "), action.description]
            })
            Output.say("")
            Output.table(["COLOR ROLE", "COLOR"], Color.allCases.map { [$0.name, configuration.palette.name(for: $0)] })
            if let problem = configuration.problem { throw CommandFailure.refused(problem) }
        }
    }
}
