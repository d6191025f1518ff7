import Domain
import Foundation
import Hummingbird
import Logging
import Store

/// The HTTP API: sessions, users, live positions and tracks so far; every route is listed in
/// `OpenAPIDocument` (a test keeps the two in step).
public struct FleetAPI: Sendable {
    let accounts: Accounts
    let positions: PositionQueries
    let throttle = LoginThrottle()
    /// How long a token lasts.
    let tokenLifetime: TimeInterval

    public init(accounts: Accounts, positions: PositionQueries, tokenLifetime: TimeInterval = 12 * 3600) {
        self.accounts = accounts
        self.positions = positions
        self.tokenLifetime = tokenLifetime
    }

    /// Every route: method, path (OpenAPI style), and who may call it (empty: anyone).
    static let routes: [(method: String, path: String, roles: [Role])] = [
        ("GET", "/openapi.json", []),
        ("POST", "/api/v1/sessions", []),
        ("GET", "/api/v1/me", Role.allCases),
        ("POST", "/api/v1/users", [.administrator]),
        ("GET", "/api/v1/positions/latest", [.administrator, .dispatcher, .auditor]),
        ("GET", "/api/v1/vehicles/{plate}/track", [.administrator, .dispatcher, .auditor]),
    ]

    public func router() -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: Authentication(accounts: accounts))
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.post("/api/v1/sessions") { request, context in try await signIn(request, context) }
        router.get("/api/v1/me") { _, context in
            UserBody(try context.require(Role.allCases))
        }
        router.post("/api/v1/users") { request, context in try await createUser(request, context) }
        router.get("/api/v1/positions/latest") { _, context in
            _ = try context.require([.administrator, .dispatcher, .auditor])
            return try await positions.latest().map { PositionBody(plate: $0.plate, vehicleID: $0.vehicleID, $0.position) }
        }
        router.get("/api/v1/vehicles/:plate/track") { request, context in try await track(request, context) }
        return router
    }

    // MARK: handlers

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

    func signIn(_ request: Request, _ context: APIContext) async throws -> EditedResponse<Session> {
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
        let session = Session(token: token, expiresAt: expiry, user: UserBody(apiUser))
        return EditedResponse(status: .created, response: session)
    }

    struct NewUser: Decodable {
        var username: String
        var password: String
        var role: Role
        var agencyID: Int64?
    }

    func createUser(_ request: Request, _ context: APIContext) async throws -> EditedResponse<UserBody> {
        let admin = try context.require([.administrator])
        let body = try await decode(NewUser.self, request, context)
        let length = AccountRules.usernameLength
        guard length.contains(body.username.count) else { throw Problem.invalid("username", "\(length.lowerBound) to \(length.upperBound) characters") }
        guard body.password.count >= AccountRules.minimumPasswordLength else {
            throw Problem.invalid("password", "at least \(AccountRules.minimumPasswordLength) characters")
        }
        guard AccountRules.agencyMatches(role: body.role, hasAgency: body.agencyID != nil) else {
            throw Problem.invalid("agencyID", "an agency user needs its agency's id, and only an agency user has one")
        }
        let stored: Accounts.User
        do {
            stored = try await accounts.createUser(username: body.username, passwordHash: await PasswordHash.hash(body.password), role: body.role.rawValue, agencyID: body.agencyID)
        } catch is Accounts.UsernameTaken {
            throw Problem(.conflict, "Username taken", detail: "choose another username", field: "username")
        }
        try await accounts.audit(userID: admin.id, action: "user-create", resource: "user:\(stored.id)", detail: #"{"role": "\#(body.role.rawValue)"}"#)
        return EditedResponse(status: .created, response: UserBody(id: stored.id, username: stored.username, role: body.role, agencyID: stored.agencyID))
    }

    struct PositionBody: ResponseEncodable {
        var plate: String?
        var vehicleID: Int64?
        var time: Date
        var latitude: Double
        var longitude: Double
        var speedKmh: Double
        var course: Int
        var altitudeM: Int

        init(plate: String?, vehicleID: Int64?, _ p: PositionRecord) {
            self.plate = plate
            self.vehicleID = vehicleID
            time = Date(timeIntervalSince1970: TimeInterval(p.gnssTime))
            latitude = Double(p.latitudeE6) / 1e6
            longitude = Double(p.longitudeE6) / 1e6
            speedKmh = Double(p.speed) / 10
            course = Int(p.course)
            altitudeM = Int(p.altitude)
        }
    }

    struct TrackBody: ResponseEncodable {
        var plate: String
        var from: Date
        var to: Date
        var points: [PositionBody]
    }

    func track(_ request: Request, _ context: APIContext) async throws -> TrackBody {
        let user = try context.require([.administrator, .dispatcher, .auditor])
        let raw = try context.parameters.require("plate")
        let plate = raw.removingPercentEncoding ?? raw
        let query = request.uri.queryParameters
        func time(_ name: String) throws -> Date? {
            guard let text = query.get(name) else { return nil }
            guard let date = ISO8601DateFormatter().date(from: text) else { throw Problem.invalid(name, "an ISO 8601 time with its offset, e.g. 2026-11-22T08:00:00+08:00") }
            return date
        }
        let to = try time("to") ?? Date()
        let from = try time("from") ?? to.addingTimeInterval(-86_400)
        guard from <= to, to.timeIntervalSince(from) <= 7 * 86_400 else { throw Problem.invalid("from", "from must be before to, at most 7 days apart") }
        let thin = try query.get("thin").map { text -> Int in
            guard let seconds = Int(text), seconds > 0 else { throw Problem.invalid("thin", "a positive number of seconds") }
            return seconds
        }
        guard let vehicle = try await positions.vehicleID(plate: plate) else {
            throw Problem(.notFound, "No such vehicle", detail: "no vehicle has the plate \(plate)")
        }
        // Trajectories are confidential: every read is on record, by whom and of what.
        try await accounts.audit(
            userID: user.id, action: "track-read", resource: "vehicle:\(vehicle)",
            detail: #"{"from": \#(Int64(from.timeIntervalSince1970)), "to": \#(Int64(to.timeIntervalSince1970))}"#
        )
        let points = try await positions.track(vehicleID: vehicle, from: Int64(from.timeIntervalSince1970), to: Int64(to.timeIntervalSince1970), thinnedTo: thin)
        return TrackBody(plate: plate, from: from, to: to, points: points.map { PositionBody(plate: nil, vehicleID: nil, $0) })
    }

    /// A JSON body, or a 400 problem naming the field at fault.
    func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: APIContext) async throws -> T {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        do {
            return try JSONDecoder().decode(type, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, _): throw Problem.invalid(key.stringValue, "missing")
            case .typeMismatch(_, let c), .valueNotFound(_, let c): throw Problem.invalid(c.codingPath.map(\.stringValue).joined(separator: "."), "wrong type or empty")
            case .dataCorrupted(let c):
                throw Problem.invalid(c.codingPath.map(\.stringValue).joined(separator: "."), c.codingPath.isEmpty ? "not JSON" : "not a valid value")
            @unknown default: throw Problem.invalid("", "not valid")
            }
        }
    }
}
