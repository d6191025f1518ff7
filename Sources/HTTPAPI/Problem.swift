import Domain
import Foundation
import HTTPTypes
import Hummingbird

/// An error as RFC 9457 problem details (`application/problem+json`): what went wrong, and for an
/// invalid body the field at fault, so that a client can say what to fix.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String
    public var field: String?

    public init(_ status: HTTPResponse.Status, _ title: String, detail: String, field: String? = nil) {
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field
    }

    static func unauthenticated() -> Problem {
        Problem(.unauthorized, "Not signed in", detail: "send a bearer token from POST /api/v1/sessions in the Authorization header")
    }

    static func forbidden(_ role: Role) -> Problem {
        Problem(.forbidden, "Not allowed", detail: "the role \(role.rawValue) may not do this")
    }

    static func invalid(_ field: String, _ detail: String) -> Problem {
        Problem(.badRequest, "Invalid request", detail: detail, field: field)
    }

    struct Body: Encodable {
        var type = "about:blank"
        var title: String
        var status: Int
        var detail: String
        var field: String?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        let body = try encoder.encode(Body(title: title, status: status.code, detail: detail, field: field))
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
