import Foundation
internal import TOMLKit

/// What `$XDG_CONFIG_HOME/apitokens/config.toml` chooses: keys by action name under `[keys]`, colours by role under
/// `[colors]`. A file with any mistake is not half applied: the defaults apply, and `problem` says what and where.
public struct Configuration: Sendable {
    public var keys = Keybindings.standard
    public var palette = Palette.standard
    /// One line naming the file and the line of the first mistake, when the file had one.
    public var problem: String?

    /// The defaults.
    public init() {}

    /// Where the file is looked for: `$XDG_CONFIG_HOME/apitokens/config.toml`, else `~/.config/apitokens/config.toml`.
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return base + "/apitokens/config.toml"
    }

    /// Reads the file; a missing file is the defaults, a bad one the defaults with the problem.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) -> Configuration {
        let path = path(environment: environment)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return Configuration() }
        func unusable(_ why: String) -> Configuration { failed("\(path): \(why); the default keys and colours apply") }
        if isDirectory.boolValue { return unusable("is a directory, not a file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size > maximumBytes { return unusable("is larger than \(maximumBytes / 1024) KiB") }
        guard let data = FileManager.default.contents(atPath: path) else {
            return unusable(access(path, R_OK) == 0 ? "cannot be read" : "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            // The first line that is not UTF-8, counted in the bytes.
            let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
            let bad = lines.firstIndex { String(data: Data($0), encoding: .utf8) == nil }.map { $0 + 1 }
            return failed("\(path)\(bad.map { " line \($0)" } ?? ""): is not UTF-8 text; the default keys and colours apply")
        }
        return parse(text, path: path)
    }

    /// A config file is a few lines; anything this large is a mistake, and reading it would hold up the start.
    static let maximumBytes = 64 * 1024

    /// A value as quoted in a message: long ones are cut.
    private static func quoted(_ text: String) -> String {
        "'" + (text.count > 40 ? text.prefix(40) + "…" : text) + "'"
    }

    /// Parses the text of a config file found at `path` (named in any problem).
    static func parse(_ text: String, path: String) -> Configuration {
        func problem(_ line: Int?, _ what: String) -> Configuration {
            failed("\(path)\(line.map { " line \($0)" } ?? ""): \(what); the default keys and colours apply")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            return problem(error.source.begin.line, error.description)
        } catch {
            return problem(nil, "\(error)")
        }
        let lines = SourceLines(text)
        for section in table.keys where !["keys", "colors"].contains(section) {
            return problem(lines.section(section) ?? lines.mention(of: section),
                           "unknown section [\(quoted(section).dropFirst().dropLast())] (there are [keys] and [colors])")
        }
        var configuration = Configuration()
        if let keys = table["keys"] {
            guard let keys = keys.table else { return problem(lines.mention(of: "keys"), "keys must be one table: [keys]") }
            var overrides: [String: [Key]] = [:]
            let known = Set(Keybindings.actions.map(\.name))
            for name in keys.keys {
                let line = lines.assignment(name, in: "keys")
                guard known.contains(name) else {
                    return problem(line ?? lines.mention(of: name), "no action \(quoted(name)) (apitokens keys lists them)")
                }
                let texts: [String]
                if let one = keys[name]?.string {
                    texts = [one]
                } else if let many = keys[name]?.array, !many.isEmpty, many.allSatisfy({ $0.string != nil }) {
                    texts = many.compactMap(\.string)
                } else {
                    return problem(line ?? lines.mention(of: name), "\(name) takes a key such as \"x\", \"Ctrl-S\" or \"PgDn\", or a list of them")
                }
                var parsed: [Key] = []
                for text in texts {
                    guard let key = Key(configName: text) else { return problem(line, "\(quoted(text)) is not a key (write x, Enter, PgDn, Ctrl-S…)") }
                    guard !parsed.contains(key) else { return problem(line, "\(name) lists \(key.configName) twice") }
                    parsed.append(key)
                }
                overrides[name] = parsed
            }
            configuration.keys = Keybindings(overrides: overrides)
            if let clash = configuration.keys.problems().first {
                return problem(lines.assignment(clash.name, in: "keys"), "\(clash.name): \(clash.problem)")
            }
        }
        if let colors = table["colors"] {
            guard let colors = colors.table else { return problem(lines.mention(of: "colors"), "colors must be one table: [colors]") }
            for name in colors.keys {
                let line = lines.assignment(name, in: "colors")
                guard let role = Color.allCases.first(where: { $0.name == name }) else {
                    let roles = Color.allCases.map(\.name).joined(separator: ", ")
                    return problem(line, "no colour role \(quoted(name)) (there are \(roles))")
                }
                let value = colors[name]
                let number = value?.int.flatMap { (0...255).contains($0) ? Int16($0) : nil } ?? value?.string.flatMap(Palette.number(named:))
                guard let number else {
                    return problem(line, "\(name) takes a colour name (red, green, yellow, blue, magenta, cyan, white, black, default) or 0–255")
                }
                configuration.palette.set(role, to: number)
            }
        }
        return configuration
    }

    private static func failed(_ problem: String) -> Configuration {
        var configuration = Configuration()
        configuration.problem = problem
        return configuration
    }
}

/// Finds the line of a section or an assignment, for messages; TOMLKit keeps no positions for values.
private struct SourceLines {
    let lines: [Substring]

    init(_ text: String) { lines = text.split(separator: "\n", omittingEmptySubsequences: false) }

    func section(_ name: String) -> Int? {
        lines.firstIndex { Self.header(of: $0) == name }.map { $0 + 1 }
    }

    /// The line of `name = …` inside `[section]` (or before any section when nil).
    func assignment(_ name: String, in section: String?) -> Int? {
        var current: String?
        for (index, line) in lines.enumerated() {
            if let header = Self.header(of: line) { current = header; continue }
            guard current == section else { continue }
            let key = line.split(separator: "=", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            if key == name { return index + 1 }
        }
        return nil
    }

    /// The first line that names `word` at all (a `[keys.sub]` or `[[keys]]` header, say), for what fits no rule.
    func mention(of word: String) -> Int? {
        lines.firstIndex { $0.contains(word) }.map { $0 + 1 }
    }

    private static func header(of line: Substring) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("["), let end = trimmed.firstIndex(of: "]") else { return nil }
        return trimmed[trimmed.index(after: trimmed.startIndex)..<end].trimmingCharacters(in: .whitespaces)
    }
}
