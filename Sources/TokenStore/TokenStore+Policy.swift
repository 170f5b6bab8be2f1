import Foundation
internal import GRDB
import TokenDomain

extension TokenStore {
    /// The organisation's rules as they are now; anyone may read them, since they bind everyone.
    public func organisationPolicy() throws(TokenStoreError) -> OrganisationPolicy {
        try read { db in try Self.organisationPolicy(db) }
    }

    static func organisationPolicy(_ db: Database) throws -> OrganisationPolicy {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT maxLifetimeDays, requireIPAllowList FROM policy WHERE id = 1"))
        else { return .none }
        return OrganisationPolicy(maxLifetimeDays: row["maxLifetimeDays"], requireIPAllowList: row["requireIPAllowList"])
    }

    /// Changes the rules (admins only), audited with what changed; a change to the same values writes nothing.
    @discardableResult
    public func setOrganisationPolicy(_ policy: OrganisationPolicy, by actor: Account) throws(TokenStoreError) -> OrganisationPolicy {
        try write { db in
            let actor = try Self.requireAdmin(db, actor, to: "change the organisation's policy")
            if let days = policy.maxLifetimeDays, !(1...ExpiresIn.maximumDays).contains(days) {
                throw TokenStoreError.refused(PolicyError("the longest lifetime must be between 1 and \(ExpiresIn.maximumDays) days"))
            }
            let old = try Self.organisationPolicy(db)
            guard old != policy else { return old }
            try db.execute(sql: "UPDATE policy SET maxLifetimeDays = ?, requireIPAllowList = ? WHERE id = 1",
                           arguments: [policy.maxLifetimeDays, policy.requireIPAllowList])
            func lifetime(_ days: Int?) -> String { days.map { ExpiresIn.days($0).text } ?? "none" }
            var changes: [String] = []
            if old.maxLifetimeDays != policy.maxLifetimeDays {
                changes.append("max_lifetime: \(lifetime(old.maxLifetimeDays)) → \(lifetime(policy.maxLifetimeDays))")
            }
            if old.requireIPAllowList != policy.requireIPAllowList {
                changes.append("require_ip_allowlist: \(old.requireIPAllowList) → \(policy.requireIPAllowList)")
            }
            try audit(db, actor: actor.login, action: "policy", details: changes.joined(separator: "; "))
            return policy
        }
    }
}
