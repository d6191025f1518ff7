import Domain
import JT808
import CoreMetrics
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The JT/T 808 TCP server: one child task per terminal connection, each running the session
/// state machine and performing its actions against the registry and the position sink.
///
/// A report is acknowledged after the sink has made it durable; while the sink is slow the
/// connection's task is waiting on it and reads nothing more, so the terminal's bytes stay in the
/// kernel and the gateway's memory stays bounded.
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

    /// `waitUntilReady` returns when the registry and sink can be used (the schema is there):
    /// the port opens only then, so no terminal is turned away at start.
    public init(
        configuration: Configuration, registry: any TerminalRegistry, sink: any PositionSink, events: any EventSink, media: any MediaSink, logger: Logger,
        connections: TerminalConnections = TerminalConnections(), profiles: DeviceProfileCatalog = DeviceProfileCatalog(profiles: []),
        waitUntilReady: @escaping @Sendable () async throws -> Void = {}, onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
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
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let selection = DecoderSelection()
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try channel.pipeline.syncOperations.addHandler(IdleTimeoutHandler())
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(JT808FrameDecoder(selection: selection)))
                    return (try NIOAsyncChannel<InboundFrame, ByteBuffer>(wrappingChannelSynchronously: channel), selection)
                }
            }
        let port = server.channel.localAddress?.port ?? configuration.port
        logger.notice("JT/T 808 gateway listening", metadata: ["port": "\(port)"])
        onListening(port)
        let perAddress = ConnectionsPerAddress(limit: configuration.maximumConnectionsPerAddress)
        // Stop accepting on graceful shutdown; each session closes its connection too.
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await (connection, selection) in connections {
                        let address = connection.channel.remoteAddress?.ipAddress ?? "?"
                        guard perAddress.open(address) else {
                            GatewayMetrics.refusedConnections.increment()
                            logger.warning("too many connections from one address; refused", metadata: ["address": "\(address)"])
                            // Closed through its async API: a bare channel.close() left the wrapped
                            // channel open to the peer (seen in GatewayServerTests).
                            group.addTask { try? await connection.executeThenClose { _, _ in } }
                            continue
                        }
                        // The session runs on its channel's event loop: frames in and
                        // answers out then hand over without a thread switch (BENCHMARKS.md, load).
                        group.addTask(executorPreference: EventLoopTaskExecutor(connection.channel.eventLoop)) {
                            await self.serve(connection, decoding: selection)
                            perAddress.close(address)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    /// One terminal connection, from its first byte to its close.
    func serve(_ connection: NIOAsyncChannel<InboundFrame, ByteBuffer>, decoding selection: DecoderSelection) async {
        var logger = self.logger
        logger[metadataKey: "peer"] = "\(connection.channel.remoteAddress?.description ?? "?")"
        var session = TerminalSession(
            machine: TerminalSessionStateMachine(maximumFailures: configuration.maximumFailures),
            assembler: SubpackageAssembler(limits: .init(timeout: configuration.subpackageTimeout))
        )
        GatewayMetrics.connections.increment()
        defer { GatewayMetrics.connections.decrement() }
        do {
            // On shutdown the connection is closed: what was acknowledged is stored, and the
            // terminal sends the rest again when it reconnects to this or another gateway.
            try await withGracefulShutdownHandler {
                try await connection.executeThenClose { inbound, outbound in
                    let link = connections.open(writer: outbound, channel: connection.channel)
                    defer { connections.close(link) }
                    for try await item in inbound {
                        switch item {
                        case .frame(let frame):
                            GatewayMetrics.frame(frame.header.messageID)
                            try await Self.askForMissingParts(&session, terminal: frame.header, link: link, logger: logger)
                        case .invalid(let error):
                            GatewayMetrics.invalidFrame(error)
                            if case .close(let reason)? = session.machine.invalidFrameReceived().first { return Self.closing(reason, logger) }
                        }
                        guard let (header, message) = session.accept(item, decoder: selection.decoder, logger: logger) else { continue }
                        let actions = session.machine.received(header, message)
                        if try await perform(actions, header: header, session: &session, link: link, selection: selection, logger: logger) { return }
                    }
                }
            } onGracefulShutdown: {
                connection.channel.close(promise: nil)
            }
        } catch is IdleTimeout {
            for case .close(let reason) in session.machine.idleTimeoutElapsed() { Self.closing(reason, logger) }
        } catch {
            logger.info("connection ended", metadata: ["error": "\(error)"])
        }
        session.machine.connectionClosed()
    }

    /// Performs actions and those they lead to; true when the connection must close.
    private func perform(
        _ initial: [TerminalSessionStateMachine.Action], header: MessageHeader, session: inout TerminalSession,
        link: TerminalConnections.Connection, selection: DecoderSelection, logger: Logger
    ) async throws -> Bool {
        var pending = initial[...]
        while let action = pending.popFirst() {
            switch action {
            case .send(let message):
                try await link.write(message, answering: header)
            case .lookUpRegistration(let phone, let registration):
                let identity = TerminalIdentity(
                    phone: phone.description, manufacturer: registration.manufacturer, model: registration.model,
                    terminalID: registration.terminalID, plate: registration.plate, plateColor: Int(registration.plateColor)
                )
                let decision = try await Self.inChildTask { [registry] in try await registry.register(identity) }
                let (result, code) = Self.response(decision)
                pending.append(contentsOf: session.machine.registrationDecided(result, authCode: code))
            case .checkAuthentication(let phone, let code):
                let terminal = try await Self.inChildTask { [registry] in try await registry.authenticate(phone: phone.description, authCode: code) }
                session.terminal = terminal
                if let terminal {
                    logger.info("terminal authenticated", metadata: ["terminal": "\(terminal.id)", "phone": "\(terminal.phone)"])
                    session.lastAlarm = AlarmFlags(rawValue: terminal.alarm)
                    connections.attach(link, as: header)
                    if let name = terminal.deviceProfile {
                        if let profile = profiles[name] {
                            selection.decoder = FrameDecoder(profile: profile)
                            session.profile = profile
                        } else {
                            logger.warning("unknown device profile; decoding by the standard", metadata: ["profile": "\(name)"])
                        }
                    }
                }
                pending.append(contentsOf: session.machine.authenticationDecided(terminal != nil))
            case .store(let serial, let messageID, let reports):
                guard let terminal = session.terminal else { continue }
                let backfill = messageID == Message.ID.locationBatch
                do {
                    try await sink.store(reports.map { Self.record($0, terminal: terminal.id, backfill: backfill, profile: session.profile) })
                    let (raised, last) = Self.raisedAlarms(reports, after: session.lastAlarm, terminal: terminal.id)
                    try await events.record(raised)
                    session.lastAlarm = last
                    GatewayMetrics.positionsAcknowledged.increment(by: reports.count)
                    pending.append(contentsOf: session.machine.reportsDurable(serial: serial, messageID: messageID))
                } catch {
                    // Not acknowledged: the terminal sends it again, as the standard says.
                    logger.warning("positions not stored; not acknowledging", metadata: ["error": "\(error)"])
                }
            case .storeMedia(let upload):
                guard let terminal = session.terminal else { continue }
                do {
                    try await media.store(Self.media(upload, terminal: terminal.id))
                    pending.append(contentsOf: session.machine.mediaDurable(mediaID: upload.event.mediaID))
                } catch {
                    // Not answered: the terminal uploads it again.
                    logger.warning("media not stored; not answering", metadata: ["mediaId": "\(upload.event.mediaID)", "error": "\(error)"])
                }
            case .deliverAnswer(let replySerial, let answer):
                connections.deliver(answer, from: header.phone, replySerial: replySerial)
            case .close(let reason):
                Self.closing(reason, logger)
                return true
            }
        }
        return false
    }

    /// Runs `body` in a child task. A task keeps the memory its deepest calls needed until it
    /// ends: the registry's calls go deep (PostgresNIO, the pool), and run once per connection,
    /// so they run apart and the connection's long-lived task stays small (BENCHMARKS.md, memory
    /// per connection).
    static func inChildTask<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask(operation: body)
            return try await group.next()!
        }
    }

    /// Sub-packaged messages whose parts stopped coming: ask for the missing parts once (0x8003),
    /// then give up on them. Checked whenever the terminal sends something.
    static func askForMissingParts(_ session: inout TerminalSession, terminal: MessageHeader, link: TerminalConnections.Connection, logger: Logger) async throws {
        guard session.assembler.messagesInProgress > 0 else { return }
        for expiry in session.assembler.expire(now: .now) {
            switch expiry {
            case .resend(_, let request):
                try await link.write(.resendRequest(request), answering: terminal)
            case .dropped(let key, let missing):
                logger.warning("sub-packaged message dropped", metadata: ["msgId": "\(FrameJSON.messageID(key.messageID))", "missing": "\(missing)"])
            }
        }
    }

    /// Counts and logs why a connection is being closed.
    static func closing(_ reason: TerminalSessionStateMachine.CloseReason, _ logger: Logger) {
        GatewayMetrics.closed("\(reason)")
        logger.info("closing connection", metadata: ["reason": "\(reason)"])
    }

    static func response(_ decision: RegistrationDecision) -> (RegistrationResponse.Result, String?) {
        switch decision {
        case .accepted(let code): return (.success, code)
        case .vehicleUnknown: return (.vehicleUnknown, nil)
        case .terminalUnknown: return (.terminalUnknown, nil)
        case .vehicleAlreadyRegistered: return (.vehicleAlreadyRegistered, nil)
        case .terminalAlreadyRegistered: return (.terminalAlreadyRegistered, nil)
        }
    }

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

    /// The message a frame carries, once complete; nil for errors (logged) and partial messages.
    mutating func accept(_ item: InboundFrame, decoder: FrameDecoder, logger: Logger) -> (MessageHeader, Message)? {
        switch item {
        case .invalid(let error):
            logger.debug("invalid frame", metadata: ["error": "\(error)"])
            return nil
        case .frame(let frame):
            switch frame.content {
            case .message(let message): return (frame.header, message)
            case .part(let part):
                switch assembler.add(header: frame.header, part: part, now: .now) {
                case .incomplete: return nil
                case .rejected(let error):
                    logger.debug("sub-package rejected", metadata: ["error": "\(error)"])
                    return nil
                case .complete(let header, let body):
                    guard let whole = try? decoder.decode(reassembled: header, body: body), let message = whole.message else { return nil }
                    return (header, message)
                }
            }
        }
    }
}

/// Nothing was read for the idle timeout.
struct IdleTimeout: Error {}

/// Turns the idle event into an error on the inbound stream, which ends the session's loop.
final class IdleTimeoutHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.fireErrorCaught(IdleTimeout())
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

/// Open connections by source address, for the per-address limit.
final class ConnectionsPerAddress: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Counts a new connection; false (and not counted) when the address is at its limit.
    func open(_ address: String) -> Bool {
        counts.withLock { counts in
            guard counts[address, default: 0] < limit else { return false }
            counts[address, default: 0] += 1
            return true
        }
    }

    func close(_ address: String) {
        counts.withLock { counts in
            let left = counts[address, default: 1] - 1
            counts[address] = left > 0 ? left : nil
        }
    }
}
