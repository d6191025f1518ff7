import CoreMetrics
import Domain
import JT808
import JT808NIO
import Logging
import NIOCore

/// What every session shares: the registry, the sinks, the connected terminals, the device
/// profiles and the limits.
struct SessionServices: Sendable {
    let registry: any TerminalRegistry
    let sink: any PositionSink
    let events: any EventSink
    let media: any MediaSink
    /// Where drivers' card reports go; without one they are answered "unsupported".
    let driverCards: (any DriverCardSink)?
    let connections: TerminalConnections
    let profiles: DeviceProfileCatalog
    let maximumFailures: Int
    /// Sub-packaged messages one connection may buffer; all of them together: `subpackageBudget`.
    let subpackageLimits: TerminalSessionStateMachine.Assembler.Limits
    let subpackageBudget: SubpackageBudget
    /// Failed registrations and authentications per phone and per address, across connections.
    let attempts: AttemptLimiter<ContinuousClock.Instant>
    /// A connection must have authenticated this long after it opened.
    let authenticationTimeout: TimeAmount
    /// A frame that started must have completed this long after.
    let frameTimeout: TimeAmount
    /// The time of day: reports too far ahead of it are no events.
    let clock: any WallClock
    let logger: Logger
}

/// One terminal connection on its channel's event loop: frames in, decoded by the terminal's
/// device profile once it is known, the session state machine's actions performed, answers out.
///
/// What must wait (the registry, the sinks) runs off the loop and its outcome comes back to it.
/// Meanwhile frames wait, a few at most before the handler holds back the channel's reads, so the
/// terminal's further bytes stay in the kernel (a slow database slows the terminals, not the
/// gateway's memory), and a report is acknowledged only once the sink says it is durable. An
/// idle terminal costs this object and its channel, and no task (BENCHMARKS.md, "Load").
final class TerminalSessionHandler: ChannelDuplexHandler {
    typealias InboundIn = UndecodedFrame
    /// Downlink commands written from elsewhere pass through.
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    typealias Action = TerminalSessionStateMachine.Action

    private let services: SessionServices
    private var machine: TerminalSessionStateMachine
    /// Known once authenticated.
    private var terminal: AuthenticatedTerminal?
    private var logger: Logger
    private var link: TerminalConnections.Connection?
    /// An action's outcome is awaited; frames that arrive meanwhile wait in `held`, undecoded:
    /// an authentication in progress may bring the device profile they are to be decoded by.
    private var waiting = false
    private var held: [UndecodedFrame] = []
    /// The channel asked to read while the handler held reads back.
    private var readHeld = false
    /// Frames that may wait in `held` before reads are held back too. A terminal sends a report
    /// and waits for its answer: reading on while the report is stored costs nothing, where
    /// holding reads and letting them go again costs two `epoll_ctl` calls a report
    /// (BENCHMARKS.md, "Load"). A terminal that sends more is read no further than this.
    static let heldFrameLimit = 4
    private var closed = false
    /// The peer's IP address: what failures count against besides the phone.
    private var address = "?"
    private var authenticationDeadline: Scheduled<Void>?
    private var frameDeadline: Scheduled<Void>?

    init(services: SessionServices) {
        self.services = services
        self.logger = services.logger
        machine = TerminalSessionStateMachine(
            maximumFailures: services.maximumFailures, subpackages: services.subpackageLimits, budget: services.subpackageBudget
        )
    }

    func channelActive(context: ChannelHandlerContext) {
        logger[metadataKey: "peer"] = "\(context.channel.remoteAddress?.description ?? "?")"
        address = context.channel.remoteAddress?.ipAddress ?? "?"
        link = services.connections.open(channel: context.channel)
        GatewayMetrics.connections.increment()
        authenticationDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: services.authenticationTimeout) {
            self.perform(self.machine.authenticationDeadlinePassed()[...], header: nil, context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !closed {
            closed = true
            machine.connectionClosed()
            authenticationDeadline?.cancel()
            frameDeadline?.cancel()
            if let link { services.connections.close(link) }
            GatewayMetrics.connections.decrement()
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let item = unwrapInboundIn(data)
        if waiting { held.append(item) } else { handle(item, context) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func read(context: ChannelHandlerContext) {
        if holdsReads { readHeld = true } else { context.read() }
    }

    private var holdsReads: Bool { waiting && held.count >= Self.heldFrameLimit }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let progress = event as? FrameProgress {
            frameDeadline?.cancel()
            frameDeadline = nil
            guard progress == .started, !closed else { return }
            frameDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: services.frameTimeout) {
                self.perform(self.machine.frameDeadlinePassed()[...], header: nil, context)
            }
            return
        }
        guard let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read else { return context.fireUserInboundEventTriggered(event) }
        for case .close(let reason) in machine.idleTimeoutElapsed() { Self.closing(reason, logger) }
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.info("connection ended", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: frames and actions

    private func handle(_ frame: UndecodedFrame, _ context: ChannelHandlerContext) {
        switch InboundFrame(decoding: frame, with: machine.decoder) {
        case .frame(let frame):
            GatewayMetrics.frame(frame.header.messageID)
            let time = TerminalSessionStateMachine.Time(instant: .now, epochSeconds: services.clock.now.epochSeconds)
            switch frame.content {
            case .message(let message):
                let gate = gate(frame.header, message, now: time.instant)
                perform(machine.received(frame.header, message, gate: gate, at: time)[...], header: frame.header, context)
            case .part(let part):
                perform(machine.partReceived(frame.header, part, at: time)[...], header: frame.header, context)
            }
        case .unsupported(let header):
            GatewayMetrics.frame(header.messageID)
            perform(machine.unsupportedReceived(header)[...], header: header, context)
        case .invalid(let error):
            GatewayMetrics.invalidFrame(error)
            logger.debug("invalid frame", metadata: ["error": "\(error)"])
            perform(machine.invalidFrameReceived()[...], header: nil, context)
        }
    }

    /// What a registration or authentication must pass besides the registry: the attempt limits,
    /// and for a registration, no live session of the same terminal on another connection.
    private func gate(_ header: MessageHeader, _ message: Message, now: ContinuousClock.Instant) -> TerminalSessionStateMachine.Gate {
        switch message {
        case .registration, .authentication:
            guard !machine.isAuthenticated else { return .open }
            if services.attempts.isBlocked(phone: header.phone.description, address: address, now: now) { return .throttled }
            if case .registration = message, services.connections.isOnline(header.phone, otherThan: link) { return .liveSessionElsewhere }
            return .open
        default:
            return .open
        }
    }

    /// Performs actions until one must wait for its outcome; the rest follow it.
    /// `header` is the message's that the actions answer; nil for a timer's.
    private func perform(_ actions: ArraySlice<Action>, header: MessageHeader?, _ context: ChannelHandlerContext) {
        var pending = actions
        while !closed, let action = pending.popFirst() {
            switch action {
            case .send(let message):
                guard let header else { continue }
                write(message, answering: header, context)
            case .lookUpRegistration(let phone, let registration):
                let identity = TerminalIdentity(
                    phone: phone.description, manufacturer: registration.manufacturer, model: registration.model,
                    terminalID: registration.terminalID, plate: registration.plate, plateColor: Int(registration.plateColor)
                )
                let registry = services.registry
                return wait(for: { $0.completeWithTask { try await registry.register(identity) } }, then: pending, header, context) { decision in
                    let (result, code) = Self.response(try decision.get())
                    return self.machine.registrationDecided(result, authCode: code)
                }
            case .checkAuthentication(let phone, let code):
                let registry = services.registry
                return wait(
                    for: { $0.completeWithTask { try await registry.authenticate(phone: phone.description, authCode: code) } }, then: pending, header, context
                ) {
                    self.authenticated(try $0.get(), header: header)
                }
            case .store(let serial, let messageID, let reports, let alarms):
                guard let terminal else { continue }
                let backfill = messageID == Message.ID.locationBatch
                let records = reports.map { PositionRecord($0, terminal: terminal.id, backfill: backfill, profile: machine.profile) }
                let raised = alarms.map { VehicleEvent($0, terminal: terminal.id) }
                let (sink, events) = (services.sink, services.events)
                return wait(
                    for: { promise in
                        sink.store(records) { stored in
                            // A report's alarms (on and off) are events: durable before it is acknowledged, too.
                            if case .success = stored, !raised.isEmpty {
                                promise.completeWithTask { try await events.record(raised) }
                            } else {
                                promise.completeWith(stored)
                            }
                        }
                    }, then: pending, header, context
                ) { stored in
                    do {
                        try stored.get()
                    } catch {
                        // Not acknowledged: the terminal sends it again, as the standard says.
                        self.logger.warning("positions not stored; not acknowledging", metadata: ["error": "\(error)"])
                        return []
                    }
                    GatewayMetrics.positionsAcknowledged.increment(by: reports.count)
                    return self.machine.reportsDurable(serial: serial, messageID: messageID)
                }
            case .storeMedia(let upload):
                guard let terminal else { continue }
                let (media, record) = (services.media, MediaRecord(upload, terminal: terminal.id))
                return wait(for: { $0.completeWithTask { try await media.store(record) } }, then: pending, header, context) { stored in
                    do {
                        try stored.get()
                    } catch {
                        // Not answered: the terminal uploads it again.
                        self.logger.warning("media not stored; not answering", metadata: ["mediaId": "\(upload.event.mediaID)", "error": "\(error)"])
                        return []
                    }
                    return self.machine.mediaDurable(mediaID: upload.event.mediaID)
                }
            case .storeDriverCard(let serial, let identity):
                guard let terminal, let header else { continue }
                guard let cards = services.driverCards else {
                    pending = machine.unsupportedReceived(header)[...] + pending
                    continue
                }
                let record = DriverCardRecord(identity, terminal: terminal.id, received: services.clock.now.epochSeconds)
                return wait(for: { $0.completeWithTask { try await cards.record(record) } }, then: pending, header, context) { stored in
                    do {
                        try stored.get()
                    } catch {
                        // Not acknowledged: the terminal reports the card again.
                        self.logger.warning("driver card not stored; not acknowledging", metadata: ["error": "\(error)"])
                        return []
                    }
                    return self.machine.driverCardDurable(serial: serial)
                }
            case .deliverAnswer(let replySerial, let answer):
                guard let header else { continue }
                services.connections.deliver(answer, from: header.phone, replySerial: replySerial)
            case .deliverUnnumberedAnswer(let command, let answer):
                guard let header else { continue }
                services.connections.deliver(answer, from: header.phone, answering: command)
            case .refused(let phone, let refusal):
                refused(phone, refusal)
            case .dropped(let messageID):
                GatewayMetrics.droppedBeforeAuthentication.increment()
                logger.debug("message before authentication dropped", metadata: ["msgId": "\(FrameJSON.messageID(messageID))"])
            case .aheadOfClock(let count):
                GatewayMetrics.reportsAheadOfClock.increment(by: count)
                logger.warning("report dated ahead of the server's clock; no event", metadata: ["count": "\(count)"])
            case .evicted(let messages):
                GatewayMetrics.subpackagesEvicted.increment(by: messages)
            case .discarded(let discard):
                discarded(discard)
            case .close(let reason):
                return close(reason, context)
            }
        }
    }

    /// Starts an action whose outcome comes later (`start` completes the promise, from any
    /// thread); frames wait until `then` has turned the outcome into the next actions and they,
    /// the `rest`, and the frames that arrived meanwhile have been handled. An outcome
    /// `then` throws (the registry failing) ends the connection; the terminal comes back.
    private func wait<Outcome: Sendable>(
        for start: (EventLoopPromise<Outcome>) -> Void, then rest: ArraySlice<Action>, _ header: MessageHeader?, _ context: ChannelHandlerContext,
        _ next: @escaping (Result<Outcome, any Error>) throws -> [Action]
    ) {
        waiting = true
        let promise = context.eventLoop.makePromise(of: Outcome.self)
        // An outcome ready at once must not re-enter the action in progress: it runs next.
        var starting = true
        promise.futureResult.assumeIsolated().whenComplete { outcome in
            let resume = {
                self.waiting = false
                guard !self.closed else { return }
                do {
                    self.perform(rest + (try next(outcome)), header: header, context)
                } catch {
                    self.logger.warning("terminal registry failed; closing the connection", metadata: ["error": "\(error)"])
                    context.close(promise: nil)
                    return
                }
                self.resumeReading(context)
            }
            if starting { context.eventLoop.assumeIsolated().execute(resume) } else { resume() }
        }
        start(promise)
        starting = false
    }

    /// After a wait: the frames held meanwhile, then reading again.
    private func resumeReading(_ context: ChannelHandlerContext) {
        var next = 0
        while !waiting, !closed, next < held.count {
            handle(held[next], context)
            next += 1
        }
        held.removeFirst(next)
        context.flush()
        if !holdsReads, !closed, readHeld {
            readHeld = false
            context.read()
        }
    }

    /// The registry's answer to an authentication, told to the state machine with what it
    /// needs of the terminal: its device profile and its alarm state.
    private func authenticated(_ terminal: AuthenticatedTerminal?, header: MessageHeader?) -> [Action] {
        guard let terminal else { return machine.authenticationDecided(false) }
        self.terminal = terminal
        authenticationDeadline?.cancel()
        logger.info("terminal authenticated", metadata: ["terminal": "\(terminal.id)", "phone": "\(terminal.phone)"])
        if let link, let header { services.connections.attach(link, as: header) }
        var profile: DeviceProfile?
        if let name = terminal.deviceProfile {
            profile = services.profiles[name]
            if profile == nil { logger.warning("unknown device profile; decoding by the standard", metadata: ["profile": "\(name)"]) }
        }
        return machine.authenticationDecided(true, profile: profile, alarms: AlarmFlags(rawValue: terminal.alarm), alarmsAt: terminal.alarmAt)
    }

    private func write(_ message: Message, answering header: MessageHeader, _ context: ChannelHandlerContext) {
        guard let link else { return }
        for frame in link.frames(message, answering: header) { context.write(wrapOutboundOut(frame), promise: nil) }
    }

    /// A refused registration or authentication: counted, logged with the address, and counted
    /// against the phone and the address, unless it was refused only because the terminal is
    /// online elsewhere (nothing was guessed; the genuine terminal reconnecting over a session
    /// the gateway has not seen die yet must not be throttled for it).
    private func refused(_ phone: TerminalPhone, _ refusal: TerminalSessionStateMachine.Refusal) {
        let reason: String
        switch refusal {
        case .registration(let result): reason = "registration_\(result.rawValue)"
        case .authentication: reason = "authentication"
        }
        GatewayMetrics.refused(reason)
        if refusal != .registration(.terminalAlreadyRegistered) {
            services.attempts.recordFailure(phone: phone.description, address: address, now: .now)
        }
        logger.warning("terminal refused", metadata: ["phone": "\(phone)", "reason": "\(reason)", "address": "\(address)"])
    }

    private func close(_ reason: TerminalSessionStateMachine.CloseReason, _ context: ChannelHandlerContext) {
        if reason == .throttled { logger.warning("too many failures for this phone or address; closing", metadata: ["address": "\(address)"]) }
        Self.closing(reason, logger)
        // What was written goes out first (a logout's acknowledgement).
        context.flush()
        context.close(promise: nil)
    }

    private func discarded(_ discard: TerminalSessionStateMachine.Discard) {
        switch discard {
        case .partRefused:
            GatewayMetrics.subpackagePartsRefused.increment()
            logger.debug("sub-package refused: the gateway's sub-package budget is full", metadata: ["bytes": "\(services.subpackageBudget.maximumBytes)"])
        case .partRejected(let error):
            logger.debug("sub-package rejected", metadata: ["error": "\(error)"])
        case .expired(let messageID, let missing):
            logger.warning("sub-packaged message dropped", metadata: ["msgId": "\(FrameJSON.messageID(messageID))", "missing": "\(missing)"])
        case .undecodable(let error):
            logger.debug("reassembled message not decoded", metadata: ["error": "\(error)"])
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
}
