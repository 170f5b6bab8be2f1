import Foundation
internal import GRDB
import TokenDomain

extension TokenStore {
    /// A live token's details and its own audit history, read in one snapshot; for whoever may see the token now
    /// (admins, and the owner of a personal token), or nil when it is gone.
    public func story(ofToken id: Int64, historyLimit: Int, by actor: Account) throws(TokenStoreError) -> TokenStory? {
        try read { db in
            guard let token = try Self.liveToken(db, id: id) else { return nil }
            try Policy.check(.view, on: token, by: try Self.currentActor(db, actor))
            let sites = try Self.teams(db).first { $0.id == token.teamID }?.sites ?? []
            let history = try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE tokenId = ? ORDER BY id DESC LIMIT ?",
                                           arguments: [id, historyLimit]).map(AuditEvent.init(row:))
            return TokenStory(token: token, sites: sites, history: history)
        }
    }
}
