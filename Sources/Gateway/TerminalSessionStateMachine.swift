import JT808

/// The protocol logic of one terminal connection, as a plain value: events in, actions out, no
/// sockets and no clock (postgres-nio's `ConnectionStateMachine` pattern). The channel handler
/// performs the actions and feeds back their results.
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
public struct TerminalSessionStateMachine: Sendable {
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
        /// Hand these positions to the sink; when they are durable, call `reportsDurable(serial:)`.
        case store(serial: UInt16, messageID: UInt16, [LocationReport])
        /// Store this media; when it is durable, call `mediaDurable(mediaID:)`.
        case storeMedia(MultimediaUpload)
        /// Hand a terminal's answer to the downlink command waiting for it.
        case deliverAnswer(replySerial: UInt16, Message)
        /// A registration or authentication was refused: count it, log it with the address, and
        /// count it against the phone and the address (`AttemptLimiter`).
        case refused(TerminalPhone, Refusal)
        /// A message that is not processed before authentication was dropped: count it.
        case dropped(messageID: UInt16)
        /// Close the connection, saying why (for logs and counters).
        case close(CloseReason)
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

    public init(maximumFailures: Int = 3) {
        self.maximumFailures = maximumFailures
    }

    public var isAuthenticated: Bool {
        if case .authenticated = state { return true }
        return false
    }

    /// A message arrived; `gate` matters for a registration or an authentication before the
    /// session is authenticated.
    public mutating func received(_ header: MessageHeader, _ message: Message, gate: Gate = .open) -> [Action] {
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
        case .authenticated(let phone):
            return authenticated(phone, header, message)
        }
    }

    private mutating func authenticated(_ phone: TerminalPhone, _ header: MessageHeader, _ message: Message) -> [Action] {
        switch message {
        case .location(let report):
            return [.store(serial: header.serial, messageID: header.messageID, [report])]
        case .locationBatch(let batch):
            return [.store(serial: header.serial, messageID: header.messageID, batch.locations)]
        case .locationReply(let reply):
            // An answer to "locate now" is a position too: store it, and hand it to the caller.
            return [
                .deliverAnswer(replySerial: reply.replySerial, message),
                .store(serial: header.serial, messageID: header.messageID, [reply.location]),
            ]
        case .multimediaUpload(let upload):
            return [.storeMedia(upload)]
        case .terminalResponse(let response):
            return [.deliverAnswer(replySerial: response.replySerial, message)]
        case .parameterReply(let reply):
            return [.deliverAnswer(replySerial: reply.replySerial, message)]
        case .logout:
            state = .closed
            return [.send(ack(header, .success)), .close(.loggedOut)]
        case .registration, .authentication:
            // Re-registering or re-authenticating on a live session: acknowledge, stay as is.
            return [.send(ack(header, .success))]
        case .heartbeat, .attributes, .multimediaEvent, .passthrough:
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

    /// The registry decided on an authentication.
    public mutating func authenticationDecided(_ accepted: Bool) -> [Action] {
        guard case .awaitingRegistry(.authentication(let header), let failures) = state else { return [] }
        if accepted {
            state = .authenticated(header.phone)
            return [.send(ack(header, .success))]
        }
        return [.send(ack(header, .failure)), .refused(header.phone, .authentication)] + fail(failures)
    }

    /// The sink made a stored message durable: acknowledge it now, not before.
    public mutating func reportsDurable(serial: UInt16, messageID: UInt16) -> [Action] {
        guard case .authenticated = state else { return [] }
        return [.send(.platformResponse(GeneralResponse(replySerial: serial, replyID: messageID, result: .success)))]
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

    /// The connection closed from the other side or on error.
    public mutating func connectionClosed() {
        state = .closed
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
