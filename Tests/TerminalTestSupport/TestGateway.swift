import Domain
import Gateway
import JT808
import Logging
import ServiceLifecycle
import ServiceTestSupport

/// Runs a gateway on a free loopback port for the duration of `body`, which may also shut it
/// down; its registry and sinks are in memory, its time of day is `clock`'s.
public func withGateway(
    registry: KnownTerminals, sink: RecordingSink, clock: any WallClock, connections: TerminalConnections = TerminalConnections(),
    profiles: DeviceProfileCatalog = DeviceProfileCatalog(profiles: []), logger: Logger,
    configure: (inout GatewayServer.Configuration) -> Void = { _ in },
    _ body: @Sendable (_ port: Int, _ shutdown: @Sendable () async -> Void) async throws -> Void
) async throws {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    var configuration = GatewayServer.Configuration(host: "127.0.0.1", port: 0)
    configure(&configuration)
    let server = GatewayServer(
        configuration: configuration, registry: registry, sink: sink, events: sink, media: sink, clock: clock, logger: logger, connections: connections,
        profiles: profiles, onListening: { continuation.yield($0) }
    )
    let group = ServiceGroup(services: [server], logger: logger)
    try await group.whileRunning {
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next()!
        try await body(port, { await group.triggerGracefulShutdown() })
    }
}
