import Hummingbird
import Logging
import Store

/// What a user may be. Agencies see and book only for their own agency; auditors read, and
/// every trajectory they read is logged.
public enum Role: String, Sendable, Codable, CaseIterable {
    case administrator, dispatcher, agency, driver, auditor
}

/// What a new account must be, for `POST /api/v1/users` and `fleetd user add` alike.
public enum AccountRules {
    public static let usernameLength = 3...64
    public static let minimumPasswordLength = 10

    /// An agency user belongs to exactly one agency; nobody else belongs to one.
    public static func agencyMatches(role: Role, hasAgency: Bool) -> Bool { (role == .agency) == hasAgency }
}

/// The signed-in user of a request.
public struct APIUser: Sendable {
    public var id: Int64
    public var username: String
    public var role: Role
    public var agencyID: Int64?

    init?(_ user: Accounts.User) {
        guard let role = Role(rawValue: user.role) else { return nil }
        (id, username, self.role, agencyID) = (user.id, user.username, role, user.agencyID)
    }
}

/// The request context: Hummingbird's core, and who is asking (set by `Authentication`).
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var user: APIUser?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The signed-in user, if their role is one of `roles`.
    func require(_ roles: [Role]) throws -> APIUser {
        guard let user else { throw Problem.unauthenticated() }
        guard roles.contains(user.role) else { throw Problem.forbidden(user.role) }
        return user
    }
}
