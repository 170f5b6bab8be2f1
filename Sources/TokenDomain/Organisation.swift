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
    /// Checks a name of 1…`maximum` characters with no control characters; returns it trimmed.
    public static func validate(_ raw: String, what: String, maximum: Int = 100) throws(ValidationError) -> String {
        let name = raw.trimmingCharacters(in: .whitespaces)
        if Sanitized.containsControl(raw) {
            throw ValidationError("\(what) must not contain control characters: '\(Sanitized.visible(raw))'")
        }
        if name.isEmpty { throw ValidationError("\(what) must not be empty") }
        if name.count > maximum {
            throw ValidationError("\(what) is \(name.count) characters long; the limit is \(maximum)")
        }
        return name
    }

    /// The key that makes names unique case-insensitively.
    public static func uniquenessKey(_ name: String) -> String { name.lowercased() }

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
