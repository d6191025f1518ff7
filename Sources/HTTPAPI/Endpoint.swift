import Domain
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
    /// Other successes with the same body (202 for a command queued rather than answered).
    var alsoReturns: [HTTPResponse.Status] = []
    /// Query parameters: name, type (`FieldType`'s shorthand) and description.
    var query: [QueryParameter]
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

/// A query parameter: its name, its type in `FieldType`'s shorthand, and what it means.
typealias QueryParameter = (name: String, type: String, description: String)

/// Collects endpoints: `add` declares one with a typed handler.
struct EndpointList {
    var endpoints: [Endpoint] = []

    /// A route for signed-in users of `roles`.
    mutating func add<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, _ roles: [Role], _ summary: String, body: String? = nil, returns: String? = nil,
        status: HTTPResponse.Status = .ok, alsoReturns: [HTTPResponse.Status] = [], query: [QueryParameter] = [], refusals: [HTTPResponse.Status] = [],
        _ handler: @escaping @Sendable (Request, APIContext, APIUser) async throws -> Output
    ) {
        append(method, path, roles, summary, body: body, returns: returns, status: status, alsoReturns: alsoReturns, query: query, refusals: refusals) {
            request, context, user in
            guard let user else { throw Problem.unauthenticated() }
            return try await handler(request, context, user)
        }
    }

    /// A route anyone may call.
    mutating func addPublic<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, _ summary: String, body: String? = nil, returns: String? = nil, status: HTTPResponse.Status = .ok,
        alsoReturns: [HTTPResponse.Status] = [], refusals: [HTTPResponse.Status] = [],
        _ handler: @escaping @Sendable (Request, APIContext) async throws -> Output
    ) {
        append(
            method, path, [], summary, body: body, returns: returns, status: status, alsoReturns: alsoReturns, query: [],
            refusals: refusals
        ) { request, context, _ in try await handler(request, context) }
    }

    /// The handler's answer as a response, with the route's success status.
    private mutating func append<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, _ roles: [Role], _ summary: String, body: String?, returns: String?, status: HTTPResponse.Status,
        alsoReturns: [HTTPResponse.Status] = [], query: [QueryParameter], refusals: [HTTPResponse.Status],
        _ handler: @escaping @Sendable (Request, APIContext, APIUser?) async throws -> Output
    ) {
        endpoints.append(
            Endpoint(
                method: method, path: path, roles: roles, summary: summary, body: body, returns: returns, status: status, alsoReturns: alsoReturns,
                query: query, refusals: refusals
            ) { request, context, user in
                var response = try await handler(request, context, user).response(from: request, context: context)
                if response.status == .ok { response.status = status }
                return response
            })
    }
}

extension Router where Context == APIContext {
    /// Serves `endpoint`, checking the caller's role first, then its input against the types
    /// its document states.
    func add(_ endpoint: Endpoint) {
        let input = EndpointInput(endpoint)
        on(RouterPath(endpoint.routerPath), method: endpoint.method) { request, context in
            let user = endpoint.roles.isEmpty ? context.user : try context.require(endpoint.roles)
            var request = request
            try await input.check(&request, context)
            return try await endpoint.handle(request, context, user)
        }
    }
}

/// What an endpoint takes, as the document types it: parsed once when the route is added.
struct EndpointInput: Sendable {
    var path: [(name: String, type: FieldType)]
    var query: [(name: String, type: FieldType)]
    var body: (name: String, type: FieldType)?

    init(_ endpoint: Endpoint) {
        path = endpoint.pathParameters.map { ($0, OpenAPIDocument.pathParameterType($0)) }
        query = endpoint.query.map { ($0.name, FieldType($0.type)) }
        body = endpoint.body.map { ($0, FieldType($0)) }
    }

    /// Path and query parameters and the body, checked against the document's types: a 400
    /// naming the field, before the handler sees a value out of bounds.
    func check(_ request: inout Request, _ context: APIContext) async throws {
        let schemas = OpenAPIDocument.properties
        do {
            for (name, type) in path {
                let text = context.parameters.get(name).map { $0.removingPercentEncoding ?? $0 } ?? ""
                try type.check(JSONValue(parameter: text, as: type), at: name, in: schemas)
            }
            for (name, type) in query {
                guard let text = request.uri.queryParameters.get(name) else { continue }
                try type.check(JSONValue(parameter: text, as: type), at: name, in: schemas)
            }
        } catch let error as FieldError {
            // A parameter is named whole, also when one item of its list is at fault.
            let name = String(error.field.prefix { $0 != "." })
            throw Problem.invalid(name, name == error.field ? "must be \(error.expected)" : "\(error.field) must be \(error.expected)")
        }
        // Bytes (a photo) are the handler's to check.
        guard let body, OpenAPIDocument.binaryBodies[body.name] == nil else { return }
        let bytes = try await request.collectBody(upTo: context.maxUploadSize)
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes.readableBytesView))
        } catch {
            throw Problem.invalid("", "the body is not JSON (UTF-8): send an object as the document's \(body.name) describes")
        }
        do {
            try body.type.check(value, at: "", in: schemas)
        } catch let error as FieldError {
            throw Problem.invalid(error.field, error.field.isEmpty ? "the body must be \(error.expected)" : "must be \(error.expected)")
        }
    }
}

extension JSONValue {
    /// A path or query parameter's text as the value its type reads.
    init(parameter text: String, as type: FieldType) {
        switch type {
        case .integer, .number:
            if let n = Int64(text) { self = .integer(n) } else if let x = Double(text) { self = .number(x) } else { self = .string(text) }
        case .boolean: self = text == "true" ? .bool(true) : text == "false" ? .bool(false) : .string(text)
        case .array(let items, _):
            self = .array(text.split(separator: ",", omittingEmptySubsequences: false).map { JSONValue(parameter: String($0), as: items) })
        default: self = .string(text)
        }
    }
}
