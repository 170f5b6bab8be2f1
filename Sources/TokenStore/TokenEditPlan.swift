import Foundation
import TokenDomain

/// What saving a draft over a live token writes, decided alike by both engines: the expiry is computed again from
/// now when the token had expired or its expires-in changed, and a save that changes nothing writes nothing.
package struct TokenEditPlan {
    /// The expiry to store, in seconds since 1970; nil for never.
    package let expiresAt: Int64?
    /// The draft team's name, copied beside its id.
    package let teamName: String
    /// True when the draft says what the token already holds.
    package let changesNothing: Bool

    /// The plan for `draft` (its name already validated as `name`) over `old`, at `now` seconds and `clock` time.
    package init(old: Token, draft: TokenDraft, name: String, teams: [Team], now: Int64, clock: Date) {
        let stored = old.expiresAt.map { Int64($0.timeIntervalSince1970) }
        let expired = old.status(at: clock) == .expired
        expiresAt = (expired || draft.expiresIn != old.expiresIn) ? draft.expiresIn.days.map { now + Int64($0) * 86_400 } : stored
        teamName = teams.first { $0.id == draft.teamID }?.name ?? old.team
        changesNothing = name == old.name && draft.teamID == old.teamID && draft.permissions == old.permissions
            && draft.expiresIn == old.expiresIn && draft.allowedIPs == old.allowedIPs && expiresAt == stored
    }

    /// The refusal of an edit whose token someone else changed since it was read.
    package static func changedMeanwhile(_ old: Token) -> TokenStoreError {
        .staleEdit("token '\(Sanitized.visible(old.name))' was changed by someone else since you opened it; nothing was saved — reopen it to see the new values")
    }
}
