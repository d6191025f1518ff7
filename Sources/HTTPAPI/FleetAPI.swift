import Billing
import Dispatching
import Domain
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Settlement
import Store
import Synchronization

/// The HTTP API. Every route is an `Endpoint` declared with the roles that may call it; the
/// router and the OpenAPI document (/openapi.json) are both built from that one list.
public struct FleetAPI: Sendable {
    let accounts: Accounts
    let positions: PositionQueries
    let dispatch: DispatchServices
    let settlement: SettlementService
    let clock: any WallClock
    let reports: OperationsReports
    let latest: LatestPositionsJSON
    let reads = ReadAudit()
    let gate = SignInGate()
    let sessions: Sessions
    let refusals: RefusalAudit
    /// Live streams open now.
    let openStreams = SharedBox(0)
    /// The OpenAPI document, built on first request from the endpoints.
    let openAPI = SharedBox<ByteBuffer?>(nil)
    /// How long a token lasts.
    let tokenLifetime: TimeInterval
    let assessments: MonthlyAssessment
    /// VAT by line kind, for the invoices' figures.
    let vatRates: VATRates
    let commands: TerminalCommandService
    let health: HealthCheck
    let media: MediaLibrary
    let receipts: ReceiptPhotos
    let ratings: TripRatings
    /// The console's files and map.
    let console: ConsoleConfiguration
    let trustsProxy: Bool
    /// The driven roads, read at most once per `drivenRoadsLifetime`.
    let drivenRoads = SharedBox<(roads: DrivenRoads, at: ContinuousClock.Instant)?>(nil)
    let logger: Logger

    public init(services: APIServices, configuration: APIConfiguration = APIConfiguration(), logger: Logger) {
        let client = services.client
        (dispatch, settlement, latest, clock) = (services.dispatch, services.settlement, services.latest, services.dispatch.clock)
        (commands, health) = (services.commands, services.health)
        media = MediaLibrary(client: client, logger: logger)
        receipts = ReceiptPhotos(client: client, logger: logger)
        ratings = TripRatings(client: client, logger: logger)
        vatRates = configuration.vatRates
        (console, trustsProxy) = (configuration.console, configuration.trustsProxy)
        tokenLifetime = configuration.tokenLifetime
        assessments = MonthlyAssessment(
            client: client, contractTotalFen: configuration.contractTotalFen, terms: dispatch.zonesAndCalendar.current, logger: logger)
        accounts = Accounts(client: client, logger: logger)
        sessions = Sessions(accounts: accounts, idleTimeout: configuration.idleTimeout)
        refusals = RefusalAudit(accounts: accounts, clock: clock, logger: logger)
        positions = dispatch.positions
        reports = OperationsReports(client: client, terms: dispatch.zonesAndCalendar.current, logger: logger)
        self.logger = logger
    }

    /// The API as a Hummingbird application listening where `configuration` says, ready to run
    /// in a ServiceGroup or to be tested in-process (HummingbirdTesting's `.router`).
    public func application(
        _ configuration: APIConfiguration = APIConfiguration(), onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(), configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "fleet"),
            onServerRunning: onServerRunning, logger: logger)
    }

    /// Every route, in the order the OpenAPI document lists them.
    var endpoints: [Endpoint] {
        var list = EndpointList()
        list.addPublic(.get, "/openapi.json", "This document", returns: "object") { _, _ in
            let document = openAPI.withLock { cached in
                if cached == nil { cached = ByteBuffer(string: OpenAPIDocument.json(for: self.endpoints)) }
                return cached!
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: document))
        }
        addHealthRoutes(&list)
        addAccountRoutes(&list)
        addFileRoutes(&list)
        addBookingRoutes(&list)
        addLiveRoutes(&list)
        addAssessmentRoutes(&list)
        addSettlementRoutes(&list)
        addZoneRoutes(&list)
        addCommandRoutes(&list)
        addMediaRoutes(&list)
        addTripRecordRoutes(&list)
        addConsoleRoutes(&list)
        return list.endpoints
    }

    public func router() -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: SecurityHeaders(contentSecurityPolicy: console.contentSecurityPolicy))
        if trustsProxy { router.add(middleware: ForwardedClient()) }
        router.add(middleware: Authentication(sessions: sessions, refusals: refusals))
        ConsoleFiles(configuration: console).add(to: router)
        router.add(middleware: DomainErrors())
        let endpoints = endpoints
        for endpoint in endpoints { router.add(endpoint) }
        // A method a path does not serve is 405 with the methods it does, not 404.
        for (path, served) in Dictionary(grouping: endpoints, by: \.routerPath) {
            let allowed = served.map(\.method)
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            // QUERY: the safe method with a body of the HTTP working group's draft.
            let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .options, .trace, .head, HTTPRequest.Method("QUERY")!]
            for method in methods where !allowed.contains(method) {
                if method == .head, allowed.contains(.get) { continue }
                router.on(RouterPath(path), method: method) { _, _ in
                    Response(status: .methodNotAllowed, headers: [.allow: allow])
                }
            }
        }
        return router
    }

    // MARK: shared by the handlers

    static let operators: [Role] = [.administrator, .dispatcher]
    static let readers: [Role] = [.administrator, .dispatcher, .auditor]

    /// One line of the audit trail for a confidential read (writes put theirs in their own
    /// transaction: `entry`).
    func audit(_ user: APIUser, _ action: String, _ resource: String, _ detail: [String: String] = [:]) async throws {
        let entry = entry(user, action, resource, detail)
        try await accounts.audit(userID: entry.userID, action: entry.action, resource: entry.resource, detail: entry.detail)
    }

    /// The audit line of a write, for the Store to write in the write's own transaction.
    func entry(_ user: APIUser, _ action: String, _ resource: String, _ detail: [String: String] = [:]) -> AuditLine {
        AuditLine(userID: user.id, action: action, resource: resource, fields: detail)
    }

    /// A read of personal data or live positions: on the trail once per user, resource and
    /// window (`ReadAudit`).
    func auditRead(_ user: APIUser, _ action: String, _ resource: String) async throws {
        if reads.opensWindow("\(user.id) \(action) \(resource)") { try await audit(user, action, resource) }
    }

    /// A JSON body, or a 400 problem naming the field at fault.
    func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: APIContext) async throws -> T {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = RFC3339.date(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not RFC 3339"))
            }
            return date
        }
        do {
            return try decoder.decode(type, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, let c): throw Problem.invalid((c.codingPath + [key]).map(\.stringValue).joined(separator: "."), "missing")
            case .typeMismatch(_, let c), .valueNotFound(_, let c):
                throw Problem.invalid(c.codingPath.map(\.stringValue).joined(separator: "."), "wrong type or empty")
            case .dataCorrupted(let c):
                throw Problem.invalid(
                    c.codingPath.map(\.stringValue).joined(separator: "."),
                    c.codingPath.isEmpty ? "not JSON" : "not a valid value (times as ISO 8601 with offset, dates as YYYY-MM-DD)"
                )
            @unknown default: throw Problem.invalid("", "not valid")
            }
        }
    }

    /// A path parameter that is an id.
    func id(_ name: String, _ context: APIContext) throws -> Int64 {
        guard let id = Int64(try context.parameters.require(name)), id > 0 else { throw Problem.invalid(name, "a positive integer id") }
        return id
    }

    /// A path parameter that is text (plates are Chinese: percent-decoded).
    func text(_ name: String, _ context: APIContext) throws -> String {
        let raw = try context.parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }

    /// A query parameter that is an ISO 8601 time.
    func time(_ name: String, _ request: Request) throws -> Date? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let date = RFC3339.date(text) else { throw Problem.invalid(name, "an ISO 8601 time with its offset, e.g. 2026-11-22T08:00:00+08:00") }
        return date
    }

    /// A query parameter that is a comma-separated list of an enumeration's cases (states).
    func cases<Case: CaseIterable & RawRepresentable>(_ name: String, _ request: Request) throws -> [Case]? where Case.RawValue == String {
        try request.uri.queryParameters.get(name).map { text in
            try text.split(separator: ",").map { item in
                guard let value = Case(rawValue: String(item)) else {
                    throw Problem.invalid(name, "one of \(Case.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return value
            }
        }
    }

    /// A query parameter that is a positive integer no larger than `maximum`.
    func count(_ name: String, _ request: Request, default value: Int, maximum: Int) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let n = Int(text), (1...maximum).contains(n) else { throw Problem.invalid(name, "an integer from 1 to \(maximum)") }
        return n
    }

    static func require(_ condition: Bool, _ field: String, _ detail: String) throws {
        if !condition { throw Problem.invalid(field, detail) }
    }

    static func notFound(_ what: String) -> Problem { Problem(.notFound, "Not found", detail: what) }
}

/// A value shared by copies of a struct (the API is copied into every route's closure).
final class SharedBox<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}
