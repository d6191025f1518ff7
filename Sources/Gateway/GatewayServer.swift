import CoreMetrics
import Domain
import Foundation
import JT808
import JT808NIO
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The JT/T 808 TCP server: each terminal connection is a channel whose pipeline splits frames
/// and runs the session (`TerminalSessionHandler`, which decodes them) on its event loop.
///
/// A report is acknowledged after the sink has made it durable; while the sink is slow the
/// session reads nothing more, so the terminal's bytes stay in the kernel and the gateway's
/// memory stays bounded.
///
/// The door is open to anyone (docs/SECURITY-gateway.md): a terminal registers only as what it
/// was bound as, failures are limited per phone and per address, nothing but registration,
/// authentication and logout is processed (or buffered) before authentication, which must come
/// within `authenticationTimeout`, and a started frame must complete within `frameTimeout`.
public struct GatewayServer: Service {
    public struct Configuration: Sendable {
        public var host: String
        /// 6808 by default; 0 picks a free port (tests).
        public var port: Int
        /// A connection that sends nothing for this long is closed (3 x the usual 60 s heartbeat).
        public var idleTimeout: TimeAmount
        /// Refused messages (or garbage) before authentication after which the connection is closed.
        public var maximumFailures: Int
        /// Open connections allowed from one source address (terminals behind one carrier NAT
        /// share addresses: keep it generous).
        public var maximumConnectionsPerAddress: Int
        /// How long a sub-packaged message waits for its missing parts before they are asked for
        /// again (0x8003), and then before it is dropped.
        public var subpackageTimeout: Duration = .seconds(30)
        /// Bytes of sub-packaged messages in progress one connection may buffer, and all of them
        /// together; past either, the oldest messages are evicted first.
        public var subpackageBytesPerTerminal = 4 << 20
        public var subpackageBytesTotal = 256 << 20
        /// A connection that has not authenticated this long after it opened is closed.
        public var authenticationTimeout: TimeAmount = .seconds(30)
        /// A frame whose first bytes arrived must be complete this long after, or the connection
        /// is closed (a frame dripping in to hold the connection).
        public var frameTimeout: TimeAmount = .seconds(5)
        /// Failed registrations and authentications allowed per phone and per source address.
        public var attemptLimits = AttemptLimits()

        public init(
            host: String = "0.0.0.0", port: Int = 6808, idleTimeout: TimeAmount = .seconds(180), maximumFailures: Int = 3,
            maximumConnectionsPerAddress: Int = 2_000
        ) {
            self.host = host
            self.port = port
            self.idleTimeout = idleTimeout
            self.maximumFailures = maximumFailures
            self.maximumConnectionsPerAddress = maximumConnectionsPerAddress
        }
    }

    let configuration: Configuration
    let registry: any TerminalRegistry
    let sink: any PositionSink
    let events: any EventSink
    let media: any MediaSink
    let driverCards: (any DriverCardSink)?
    let logger: Logger
    let waitUntilReady: @Sendable () async throws -> Void
    let onListening: @Sendable (Int) -> Void
    /// The authenticated sessions, for downlink commands.
    public let connections: TerminalConnections
    /// Device profiles by name, applied to a terminal's frames once it authenticated.
    let profiles: DeviceProfileCatalog
    /// The time of day, which reports' GNSS times are checked against.
    let clock: any WallClock

    /// `waitUntilReady` returns when the registry and sink can be used (the schema is there):
    /// the port opens only then, so no terminal is turned away at start.
    public init(
        configuration: Configuration, registry: any TerminalRegistry, sink: any PositionSink, events: any EventSink, media: any MediaSink,
        clock: any WallClock, logger: Logger, connections: TerminalConnections = TerminalConnections(),
        profiles: DeviceProfileCatalog = DeviceProfileCatalog(profiles: []), driverCards: (any DriverCardSink)? = nil,
        waitUntilReady: @escaping @Sendable () async throws -> Void = {}, onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.clock = clock
        self.connections = connections
        self.profiles = profiles
        self.configuration = configuration
        self.registry = registry
        self.sink = sink
        self.events = events
        self.media = media
        self.driverCards = driverCards
        self.logger = logger
        self.waitUntilReady = waitUntilReady
        self.onListening = onListening
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await waitUntilReady() }
        let idleTimeout = configuration.idleTimeout
        let services = SessionServices(
            registry: registry, sink: sink, events: events, media: media, driverCards: driverCards, connections: connections, profiles: profiles,
            maximumFailures: configuration.maximumFailures,
            subpackageLimits: .init(maximumTotalBytes: configuration.subpackageBytesPerTerminal, timeout: configuration.subpackageTimeout),
            subpackageBudget: SubpackageBudget(maximumBytes: configuration.subpackageBytesTotal),
            attempts: AttemptLimiter(limits: configuration.attemptLimits), authenticationTimeout: configuration.authenticationTimeout,
            frameTimeout: configuration.frameTimeout, clock: clock, logger: logger
        )
        let open = OpenConnections(limitPerAddress: configuration.maximumConnectionsPerAddress)
        let logger = self.logger
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelInitializer { channel in
                let address = channel.remoteAddress?.ipAddress ?? "?"
                guard open.open(channel, from: address) else {
                    GatewayMetrics.refusedConnections.increment()
                    logger.warning("too many connections from one address; refused", metadata: ["address": "\(address)"])
                    // A failed initializer closes the connection.
                    return channel.eventLoop.makeFailedFuture(TooManyConnections())
                }
                channel.closeFuture.whenComplete { _ in open.close(channel, from: address) }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try pipeline.addHandler(ByteToMessageHandler(ByteToFrameDecoder()))
                    try pipeline.addHandler(TerminalSessionHandler(services: services))
                }
            }
            .bind(host: configuration.host, port: configuration.port).get()
        let port = server.localAddress?.port ?? configuration.port
        logger.notice("JT/T 808 gateway listening", metadata: ["port": "\(port)"])
        onListening(port)
        // On shutdown (or cancellation) stop accepting and close every connection: what was
        // acknowledged is stored, and the terminals send the rest again when they reconnect to
        // this or another gateway.
        try? await gracefulShutdown()
        try? await server.close()
        for closing in open.closeAll() { try? await closing.get() }
    }

    /// A connection refused for the per-address limit.
    struct TooManyConnections: Error {}
}
