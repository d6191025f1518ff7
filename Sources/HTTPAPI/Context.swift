import Domain
import Hummingbird
import Logging
import NIOCore
import Store

/// What a user may be. Agencies see and book only for their own agency; an approver approves
/// or refuses its agency's bookings (where the agency requires it) and sees only those;
/// auditors read, and every trajectory they read is logged.
public enum Role: String, Sendable, Codable, CaseIterable {
    case administrator, dispatcher, agency, approver, driver, auditor

    /// Agency users and approvers belong to exactly one agency, and see only its records.
    public var belongsToAgency: Bool { self == .agency || self == .approver }
}

/// What a new account must be, for `POST /api/v1/users` and `fleetd user add` alike.
public enum AccountRules {
    public static let usernameLength = 3...64
    public static let minimumPasswordLength = 12
    /// bcrypt reads 72 bytes; longer is refused rather than silently cut.
    public static let maximumPasswordBytes = 72

    /// Why `password` may not be `username`'s, or nil if it may: at least 12 characters, not
    /// the username, not a common password (nor one with digits or signs added to it).
    public static func passwordProblem(_ password: String, username: String) -> String? {
        if password.count < minimumPasswordLength { return "at least \(minimumPasswordLength) characters" }
        if password.utf8.count > maximumPasswordBytes { return "at most \(maximumPasswordBytes) bytes" }
        let folded = password.lowercased(), name = username.lowercased()
        if folded == name || (name.count >= 4 && folded.contains(name)) { return "not the username" }
        // "Password123!" is "password" to a guesser; a single repeated character or digits alone are as weak.
        let stem = String(String(folded.drop { !$0.isLetter }.reversed()).drop { !$0.isLetter }.reversed())
        if CommonPasswords.all.contains(folded) || CommonPasswords.all.contains(stem) || Set(folded).count <= 2 || folded.allSatisfy(\.isNumber) {
            return "not a common password"
        }
        return nil
    }

    /// An agency user or approver belongs to exactly one agency; nobody else belongs to one.
    public static func agencyMatches(role: Role, hasAgency: Bool) -> Bool { role.belongsToAgency == hasAgency }
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

/// The request context: Hummingbird's core, and who is asking (set by `Authentication`) from where.
public struct APIContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var user: APIUser?
    /// The peer of the connection (a proxy's X-Forwarded-For is anyone's to write, so not that).
    public let remoteAddress: SocketAddress?
    /// The client behind a trusted proxy on this machine (`ForwardedClient`); nil otherwise.
    var forwardedFor: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The source address as the throttle and the audit name it.
    var address: String { forwardedFor ?? remoteAddress?.ipAddress ?? remoteAddress?.description ?? "unknown" }

    /// The signed-in user, if their role is one of `roles`.
    func require(_ roles: [Role]) throws -> APIUser {
        guard let user else { throw Problem.unauthenticated() }
        guard roles.contains(user.role) else { throw Problem.forbidden(user.role) }
        return user
    }
}
