import Domain
import Foundation
import JT808
import CoreMetrics
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The JT/T 808 TCP server: each terminal connection is a channel whose pipeline splits and
/// decodes frames and runs the session (`TerminalSessionHandler`) on its event loop.
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
    let logger: Logger
    let waitUntilReady: @Sendable () async throws -> Void
    let onListening: @Sendable (Int) -> Void
    /// The authenticated sessions, for downlink commands.
    public let connections: TerminalConnections
    /// Device profiles by name, applied to a terminal's frames once it authenticated.
    let profiles: DeviceProfileCatalog
    /// The server's clock (seconds since 1970), which reports' GNSS times are checked against.
    let now: @Sendable () -> Int64

    /// `waitUntilReady` returns when the registry and sink can be used (the schema is there):
    /// the port opens only then, so no terminal is turned away at start.
    public init(
        configuration: Configuration, registry: any TerminalRegistry, sink: any PositionSink, events: any EventSink, media: any MediaSink, logger: Logger,
        connections: TerminalConnections = TerminalConnections(), profiles: DeviceProfileCatalog = DeviceProfileCatalog(profiles: []),
        waitUntilReady: @escaping @Sendable () async throws -> Void = {}, onListening: @escaping @Sendable (Int) -> Void = { _ in },
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.now = now
        self.connections = connections
        self.profiles = profiles
        self.configuration = configuration
        self.registry = registry
        self.sink = sink
        self.events = events
        self.media = media
        self.logger = logger
        self.waitUntilReady = waitUntilReady
        self.onListening = onListening
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await waitUntilReady() }
        let idleTimeout = configuration.idleTimeout
        let services = SessionServices(
            registry: registry, sink: sink, events: events, media: media, connections: connections, profiles: profiles,
            maximumFailures: configuration.maximumFailures, subpackageTimeout: configuration.subpackageTimeout,
            subpackageBytesPerTerminal: configuration.subpackageBytesPerTerminal,
            subpackageBudget: SubpackageBudget(maximumBytes: configuration.subpackageBytesTotal),
            attempts: AttemptLimiter(limits: configuration.attemptLimits), authenticationTimeout: configuration.authenticationTimeout,
            frameTimeout: configuration.frameTimeout, now: now, logger: logger
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
                    let selection = DecoderSelection()
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try pipeline.addHandler(ByteToMessageHandler(JT808FrameDecoder(selection: selection)))
                    try pipeline.addHandler(TerminalSessionHandler(services: services, selection: selection))
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

    /// The alarms that went on in `reports` (in time order) since `previous`, as events, and
    /// the alarm state after the last report.
    static func raisedAlarms(_ reports: [LocationReport], after previous: AlarmFlags, terminal: Int32) -> ([VehicleEvent], AlarmFlags) {
        var state = previous
        var raised: [VehicleEvent] = []
        for report in reports.sorted(by: { $0.time < $1.time }) {
            let new = report.alarm.subtracting(state)
            for (name, flag) in AlarmFlags.named where new.contains(flag) {
                raised.append(VehicleEvent(
                    terminalID: terminal, kind: name, occurredAt: report.time.epochSeconds,
                    latitudeE6: Int32(clamping: report.latitudeE6), longitudeE6: Int32(clamping: report.longitudeE6), speed: report.speed
                ))
            }
            state = report.alarm
        }
        return (raised, state)
    }

    static func media(_ upload: MultimediaUpload, terminal: Int32) -> MediaRecord {
        MediaRecord(
            terminalID: terminal, mediaID: upload.event.mediaID, kind: upload.event.mediaType, format: upload.event.format,
            event: upload.event.event, channel: upload.event.channel, takenAt: upload.location?.time.epochSeconds,
            latitudeE6: upload.location.map { Int32(clamping: $0.latitudeE6) }, longitudeE6: upload.location.map { Int32(clamping: $0.longitudeE6) },
            data: upload.data
        )
    }

    static func record(_ report: LocationReport, terminal: Int32, backfill: Bool, profile: DeviceProfile?) -> PositionRecord {
        PositionRecord(
            terminalID: terminal, gnssTime: report.time.epochSeconds,
            latitudeE6: Int32(clamping: report.latitudeE6), longitudeE6: Int32(clamping: report.longitudeE6),
            altitude: report.altitude, speed: report.speed, course: report.course,
            alarm: report.alarm.rawValue, status: report.status.rawValue, mileage: report.extras.mileage, backfill: backfill,
            extras: report.extras.isEmpty ? nil : FrameJSON.extras(report.extras, profile: profile)
        )
    }
}

/// Per-connection state beside the state machine: the authenticated terminal and sub-packages.
struct TerminalSession {
    var machine: TerminalSessionStateMachine
    var terminal: AuthenticatedTerminal?
    /// The terminal's device profile, which names its vendor extras.
    var profile: DeviceProfile?
    /// Alarm bits of the newest report stored, to turn alarms going on into events.
    var lastAlarm: AlarmFlags = []
    var assembler: SubpackageAssembler<ContinuousClock.Instant>

    init(machine: TerminalSessionStateMachine, assembler: SubpackageAssembler<ContinuousClock.Instant>) {
        self.machine = machine
        self.assembler = assembler
    }

    /// What a frame amounts to for the session, once its message is complete.
    enum Accepted {
        case message(MessageHeader, Message)
        /// A message id the codec does not decode (a reassembled one).
        case unsupported(MessageHeader)
    }

    /// The message a frame carries, once complete; nil for errors (logged) and partial messages.
    /// Sub-packages count against `budget`, the gateway's, beside the assembler's own.
    mutating func accept(_ item: InboundFrame, decoder: FrameDecoder, budget: SubpackageBudget, logger: Logger) -> Accepted? {
        switch item {
        case .invalid(let error):
            logger.debug("invalid frame", metadata: ["error": "\(error)"])
            return nil
        case .unsupported(let header):
            return .unsupported(header)
        case .frame(let frame):
            switch frame.content {
            case .message(let message): return .message(frame.header, message)
            case .part(let part):
                switch assemble(frame.header, part, budget: budget) {
                case .incomplete: return nil
                case .rejected(let error):
                    logger.debug("sub-package rejected", metadata: ["error": "\(error)"])
                    return nil
                case .complete(let header, let body):
                    do {
                        guard let message = try decoder.decode(reassembled: header, body: body).message else { return nil }
                        return .message(header, message)
                    } catch where error.code == .unsupportedMessage {
                        return .unsupported(header)
                    } catch {
                        logger.debug("reassembled message not decoded", metadata: ["error": "\(error)"])
                        return nil
                    }
                }
            }
        }
    }

    /// Adds a part within both budgets: past the gateway's, this terminal's oldest messages in
    /// progress go first, and with none left the part is refused.
    private mutating func assemble(_ header: MessageHeader, _ part: [UInt8], budget: SubpackageBudget) -> SubpackageAssembler<ContinuousClock.Instant>.Outcome {
        let evictionsBefore = assembler.evictedMessages
        defer { GatewayMetrics.subpackagesEvicted.increment(by: assembler.evictedMessages - evictionsBefore) }
        let key = SubpackageAssembler<ContinuousClock.Instant>.key(of: header)
        while !budget.hasRoom(for: part.count) {
            let before = assembler.bufferedBytes
            guard assembler.evictOldest(sparing: key) else { break }
            budget.add(assembler.bufferedBytes - before)
        }
        guard budget.hasRoom(for: part.count) else {
            GatewayMetrics.subpackagePartsRefused.increment()
            return .rejected(JT808Error(.frameTooLong, "the gateway's sub-package budget (\(budget.maximumBytes) bytes) is full"))
        }
        let before = assembler.bufferedBytes
        defer { budget.add(assembler.bufferedBytes - before) }
        return assembler.add(header: header, part: part, now: .now)
    }

    /// Sub-packaged messages whose time ran out (`SubpackageAssembler.expire`), their bytes
    /// given back to `budget`.
    mutating func expireSubpackages(now: ContinuousClock.Instant, budget: SubpackageBudget) -> [SubpackageAssembler<ContinuousClock.Instant>.Expiry] {
        let before = assembler.bufferedBytes
        defer { budget.add(assembler.bufferedBytes - before) }
        return assembler.expire(now: now)
    }

    /// The connection ended: what it buffered goes back to `budget`.
    func releaseSubpackages(to budget: SubpackageBudget) {
        budget.add(-assembler.bufferedBytes)
    }
}

/// Open connections, for the per-address limit and for closing them all on shutdown.
final class OpenConnections: Sendable {
    private struct State {
        var perAddress: [String: Int] = [:]
        var channels: [ObjectIdentifier: any Channel] = [:]
    }

    private let state = Mutex(State())
    let limitPerAddress: Int

    init(limitPerAddress: Int) { self.limitPerAddress = limitPerAddress }

    /// Counts a new connection; false (and not counted) when its address is at the limit.
    func open(_ channel: any Channel, from address: String) -> Bool {
        state.withLock { s in
            guard s.perAddress[address, default: 0] < limitPerAddress else { return false }
            s.perAddress[address, default: 0] += 1
            s.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func close(_ channel: any Channel, from address: String) {
        state.withLock { s in
            let left = s.perAddress[address, default: 1] - 1
            s.perAddress[address] = left > 0 ? left : nil
            s.channels[ObjectIdentifier(channel)] = nil
        }
    }

    /// Closes every open connection; the futures complete when they are closed.
    func closeAll() -> [EventLoopFuture<Void>] {
        state.withLock { Array($0.channels.values) }.map { channel in
            channel.close().recover { _ in }
        }
    }
}
