/// The organisation's rules for every token: a longest lifetime and whether an IP allow-list is required. They bind
/// everyone, admins included, on create, edit, refresh and roll.
public struct OrganisationPolicy: Hashable, Sendable {
    /// The longest expires-in allowed, in days; nil for no limit. `never` breaks any limit.
    public var maxLifetimeDays: Int?
    /// Whether every token must name the addresses it may be used from.
    public var requireIPAllowList: Bool

    /// No rules: what a new organisation starts with.
    public static let none = OrganisationPolicy(maxLifetimeDays: nil, requireIPAllowList: false)

    public init(maxLifetimeDays: Int?, requireIPAllowList: Bool) {
        self.maxLifetimeDays = maxLifetimeDays
        self.requireIPAllowList = requireIPAllowList
    }

    /// The audit log's words for changing the rules from `old` to `new`, or nil when they are the same; refuses a
    /// longest lifetime out of range. Both stores write it.
    public static func changeDetails(from old: OrganisationPolicy, to new: OrganisationPolicy) throws(PolicyError) -> String? {
        if let days = new.maxLifetimeDays, !(1...ExpiresIn.maximumDays).contains(days) {
            throw PolicyError("the longest lifetime must be between 1 and \(ExpiresIn.maximumDays) days")
        }
        guard old != new else { return nil }
        func lifetime(_ days: Int?) -> String { days.map { ExpiresIn.days($0).text } ?? "none" }
        var changes: [String] = []
        if old.maxLifetimeDays != new.maxLifetimeDays {
            changes.append("max_lifetime: \(lifetime(old.maxLifetimeDays)) → \(lifetime(new.maxLifetimeDays))")
        }
        if old.requireIPAllowList != new.requireIPAllowList {
            changes.append("require_ip_allowlist: \(old.requireIPAllowList) → \(new.requireIPAllowList)")
        }
        return changes.joined(separator: "; ")
    }

    /// The lifetime rule in words: `the organisation allows at most 90 days`.
    public var lifetimeRule: String? {
        maxLifetimeDays.map { "the organisation allows at most \(ExpiresIn.days($0).label.lowercased())" }
    }

    public static let ipRule = "the organisation requires an IP allow-list"

    /// Why this expires-in is not allowed, naming the rule, or nil.
    public func expiryProblem(_ expiresIn: ExpiresIn) -> String? {
        guard let max = maxLifetimeDays, let rule = lifetimeRule else { return nil }
        guard let days = expiresIn.days else { return rule + "; tokens that never expire are not allowed" }
        return days > max ? rule : nil
    }

    /// Why this allow-list is not enough, naming the rule, or nil. A list with `0.0.0.0/0` or `::/0` restricts nothing.
    public func ipProblem(_ allowed: IPAllowList) -> String? {
        guard requireIPAllowList else { return nil }
        if allowed.allowsAny { return Self.ipRule }
        if allowed.includesAWholeFamily { return Self.ipRule + "; 0.0.0.0/0 and ::/0 allow every address" }
        return nil
    }

    /// Refuses a token's expires-in and allow-list when they break a rule.
    public func check(expiresIn: ExpiresIn, allowedIPs: IPAllowList) throws(PolicyError) {
        if let problem = expiryProblem(expiresIn) ?? ipProblem(allowedIPs) { throw PolicyError(problem) }
    }

    /// Every rule a token breaks, in words.
    public func violations(of token: Token) -> [String] {
        [expiryProblem(token.expiresIn), ipProblem(token.allowedIPs)].compactMap { $0 }
    }

    /// One line for `policy show`.
    public var summary: String {
        "max lifetime: \(maxLifetimeDays.map { ExpiresIn.days($0).text } ?? "none"); "
            + "IP allow-list required: \(requireIPAllowList ? "yes" : "no")"
    }
}
