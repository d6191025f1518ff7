import Dispatching
import Domain
import Foundation
import Hummingbird
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

/// The browser console's door: its files beside the API, the headers that keep scripts to the
/// server's own, and the session in a cookie no script can read.
@Suite struct ConsoleAPITests {
    typealias API = FleetAPITests

    /// The repository's Web/ folder.
    static let web = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Web").standardized

    /// A session that neither keeps nor sends cookies by itself: each test says what it sends.
    static let bare: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return URLSession(configuration: configuration)
    }()

    /// The API with the console served from Web/, and tiles of `tiles`.
    static func withConsole(
        tiles: MapTiles? = nil, _ body: @Sendable (_ base: URL, _ client: PostgresClient) async throws -> Void
    ) async throws {
        try await TestPostgres.withDatabase { client, url in
            let appURL = try TestPostgres.app(url)
            try await TestPostgres.withClient(appURL) { appClient in
                _ = try await FleetAPITests.seedUsers(client)
                let dispatch = DispatchServices(client: appClient, database: appURL, clock: SystemClock(), logger: TestPostgres.logger)
                let configuration = APIConfiguration(port: 0, console: ConsoleConfiguration(webDirectory: web, tiles: tiles))
                let api = FleetAPI(
                    services: APIServices(client: appClient, dispatch: dispatch, logger: TestPostgres.logger), configuration: configuration,
                    logger: TestPostgres.logger)
                let (ports, portsIn) = AsyncStream.makeStream(of: Int.self)
                let app = api.application(configuration) { portsIn.yield($0.localAddress?.port ?? 0) }
                try await ServiceGroup(services: [app], logger: TestPostgres.logger).whileRunning {
                    var iterator = ports.makeAsyncIterator()
                    try await body(URL(string: "http://127.0.0.1:\(await iterator.next()!)")!, client)
                }
            }
        }
    }

    static func get(_ base: URL, _ path: String, headers: [String: String] = [:]) async throws -> (HTTPURLResponse, Data) {
        var request = URLRequest(url: URL(string: base.absoluteString + path)!)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await bare.data(for: request)
        return (response as! HTTPURLResponse, data)
    }

    @Test func theConsoleIsServedWithAPolicyThatAllowsNoScriptButItsOwn() async throws {
        try await Self.withConsole { base, _ in
            let (index, page) = try await Self.get(base, "/")
            #expect(index.statusCode == 200 && index.value(forHTTPHeaderField: "Content-Type") == "text/html; charset=utf-8")
            #expect(String(decoding: page, as: UTF8.self).contains(#"<script type="module" src="/console/js/app.js">"#))
            let policy = try #require(index.value(forHTTPHeaderField: "Content-Security-Policy"))
            #expect(policy.contains("script-src 'self';") && policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe-inline"))
            #expect(index.value(forHTTPHeaderField: "X-Content-Type-Options") == "nosniff" && index.value(forHTTPHeaderField: "X-Frame-Options") == "DENY")

            let (script, source) = try await Self.get(base, "/console/js/app.js")
            #expect(script.statusCode == 200 && script.value(forHTTPHeaderField: "Content-Type") == "text/javascript; charset=utf-8")
            #expect(source == (try Data(contentsOf: Self.web.appendingPathComponent("js/app.js"))))
            // Unchanged since it was fetched: 304 on its ETag.
            let etag = try #require(script.value(forHTTPHeaderField: "ETag"))
            #expect(try await Self.get(base, "/console/js/app.js", headers: ["If-None-Match": etag]).0.statusCode == 304)
            // The API's answers carry the policy too.
            #expect(try await Self.get(base, "/openapi.json").0.value(forHTTPHeaderField: "Content-Security-Policy") == policy)

            // Nothing outside Web/ and no file of a kind it does not serve.
            for path in [
                "/console/../Package.swift", "/console/%2e%2e/Package.swift", "/console/js/..%2F..%2FPackage.swift", "/console/.git/config",
                "/console/js/app.js.swp", "/console/" + String(repeating: "a/", count: 20) + "x.js", "/console/",
            ] {
                let (refused, _) = try await Self.get(base, path)
                #expect(refused.statusCode == 404, "\(path): \(refused.statusCode)")
            }
        }
    }

    @Test func aTileServerIsTheOnlyOtherSourceOfImages() async throws {
        let tiles = MapTiles(url: "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}", crs: .gcj02, subdomains: "1234")
        #expect(tiles.imageSource == "https://*.is.autonavi.com")
        #expect(MapTiles(url: "javascript:alert(1)//{z}{x}{y}", crs: .wgs84).imageSource == nil)
        #expect(MapTiles(url: "https://a.tile.example.cn 'unsafe-inline'/{z}/{x}/{y}.png", crs: .wgs84).imageSource == nil)
        try await Self.withConsole(tiles: tiles) { base, _ in
            let (index, _) = try await Self.get(base, "/")
            #expect(index.value(forHTTPHeaderField: "Content-Security-Policy")?.contains("img-src 'self' data: blob: https://*.is.autonavi.com;") == true)
            let token = try await API.signIn(base, "agency")
            let settings = try await API.call(base, "GET", "/api/v1/console", token: token)
            let served = try #require(settings.json["tiles"] as? [String: Any])
            #expect(served["crs"] as? String == "gcj02" && served["url"] as? String == tiles.url)
        }
    }

    @Test func theConsolesSessionIsAnHttpOnlyCookieAndItsWritesMustComeFromTheConsole() async throws {
        try await Self.withConsole { base, client in
            let signIn = #"{"username": "dispatcher", "password": "correct horse", "cookie": true}"#
            // Another site's form cannot sign the browser in: it cannot send the console's header.
            let forged = try await API.call(base, "POST", "/api/v1/sessions", body: signIn, session: Self.bare)
            #expect(forged.status == 403, "\(forged.json)")

            var request = URLRequest(url: URL(string: base.absoluteString + "/api/v1/sessions")!)
            request.httpMethod = "POST"
            request.httpBody = Data(signIn.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue("fleet-console", forHTTPHeaderField: "X-Requested-With")
            let (data, response) = try await Self.bare.data(for: request)
            let http = response as! HTTPURLResponse
            let body = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(http.statusCode == 201 && body["token"] == nil && (body["user"] as? [String: Any])?["username"] as? String == "dispatcher")
            let cookie = try #require(http.value(forHTTPHeaderField: "Set-Cookie"))
            #expect(cookie.hasPrefix("fleet_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
            let token = String(cookie.dropFirst("fleet_session=".count).prefix { $0 != ";" })
            #expect(token.count == 64)
            let jar = ["Cookie": "fleet_session=\(token)"]

            // Reads by the cookie; a write only with the console's header.
            #expect(try await API.call(base, "GET", "/api/v1/me", headers: jar, session: Self.bare).json["username"] as? String == "dispatcher")
            let crossSite = try await API.call(
                base, "POST", "/api/v1/complaints", body: #"{"agencyID": 1, "text": "forged"}"#, headers: jar, session: Self.bare)
            #expect(crossSite.status == 403 && crossSite.json["title"] as? String == "Cross-site request refused", "\(crossSite.json)")
            let rows = try await client.query("SELECT count(*) FROM complaints", logger: TestPostgres.logger)
            for try await count in rows.decode(Int64.self) { #expect(count == 0) }
            let fromConsole = try await API.call(
                base, "POST", "/api/v1/complaints", body: #"{"agencyID": 1, "text": "车辆迟到"}"#,
                headers: jar.merging(["X-Requested-With": "fleet-console"]) { $1 },
                session: Self.bare)
            #expect(fromConsole.status == 201, "\(fromConsole.json)")

            // Signing out ends the token and removes the cookie; a stale cookie is no one, and the
            // sign-in stays reachable with it.
            var out = URLRequest(url: URL(string: base.absoluteString + "/api/v1/sessions/current")!)
            out.httpMethod = "DELETE"
            out.setValue("fleet_session=\(token)", forHTTPHeaderField: "Cookie")
            out.setValue("fleet-console", forHTTPHeaderField: "X-Requested-With")
            let (_, ended) = try await Self.bare.data(for: out)
            let removal = try #require((ended as! HTTPURLResponse).value(forHTTPHeaderField: "Set-Cookie"))
            #expect(removal.hasPrefix("fleet_session=;") && removal.contains("Max-Age=0"))
            #expect(try await API.call(base, "GET", "/api/v1/me", headers: jar, session: Self.bare).status == 401)
            let again = try await API.call(
                base, "POST", "/api/v1/sessions", body: #"{"username": "dispatcher", "password": "correct horse"}"#, headers: jar, session: Self.bare)
            #expect(again.status == 201 && (again.json["token"] as? String)?.count == 64)
        }
    }

    @Test func theRoadsTheFleetDroveAreItsTracksCellToCell() async throws {
        try await Self.withConsole { base, client in
            // One car driving north 2 km in 10 s steps of 140 m, then 40 minutes later 7 km away:
            // a gap, not a road.
            let crew = try #require(try await TestFleet.fleet(client).first)
            let now = Date()
            func north(_ metres: Double) -> GeoPoint {
                GeoPoint(
                    latitudeE6: Int32(((TestFleet.pickup.latitude + metres / 111_320) * 1e6).rounded()), longitudeE6: Int32(TestFleet.pickup.longitude * 1e6))
            }
            for step in 0..<15 {
                try await TestFleet.place(
                    client, terminal: crew.terminal, at: north(Double(step) * 140), time: now.addingTimeInterval(Double(step * 10 - 3_000)))
            }
            try await TestFleet.place(client, terminal: crew.terminal, at: north(7_000), time: now.addingTimeInterval(-600))
            let token = try await API.signIn(base, "agency")
            let roads = try await API.call(base, "GET", "/api/v1/roads", token: token)
            let segments = try #require(roads.json["segments"] as? [[Double]], "\(roads.json)")
            // 14 steps, each from one cell to the next (about 110 m cells), none across the gap.
            #expect(segments.count == 14, "\(segments)")
            for segment in segments {
                #expect(segment.count == 4)
                let metres = TrackDistance.meters(
                    fromLatitudeE6: Int32(segment[0] * 1e6), longitudeE6: Int32(segment[1] * 1e6), toLatitudeE6: Int32(segment[2] * 1e6),
                    longitudeE6: Int32(segment[3] * 1e6))
                #expect(metres < 400, "\(segment)")
            }
        }
    }
}
