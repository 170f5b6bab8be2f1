import ArgumentParser
import TokenDomain

// The domain's values as command-line arguments: a bad value fails while the arguments are parsed, before any
// database is opened. Where the domain's parser can say what exactly is wrong (which entry of an IP list, say),
// options parse with it in a `transform`, so its message reaches the person.

extension TokenKind: ExpressibleByArgument {}
extension TokenStatus: ExpressibleByArgument {}
extension TokenSort: ExpressibleByArgument {}
extension Role: ExpressibleByArgument {}

/// The statuses a bulk revoke takes: only those no live use depends on, so help and completions offer just these.
enum RevocableStatus: String, CaseIterable, ExpressibleByArgument {
    case expired, inactive

    var status: TokenStatus { self == .expired ? .expired : .inactive }
}

extension Permission: ExpressibleByArgument {
    /// Shown in help and offered by the shell completions beside each id.
    public static var allValueDescriptions: [String: String] {
        Dictionary(uniqueKeysWithValues: allCases.map { ($0.id, $0.label) })
    }
}

extension ExpiresIn: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
    public var defaultValueDescription: String { text }
}

extension IPAllowList: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
    public var defaultValueDescription: String { ranges.isEmpty ? "any address" : description }
}

extension IPAddress: ExpressibleByArgument {
    public init?(argument: String) { self.init(Substring(argument)) }
}
