import Foundation

/// A team: the unit of access a token is scoped to.
public struct Team: Hashable, Sendable, Identifiable {
    public let id: Int64
    public let name: String
    /// The team's site names, sorted.
    public let sites: [String]

    public init(id: Int64, name: String, sites: [String] = []) {
        self.id = id
        self.name = name
        self.sites = sites
    }
}

/// A person who can act in the organisation, matched to the OS user by login.
public struct Account: Hashable, Sendable, Identifiable {
    public let id: Int64
    public let login: String
    public let name: String
    public let role: Role
    /// Names of the teams the account is a member of, sorted.
    public let teams: [String]

    public init(id: Int64, login: String, name: String, role: Role, teams: [String]) {
        self.id = id
        self.login = login
        self.name = name
        self.role = role
        self.teams = teams
    }

    public var isAdmin: Bool { role == .admin }
}

/// Validates the names people give to teams, sites, accounts and tokens.
public enum Naming {
    /// The longest name, in Unicode code points after NFC: the unit SQLite's `length()` counts in the CHECK constraints.
    public static let maximumLength = 100

    /// A text's length as every name limit counts it: Unicode code points of its NFC form.
    public static func length(_ text: String) -> Int { text.precomposedStringWithCanonicalMapping.unicodeScalars.count }

    /// Checks a name of 1…`maximum` characters with no control characters and something visible;
    /// returns it trimmed and in NFC, so that `café` typed either way is one name.
    public static func validate(_ raw: String, what: String, maximum: Int = maximumLength) throws(ValidationError) -> String {
        let name = raw.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespaces)
        if Sanitized.containsControl(raw) {
            throw ValidationError("\(what) must not contain control characters: '\(Sanitized.visible(raw))'")
        }
        if name.isEmpty { throw ValidationError("\(what) must not be empty") }
        if name.unicodeScalars.allSatisfy(isInvisible) {
            throw ValidationError("\(what) must contain a visible character, not only blanks or invisible ones")
        }
        let length = name.unicodeScalars.count
        if length > maximum {
            throw ValidationError("\(what) is \(length) characters long; the limit is \(maximum)")
        }
        return name
    }

    /// Whether a scalar shows nothing by itself: spaces, zero-width and format characters, fillers, tags.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isWhitespace || properties.isDefaultIgnorableCodePoint || properties.generalCategory == .format {
            return true
        }
        // Fillers that render blank but are not default-ignorable everywhere: Hangul fillers, braille blank.
        return [0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800].contains(scalar.value)
    }

    /// The key that makes names unique case-insensitively, whichever way their accents were typed.
    public static func uniquenessKey(_ name: String) -> String { name.precomposedStringWithCanonicalMapping.lowercased() }

    /// Checks a login: letters, digits, `.`, `_`, `-`, at most 64 characters.
    public static func validateLogin(_ login: String) throws(ValidationError) -> String {
        let allowed = login.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "._-".unicodeScalars.contains($0)
        }
        guard !login.isEmpty, login.count <= 64, allowed else {
            throw ValidationError("invalid login '\(Sanitized.visible(login))': use letters, digits, '.', '_' or '-'")
        }
        return login
    }
}
