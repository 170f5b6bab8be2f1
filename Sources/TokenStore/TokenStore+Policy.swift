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
            let old = try Self.organisationPolicy(db)
            guard let details = try OrganisationPolicy.changeDetails(from: old, to: policy) else { return old }
            try db.execute(sql: "UPDATE policy SET maxLifetimeDays = ?, requireIPAllowList = ? WHERE id = 1",
                           arguments: [policy.maxLifetimeDays, policy.requireIPAllowList])
            try audit(db, actor: actor.login, action: "policy", details: details)
            return policy
        }
    }
}
