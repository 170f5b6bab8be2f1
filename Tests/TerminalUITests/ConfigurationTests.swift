import Foundation
import Testing
import TokenDomain
@testable import TerminalUI
@testable import TokenViewModels

/// config.toml: remapped keys reach dispatch, footer and help; a bad file names its line and changes nothing.
struct ConfigurationTests {
    let path = "/home/ada/.config/apitokens/config.toml"

    @Test func aRemappedKeyDispatchesAndHelpShowsIt() throws {
        let configuration = Configuration.parse("""
            # mine
            [keys]
            revoke = "X"
            down = ["J", "Down"]
            [colors]
            danger = "magenta"
            accent = 33
            """, path: path)
        #expect(configuration.problem == nil)
        let keys = configuration.keys
        let table = keys.bindings(for: .table)
        #expect(table.first { $0.name == "revoke" }?.keys == [.character("X")])
        #expect(table.first { $0.name == "down" }?.keys == [.character("J"), .down])
        #expect(keys.bindings(for: .audit).first { $0.name == "down" }?.keys == [.character("J"), .down])
        #expect(configuration.palette.number(for: .danger) == 5 && configuration.palette.number(for: .accent) == 33)
        #expect(configuration.palette.number(for: .warning) == Palette.standard.number(for: .warning))
    }

    @Test(arguments: [
        ("[keys]\nrevoke = \"X\"\nnew = ", "line 3"),
        ("[keys]\nrevoke = \"X\"\nfly = \"f\"", "line 3: no action 'fly'"),
        ("[keys]\n\nrevoke = \"Ctrl-\"", "line 3: 'Ctrl-' is not a key"),
        ("[keys]\nrevoke = 7", "line 2: revoke takes a key"),
        ("[keys]\nrefresh = \"x\"", "line 2: refresh: x is already revoke in the token table"),
        ("[keys]\nkeep_search = \"k\"", "line 2: keep_search: k would no longer type in the search box"),
        ("[colors]\ndanger = \"mauve\"", "line 2: danger takes a colour name"),
        ("[colors]\nexpired = \"red\"", "line 2: no colour role 'expired'"),
        ("[colours]\nexpired = \"red\"", "line 1: unknown section [colours]"),
        // What a terminal sends for Ctrl-M is Enter, already Edit's.
        ("[keys]\nrevoke = \"Ctrl-M\"", "line 2: revoke: Enter is already edit in the token table"),
        ("[keys]\nrevoke = [\"X\", \"X\"]", "line 2: revoke lists X twice"),
        ("[keys.sub]\nx = \"y\"", "line 1: no action 'sub'"),
        ("[[keys]]\nrevoke = \"X\"", "line 1: keys must be one table"),
        ("[keys]\nrevoke = \"\(String(repeating: "A", count: 500))\"", "line 2: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…' is not a key"),
    ])
    func aBadFileNamesItsLineAndTheDefaultsApply(text: String, expected: String) {
        let configuration = Configuration.parse(text, path: path)
        let problem = configuration.problem ?? ""
        #expect(problem.hasPrefix(path + " " + expected), "\(problem)")
        #expect(problem.hasSuffix("the default keys and colours apply"))
        #expect(!problem.contains("\n"))
        #expect(configuration.keys.overrides.isEmpty && configuration.palette == .standard)
    }

    /// A directory, a file too large to be a config, and bytes that are not UTF-8 each get their one line.
    @Test func anUnusableFileSaysWhy() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("apitokens-cfg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let file = home.appendingPathComponent("apitokens/config.toml")
        try FileManager.default.createDirectory(at: file, withIntermediateDirectories: true)
        let environment = ["XDG_CONFIG_HOME": home.path]
        #expect(Configuration.load(environment: environment).problem?.contains("config.toml: is a directory, not a file") == true)
        try FileManager.default.removeItem(at: file)
        try Data(repeating: 0x23, count: Configuration.maximumBytes + 1).write(to: file)
        #expect(Configuration.load(environment: environment).problem?.contains("is larger than 64 KiB") == true)
        try Data("[keys]\nrevoke = \"\u{FF}\"\n".utf8.map { $0 == 0xC3 ? 0xFF : $0 }).write(to: file)
        #expect(Configuration.load(environment: environment).problem?.contains("config.toml line 2: is not UTF-8 text") == true)
    }

    @Test func theConfigIsFoundWhereXDGSays() {
        #expect(Configuration.path(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/apitokens/config.toml")
        #expect(Configuration.path(environment: ["HOME": "/h"]) == "/h/.config/apitokens/config.toml")
        #expect(Configuration.load(environment: ["XDG_CONFIG_HOME": "/nonexistent-\(UUID())"]).problem == nil)
    }

    @Test func keyNamesRoundTrip() {
        for key: Key in [.up, .pageDown, .backTab, .escape, .f1, .character(" "), .character("x"), .control("s"), .delete] {
            #expect(Key(configName: key.configName) == key, "\(key.configName)")
        }
        #expect(Key(configName: "ctrl-s") == .control("s") && Key(configName: "pgdn") == .pageDown)
        #expect(Key(configName: "xy") == nil && Key(configName: "") == nil && Key(configName: "\u{1B}") == nil)
    }
}
