import Foundation
import HTTPTypes
import Hummingbird

/// One route of the API, declared once: what the router serves, who may call it (checked
/// before the handler runs), and what the OpenAPI document says of it.
struct Endpoint: Sendable {
    var method: HTTPRequest.Method
    /// OpenAPI style: `/api/v1/bookings/{id}`.
    var path: String
    /// Who may call it; empty: anyone, signed in or not.
    var roles: [Role]
    var summary: String
    /// Schema names in `OpenAPIDocument.schemas` (`[Name]` for an array).
    var body: String?
    var returns: String?
    var status: HTTPResponse.Status
    /// Query parameters: name and description.
    var query: [(name: String, description: String)]
    /// Refusals beyond those of every route (400, 401, 403, 404, 409), e.g. 429 with Retry-After.
    var refusals: [HTTPResponse.Status] = []
    var handle: @Sendable (Request, APIContext, APIUser?) async throws -> Response

    /// The path as Hummingbird's router writes it (`:id`).
    var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : String(part)
        }.joined(separator: "/")
    }

    var pathParameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
    }
}

/// Collects endpoints: `add` declares one with a typed handler.
struct EndpointList {
    var endpoints: [Endpoint] = []

    /// A route for signed-in users of `roles`.
    mutating func add<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, _ roles: [Role], _ summary: String, body: String? = nil, returns: String? = nil,
        status: HTTPResponse.Status = .ok, query: [(name: String, description: String)] = [], refusals: [HTTPResponse.Status] = [],
        _ handler: @escaping @Sendable (Request, APIContext, APIUser) async throws -> Output
    ) {
        append(method, path, roles, summary, body: body, returns: returns, status: status, query: query, refusals: refusals) { request, context, user in
            guard let user else { throw Problem.unauthenticated() }
            return try await handler(request, context, user)
        }
    }

    /// A route anyone may call.
    mutating func addPublic<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, _ summary: String, body: String? = nil, returns: String? = nil, status: HTTPResponse.Status = .ok,
        refusals: [HTTPResponse.Status] = [], _ handler: @escaping @Sendable (Request, APIContext) async throws -> Output
    ) {
        append(method, path, [], summary, body: body, returns: returns, status: status, query: [],
               refusals: refusals) { request, context, _ in try await handler(request, context) }
    }

    /// The handler's answer as a response, with the route's success status.
    private mutating func append<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, _ roles: [Role], _ summary: String, body: String?, returns: String?, status: HTTPResponse.Status,
        query: [(name: String, description: String)], refusals: [HTTPResponse.Status],
        _ handler: @escaping @Sendable (Request, APIContext, APIUser?) async throws -> Output
    ) {
        endpoints.append(Endpoint(
            method: method, path: path, roles: roles, summary: summary, body: body, returns: returns, status: status, query: query, refusals: refusals
        ) { request, context, user in
            var response = try await handler(request, context, user).response(from: request, context: context)
            if response.status == .ok { response.status = status }
            return response
        })
    }
}

extension Router where Context == APIContext {
    /// Serves `endpoint`, checking the caller's role first.
    func add(_ endpoint: Endpoint) {
        on(RouterPath(endpoint.routerPath), method: endpoint.method) { request, context in
            if endpoint.roles.isEmpty { return try await endpoint.handle(request, context, context.user) }
            return try await endpoint.handle(request, context, try context.require(endpoint.roles))
        }
    }
}
