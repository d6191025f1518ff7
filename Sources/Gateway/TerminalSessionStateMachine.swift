import Domain
import JT808

/// The protocol logic of one terminal connection, as a plain value: events in, actions out, no
/// sockets and no clock of its own: the time of an event is one of its arguments
/// (postgres-nio's `ConnectionStateMachine` pattern). The channel handler performs the actions
/// and feeds back their results.
///
/// `unauthenticated` -> (0x0100 -> registry -> 0x8100) -> `unauthenticated`
///                   -> (0x0102 -> registry -> 0x8001) -> `authenticated` -> `closed`.
/// Before authentication only registration, authentication and logout are processed; anything
/// else (reports, sub-packages, media) is dropped unanswered, as is garbage. A refused
/// registration, a wrong auth code and a dropped message each count as a failure, and after
/// `maximumFailures` the connection is closed; a phone or address that failed too often
/// elsewhere (`Gate.throttled`) is closed at once, and a phone whose terminal is online on
/// another connection may not register (0x8100 result 3). Reports are acknowledged only when the
/// sink says they are durable; a message id the gateway does not handle is answered "unsupported".
///
/// Once authenticated it also puts sub-packaged messages back together, within its own byte
/// budget and the gateway's (`SubpackageBudget`), asks for parts that are late and drops what
/// never comes; and it turns alarm bits that go on in the reports into events, counted from the
/// newest report stored.
public struct TerminalSessionStateMachine: Sendable {
    public typealias Assembler = SubpackageAssembler<ContinuousClock.Instant>

    /// When an event happened, by the caller's clocks.
    public struct Time: Sendable {
        /// For sub-packaged messages' timeouts.
        public var instant: ContinuousClock.Instant
        /// Seconds since 1970 by the server's clock: reports dated too far ahead of it raise no alarm.
        public var epochSeconds: Int64

        public init(instant: ContinuousClock.Instant, epochSeconds: Int64) {
            self.instant = instant
            self.epochSeconds = epochSeconds
        }
    }

    public enum State: Equatable, Sendable {
        case unauthenticated(failures: Int)
        /// A registry answer is pending for this request.
        case awaitingRegistry(Pending, failures: Int)
        case authenticated(TerminalPhone)
        case closed
    }

    public enum Pending: Equatable, Sendable {
        case registration(MessageHeader)
        case authentication(MessageHeader)
    }

    /// What the gateway knows of a registration's or authentication's phone and address, beside
    /// the message itself.
    public enum Gate: Equatable, Sendable {
        case open
        /// Too many failures for this phone or from this address lately (`AttemptLimiter`).
        case throttled
        /// The phone's terminal has an authenticated session on another connection.
        case liveSessionElsewhere
    }

    /// What the handler must do.
    public enum Action: Equatable, Sendable {
        /// Send this message in answer to (or towards) the terminal.
        case send(Message)
        /// Ask the vehicle registry whether this terminal may register; answer with `registrationDecided`.
        case lookUpRegistration(TerminalPhone, Registration)
        /// Ask the registry whether this auth code is the terminal's; answer with `authenticationDecided`.
        case checkAuthentication(TerminalPhone, String)
        /// Hand these positions to the sink, and the alarms that went on or off in them to the
        /// event sink; when both are durable, call `reportsDurable(serial:messageID:)`.
        case store(serial: UInt16, messageID: UInt16, [LocationReport], alarms: [AlarmChange])
        /// This many reports of a message were dated too far ahead of the server's clock: they are
        /// stored (the store quarantines them) but raise no alarm. Count them.
        case aheadOfClock(count: Int)
        /// Store this media; when it is durable, call `mediaDurable(mediaID:)`.
        case storeMedia(MultimediaUpload)
        /// Store this driver's card report (0x0702); when it is durable, call `driverCardDurable(serial:)`.
        case storeDriverCard(serial: UInt16, DriverIdentity)
        /// Hand a terminal's answer to the downlink command waiting for it.
        case deliverAnswer(replySerial: UInt16, Message)
        /// Hand an answer that names no serial (0x0107 attributes) to the oldest downlink command
        /// of message id `command` waiting for it.
        case deliverUnnumberedAnswer(command: UInt16, Message)
        /// A registration or authentication was refused: count it, log it with the address, and
        /// count it against the phone and the address (`AttemptLimiter`).
        case refused(TerminalPhone, Refusal)
        /// A message that is not processed before authentication was dropped: count it.
        case dropped(messageID: UInt16)
        /// This many sub-packaged messages in progress were evicted for newer parts: count them.
        case evicted(messages: Int)
        /// A part, or a message put together from parts, came to nothing: log it.
        case discarded(Discard)
        /// Close the connection, saying why (for logs and counters).
        case close(CloseReason)
    }

    /// An alarm that went on in a report (an event), or went off (its event cleared).
    public struct AlarmChange: Equatable, Sendable {
        /// The alarm's name (`AlarmFlags.named`).
        public var kind: String
        public var report: LocationReport
        public var cleared: Bool
        /// The serial of the 0x0200 that raised it (a confirmation names it); nil in a batch.
        public var serial: UInt16?

        public init(kind: String, report: LocationReport, cleared: Bool = false, serial: UInt16? = nil) {
            self.kind = kind
            self.report = report
            self.cleared = cleared
            self.serial = serial
        }
    }

    /// Why sub-packaged data was not kept.
    public enum Discard: Equatable, Sendable {
        /// The gateway's budget is full and this terminal had nothing in progress to evict.
        case partRefused
        /// The assembler refused the part (an impossible index, a message over its size bound).
        case partRejected(JT808Error)
        /// The parts that never came, after they were asked for again: the message is dropped.
        case expired(messageID: UInt16, missing: [UInt16])
        /// A message put together from its parts did not decode.
        case undecodable(JT808Error)
    }

    public enum Refusal: Equatable, Sendable {
        case registration(RegistrationResponse.Result)
        case authentication
    }

    public enum CloseReason: Equatable, Sendable {
        case tooManyFailures
        case throttled
        case notAuthenticatedInTime
        /// A frame that started did not complete in time (bytes dripping in to hold the connection).
        case slowFrame
        case loggedOut
        case idle
    }

    public private(set) var state: State = .unauthenticated(failures: 0)
    public let maximumFailures: Int
    /// The terminal's device profile, once authenticated with one: it names the vendor extras.
    public private(set) var profile: DeviceProfile?
    /// How the terminal's frames are decoded: by the standard until it authenticated, then by its
    /// device profile (version pin, check-code policy, clock offset).
    public private(set) var decoder = FrameDecoder()
    private var assembler: Assembler
    /// The gateway's, shared by every connection.
    private let budget: SubpackageBudget
    /// Alarm bits of the newest report stored and its GNSS time, and the same of the newest in
    /// the store in progress (they count once the sink says it is durable).
    private var alarms: (stored: AlarmState, storing: AlarmState) = (AlarmState(), AlarmState())

    /// The alarm bits a terminal's newest report had, and its time: a report older than it (a
    /// blind-area batch sent after live reports) is history, and neither raises nor clears.
    struct AlarmState {
        var flags: AlarmFlags = []
        var at: Int64 = .min
    }

    public init(maximumFailures: Int = 3, subpackages: Assembler.Limits = .init(), budget: SubpackageBudget = SubpackageBudget(maximumBytes: .max)) {
        self.maximumFailures = maximumFailures
        self.assembler = Assembler(limits: subpackages)
        self.budget = budget
    }

    public var isAuthenticated: Bool {
        if case .authenticated = state { return true }
        return false
    }

    /// A message arrived; `gate` matters for a registration or an authentication before the
    /// session is authenticated.
    public mutating func received(_ header: MessageHeader, _ message: Message, gate: Gate = .open, at time: Time) -> [Action] {
        switch state {
        case .closed:
            return []
        case .awaitingRegistry:
            // One request at a time before authentication: a terminal that does not wait for
            // its answer is misbehaving.
            return strayReceived(header)
        case .unauthenticated(let failures):
            switch (message, gate) {
            case (.registration, .throttled), (.authentication, .throttled):
                state = .closed
                return [.close(.throttled)]
            case (.registration, .liveSessionElsewhere):
                // Another connection may not re-register a terminal that is online: the genuine
                // session and its auth code stay as they are.
                let response = RegistrationResponse(replySerial: header.serial, result: .terminalAlreadyRegistered, authCode: nil)
                return [.send(.registrationResponse(response)), .refused(header.phone, .registration(.terminalAlreadyRegistered))] + fail(failures)
            case (.registration(let registration), _):
                state = .awaitingRegistry(.registration(header), failures: failures)
                return [.lookUpRegistration(header.phone, registration)]
            case (.authentication(let authentication), _):
                state = .awaitingRegistry(.authentication(header), failures: failures)
                return [.checkAuthentication(header.phone, authentication.authCode)]
            case (.logout, _):
                state = .closed
                return [.send(ack(header, .success)), .close(.loggedOut)]
            default:
                return strayReceived(header)
            }
        case .authenticated:
            return expireSubpackages(at: time.instant) + authenticated(header, message, at: time)
        }
    }

    /// One part of a sub-packaged message arrived. Before authentication it is dropped like any
    /// other message: nothing is buffered for a terminal that has not proved who it is.
    public mutating func partReceived(_ header: MessageHeader, _ part: [UInt8], at time: Time) -> [Action] {
        guard isAuthenticated else { return strayReceived(header) }
        var actions = expireSubpackages(at: time.instant)
        let evictionsBefore = assembler.evictedMessages
        let outcome = assemble(header, part, now: time.instant)
        if assembler.evictedMessages > evictionsBefore { actions.append(.evicted(messages: assembler.evictedMessages - evictionsBefore)) }
        switch outcome {
        case nil:
            return actions + [.discarded(.partRefused)]
        case .incomplete?:
            return actions
        case .rejected(let error)?:
            return actions + [.discarded(.partRejected(error))]
        case .complete(let whole, let body)?:
            do {
                guard let message = try decoder.decode(reassembled: whole, body: body).message else { return actions }
                return actions + authenticated(whole, message, at: time)
            } catch  where error.code == .unsupportedMessage {
                return actions + unsupportedReceived(whole)
            } catch {
                return actions + [.discarded(.undecodable(error))]
            }
        }
    }

    private mutating func authenticated(_ header: MessageHeader, _ message: Message, at time: Time) -> [Action] {
        switch message {
        case .location(let report):
            return store(header, [report], at: time)
        case .locationBatch(let batch):
            return store(header, batch.locations, at: time)
        case .locationReply(let reply):
            // An answer to "locate now" is a position too: store it, and hand it to the caller.
            return [.deliverAnswer(replySerial: reply.replySerial, message)] + store(header, [reply.location], at: time)
        case .multimediaUpload(let upload):
            return [.storeMedia(upload)]
        case .driverIdentity(let identity):
            return [.storeDriverCard(serial: header.serial, identity)]
        case .terminalResponse(let response):
            return [.deliverAnswer(replySerial: response.replySerial, message)]
        case .parameterReply(let reply):
            return [.deliverAnswer(replySerial: reply.replySerial, message)]
        case .cameraReply(let reply):
            // An answer, like 0x0104: nothing to acknowledge. The photos follow as 0x0801.
            return [.deliverAnswer(replySerial: reply.replySerial, message)]
        case .logout:
            state = .closed
            return [.send(ack(header, .success)), .close(.loggedOut)]
        case .registration, .authentication:
            // Re-registering or re-authenticating on a live session: acknowledge, stay as is.
            return [.send(ack(header, .success))]
        case .attributes:
            // The answer to 0x8107, which names no serial.
            return [.deliverUnnumberedAnswer(command: Message.ID.queryAttributes, message)]
        case .heartbeat, .multimediaEvent, .passthrough:
            return [.send(ack(header, .success))]
        default:
            // Encrypted bodies, and the platform's own messages sent back: "unsupported" stops
            // the terminal resending them.
            return unsupportedReceived(header)
        }
    }

    /// A frame whose message id the gateway does not decode arrived. After authentication it is
    /// answered "unsupported"; before, it is dropped like any other.
    public mutating func unsupportedReceived(_ header: MessageHeader) -> [Action] {
        guard isAuthenticated else { return strayReceived(header) }
        return [.send(ack(header, .unsupported))]
    }

    /// A message that is not processed in this state (before authentication: anything but
    /// registration, authentication and logout, sub-packages included) is dropped unanswered and
    /// counted; after a few the connection closes.
    public mutating func strayReceived(_ header: MessageHeader) -> [Action] {
        switch state {
        case .unauthenticated, .awaitingRegistry: return [.dropped(messageID: header.messageID)] + countFailure()
        case .authenticated, .closed: return []
        }
    }

    /// Bytes arrived that were not a frame. Before authentication that counts as a failure (a
    /// client sending garbage is dropped); after it, the terminal keeps its session.
    public mutating func invalidFrameReceived() -> [Action] {
        countFailure()
    }

    /// The time allowed to authenticate (from the connection's start) ran out.
    public mutating func authenticationDeadlinePassed() -> [Action] {
        switch state {
        case .unauthenticated, .awaitingRegistry:
            state = .closed
            return [.close(.notAuthenticatedInTime)]
        case .authenticated, .closed:
            return []
        }
    }

    /// A frame started and did not complete in the time allowed.
    public mutating func frameDeadlinePassed() -> [Action] {
        guard state != .closed else { return [] }
        state = .closed
        return [.close(.slowFrame)]
    }

    /// The registry decided on a registration: `authCode` when accepted.
    public mutating func registrationDecided(_ result: RegistrationResponse.Result, authCode: String?) -> [Action] {
        guard case .awaitingRegistry(.registration(let header), let failures) = state else { return [] }
        let response = Action.send(.registrationResponse(RegistrationResponse(replySerial: header.serial, result: result, authCode: authCode)))
        if result == .success {
            state = .unauthenticated(failures: failures)
            return [response]
        }
        return [response, .refused(header.phone, .registration(result))] + fail(failures)
    }

    /// The registry decided on an authentication: when accepted, with the terminal's device
    /// profile, if it has one, and the alarm bits of its newest report stored and that report's
    /// time.
    public mutating func authenticationDecided(_ accepted: Bool, profile: DeviceProfile? = nil, alarms: AlarmFlags = [], alarmsAt: Int64? = nil) -> [Action] {
        guard case .awaitingRegistry(.authentication(let header), let failures) = state else { return [] }
        if accepted {
            state = .authenticated(header.phone)
            self.profile = profile
            decoder = FrameDecoder(profile: profile)
            let newest = AlarmState(flags: alarms, at: alarmsAt ?? .min)
            self.alarms = (newest, newest)
            return [.send(ack(header, .success))]
        }
        return [.send(ack(header, .failure)), .refused(header.phone, .authentication)] + fail(failures)
    }

    /// The sink made a stored message (and its alarms) durable: acknowledge it now, not before.
    public mutating func reportsDurable(serial: UInt16, messageID: UInt16) -> [Action] {
        guard case .authenticated = state else { return [] }
        alarms.stored = alarms.storing
        return [.send(.platformResponse(GeneralResponse(replySerial: serial, replyID: messageID, result: .success)))]
    }

    /// A driver's card report is durable: acknowledge it now, not before.
    public mutating func driverCardDurable(serial: UInt16) -> [Action] {
        guard case .authenticated = state else { return [] }
        return [.send(.platformResponse(GeneralResponse(replySerial: serial, replyID: Message.ID.driverIdentity, result: .success)))]
    }

    /// An uploaded media is durable: answer 0x8800 (everything arrived), not before.
    public mutating func mediaDurable(mediaID: UInt32) -> [Action] {
        guard case .authenticated = state else { return [] }
        return [.send(.multimediaUploadResponse(MultimediaUploadResponse(mediaID: mediaID)))]
    }

    /// Nothing arrived for the idle timeout.
    public mutating func idleTimeoutElapsed() -> [Action] {
        guard state != .closed else { return [] }
        state = .closed
        return [.close(.idle)]
    }

    /// The connection closed from the other side or on error: what it buffered goes back to the
    /// gateway's budget.
    public mutating func connectionClosed() {
        state = .closed
        budget.add(-assembler.bufferedBytes)
        assembler = Assembler(limits: assembler.limits)
    }

    /// The positions to store, and the alarms that went on or off in them (in time order) since
    /// the newest report stored. A report dated too far ahead is stored (the store quarantines
    /// it) but raises or clears no alarm and moves no alarm state; so is one older than the
    /// newest stored (blind-area history arriving after live reports).
    private mutating func store(_ header: MessageHeader, _ reports: [LocationReport], at time: Time) -> [Action] {
        let believable = reports.filter { !GNSSTimeSanity.isAhead($0.time.epochSeconds, now: time.epochSeconds) }
        let serial = header.messageID == Message.ID.location ? header.serial : nil
        var state = alarms.stored
        var changes: [AlarmChange] = []
        for report in believable.sorted(by: { $0.time < $1.time }) where report.time.epochSeconds > state.at {
            let (on, off) = (report.alarm.subtracting(state.flags), state.flags.subtracting(report.alarm))
            for (kind, flag) in AlarmFlags.named where on.contains(flag) || off.contains(flag) {
                changes.append(AlarmChange(kind: kind, report: report, cleared: off.contains(flag), serial: off.contains(flag) ? nil : serial))
            }
            state = AlarmState(flags: report.alarm, at: report.time.epochSeconds)
        }
        alarms.storing = state
        let store = Action.store(serial: header.serial, messageID: header.messageID, reports, alarms: changes)
        return believable.count < reports.count ? [.aheadOfClock(count: reports.count - believable.count), store] : [store]
    }

    /// Adds a part within both budgets: past the gateway's, this terminal's oldest messages in
    /// progress go first, and with none left the part is refused (nil).
    private mutating func assemble(_ header: MessageHeader, _ part: [UInt8], now: ContinuousClock.Instant) -> Assembler.Outcome? {
        let key = Assembler.key(of: header)
        while !budget.hasRoom(for: part.count) {
            let before = assembler.bufferedBytes
            guard assembler.evictOldest(sparing: key) else { break }
            budget.add(assembler.bufferedBytes - before)
        }
        guard budget.hasRoom(for: part.count) else { return nil }
        let before = assembler.bufferedBytes
        defer { budget.add(assembler.bufferedBytes - before) }
        return assembler.add(header: header, part: part, now: now)
    }

    /// Sub-packaged messages whose parts stopped coming: their missing parts are asked for once
    /// (0x8003), then they are dropped. Checked whenever the terminal sends something.
    private mutating func expireSubpackages(at now: ContinuousClock.Instant) -> [Action] {
        guard assembler.messagesInProgress > 0 else { return [] }
        let before = assembler.bufferedBytes
        defer { budget.add(assembler.bufferedBytes - before) }
        return assembler.expire(now: now).map { expiry in
            switch expiry {
            case .resend(_, let request): return .send(.resendRequest(request))
            case .dropped(let key, let missing): return .discarded(.expired(messageID: key.messageID, missing: missing))
            }
        }
    }

    private func ack(_ header: MessageHeader, _ result: ResponseResult) -> Message {
        .platformResponse(GeneralResponse(replySerial: header.serial, replyID: header.messageID, result: result))
    }

    /// One more failure before authentication, in either state (a pending registry answer
    /// keeps being awaited); at the limit the connection closes.
    private mutating func countFailure() -> [Action] {
        switch state {
        case .unauthenticated(let failures):
            return fail(failures)
        case .awaitingRegistry(let pending, let failures):
            guard failures + 1 < maximumFailures else { return close() }
            state = .awaitingRegistry(pending, failures: failures + 1)
            return []
        case .authenticated, .closed:
            return []
        }
    }

    private mutating func fail(_ failures: Int) -> [Action] {
        guard failures + 1 < maximumFailures else { return close() }
        state = .unauthenticated(failures: failures + 1)
        return []
    }

    private mutating func close() -> [Action] {
        state = .closed
        return [.close(.tooManyFailures)]
    }
}
