import Domain
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle
import Store

/// Serves the metrics in Prometheus' text format at `GET /metrics`, for a Prometheus server to
/// scrape, and the process's health at `GET /health/live` and `GET /health/ready`, for a load
/// balancer to check: every process has this port, a gateway without an API too.
struct MetricsEndpoint: Service {
    let host: String
    let port: Int
    let registry: PrometheusCollectorRegistry
    let health: HealthCheck
    let logger: Logger

    func run() async throws {
        let (registry, health) = (self.registry, self.health)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(registry: registry, health: health))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            // Metrics are not worth stopping the fleet for: say so, and serve without them.
            logger.error("metrics endpoint not started: cannot listen on \(host):\(port) (\(error)); set FLEET_METRICS_PORT to a free port")
            try? await gracefulShutdown()
            return
        }
        logger.notice("metrics at http://\(host):\(channel.localAddress?.port ?? port)/metrics")
        try? await gracefulShutdown()
        try await channel.close()
    }
}

/// Answers one HTTP request: the metrics, the health, or 404.
final class MetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let registry: PrometheusCollectorRegistry
    let health: HealthCheck
    private var request: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry, health: HealthCheck) { (self.registry, self.health) = (registry, health) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let request else { return }
            self.request = nil
            let path = request.uri.split(separator: "?").first.map(String.init) ?? ""
            switch (request.method, path) {
            case (.GET, "/metrics"):
                respond(context, request, .ok, "text/plain; version=0.0.4; charset=utf-8", registry.emitToBuffer())
            case (.GET, "/health/live"):
                respond(context, request, .ok, "text/plain; charset=utf-8", Array("live\n".utf8))
            case (.GET, "/health/ready"):
                // The check reads the database: off the event loop, answered back on it.
                let (channel, loop, health) = (context.channel, context.eventLoop, health)
                let handler = NIOLoopBound(self, eventLoop: loop)
                let bound = NIOLoopBound(context, eventLoop: loop)
                Task {
                    let report = await health.report()
                    let body = Array((try? JSONEncoder.sorted.encode(report)) ?? Data())
                    loop.execute {
                        guard channel.isActive else { return }
                        handler.value.respond(bound.value, request, report.ready ? .ok : .serviceUnavailable, "application/json", body)
                    }
                }
            default:
                respond(context, request, .notFound, "text/plain; charset=utf-8", Array("not found: GET /metrics, /health/live or /health/ready\n".utf8))
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus, _ type: String, _ body: [UInt8]) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        // Closing after the last write: the response says "Connection: close".
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}

extension JSONEncoder {
    /// Sorted keys: the same bytes for the same report.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
