import Gateway
import JT808
import Testing

/// The session logic, tested by the actions it asks for: no sockets, no clock.
@Suite struct TerminalSessionStateMachineTests {
    let phone = TerminalPhone(digits: "13912345678", version: .v2013)!

    func header(_ id: UInt16, serial: UInt16) -> MessageHeader {
        MessageHeader(messageID: id, version: .v2013, phone: phone, serial: serial)
    }

    let registration = Registration(province: 33, city: 200, manufacturer: "70111", model: "JT-808", terminalID: "T000001", plateColor: 5, plate: "浙B12345D")
    let position = LocationReport(latitudeMicrodegrees: 29_868_336, longitudeMicrodegrees: 121_543_990, time: DeviceTime(year: 2026, month: 11, day: 22, hour: 8, minute: 0, second: 0))

    func ack(_ serial: UInt16, _ id: UInt16, _ result: ResponseResult) -> TerminalSessionStateMachine.Action {
        .send(.platformResponse(GeneralResponse(replySerial: serial, replyID: id, result: result)))
    }

    /// Registers and authenticates; returns the machine in `authenticated`.
    func authenticated() -> TerminalSessionStateMachine {
        var m = TerminalSessionStateMachine()
        _ = m.received(header(0x0100, serial: 1), .registration(registration))
        _ = m.registrationDecided(.success, authCode: "AC1")
        _ = m.received(header(0x0102, serial: 2), .authentication(Authentication(authCode: "AC1")))
        _ = m.authenticationDecided(true)
        return m
    }

    @Test func registerThenAuthenticate() {
        var m = TerminalSessionStateMachine()
        #expect(m.received(header(0x0100, serial: 1), .registration(registration)) == [.lookUpRegistration(phone, registration)])
        #expect(m.registrationDecided(.success, authCode: "AC1") == [.send(.registrationResponse(RegistrationResponse(replySerial: 1, result: .success, authCode: "AC1")))])
        #expect(m.state == .unauthenticated(failures: 0))
        #expect(m.received(header(0x0102, serial: 2), .authentication(Authentication(authCode: "AC1"))) == [.checkAuthentication(phone, "AC1")])
        #expect(m.authenticationDecided(true) == [ack(2, 0x0102, .success)])
        #expect(m.state == .authenticated(phone))
    }

    @Test func reportsAreAcknowledgedOnlyWhenDurable() {
        var m = authenticated()
        #expect(m.received(header(0x0200, serial: 7), .location(position)) == [.store(serial: 7, messageID: 0x0200, [position])])
        // Nothing is sent until the sink says the report is durable.
        #expect(m.reportsDurable(serial: 7, messageID: 0x0200) == [ack(7, 0x0200, .success)])
        let batch = LocationBatch(kind: .blindZone, locations: [position, position])
        #expect(m.received(header(0x0704, serial: 8), .locationBatch(batch)) == [.store(serial: 8, messageID: 0x0704, [position, position])])
    }

    @Test func mediaIsAnsweredOnlyWhenDurable() {
        var m = authenticated()
        let upload = MultimediaUpload(event: MultimediaEvent(mediaID: 5, mediaType: 0, format: 0, event: 2, channel: 1), location: position, data: [1, 2, 3])
        // No 0x8001 for an upload: the answer is 0x8800, once stored.
        #expect(m.received(header(0x0801, serial: 9), .multimediaUpload(upload)) == [.storeMedia(upload)])
        #expect(m.mediaDurable(mediaID: 5) == [.send(.multimediaUploadResponse(MultimediaUploadResponse(mediaID: 5)))])
    }

    @Test func heartbeatIsAnsweredAtOnce() {
        var m = authenticated()
        #expect(m.received(header(0x0002, serial: 9), .heartbeat) == [ack(9, 0x0002, .success)])
    }

    @Test func beforeAuthenticationAnythingButRegisterAuthenticateOrLogoutIsDroppedThenClosed() {
        var m = TerminalSessionStateMachine(maximumFailures: 3)
        // Dropped unanswered and counted: nothing is stored or buffered for a stranger.
        #expect(m.received(header(0x0200, serial: 1), .location(position)) == [.dropped(messageID: 0x0200)])
        #expect(m.strayReceived(header(0x0801, serial: 2)) == [.dropped(messageID: 0x0801)])
        #expect(m.received(header(0x0200, serial: 3), .location(position)) == [.dropped(messageID: 0x0200), .close(.tooManyFailures)])
        #expect(m.state == .closed)
        // A closed session does nothing more.
        #expect(m.received(header(0x0002, serial: 4), .heartbeat).isEmpty)
    }

    @Test func unknownTerminalIsToldSoAndCountsAsAFailure() {
        var m = TerminalSessionStateMachine(maximumFailures: 2)
        _ = m.received(header(0x0100, serial: 1), .registration(registration))
        #expect(m.registrationDecided(.terminalUnknown, authCode: nil) == [
            .send(.registrationResponse(RegistrationResponse(replySerial: 1, result: .terminalUnknown))), .refused(phone, .registration(.terminalUnknown)),
        ])
        #expect(m.state == .unauthenticated(failures: 1))
        _ = m.received(header(0x0102, serial: 2), .authentication(Authentication(authCode: "guess")))
        #expect(m.authenticationDecided(false) == [ack(2, 0x0102, .failure), .refused(phone, .authentication), .close(.tooManyFailures)])
    }

    @Test func aTerminalThatDoesNotWaitForTheRegistryIsRefused() {
        var m = TerminalSessionStateMachine()
        _ = m.received(header(0x0102, serial: 1), .authentication(Authentication(authCode: "AC1")))
        #expect(m.received(header(0x0200, serial: 2), .location(position)) == [.dropped(messageID: 0x0200)])
        // The registry's answer still counts.
        #expect(m.authenticationDecided(true) == [ack(1, 0x0102, .success)])
        #expect(m.state == .authenticated(phone))
    }

    @Test func answersGoToTheWaitingCommand() {
        var m = authenticated()
        let reply = GeneralResponse(replySerial: 40, replyID: 0x8103, result: .success)
        #expect(m.received(header(0x0001, serial: 10), .terminalResponse(reply)) == [.deliverAnswer(replySerial: 40, .terminalResponse(reply))])
        let located = LocationReply(replySerial: 41, location: position)
        #expect(m.received(header(0x0201, serial: 11), .locationReply(located)) == [
            .deliverAnswer(replySerial: 41, .locationReply(located)),
            .store(serial: 11, messageID: 0x0201, [position]),
        ])
    }

    @Test func logoutAndIdle() {
        var m = authenticated()
        #expect(m.received(header(0x0003, serial: 12), .logout) == [ack(12, 0x0003, .success), .close(.loggedOut)])
        var idle = authenticated()
        #expect(idle.idleTimeoutElapsed() == [.close(.idle)])
        #expect(idle.idleTimeoutElapsed().isEmpty)
    }

    @Test func lateRegistryAnswersAfterCloseAreIgnored() {
        var m = TerminalSessionStateMachine()
        _ = m.received(header(0x0102, serial: 1), .authentication(Authentication(authCode: "AC1")))
        m.connectionClosed()
        #expect(m.authenticationDecided(true).isEmpty)
        #expect(m.state == .closed)
    }


    @Test func garbageBeforeAuthenticationCountsAsFailureButNotAfter() {
        var stranger = TerminalSessionStateMachine(maximumFailures: 2)
        #expect(stranger.invalidFrameReceived().isEmpty)
        #expect(stranger.invalidFrameReceived() == [.close(.tooManyFailures)])
        var known = authenticated()
        for _ in 0..<10 { #expect(known.invalidFrameReceived().isEmpty) }
        #expect(known.state == .authenticated(phone))
    }

    @Test func anotherConnectionCannotReRegisterATerminalThatIsOnline() {
        var m = TerminalSessionStateMachine(maximumFailures: 2)
        // Result 3, "terminal already registered", without asking the registry: no new auth code.
        #expect(m.received(header(0x0100, serial: 1), .registration(registration), gate: .liveSessionElsewhere) == [
            .send(.registrationResponse(RegistrationResponse(replySerial: 1, result: .terminalAlreadyRegistered))),
            .refused(phone, .registration(.terminalAlreadyRegistered)),
        ])
        #expect(m.received(header(0x0100, serial: 2), .registration(registration), gate: .liveSessionElsewhere).last == .close(.tooManyFailures))
        // Its genuine session may still authenticate elsewhere with the code it has (a reconnect).
        var reconnect = TerminalSessionStateMachine()
        #expect(reconnect.received(header(0x0102, serial: 1), .authentication(Authentication(authCode: "AC1")), gate: .liveSessionElsewhere) == [
            .checkAuthentication(phone, "AC1"),
        ])
    }

    @Test func aThrottledPhoneOrAddressIsClosedWithoutAskingTheRegistry() {
        var registering = TerminalSessionStateMachine()
        #expect(registering.received(header(0x0100, serial: 1), .registration(registration), gate: .throttled) == [.close(.throttled)])
        #expect(registering.state == .closed)
        var authenticating = TerminalSessionStateMachine()
        #expect(authenticating.received(header(0x0102, serial: 1), .authentication(Authentication(authCode: "AC1")), gate: .throttled) == [.close(.throttled)])
        // An authenticated session is not affected by what others did with its phone.
        var live = authenticated()
        #expect(live.received(header(0x0002, serial: 3), .heartbeat, gate: .throttled) == [ack(3, 0x0002, .success)])
    }

    @Test func logoutBeforeAuthenticationIsAnsweredAndCloses() {
        var m = TerminalSessionStateMachine()
        #expect(m.received(header(0x0003, serial: 1), .logout) == [ack(1, 0x0003, .success), .close(.loggedOut)])
    }

    @Test func aConnectionMustAuthenticateInTime() {
        var late = TerminalSessionStateMachine()
        _ = late.received(header(0x0100, serial: 1), .registration(registration))
        _ = late.registrationDecided(.success, authCode: "AC1")
        #expect(late.authenticationDeadlinePassed() == [.close(.notAuthenticatedInTime)])
        #expect(late.state == .closed)
        var waiting = TerminalSessionStateMachine()
        _ = waiting.received(header(0x0102, serial: 1), .authentication(Authentication(authCode: "AC1")))
        #expect(waiting.authenticationDeadlinePassed() == [.close(.notAuthenticatedInTime)])
        var inTime = authenticated()
        #expect(inTime.authenticationDeadlinePassed().isEmpty)
        #expect(inTime.state == .authenticated(phone))
    }

    @Test func aFrameThatDoesNotCompleteInTimeClosesTheConnection() {
        var stranger = TerminalSessionStateMachine()
        #expect(stranger.frameDeadlinePassed() == [.close(.slowFrame)])
        var known = authenticated()
        #expect(known.frameDeadlinePassed() == [.close(.slowFrame)])
        #expect(known.frameDeadlinePassed().isEmpty)
    }

    @Test func unsupportedMessagesAreAnsweredUnsupportedOnceAuthenticated() {
        var m = authenticated()
        #expect(m.unsupportedReceived(header(0x0F01, serial: 5)) == [ack(5, 0x0F01, .unsupported)])
        #expect(m.received(header(0x0102, serial: 6), .encrypted(messageID: 0x0102, body: [1])) == [ack(6, 0x0102, .unsupported)])
        // The platform's own messages sent back to it are not handled either.
        #expect(m.received(header(0x8001, serial: 7), .platformResponse(GeneralResponse(replySerial: 1, replyID: 2, result: .success))) == [
            ack(7, 0x8001, .unsupported),
        ])
        #expect(m.state == .authenticated(phone))
        var stranger = TerminalSessionStateMachine()
        #expect(stranger.unsupportedReceived(header(0x0F01, serial: 1)) == [.dropped(messageID: 0x0F01)])
    }
}
