import TokenDomain
import TokenStore

/// A store's test lookups.
public extension TokenRepository {
    /// The first admin the fixtures bootstrap, `root` (or `admin` in demo fixtures), to list and read as.
    func root() throws -> Account {
        for login in ["root", "admin"] { if let account = try account(login: login), account.isAdmin { return account } }
        guard let admin = try accounts().first(where: \.isAdmin) else { throw NoAdmin() }
        return admin
    }
}

/// The store holds no administrator to act as.
public struct NoAdmin: Error {}
