import Crypto
import Dispatching
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Store

/// The map the console draws on: a tile server's URL template and its coordinate system.
public struct MapTiles: Sendable, Codable, Equatable {
    /// The tiles' datum: WGS-84 (Tianditu's CGCS2000 agrees to centimetres) or GCJ-02 (AMap,
    /// Tencent), on which the console shifts every stored position as it draws it.
    public enum CoordinateSystem: String, Sendable, Codable, CaseIterable { case wgs84, gcj02 }

    /// `https://host/{z}/{x}/{y}.png`, `{s}` for a subdomain.
    public var url: String
    public var crs: CoordinateSystem
    public var attribution: String?
    public var subdomains: String?
    public var maxZoom: Int?

    public init(url: String, crs: CoordinateSystem, attribution: String? = nil, subdomains: String? = nil, maxZoom: Int? = nil) {
        (self.url, self.crs, self.attribution, self.subdomains, self.maxZoom) = (url, crs, attribution, subdomains, maxZoom)
    }

    /// The origin the browser may load images from, `{s}` as a wildcard label: nil for a
    /// template that is not an absolute http(s) URL.
    public var imageSource: String? {
        guard let schemeEnd = url.range(of: "://"), ["http", "https"].contains(url[..<schemeEnd.lowerBound]) else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let host = rest.prefix { $0 != "/" && $0 != "?" }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false).map { $0.contains("{") ? "*" : String($0) }
        let source = labels.joined(separator: ".")
        guard !source.isEmpty, source.allSatisfy({ $0.isLetter || $0.isNumber || ".-:*".contains($0) }) else { return nil }
        return "\(url[..<schemeEnd.lowerBound])://\(source)"
    }
}

/// Where the console's files are and what map it draws.
public struct ConsoleConfiguration: Sendable {
    /// `Web/`: index.html, js/, css/. nil: no console is served (the API alone).
    public var webDirectory: URL?
    /// Debian's Leaflet and Leaflet.markercluster (libjs-leaflet, libjs-leaflet.markercluster).
    public var leafletDirectory: URL
    /// nil: no tile server; the console draws its own base from the service areas and tracks.
    public var tiles: MapTiles?

    public init(webDirectory: URL? = nil, leafletDirectory: URL = URL(fileURLWithPath: "/usr/share/javascript/leaflet"), tiles: MapTiles? = nil) {
        (self.webDirectory, self.leafletDirectory, self.tiles) = (webDirectory, leafletDirectory, tiles)
    }

    /// Scripts, styles and connections only from the server itself; images also from the
    /// tile server. No inline script, no framing.
    var contentSecurityPolicy: String {
        let images = ["'self'", "data:", "blob:"] + (tiles?.imageSource.map { [$0] } ?? [])
        return [
            "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src \(images.joined(separator: " "))", "connect-src 'self'",
            "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }
}

/// Every response's security headers: the console's policy, no sniffing, no framing, no
/// referrer leaving for a tile server.
struct SecurityHeaders: RouterMiddleware {
    typealias Context = APIContext
    let contentSecurityPolicy: String

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.permissionsPolicy] = "camera=(self), geolocation=(self), microphone=()"
        return response
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let permissionsPolicy = Self("Permissions-Policy")!
}

/// The console's static files: `/` is index.html, `/console/...` the rest of `Web/`,
/// `/vendor/leaflet/...` Debian's Leaflet. Only plain names of known kinds are served, so no
/// path leaves its folder; each answer carries its content's ETag for revalidation.
struct ConsoleFiles: Sendable {
    let configuration: ConsoleConfiguration

    static let types: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "png": "image/png",
        "svg": "image/svg+xml", "json": "application/json", "map": "application/json",
    ]

    func add(to router: Router<APIContext>) {
        router.get("/") { request, _ in try file(request, in: configuration.webDirectory, ["index.html"], cache: "no-cache") }
        router.get("/console/**") { request, context in
            try file(request, in: configuration.webDirectory, context.parameters.getCatchAll(), cache: "no-cache")
        }
        // Debian's files change only with the package.
        router.get("/vendor/leaflet/**") { request, context in
            try file(request, in: configuration.leafletDirectory, context.parameters.getCatchAll(), cache: "max-age=86400")
        }
    }

    func file(_ request: Request, in folder: URL?, _ parts: [Substring], cache: String) throws -> Response {
        guard let folder else {
            throw Problem(.notFound, "No console", detail: "this server serves the API only: set FLEET_WEB_DIR to the console's Web/ folder")
        }
        guard !parts.isEmpty, parts.count <= 4,
            parts.allSatisfy({ part in
                !part.isEmpty && part.count <= 100 && !part.hasPrefix(".")
                    && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
            }), let type = parts.last.flatMap({ Self.types[String($0.split(separator: ".").last ?? "")] })
        else { throw FleetAPI.notFound("no such file of the console") }
        let url = parts.reduce(folder) { $0.appendingPathComponent(String($1)) }
        guard let data = FileManager.default.contents(atPath: url.path) else { throw FleetAPI.notFound("no such file of the console") }
        let etag = "\"\(SHA256.hash(data: data).prefix(12).map { String(format: "%02x", $0) }.joined())\""
        var headers: HTTPFields = [.contentType: type, .eTag: etag, .cacheControl: cache]
        if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: headers) }
        headers[.contentLength] = "\(data.count)"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// What the console asks before it draws: its map, and the roads the fleet drove.
extension FleetAPI {
    struct ConsoleSettings: ResponseEncodable {
        var tiles: MapTiles?
        var center: Coordinate
        var zoom: Int
        /// The city's service areas, drawn on every map (agencies' included: where the city
        /// tariff and the 30-minute replacement hold is no secret).
        var city: [CityArea]
    }

    struct DrivenRoads: ResponseEncodable {
        var since: Date
        /// [latitude, longitude, latitude, longitude] of each segment, WGS-84.
        var segments: [[Double]]
    }

    /// How far back the driven roads look, and how long one reading of them is kept.
    static let drivenRoadsDays = 14
    static let drivenRoadsLifetime: Duration = .seconds(600)

    func addConsoleRoutes(_ list: inout EndpointList) {
        list.add(
            .get, "/api/v1/console", Role.allCases, "The console's settings: the map's tiles and datum, where it opens, the city's areas",
            returns: "ConsoleSettings"
        ) { _, _, _ in
            let zones = Zones(dispatch.zonesAndCalendar.current.zones)
            let points = zones.city.flatMap(\.points)
            // The city's middle, else Ningbo (the demo's and the tender's city).
            let center =
                points.isEmpty
                ? Coordinate(latitude: 29.8683, longitude: 121.544)
                : Coordinate(
                    latitude: points.map(\.latitude).reduce(0, +) / Double(points.count), longitude: points.map(\.longitude).reduce(0, +) / Double(points.count)
                )
            return ConsoleSettings(tiles: console.tiles, center: center, zoom: 12, city: zones.city)
        }
        list.add(
            .get, "/api/v1/roads", Role.allCases,
            "The roads the fleet drove in the last \(Self.drivenRoadsDays) days, as segments about 110 m long: the console's map when no tile server is reachable",
            returns: "DrivenRoads"
        ) { _, _, _ in
            let now = ContinuousClock.now
            if let cached = drivenRoads.withLock({ $0 }), now - cached.at < Self.drivenRoadsLifetime { return cached.roads }
            let since = clock.now.addingTimeInterval(-Double(Self.drivenRoadsDays) * 86_400)
            let segments = try await positions.drivenRoads(since: since.epochSeconds)
            let roads = DrivenRoads(
                since: since,
                segments: segments.map {
                    [$0.from.latitudeE6, $0.from.longitudeE6, $0.to.latitudeE6, $0.to.longitudeE6].map { Double($0) / 1e6 }
                })
            drivenRoads.withLock { $0 = (roads, now) }
            return roads
        }
    }
}
