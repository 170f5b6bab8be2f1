import Foundation
import TokenDomain
import TokenStore

/// The JSON shape of a token in `token list` and `token show`.
struct TokenJSON: Encodable {
    let token: Token
    let now: Date
    /// Adds `previous_secret_expires_at`, as `token show` and `token roll` do; lists keep the fields of SPEC §4.
    var withGrace = false

    enum Key: String, CodingKey {
        case id, kind, name, owner, team, permissions
        case expiresIn = "expires_in", expiresAt = "expires_at", status
        case allowedIPs = "allowed_ips", createdAt = "created_at", updatedAt = "updated_at", lastUsedAt = "last_used_at"
        case previousSecretExpiresAt = "previous_secret_expires_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(token.id, forKey: .id)
        try container.encode(token.kind.rawValue, forKey: .kind)
        try container.encode(token.name, forKey: .name)
        try container.encode(token.owner, forKey: .owner)
        try container.encode(token.team, forKey: .team)
        try container.encode(token.permissions.ids, forKey: .permissions)
        try container.encode(token.expiresIn.text, forKey: .expiresIn)
        try container.encode(token.expiresAt.map(RFC3339.string), forKey: .expiresAt)
        try container.encode(token.status(at: now).rawValue, forKey: .status)
        // An unreadable stored list is one entry that says so, never the empty list that means any address.
        let allowed = token.allowedIPs.unreadableText.map { ["unreadable: \($0)"] }
        try container.encode(allowed ?? token.allowedIPs.ranges.map(\.description), forKey: .allowedIPs)
        try container.encode(RFC3339.string(token.createdAt), forKey: .createdAt)
        try container.encode(RFC3339.string(token.updatedAt), forKey: .updatedAt)
        try container.encode(token.lastUsedAt.map(RFC3339.string), forKey: .lastUsedAt)
        if withGrace { try container.encode(token.graceEnd(at: now).map(RFC3339.string), forKey: .previousSecretExpiresAt) }
    }
}

/// The JSON shape of an account.
struct AccountJSON: Encodable {
    let login: String
    let name: String
    let role: String
    let teams: [String]

    init(_ account: Account) {
        login = account.login
        name = account.name
        role = account.role.rawValue
        teams = account.teams
    }
}

/// Printing for people (lines and aligned columns) and for scripts (JSON). Everything a command prints goes through
/// here, and every line is made safe for the terminal on the way: stored text can hold control characters.
enum Output {
    /// One line on stdout (or stderr), its control and bidi characters made visible.
    static func say(_ line: String, onStandardError: Bool = false) {
        if onStandardError { StandardError.write(Sanitized.visible(line) + "\n") } else { print(Sanitized.visible(line)) }
    }

    /// One line on stderr, after `apitokens: `, made visible the same way.
    static func warn(_ line: String) {
        StandardError.write("apitokens: \(Sanitized.visible(line))\n")
    }

    /// Writes a value as JSON on stdout (pretty unless told otherwise), with every control character escaped.
    static func json(_ value: some Encodable, pretty: Bool = true) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        print(escapingControls(String(decoding: try encoder.encode(value), as: UTF8.self)))
    }

    /// JSON text with the controls JSONEncoder leaves raw (DEL, C1, bidi and line separators) written as `\uXXXX`:
    /// the same string to any parser, and harmless when a person `cat`s it to a terminal. They can only stand
    /// inside strings, where the escape means the same character.
    static func escapingControls(_ json: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            guard scalar != "\n", Sanitized.isControl(scalar) else { out.append(scalar); continue }
            let hex = String(scalar.value, radix: 16)
            out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
        }
        return String(out)
    }

    /// Prints rows under headings in aligned columns; every cell is made safe for the terminal first.
    static func table(_ headings: [String], _ rows: [[String]]) {
        let safeRows = rows.map { $0.map(Sanitized.visible) }
        let widths = headings.indices.map { column in
            ([headings[column]] + safeRows.map { $0[column] }).map(DisplayWidth.of).max() ?? 0
        }
        // Padded by the columns a terminal gives each character, so wide names keep the columns in line.
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { cell, width in cell + String(repeating: " ", count: max(0, width - DisplayWidth.of(cell))) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        say(line(headings))
        safeRows.forEach { say(line($0)) }
    }

    /// A moment as shown in text listings, or a dash.
    static func time(_ date: Date?) -> String { date.map(RFC3339.string) ?? "-" }
}

/// Writes to standard error without touching C's shared `stderr` global.
enum StandardError {
    /// Writes the text as is (no newline added).
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
