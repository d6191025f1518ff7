import Dispatching
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresTestSupport
import Testing

@testable import HTTPAPI

/// The application `buildApplication` makes, driven in-process (HummingbirdTesting's router
/// framework: no socket) on a real PostgreSQL database: the same routes, middleware and
/// document as over HTTP.
@Suite struct InProcessAPITests {
    static let logger = TestPostgres.logger

    func withApplication(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await TestPostgres.withDatabase { owner, url in
            _ = try await FleetAPITests.seedUsers(owner)
            try await TestPostgres.withClient(try TestPostgres.app(url)) { client in
                let dispatch = DispatchServices(client: client, database: try TestPostgres.app(url), clock: SystemClock(), logger: Self.logger)
                let app = buildApplication(APIConfiguration(), APIServices(client: client, dispatch: dispatch, logger: Self.logger), logger: Self.logger)
                try await app.test(.router, body)
            }
        }
    }

    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }

    @Test func theDocumentTheSessionAndRefusalsInProcess() async throws {
        try await withApplication { client in
            let document = try await client.execute(uri: "/openapi.json", method: .get)
            let paths = Self.json(document.body)["paths"] as? [String: Any] ?? [:]
            #expect(document.status == .ok && paths["/api/v1/bookings"] != nil && paths.count > 30, "\(paths.keys.sorted())")

            let signIn = try await client.execute(
                uri: "/api/v1/sessions", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username": "dispatcher", "password": "correct horse"}"#))
            let token = try #require(Self.json(signIn.body)["token"] as? String)
            #expect(signIn.status == .created && token.count == 64)

            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(me.status == .ok && Self.json(me.body)["role"] as? String == "dispatcher")

            // An extreme number is a 400 naming the field, not a trap.
            let extreme = try await client.execute(
                uri: "/api/v1/complaints", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"agencyID": 9223372036854775807, "text": "迟到"}"#))
            #expect(extreme.status == .badRequest && Self.json(extreme.body)["field"] as? String == "agencyID", "\(Self.json(extreme.body))")

            // A service's refusal becomes problem JSON in one place: no such complaint is a 404.
            let missing = try await client.execute(uri: "/api/v1/complaints/77/contact", method: .post, headers: [.authorization: "Bearer \(token)"])
            #expect(missing.status == .notFound && missing.headers[.contentType] == "application/problem+json", "\(Self.json(missing.body))")

            let unsupported = try await client.execute(uri: "/api/v1/me", method: .delete, headers: [.authorization: "Bearer \(token)"])
            #expect(unsupported.status == .methodNotAllowed && unsupported.headers[.allow] == "GET")
        }
    }
}
