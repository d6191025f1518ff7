import Domain
import Foundation
import Hummingbird
import Store

/// Sessions, users and agencies.
extension FleetAPI {
    struct SignIn: Decodable {
        var username: String
        var password: String
        /// The browser console's sign-in: the token goes into an HttpOnly cookie, not the body.
        var cookie: Bool?
    }

    struct Session: ResponseEncodable {
        /// nil for a cookie session: no script ever holds it.
        var token: String?
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

    /// Whether an agency's users' bookings wait for its approver.
    struct Approval: Decodable { var required: Bool }

    struct PasswordChange: Decodable {
        var currentPassword: String
        var newPassword: String
    }

    struct Revoked: ResponseEncodable { var sessions: Int }

    struct AuditRecord: ResponseEncodable {
        var id: Int64
        var at: Date
        var userID: Int64?
        var actor: String?
        var action: String
        var object: String
        var detail: [String: String]?

        init(_ entry: Accounts.AuditEntry) {
            (id, at, userID, actor, action, object) = (entry.id, entry.at, entry.userID, entry.username, entry.action, entry.resource)
            detail = entry.detail.map { text in (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? ["json": text] }
        }
    }

    struct AuditPage: ResponseEncodable {
        var items: [AuditRecord]
        var next: Int64?
    }

    func addAccountRoutes(_ list: inout EndpointList) {
        list.addPublic(
            .post, "/api/v1/sessions",
            "Sign in: a bearer token, ending after 12 h or when unused for the idle timeout (30 min by default). "
                + "Five failures in 5 minutes lock the username (30 an address) for the rest of them (429 with Retry-After).",
            body: "SignIn", returns: "Session", status: .created, refusals: [.tooManyRequests]
        ) { request, context in try await signIn(request, context) }
        list.add(.delete, "/api/v1/sessions/current", Role.allCases, "Sign out: the token ends now (and the console's cookie with it)", returns: "Done") {
            request, _, user in
            if let hash = BearerToken.sha256(of: request) { try await sessions.end(hash, audit: entry(user, "sign-out", "user:\(user.username)")) }
            var done = EditedResponse(response: Done(done: true))
            if ConsoleSession.token(of: request) != nil { done.setCookie(ConsoleSession.ended(request: request)) }
            return done
        }
        list.add(.get, "/api/v1/me", Role.allCases, "The signed-in user", returns: "User") { _, _, user in UserBody(user) }
        list.add(
            .put, "/api/v1/me/password", Role.allCases,
            "Change one's password: the current one is checked as a sign-in is (and counts as one); "
                + "the new one has 12 characters or more, is not the username nor a common password. Every other session ends.",
            body: "PasswordChange", returns: "Done", refusals: [.tooManyRequests]
        ) { request, context, user in try await changePassword(request, context, user) }
        list.add(
            .post, "/api/v1/users", [.administrator],
            "Create a user. Passwords of 12 characters or more, not the username nor a common password, stored as bcrypt; an agency user names its agency.",
            body: "NewUser", returns: "User", status: .created
        ) { request, context, admin in try await createUser(request, context, admin) }
        list.add(.get, "/api/v1/users", [.administrator, .auditor], "Every user, with their role and agency", returns: "[User]") { _, _, user in
            try await auditRead(user, "user-read", "users")
            return try await accounts.users().compactMap { APIUser($0).map(UserBody.init) }
        }
        list.add(
            .post, "/api/v1/users/{id}/disable", [.administrator], "Disable a user: their sessions end now, live streams included, and they cannot sign in",
            returns: "Revoked"
        ) { _, context, admin in
            let id = try id("id", context)
            guard id != admin.id else { throw Problem(.conflict, "Not yourself", detail: "another administrator disables an administrator") }
            let audit: Audit<Int?> = { [self] ended in ended.map { entry(admin, "user-disable", "user:\(id)", ["sessions": "\($0)"]) } }
            guard let ended = try await accounts.setDisabled(userID: id, true, audit: audit) else { throw Self.notFound("no user \(id)") }
            sessions.forget(userID: id)
            return Revoked(sessions: ended)
        }
        list.add(.post, "/api/v1/users/{id}/enable", [.administrator], "Enable a disabled user again", returns: "Done") { _, context, admin in
            let id = try id("id", context)
            let audit: Audit<Int?> = { [self] ended in ended.map { _ in entry(admin, "user-enable", "user:\(id)") } }
            guard try await accounts.setDisabled(userID: id, false, audit: audit) != nil else { throw Self.notFound("no user \(id)") }
            return Done(done: true)
        }
        list.add(
            .delete, "/api/v1/users/{id}/sessions", [.administrator], "End every session of a user now (a lost phone, a shared token)", returns: "Revoked"
        ) { _, context, admin in
            let id = try id("id", context)
            let ended = try await sessions.endAll(of: id) { [self] in entry(admin, "sessions-revoke", "user:\(id)", ["sessions": "\($0)"]) }
            return Revoked(sessions: ended)
        }
        list.add(
            .get, "/api/v1/audit", [.administrator, .auditor],
            "The audit trail, newest first: writes, reads of tracks and personal data, sign-ins and refusals "
                + "(one line per burst, and one with its count when it is over). Every criterion given must hold.",
            returns: "AuditPage",
            query: [
                ("actor", "string(1...200)", "a username"), ("action", "string(1...200)", "e.g. track-read, sign-in-refused, user-disable"),
                ("object", "string(1...200)", "e.g. vehicle:12, user:5, address:203.0.113.7"), ("from", "date-time", "inclusive"),
                ("to", "date-time", "exclusive"), ("limit", "integer(1...500)", "1 to 500, default 100"), ("cursor", "id", "`next` of the page before"),
            ]
        ) { request, _, user in try await auditTrail(request, user) }
        list.add(.get, "/api/v1/agencies", Self.readers, "The agencies (the tenants)", returns: "[Agency]") { _, _, _ in try await accounts.agencies() }
        list.add(.post, "/api/v1/agencies", [.administrator], "Add an agency, or update its contact", body: "NewAgency", returns: "Agency", status: .created) {
            request, context, admin in
            let body = try await decode(NewAgency.self, request, context)
            try Self.require(!body.name.trimmingCharacters(in: .whitespaces).isEmpty && body.name.count <= 200, "name", "1 to 200 characters")
            let id = try await accounts.saveAgency(name: body.name, contactName: body.contactName, contactPhone: body.contactPhone) { [self] in
                entry(admin, "agency-save", "agency:\($0)")
            }
            return try await agency(id)
        }
        list.add(
            .put, "/api/v1/agencies/{id}/approval", [.administrator],
            "Whether the agency's users' bookings wait for its approver (a user of role approver of that agency) before the operator receives them",
            body: "Approval", returns: "Agency"
        ) { request, context, admin in
            let agencyID = try id("id", context)
            let body = try await decode(Approval.self, request, context)
            let audit = entry(admin, "agency-approval-set", "agency:\(agencyID)", ["required": "\(body.required)"])
            do {
                try await accounts.setRequiresApproval(agencyID: agencyID, body.required, audit: audit)
            } catch is NoSuchRecord {
                throw Self.notFound("no agency \(agencyID)")
            }
            return try await agency(agencyID)
        }
    }

    func agency(_ id: Int64) async throws -> Agency {
        guard let agency = try await accounts.agencies().first(where: { $0.id == id }) else { throw Self.notFound("no agency \(id)") }
        return agency
    }

    func signIn(_ request: Request, _ context: APIContext) async throws -> EditedResponse<Session> {
        let body = try await decode(SignIn.self, request, context)
        // A cookie set by another site's form would sign the browser in as the attacker.
        if body.cookie == true, !ConsoleSession.fromConsole(request) { throw ConsoleSession.crossSite }
        // Bounded before anything keeps them: the throttle's names and the audit's lines.
        let longest = AccountRules.usernameLength.upperBound
        try Self.require((1...longest).contains(body.username.count), "username", "1 to \(longest) characters")
        try Self.require(body.password.utf8.count <= 1_024, "password", "at most 1024 bytes")
        let user = try await gate.verify(username: body.username, password: body.password, address: context.address, accounts: accounts)
        guard let apiUser = APIUser(user) else { throw SignInRefused.wrong(body.username) }
        let token = BearerToken.make(), expiry = clock.now.addingTimeInterval(tokenLifetime)
        let signedIn = AuditLine(userID: user.id, action: "sign-in", resource: "user:\(user.username)")
        try await accounts.storeToken(sha256: BearerToken.sha256(token), userID: user.id, expiresAt: expiry, audit: signedIn)
        guard body.cookie == true else { return EditedResponse(status: .created, response: Session(token: token, expiresAt: expiry, user: UserBody(apiUser))) }
        var response = EditedResponse(status: .created, response: Session(token: nil, expiresAt: expiry, user: UserBody(apiUser)))
        response.setCookie(ConsoleSession.cookie(token, lifetime: tokenLifetime, request: request))
        return response
    }

    func changePassword(_ request: Request, _ context: APIContext, _ user: APIUser) async throws -> Done {
        let body = try await decode(PasswordChange.self, request, context)
        try Self.require(body.currentPassword.utf8.count <= 1_024, "currentPassword", "at most 1024 bytes")
        if let problem = AccountRules.passwordProblem(body.newPassword, username: user.username) { throw Problem.invalid("newPassword", problem) }
        do {
            _ = try await gate.verify(username: user.username, password: body.currentPassword, address: context.address, accounts: accounts)
        } catch let refused as SignInRefused where refused.status == .unauthorized {
            // Signed in, so not a 401: the token is good, the password is not.
            throw Problem(.forbidden, "Password refused", detail: "the current password is wrong", field: "currentPassword")
        }
        let hash = try await gate.checks.run { await PasswordHash.hash(body.newPassword) }
        let kept = BearerToken.sha256(of: request)
        _ = try await accounts.setPasswordHash(username: user.username, hash, keeping: kept) { [self] in
            entry(user, "password-change", "user:\(user.id)", ["sessions": "\($0)"])
        }
        sessions.forget(userID: user.id, keeping: kept)
        return Done(done: true)
    }

    func createUser(_ request: Request, _ context: APIContext, _ admin: APIUser) async throws -> UserBody {
        let body = try await decode(NewUser.self, request, context)
        let length = AccountRules.usernameLength
        try Self.require(length.contains(body.username.count), "username", "\(length.lowerBound) to \(length.upperBound) characters")
        if let problem = AccountRules.passwordProblem(body.password, username: body.username) { throw Problem.invalid("password", problem) }
        try Self.require(
            AccountRules.agencyMatches(role: body.role, hasAgency: body.agencyID != nil), "agencyID",
            "an agency user or approver needs its agency's id, and only they have one"
        )
        let stored: Accounts.User
        do {
            let hash = await PasswordHash.hash(body.password)
            stored = try await accounts.createUser(username: body.username, passwordHash: hash, role: body.role.rawValue, agencyID: body.agencyID) { [self] in
                entry(admin, "user-create", "user:\($0.id)", ["role": body.role.rawValue])
            }
        } catch is Accounts.UsernameTaken {
            throw Problem(.conflict, "Username taken", detail: "choose another username", field: "username")
        } catch is NoSuchRecord {
            throw Problem.invalid("agencyID", "no such agency: see GET /api/v1/agencies")
        }
        return UserBody(id: stored.id, username: stored.username, role: body.role, agencyID: stored.agencyID)
    }

    func auditTrail(_ request: Request, _ user: APIUser) async throws -> AuditPage {
        let query = request.uri.queryParameters
        func text(_ name: String) throws -> String? {
            let value = query.get(name)
            try Self.require((value?.count ?? 0) <= 200, name, "at most 200 characters")
            return value
        }
        let limit = try count("limit", request, default: 100, maximum: 500)
        let cursor = try query.get("cursor").map { text -> Int64 in
            guard let id = Int64(text), id > 0 else { throw Problem.invalid("cursor", "`next` of the page before") }
            return id
        }
        let (from, to) = (try time("from", request), try time("to", request))
        if let from, let to { try Self.require(from <= to, "from", "from must not be after to") }
        let filter = Accounts.AuditFilter(
            actor: try text("actor"), action: try text("action"), resource: try text("object"), from: from, to: to, before: cursor, limit: limit + 1
        )
        let entries = try await accounts.auditTrail(filter)
        // Who read the record of whom is on record too.
        let criteria = ["actor": filter.actor, "action": filter.action, "object": filter.resource, "from": query.get("from"), "to": query.get("to")]
        try await audit(user, "audit-read", "audit", criteria.compactMapValues { $0 })
        return AuditPage(items: entries.prefix(limit).map(AuditRecord.init), next: entries.count > limit ? entries[limit - 1].id : nil)
    }
}
