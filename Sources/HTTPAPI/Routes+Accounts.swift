import Foundation
import Hummingbird
import Store

/// Sessions, users and agencies.
extension FleetAPI {
    struct SignIn: Decodable {
        var username: String
        var password: String
    }

    struct Session: ResponseEncodable {
        var token: String
        var expiresAt: Date
        var user: UserBody
    }

    struct UserBody: ResponseEncodable {
        var id: Int64
        var username: String
        var role: Role
        var agencyID: Int64?

        init(id: Int64, username: String, role: Role, agencyID: Int64?) { (self.id, self.username, self.role, self.agencyID) = (id, username, role, agencyID) }
        init(_ user: APIUser) { self.init(id: user.id, username: user.username, role: user.role, agencyID: user.agencyID) }
    }

    struct NewUser: Decodable {
        var username: String
        var password: String
        var role: Role
        var agencyID: Int64?
    }

    struct NewAgency: Decodable {
        var name: String
        var contactName: String?
        var contactPhone: String?
    }

    func addAccountRoutes(_ list: inout EndpointList) {
        list.addPublic(.post, "/api/v1/sessions", "Sign in: a bearer token (12 h). Five failures in 5 minutes lock the username for the rest of them.",
                       body: "SignIn", returns: "Session", status: .created) { request, context in try await signIn(request, context) }
        list.add(.get, "/api/v1/me", Role.allCases, "The signed-in user", returns: "User") { _, _, user in UserBody(user) }
        list.add(.post, "/api/v1/users", [.administrator], "Create a user. Passwords of 10 characters or more, stored as bcrypt; an agency user names its agency.",
                 body: "NewUser", returns: "User", status: .created) { request, context, admin in try await createUser(request, context, admin) }
        list.add(.get, "/api/v1/users", [.administrator, .auditor], "Every user, with their role and agency", returns: "[User]") { _, _, _ in
            try await accounts.users().compactMap { APIUser($0).map(UserBody.init) }
        }
        list.add(.get, "/api/v1/agencies", Self.readers, "The agencies (the tenants)", returns: "[Agency]") { _, _, _ in try await accounts.agencies() }
        list.add(.post, "/api/v1/agencies", [.administrator], "Add an agency, or update its contact", body: "NewAgency", returns: "Agency", status: .created) { request, context, admin in
            let body = try await decode(NewAgency.self, request, context)
            try Self.require(!body.name.trimmingCharacters(in: .whitespaces).isEmpty && body.name.count <= 200, "name", "1 to 200 characters")
            let id = try await accounts.createAgency(name: body.name)
            try await accounts.setAgencyContact(id, name: body.contactName, phone: body.contactPhone)
            try await audit(admin, "agency-save", "agency:\(id)")
            return Accounts.Agency(id: id, name: body.name, contactName: body.contactName, contactPhone: body.contactPhone)
        }
    }

    func signIn(_ request: Request, _ context: APIContext) async throws -> Session {
        let body = try await decode(SignIn.self, request, context)
        if let wait = throttle.lockedOut(body.username) {
            throw Problem(.tooManyRequests, "Too many failed sign-ins", detail: "try again in \(wait) s")
        }
        guard let (user, hash) = try await accounts.credentials(username: body.username), await PasswordHash.verify(body.password, hash: hash),
            let apiUser = APIUser(user)
        else {
            throttle.failed(body.username)
            try await accounts.audit(userID: nil, action: "sign-in-refused", resource: "user:\(body.username)")
            throw Problem(.unauthorized, "Sign-in refused", detail: "unknown user or wrong password")
        }
        throttle.succeeded(body.username)
        let token = BearerToken.make(), expiry = Date().addingTimeInterval(tokenLifetime)
        try await accounts.storeToken(sha256: BearerToken.sha256(token), userID: user.id, expiresAt: expiry)
        try await accounts.audit(userID: user.id, action: "sign-in", resource: "user:\(user.username)")
        return Session(token: token, expiresAt: expiry, user: UserBody(apiUser))
    }

    func createUser(_ request: Request, _ context: APIContext, _ admin: APIUser) async throws -> UserBody {
        let body = try await decode(NewUser.self, request, context)
        let length = AccountRules.usernameLength
        try Self.require(length.contains(body.username.count), "username", "\(length.lowerBound) to \(length.upperBound) characters")
        try Self.require(body.password.count >= AccountRules.minimumPasswordLength, "password", "at least \(AccountRules.minimumPasswordLength) characters")
        try Self.require(
            AccountRules.agencyMatches(role: body.role, hasAgency: body.agencyID != nil), "agencyID", "an agency user needs its agency's id, and only an agency user has one"
        )
        let stored: Accounts.User
        do {
            stored = try await accounts.createUser(username: body.username, passwordHash: await PasswordHash.hash(body.password), role: body.role.rawValue, agencyID: body.agencyID)
        } catch is Accounts.UsernameTaken {
            throw Problem(.conflict, "Username taken", detail: "choose another username", field: "username")
        } catch is NoSuchRecord {
            throw Problem.invalid("agencyID", "no such agency: see GET /api/v1/agencies")
        }
        try await audit(admin, "user-create", "user:\(stored.id)", ["role": body.role.rawValue])
        return UserBody(id: stored.id, username: stored.username, role: body.role, agencyID: stored.agencyID)
    }
}
