/// An account's level of access to the organisation.
public enum Role: String, CaseIterable, Sendable, Codable, Comparable {
    case admin
    case user
    case viewer

    /// The name shown to people.
    public var label: String {
        switch self {
        case .admin: "Administrator"
        case .user: "User"
        case .viewer: "Viewer"
        }
    }

    private var rank: Int {
        switch self {
        case .admin: 0
        case .user: 1
        case .viewer: 2
        }
    }

    /// Admins sort first; used to order accounts.
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    /// Parses a role id, with a message naming the valid ones.
    public static func parse(_ text: String) throws(ValidationError) -> Role {
        guard let role = Role(rawValue: text) else {
            throw ValidationError("unknown role '\(Sanitized.visible(text))' (valid: admin, user, viewer)")
        }
        return role
    }
}
