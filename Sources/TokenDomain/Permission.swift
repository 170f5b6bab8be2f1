/// One thing a token may be allowed to do; the catalogue is fixed by the product.
public enum Permission: String, CaseIterable, Sendable, Codable {
    case readSite = "read_site"
    case manageSites = "manage_sites"
    case managePages = "manage_pages"
    case createSnapshots = "create_snapshots"
    case deleteSnapshots = "delete_snapshots"
    case manageTestProfiles = "manage_test_profiles"
    case manageDeploys = "manage_deploys"
    case runTests = "run_tests"
    case managePullRequestReviews = "manage_pull_request_reviews"

    /// The stable identifier used on the command line and in JSON.
    public var id: String { rawValue }

    /// The name shown to people.
    public var label: String {
        switch self {
        case .readSite: "Read Site"
        case .manageSites: "Manage Sites"
        case .managePages: "Manage Pages"
        case .createSnapshots: "Create Snapshots"
        case .deleteSnapshots: "Delete Snapshots"
        case .manageTestProfiles: "Manage Test Profiles"
        case .manageDeploys: "Manage Deploys"
        case .runTests: "Run Single Page Tests"
        case .managePullRequestReviews: "Manage Pull Request Reviews"
        }
    }

    /// The bit this permission occupies in a stored permission mask.
    var bit: Int64 { Int64(1) << Int64(Permission.allCases.firstIndex(of: self) ?? 0) }

    /// Parses a permission id, with a message naming the valid ones.
    public static func parse(_ id: String) throws(ValidationError) -> Permission {
        guard let permission = Permission(rawValue: id) else {
            let valid = allCases.map(\.id).joined(separator: ", ")
            throw ValidationError("unknown permission '\(Sanitized.visible(id))' (valid: \(valid))")
        }
        return permission
    }
}

/// A non-empty set of permissions, stored as a bit mask.
public struct PermissionSet: Hashable, Sendable, Sequence {
    /// The bits of the permissions in the set, in catalogue order.
    public private(set) var mask: Int64

    /// A set holding the given permissions.
    public init(_ permissions: some Sequence<Permission>) {
        mask = permissions.reduce(0) { $0 | $1.bit }
    }

    /// A set decoded from a stored mask; unknown bits are dropped.
    public init(mask: Int64) {
        self.mask = Permission.allCases.reduce(0) { mask & $1.bit != 0 ? $0 | $1.bit : $0 }
    }

    /// Every permission in the catalogue.
    public static let all = PermissionSet(Permission.allCases)

    public var isEmpty: Bool { mask == 0 }
    public var count: Int { mask.nonzeroBitCount }
    public func contains(_ permission: Permission) -> Bool { mask & permission.bit != 0 }
    public func isSubset(of other: PermissionSet) -> Bool { mask & ~other.mask == 0 }
    public func intersection(_ other: PermissionSet) -> PermissionSet { PermissionSet(mask: mask & other.mask) }
    public mutating func insert(_ permission: Permission) { mask |= permission.bit }
    public mutating func remove(_ permission: Permission) { mask &= ~permission.bit }

    /// Adds the permission when absent, removes it when present.
    public mutating func toggle(_ permission: Permission) {
        if contains(permission) { remove(permission) } else { insert(permission) }
    }

    public func makeIterator() -> IndexingIterator<[Permission]> {
        Permission.allCases.filter(contains).makeIterator()
    }

    /// The permission ids in catalogue order.
    public var ids: [String] { map(\.id) }
}
