import Dispatching
import Domain
import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import PostgresTestSupport
import ServiceLifecycle
import ServiceTestSupport
import Store
import Testing

@testable import HTTPAPI

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The API over real HTTP (URLSession to a listening server) on a real PostgreSQL database.
@Suite struct FleetAPITests {
    struct Reply {
        var status: Int
        var contentType: String?
        var json: [String: Any]
        var array: [Any]
        var etag: String?
        var body: Data = Data()
        var retryAfter: String?
    }

    /// A running API on a fresh database with an administrator, a dispatcher, an auditor and an
    /// agency user (password "correct horse" each), for the duration of `body`. The API runs as
    /// fleetd's app role (`fleet_app`), as in production; `client` is the owner's, for setting up
    /// and checking.
    static func withAPI(
        clock: any WallClock = SystemClock(),
        _ body: @Sendable (_ base: URL, _ accounts: Accounts, _ client: PostgresClient, _ api: FleetAPI) async throws -> Void
    ) async throws {
        try await TestPostgres.withDatabase { client, url in
            let appURL = try TestPostgres.app(url)
            try await TestPostgres.withClient(appURL) { appClient in try await withAPI(client, appClient, appURL, clock, body) }
        }
    }

    private static func withAPI(
        _ client: PostgresClient, _ appClient: PostgresClient, _ url: DatabaseURL, _ clock: any WallClock,
        _ body: @Sendable (_ base: URL, _ accounts: Accounts, _ client: PostgresClient, _ api: FleetAPI) async throws -> Void
    ) async throws {
        let logger = TestPostgres.logger
        let accounts = try await seedUsers(client)
        let api = Self.api(appClient, url, clock: clock)
        let (ports, portsIn) = AsyncStream.makeStream(of: Int.self)
        let app = api.application(APIConfiguration(port: 0)) { portsIn.yield($0.localAddress?.port ?? 0) }
        let group = ServiceGroup(services: [app], logger: logger)
        try await group.whileRunning {
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next()!
            try await body(URL(string: "http://127.0.0.1:\(port)")!, accounts, client, api)
        }
    }

    /// An agency and a user of each role but driver, password "correct horse" each.
    static func seedUsers(_ client: PostgresClient) async throws -> Accounts {
        let accounts = Accounts(client: client, logger: TestPostgres.logger)
        let agency = try await accounts.createAgency(name: "市机关事务管理局")
        let hash = await PasswordHash.hash("correct horse")
        for (name, role, agencyID) in [
            ("admin", "administrator", nil), ("dispatcher", "dispatcher", nil), ("auditor", "auditor", nil), ("agency", "agency", Optional(agency)),
        ] {
            _ = try await accounts.createUser(username: name, passwordHash: hash, role: role, agencyID: agencyID)
        }
        return accounts
    }

    static func api(_ client: PostgresClient, _ url: DatabaseURL, clock: any WallClock = SystemClock()) -> FleetAPI {
        let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: TestPostgres.logger)
        return FleetAPI(services: APIServices(client: client, dispatch: dispatch, logger: TestPostgres.logger), logger: TestPostgres.logger)
    }

    static func call(
        _ base: URL, _ method: String, _ path: String, token: String? = nil, body: String? = nil, bytes: Data? = nil, headers: [String: String] = [:],
        session: URLSession = .shared
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: base.absoluteString + path)!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        // Bytes (a photo) with the Content-Type `headers` give.
        if let bytes { request.httpBody = bytes }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        let parsed = try? JSONSerialization.jsonObject(with: data)
        return Reply(
            status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type"), json: parsed as? [String: Any] ?? [:],
            array: parsed as? [Any] ?? [],
            etag: http.value(forHTTPHeaderField: "ETag"), body: data, retryAfter: http.value(forHTTPHeaderField: "Retry-After")
        )
    }

    static func signIn(_ base: URL, _ username: String, _ password: String = "correct horse") async throws -> String {
        let reply = try await call(base, "POST", "/api/v1/sessions", body: #"{"username": "\#(username)", "password": "\#(password)"}"#)
        #expect(reply.status == 201, "\(reply.json)")
        return reply.json["token"] as? String ?? ""
    }

    @Test func signInGivesATokenAndRefusalsAreProblemsThenLockedOut() async throws {
        try await Self.withAPI { base, accounts, _, api in
            let token = try await Self.signIn(base, "dispatcher")
            #expect(token.count == 64)
            let me = try await Self.call(base, "GET", "/api/v1/me", token: token)
            #expect(me.status == 200 && me.json["username"] as? String == "dispatcher" && me.json["role"] as? String == "dispatcher")

            let wrong = try await Self.call(base, "POST", "/api/v1/sessions", body: #"{"username": "auditor", "password": "wrong"}"#)
            #expect(wrong.status == 401 && wrong.contentType == "application/problem+json" && wrong.json["title"] as? String == "Sign-in refused")
            for _ in 0..<4 { _ = try await Self.call(base, "POST", "/api/v1/sessions", body: #"{"username": "auditor", "password": "wrong"}"#) }
            // Five failures: even the right password is refused for a while.
            let locked = try await Self.call(base, "POST", "/api/v1/sessions", body: #"{"username": "auditor", "password": "correct horse"}"#)
            #expect(locked.status == 429, "\(locked.json)")

            let anonymous = try await Self.call(base, "GET", "/api/v1/me")
            #expect(anonymous.status == 401 && (anonymous.json["detail"] as? String)?.contains("POST /api/v1/sessions") == true, "\(anonymous.json)")
            let bad = try await Self.call(base, "GET", "/api/v1/me", token: String(repeating: "0", count: 64))
            #expect(bad.status == 401 && (bad.json["detail"] as? String)?.contains("sign in again") == true)
            #expect(locked.retryAfter.flatMap(Int.init).map { (1...300).contains($0) } == true, "\(String(describing: locked.retryAfter))")
            // Refusals on record once per burst: the first 401 and the first 429.
            let trail = try await accounts.auditTrail()
            #expect(trail.filter { $0.action == "sign-in-refused" }.count == 2)
            #expect(trail.contains { $0.action == "sign-in" && $0.resource == "user:dispatcher" })
        }
    }

    @Test func everyProtectedRouteRefusesStrangersAndWrongRoles() async throws {
        try await Self.withAPI { base, _, client, api in
            let agency = try await Self.signIn(base, "agency")
            let endpoints = api.endpoints
            #expect(endpoints.count > 30)
            for route in endpoints where !route.roles.isEmpty {
                let path = route.path.replacingOccurrences(of: "{plate}", with: "浙B12345D".addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!)
                    .replacingOccurrences(of: "{id}", with: "1")
                let method = route.method.rawValue, body = route.body != nil ? "{}" : nil
                let anonymous = try await Self.call(base, method, path, body: body)
                #expect(anonymous.status == 401, "\(method) \(route.path) without a token: \(anonymous.status)")
                if !route.roles.contains(.agency) {
                    let refused = try await Self.call(base, method, path, token: agency, body: body)
                    #expect(
                        refused.status == 403 && refused.contentType == "application/problem+json", "\(method) \(route.path) as an agency: \(refused.status)")
                }
            }
        }
    }

    @Test func invalidBodiesNameTheField() async throws {
        try await Self.withAPI { base, _, _, api in
            let admin = try await Self.signIn(base, "admin")
            let missing = try await Self.call(base, "POST", "/api/v1/sessions", body: #"{"username": "admin"}"#)
            #expect(missing.status == 400 && missing.json["field"] as? String == "password", "\(missing.json)")
            let notJSON = try await Self.call(base, "POST", "/api/v1/sessions", body: "username=admin")
            #expect(notJSON.status == 400, "\(notJSON.json)")
            let short = try await Self.call(
                base, "POST", "/api/v1/users", token: admin, body: #"{"username": "kim", "password": "short", "role": "dispatcher"}"#)
            #expect(short.status == 400 && short.json["field"] as? String == "password")
            let common = try await Self.call(
                base, "POST", "/api/v1/users", token: admin, body: #"{"username": "kim", "password": "Password2026!", "role": "dispatcher"}"#
            )
            #expect(common.status == 400 && common.json["detail"] as? String == "not a common password", "\(common.json)")
            let role = try await Self.call(
                base, "POST", "/api/v1/users", token: admin, body: #"{"username": "kim", "password": "long enough!", "role": "king"}"#)
            #expect(role.status == 400 && role.json["field"] as? String == "role", "\(role.json)")
            let agencyless = try await Self.call(
                base, "POST", "/api/v1/users", token: admin, body: #"{"username": "kim", "password": "long enough!", "role": "agency"}"#)
            #expect(agencyless.status == 400 && agencyless.json["field"] as? String == "agencyID")
            let created = try await Self.call(
                base, "POST", "/api/v1/users", token: admin, body: #"{"username": "kim", "password": "long enough!", "role": "dispatcher"}"#)
            #expect(created.status == 201 && created.json["role"] as? String == "dispatcher")
            let again = try await Self.call(
                base, "POST", "/api/v1/users", token: admin, body: #"{"username": "kim", "password": "long enough!", "role": "dispatcher"}"#)
            #expect(again.status == 409 && again.json["field"] as? String == "username")
            // The new user signs in with the password given: it was stored as bcrypt.
            _ = try await Self.signIn(base, "kim", "long enough!")
        }
    }

    @Test func trackReadsAreAuditedAndQueriesChecked() async throws {
        try await Self.withAPI { base, accounts, client, api in
            try await client.query("INSERT INTO vehicles (plate) VALUES ('浙B12345D')", logger: TestPostgres.logger)
            let auditor = try await Self.signIn(base, "auditor")
            let plate = "浙B12345D".addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!
            let track = try await Self.call(
                base, "GET", "/api/v1/vehicles/\(plate)/track?from=2026-11-21T08:00:00%2B08:00&to=2026-11-21T20:00:00%2B08:00", token: auditor)
            #expect(track.status == 200 && track.json["plate"] as? String == "浙B12345D" && (track.json["points"] as? [Any])?.isEmpty == true, "\(track.json)")
            #expect(try await accounts.auditTrail().first.map { [$0.action, $0.resource] } != nil)
            let trail = try await accounts.auditTrail()
            #expect(trail.first?.action == "track-read" && trail.first?.resource.hasPrefix("vehicle:") == true)
            let badTime = try await Self.call(base, "GET", "/api/v1/vehicles/\(plate)/track?from=yesterday", token: auditor)
            #expect(badTime.status == 400 && badTime.json["field"] as? String == "from")
            let unknown = try await Self.call(base, "GET", "/api/v1/vehicles/X1/track", token: auditor)
            #expect(unknown.status == 404)
            let latest = try await Self.call(base, "GET", "/api/v1/positions/latest", token: auditor)
            #expect(latest.status == 200 && latest.array.isEmpty)
        }
    }

    /// The served document describes every route and nothing else.
    /// Personal files and live positions are read often (a map polls every second): each reader
    /// is on the trail once per thing read and window, not once per request.
    @Test func readsOfPersonalDataAndPositionsAreAuditedOncePerWindow() async throws {
        try await Self.withAPI { base, accounts, _, _ in
            let dispatcher = try await Self.signIn(base, "dispatcher"), auditor = try await Self.signIn(base, "auditor")
            for _ in 0..<3 {
                #expect(try await Self.call(base, "GET", "/api/v1/positions/latest", token: dispatcher).status == 200)
                #expect(try await Self.call(base, "GET", "/api/v1/drivers", token: dispatcher).status == 200)
                #expect(try await Self.call(base, "GET", "/api/v1/users", token: auditor).status == 200)
            }
            #expect(try await Self.call(base, "GET", "/api/v1/drivers", token: auditor).status == 200)
            let trail = try await accounts.auditTrail(limit: 100)
            func count(_ action: String) -> Int { trail.filter { $0.action == action }.count }
            #expect(count("positions-read") == 1 && count("user-read") == 1)
            #expect(count("driver-read") == 2, "the dispatcher's and the auditor's")
        }
        let reads = ReadAudit(window: .seconds(600), capacity: 2)
        let start = ContinuousClock.now
        #expect(reads.opensWindow("a", now: start) && !reads.opensWindow("a", now: start + .seconds(599)))
        #expect(reads.opensWindow("a", now: start + .seconds(600)), "a new window")
        #expect(reads.opensWindow("b", now: start + .seconds(600)) && reads.opensWindow("c", now: start + .seconds(601)), "bounded, still recorded")
    }

    @Test func theOpenAPIDocumentListsEveryRoute() async throws {
        try await Self.withAPI { base, _, client, api in
            let served = try await Self.call(base, "GET", "/openapi.json")
            #expect(served.status == 200 && served.json["openapi"] as? String == "3.1.0")
            let paths = try #require(served.json["paths"] as? [String: [String: Any]])
            let documented = Set(paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } })
            let routed = Set(api.endpoints.map { "\($0.method.rawValue) \($0.path)" })
            #expect(documented == routed)
            // Every schema a route or a schema refers to is defined.
            let schemas = try #require((served.json["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let text = String(decoding: try JSONSerialization.data(withJSONObject: served.json, options: [.withoutEscapingSlashes]), as: UTF8.self)
            let references = Set(text.components(separatedBy: "#/components/schemas/").dropFirst().map { String($0.prefix { $0 != "\"" }) })
            #expect(!references.isEmpty && references.subtracting(schemas.keys).isEmpty, "undefined: \(references.subtracting(schemas.keys))")
            // What is created links to what can be done with it, for clients and for schemathesis's stateful phase.
            let operationIDs = paths.values.flatMap { $0.values.compactMap { ($0 as? [String: Any])?["operationId"] as? String } }
            #expect(Set(operationIDs).count == api.endpoints.count, "one operationId each, all different")
            let booked = (paths["/api/v1/bookings"]?["post"] as? [String: Any]).flatMap { ($0["responses"] as? [String: Any])?["201"] as? [String: Any] }
            let links = try #require(booked?["links"] as? [String: [String: Any]])
            #expect(links["getApiV1BookingsId"]?["parameters"] as? [String: String] == ["id": "$response.body#/booking/id"])
            #expect(links["postApiV1BookingsIdCancel"] != nil && links.values.allSatisfy { Set(operationIDs).contains($0["operationId"] as? String ?? "") })
            let maintained = (paths["/api/v1/vehicles/{plate}/maintenance"]?["post"] as? [String: Any]).flatMap {
                ($0["responses"] as? [String: Any])?["201"] as? [String: Any]
            }
            let finish = (maintained?["links"] as? [String: [String: Any]])?["postApiV1VehiclesPlateMaintenanceIdFinish"]?["parameters"] as? [String: String]
            #expect(finish == ["id": "$response.body#/id", "plate": "$request.path.plate"])
        }
    }
}
