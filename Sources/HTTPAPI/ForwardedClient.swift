import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The client's address as the proxy in front saw it, when fleetd is told to trust that proxy
/// (`FLEET_TRUST_PROXY`): behind HAProxy every request comes from 127.0.0.1, and the sign-in
/// throttle and the audit trail would count every client as one. Only a request from loopback
/// is believed, and only the last X-Forwarded-For value (the one the proxy appended; Deploy/
/// haproxy.cfg deletes what the client sent), and only if it is an IP address.
struct ForwardedClient: RouterMiddleware {
    typealias Context = APIContext

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var context = context
        context.forwardedFor = Self.client(peer: context.remoteAddress, forwardedFor: request.headers[values: .xForwardedFor])
        return try await next(request, context)
    }

    static func client(peer: SocketAddress?, forwardedFor values: [String]) -> String? {
        guard let peer = peer?.ipAddress, peer == "::1" || peer.hasPrefix("127.") || peer.hasPrefix("::ffff:127.") else { return nil }
        guard let last = values.last?.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), last.utf8.count <= 45,
            let address = try? SocketAddress(ipAddress: last, port: 0)
        else { return nil }
        return address.ipAddress
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
