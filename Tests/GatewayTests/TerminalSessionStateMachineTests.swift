import Domain
import Gateway
import JT808
import Testing

/// The session logic, tested by the actions it asks for: no sockets, and time given by the test.
@Suite struct TerminalSessionStateMachineTests {
    let phone = TerminalPhone(digits: "13912345678", version: .v2013)!

    func header(_ id: UInt16, serial: UInt16) -> MessageHeader {
        MessageHeader(messageID: id, version: .v2013, phone: phone, serial: serial)
    }

    let registration = Registration(province: 33, city: 200, manufacturer: "70111", model: "JT-808", terminalID: "T000001", plateColor: 5, plate: "浙B12345D")
    let position = LocationReport(
        latitudeMicrodegrees: 29_868_336, longitudeMicrodegrees: 121_543_990, time: DeviceTime(year: 2026, month: 11, day: 22, hour: 8, minute: 0, second: 0))
    let start = ContinuousClock.now

    /// A minute after `position` was taken, `elapsed` after the test's start.
    func time(after elapsed: Duration = .zero) -> TerminalSessionStateMachine.Time {
        TerminalSessionStateMachine.Time(instant: start + elapsed, epochSeconds: position.time.epochSeconds + 60 + elapsed.components.seconds)
    }

    var now: TerminalSessionStateMachine.Time { time() }

    func ack(_ serial: UInt16, _ id: UInt16, _ result: ResponseResult) -> TerminalSessionStateMachine.Action {
        .send(.platformResponse(GeneralResponse(replySerial: serial, replyID: id, result: result)))
    }

    /// Registers and authenticates; returns the machine in `authenticated`.
    func authenticated(
        alarms: AlarmFlags = [], alarmsAt: Int64? = nil, budget: SubpackageBudget = SubpackageBudget(maximumBytes: .max)
    ) -> TerminalSessionStateMachine {
        var m = TerminalSessionStateMachine(budget: budget)
        _ = m.received(header(0x0100, serial: 1), .registration(registration), at: now)
        _ = m.registrationDecided(.success, authCode: "AC1")
        _ = m.received(header(0x0102, serial: 2), .authentication(Authentication(authCode: "AC1")), at: now)
        _ = m.authenticationDecided(true, alarms: alarms, alarmsAt: alarmsAt)
        return m
    }

    /// The parts of `message` as the terminal sends them, each as the pipeline decodes it.
    func parts(_ message: Message, serial: UInt16) throws -> [(header: MessageHeader, part: [UInt8])] {
        try FrameEncoder.encode(message, header: header(message.messageID, serial: serial)).map { wire in
            let frame = try Framing.unescape(wire: wire).withFrame { f throws(JT808Error) in try FrameDecoder().decode(f) }
            guard case .part(let part) = frame.content else { throw JT808Error(.badField, "not a part") }
            return (frame.header, part)
        }
    }

    func upload(_ mediaID: UInt32, bytes: Int) -> MultimediaUpload {
        MultimediaUpload(
            event: MultimediaEvent(mediaID: mediaID, mediaType: 0, format: 0, event: 1, channel: 1), location: position,
            data: [UInt8](repeating: UInt8(truncatingIfNeeded: mediaID), count: bytes)
        )
    }

    @Test func registerThenAuthenticate() {
        var m = TerminalSessionStateMachine()
        #expect(m.received(header(0x0100, serial: 1), .registration(registration), at: now) == [.lookUpRegistration(phone, registration)])
        #expect(
            m.registrationDecided(.success, authCode: "AC1") == [
                .send(.registrationResponse(RegistrationResponse(replySerial: 1, result: .success, authCode: "AC1")))
            ])
        #expect(m.state == .unauthenticated(failures: 0))
        #expect(m.received(header(0x0102, serial: 2), .authentication(Authentication(authCode: "AC1")), at: now) == [.checkAuthentication(phone, "AC1")])
        #expect(m.authenticationDecided(true) == [ack(2, 0x0102, .success)])
        #expect(m.state == .authenticated(phone))
    }

    @Test func reportsAreAcknowledgedOnlyWhenDurable() {
        var m = authenticated()
        #expect(m.received(header(0x0200, serial: 7), .location(position), at: now) == [.store(serial: 7, messageID: 0x0200, [position], alarms: [])])
        // Nothing is sent until the sink says the report is durable.
        #expect(m.reportsDurable(serial: 7, messageID: 0x0200) == [ack(7, 0x0200, .success)])
        let batch = LocationBatch(kind: .blindZone, locations: [position, position])
        #expect(
            m.received(header(0x0704, serial: 8), .locationBatch(batch), at: now) == [
                .store(serial: 8, messageID: 0x0704, [position, position], alarms: [])
            ])
    }

    @Test func mediaIsAnsweredOnlyWhenDurable() {
        var m = authenticated()
        let upload = MultimediaUpload(event: MultimediaEvent(mediaID: 5, mediaType: 0, format: 0, event: 2, channel: 1), location: position, data: [1, 2, 3])
        // No 0x8001 for an upload: the answer is 0x8800, once stored.
        #expect(m.received(header(0x0801, serial: 9), .multimediaUpload(upload), at: now) == [.storeMedia(upload)])
        #expect(m.mediaDurable(mediaID: 5) == [.send(.multimediaUploadResponse(MultimediaUploadResponse(mediaID: 5)))])
    }

    @Test func driverCardIsAcknowledgedOnlyWhenDurable() {
        var m = authenticated()
        let card = DriverIdentity(
            cardStatus: .inserted, time: position.time, readResult: 0, name: "张三", certificate: "QC330200001", authority: "宁波运管",
            validity: CardDate(year: 2030, month: 1, day: 1))
        #expect(m.received(header(0x0702, serial: 11), .driverIdentity(card), at: now) == [.storeDriverCard(serial: 11, card)])
        #expect(m.driverCardDurable(serial: 11) == [ack(11, 0x0702, .success)])
        // Before authentication a card report is dropped like any other message.
        var fresh = TerminalSessionStateMachine()
        #expect(fresh.received(header(0x0702, serial: 1), .driverIdentity(card), at: now).first == .dropped(messageID: 0x0702))
        #expect(fresh.driverCardDurable(serial: 1).isEmpty)
    }

    @Test func heartbeatIsAnsweredAtOnce() {
        var m = authenticated()
        #expect(m.received(header(0x0002, serial: 9), .heartbeat, at: now) == [ack(9, 0x0002, .success)])
    }

    @Test func beforeAuthenticationAnythingButRegisterAuthenticateOrLogoutIsDroppedThenClosed() {
        var m = TerminalSessionStateMachine(maximumFailures: 3)
        // Dropped unanswered and counted: nothing is stored or buffered for a stranger.
        #expect(m.received(header(0x0200, serial: 1), .location(position), at: now) == [.dropped(messageID: 0x0200)])
        #expect(m.strayReceived(header(0x0801, serial: 2)) == [.dropped(messageID: 0x0801)])
        #expect(m.received(header(0x0200, serial: 3), .location(position), at: now) == [.dropped(messageID: 0x0200), .close(.tooManyFailures)])
        #expect(m.state == .closed)
        // A closed session does nothing more.
        #expect(m.received(header(0x0002, serial: 4), .heartbeat, at: now).isEmpty)
    }

    @Test func unknownTerminalIsToldSoAndCountsAsAFailure() {
        var m = TerminalSessionStateMachine(maximumFailures: 2)
        _ = m.received(header(0x0100, serial: 1), .registration(registration), at: now)
        #expect(
            m.registrationDecided(.terminalUnknown, authCode: nil) == [
                .send(.registrationResponse(RegistrationResponse(replySerial: 1, result: .terminalUnknown))), .refused(phone, .registration(.terminalUnknown)),
            ])
        #expect(m.state == .unauthenticated(failures: 1))
        _ = m.received(header(0x0102, serial: 2), .authentication(Authentication(authCode: "guess")), at: now)
        #expect(m.authenticationDecided(false) == [ack(2, 0x0102, .failure), .refused(phone, .authentication), .close(.tooManyFailures)])
    }

    @Test func aTerminalThatDoesNotWaitForTheRegistryIsRefused() {
        var m = TerminalSessionStateMachine()
        _ = m.received(header(0x0102, serial: 1), .authentication(Authentication(authCode: "AC1")), at: now)
        #expect(m.received(header(0x0200, serial: 2), .location(position), at: now) == [.dropped(messageID: 0x0200)])
        // The registry's answer still counts.
        #expect(m.authenticationDecided(true) == [ack(1, 0x0102, .success)])
        #expect(m.state == .authenticated(phone))
    }

    @Test func answersGoToTheWaitingCommand() {
        var m = authenticated()
        let reply = GeneralResponse(replySerial: 40, replyID: 0x8103, result: .success)
        #expect(m.received(header(0x0001, serial: 10), .terminalResponse(reply), at: now) == [.deliverAnswer(replySerial: 40, .terminalResponse(reply))])
        let located = LocationReply(replySerial: 41, location: position)
        #expect(
            m.received(header(0x0201, serial: 11), .locationReply(located), at: now) == [
                .deliverAnswer(replySerial: 41, .locationReply(located)),
                .store(serial: 11, messageID: 0x0201, [position], alarms: []),
            ])
        // 0x0107 names no serial: it goes to the oldest 0x8107 waiting. Answers are not acknowledged.
        let attributes = TerminalAttributes(
            terminalType: 1, manufacturer: "FLEET", model: "GPS808", terminalID: "2340808", iccid: String(repeating: "0", count: 20), hardwareVersion: "1",
            firmwareVersion: "1", gnssAttributes: 1, communicationAttributes: 2)
        #expect(
            m.received(header(0x0107, serial: 12), .attributes(attributes), at: now) == [.deliverUnnumberedAnswer(command: 0x8107, .attributes(attributes))])
        // 0x0805, a camera command's answer, names its serial; the photos follow as 0x0801.
        let camera = CameraReply(replySerial: 42, result: 0, mediaIDs: [7])
        #expect(m.received(header(0x0805, serial: 13), .cameraReply(camera), at: now) == [.deliverAnswer(replySerial: 42, .cameraReply(camera))])
    }

    @Test func logoutAndIdle() {
        var m = authenticated()
        #expect(m.received(header(0x0003, serial: 12), .logout, at: now) == [ack(12, 0x0003, .success), .close(.loggedOut)])
        var idle = authenticated()
        #expect(idle.idleTimeoutElapsed() == [.close(.idle)])
        #expect(idle.idleTimeoutElapsed().isEmpty)
    }

    @Test func lateRegistryAnswersAfterCloseAreIgnored() {
        var m = TerminalSessionStateMachine()
        _ = m.received(header(0x0102, serial: 1), .authentication(Authentication(authCode: "AC1")), at: now)
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
        #expect(
            m.received(header(0x0100, serial: 1), .registration(registration), gate: .liveSessionElsewhere, at: now) == [
                .send(.registrationResponse(RegistrationResponse(replySerial: 1, result: .terminalAlreadyRegistered))),
                .refused(phone, .registration(.terminalAlreadyRegistered)),
            ])
        #expect(m.received(header(0x0100, serial: 2), .registration(registration), gate: .liveSessionElsewhere, at: now).last == .close(.tooManyFailures))
        // Its genuine session may still authenticate elsewhere with the code it has (a reconnect).
        var reconnect = TerminalSessionStateMachine()
        #expect(
            reconnect.received(header(0x0102, serial: 1), .authentication(Authentication(authCode: "AC1")), gate: .liveSessionElsewhere, at: now) == [
                .checkAuthentication(phone, "AC1")
            ])
    }

    @Test func aThrottledPhoneOrAddressIsClosedWithoutAskingTheRegistry() {
        var registering = TerminalSessionStateMachine()
        #expect(registering.received(header(0x0100, serial: 1), .registration(registration), gate: .throttled, at: now) == [.close(.throttled)])
        #expect(registering.state == .closed)
        var authenticating = TerminalSessionStateMachine()
        let authentication = Message.authentication(Authentication(authCode: "AC1"))
        #expect(authenticating.received(header(0x0102, serial: 1), authentication, gate: .throttled, at: now) == [.close(.throttled)])
        // An authenticated session is not affected by what others did with its phone.
        var live = authenticated()
        #expect(live.received(header(0x0002, serial: 3), .heartbeat, gate: .throttled, at: now) == [ack(3, 0x0002, .success)])
    }

    @Test func logoutBeforeAuthenticationIsAnsweredAndCloses() {
        var m = TerminalSessionStateMachine()
        #expect(m.received(header(0x0003, serial: 1), .logout, at: now) == [ack(1, 0x0003, .success), .close(.loggedOut)])
    }

    @Test func aConnectionMustAuthenticateInTime() {
        var late = TerminalSessionStateMachine()
        _ = late.received(header(0x0100, serial: 1), .registration(registration), at: now)
        _ = late.registrationDecided(.success, authCode: "AC1")
        #expect(late.authenticationDeadlinePassed() == [.close(.notAuthenticatedInTime)])
        #expect(late.state == .closed)
        var waiting = TerminalSessionStateMachine()
        _ = waiting.received(header(0x0102, serial: 1), .authentication(Authentication(authCode: "AC1")), at: now)
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
        #expect(m.received(header(0x0102, serial: 6), .encrypted(messageID: 0x0102, body: [1]), at: now) == [ack(6, 0x0102, .unsupported)])
        // The platform's own messages sent back to it are not handled either.
        #expect(
            m.received(header(0x8001, serial: 7), .platformResponse(GeneralResponse(replySerial: 1, replyID: 2, result: .success)), at: now) == [
                ack(7, 0x8001, .unsupported)
            ])
        #expect(m.state == .authenticated(phone))
        var stranger = TerminalSessionStateMachine()
        #expect(stranger.unsupportedReceived(header(0x0F01, serial: 1)) == [.dropped(messageID: 0x0F01)])
    }

    @Test func aProfileAppliesOnceTheTerminalAuthenticated() {
        var m = TerminalSessionStateMachine()
        let lenient = DeviceProfile(name: "lenient", checksum: .lenient)
        _ = m.received(header(0x0102, serial: 1), .authentication(Authentication(authCode: "AC1")), at: now)
        #expect(!m.decoder.acceptsBadChecksum)
        _ = m.authenticationDecided(true, profile: lenient)
        #expect(m.decoder.acceptsBadChecksum && m.profile == lenient)
    }

    // MARK: sub-packages

    @Test func partsArePutTogetherAndLateOnesAskedForOnceThenGivenUp() throws {
        var m = authenticated()
        let photo = upload(5, bytes: 2_000)
        let whole = try parts(.multimediaUpload(photo), serial: 20)
        #expect(whole.count == 2)
        #expect(m.partReceived(whole[0].header, whole[0].part, at: now).isEmpty)
        #expect(m.partReceived(whole[1].header, whole[1].part, at: now) == [.storeMedia(photo)])
        // Of the next upload only the first part comes. The terminal's next message after the
        // timeout (30 s) asks for the second; after another timeout the upload is given up.
        let halves = try parts(.multimediaUpload(upload(6, bytes: 2_000)), serial: 30)
        #expect(m.partReceived(halves[0].header, halves[0].part, at: now).isEmpty)
        #expect(m.received(header(0x0002, serial: 31), .heartbeat, at: time(after: .seconds(29))) == [ack(31, 0x0002, .success)])
        #expect(
            m.received(header(0x0002, serial: 32), .heartbeat, at: time(after: .seconds(30))) == [
                .send(.resendRequest(ResendRequest(originalSerial: 30, packetIndices: [2]))), ack(32, 0x0002, .success),
            ])
        #expect(
            m.received(header(0x0002, serial: 33), .heartbeat, at: time(after: .seconds(60))) == [
                .discarded(.expired(messageID: 0x0801, missing: [2])), ack(33, 0x0002, .success),
            ])
    }

    @Test func beforeAuthenticationPartsAreDroppedUnbuffered() throws {
        var m = TerminalSessionStateMachine()
        let first = try parts(.multimediaUpload(upload(5, bytes: 2_000)), serial: 1)[0]
        #expect(m.partReceived(first.header, first.part, at: now) == [.dropped(messageID: 0x0801)])
    }

    /// Past the gateway's budget, the terminal's own oldest message in progress is evicted for
    /// the newest; with nothing of its own to evict, the part is refused. Its bytes go back to
    /// the budget when they complete and when the connection closes.
    @Test func theGatewaysBudgetEvictsTheTerminalsOldestMessageFirst() throws {
        let budget = SubpackageBudget(maximumBytes: 2_500)
        var m = authenticated(budget: budget)
        let first = try parts(.multimediaUpload(upload(1, bytes: 2_000)), serial: 1)
        let second = try parts(.multimediaUpload(upload(2, bytes: 2_200)), serial: 3)
        #expect(second.count == 3)
        #expect(m.partReceived(first[0].header, first[0].part, at: now).isEmpty)
        #expect(m.partReceived(second[0].header, second[0].part, at: now).isEmpty)
        #expect(m.partReceived(second[1].header, second[1].part, at: now) == [.evicted(messages: 1)])
        #expect(m.partReceived(second[2].header, second[2].part, at: now) == [.storeMedia(upload(2, bytes: 2_200))])
        // The first upload's last part comes too late: its first was evicted.
        #expect(m.partReceived(first[1].header, first[1].part, at: now).isEmpty)
        // Another connection takes the rest of the budget: nothing of this terminal's is older
        // than the part that would need the room.
        var other = authenticated(budget: budget)
        let third = try parts(.multimediaUpload(upload(3, bytes: 2_200)), serial: 9)
        #expect(other.partReceived(third[0].header, third[0].part, at: now).isEmpty)
        #expect(other.partReceived(third[1].header, third[1].part, at: now) == [.discarded(.partRefused)])
        // Closed, this connection gives its bytes back, and the other's part fits.
        m.connectionClosed()
        #expect(other.partReceived(third[1].header, third[1].part, at: now).isEmpty)
    }

    // MARK: alarms

    /// Alarm bits that go on are events, counted from the newest report stored (its bits come
    /// with the authentication), and only once that report is durable.
    @Test func alarmsThatGoOnAreRaisedFromTheNewestReportStored() {
        var m = authenticated(alarms: .emergency)
        var report = position
        report.alarm = [.emergency, .overspeed]
        let raised = [TerminalSessionStateMachine.AlarmChange(kind: "overspeed", report: report, serial: 7)]
        #expect(m.received(header(0x0200, serial: 7), .location(report), at: now) == [.store(serial: 7, messageID: 0x0200, [report], alarms: raised)])
        // Not durable (the sink failed): sent again, it raises the alarm again.
        #expect(m.received(header(0x0200, serial: 7), .location(report), at: now) == [.store(serial: 7, messageID: 0x0200, [report], alarms: raised)])
        _ = m.reportsDurable(serial: 7, messageID: 0x0200)
        #expect(m.received(header(0x0200, serial: 8), .location(report), at: now) == [.store(serial: 8, messageID: 0x0200, [report], alarms: [])])
        _ = m.reportsDurable(serial: 8, messageID: 0x0200)
        // A batch in any order is read in time order: SOS and over-speed off (cleared, where
        // they went off), then SOS on again (a batch's serial names no one report).
        var off = position, on = position
        off.alarm = []
        off.time = DeviceTime(epochSeconds: position.time.epochSeconds + 10)
        on.alarm = .emergency
        on.time = DeviceTime(epochSeconds: position.time.epochSeconds + 20)
        typealias Change = TerminalSessionStateMachine.AlarmChange
        #expect(
            m.received(header(0x0704, serial: 9), .locationBatch(LocationBatch(kind: .blindZone, locations: [on, off])), at: now) == [
                .store(
                    serial: 9, messageID: 0x0704, [on, off],
                    alarms: [
                        Change(kind: "emergency", report: off, cleared: true), Change(kind: "overspeed", report: off, cleared: true),
                        Change(kind: "emergency", report: on),
                    ])
            ])
        _ = m.reportsDurable(serial: 9, messageID: 0x0704)
        // A later report without the bit clears it, once.
        var later = off
        later.time = DeviceTime(epochSeconds: position.time.epochSeconds + 30)
        #expect(
            m.received(header(0x0200, serial: 10), .location(later), at: now) == [
                .store(serial: 10, messageID: 0x0200, [later], alarms: [Change(kind: "emergency", report: later, cleared: true)])
            ])
        _ = m.reportsDurable(serial: 10, messageID: 0x0200)
        #expect(m.received(header(0x0200, serial: 11), .location(later), at: now) == [.store(serial: 11, messageID: 0x0200, [later], alarms: [])])
    }

    /// Blind-area history sent after live reports (or older than the newest report stored when
    /// the terminal authenticated) is stored, but it neither raises nor clears: the live alarm
    /// state is the newest report's.
    @Test func historyOlderThanTheNewestReportMovesNoAlarm() {
        let t = position.time.epochSeconds
        var m = authenticated(alarms: .emergency, alarmsAt: t)
        var older = position, newer = position
        older.alarm = .overspeed
        older.time = DeviceTime(epochSeconds: t - 600)
        newer.alarm = .emergency
        newer.time = DeviceTime(epochSeconds: t + 10)
        #expect(
            m.received(header(0x0704, serial: 3), .locationBatch(LocationBatch(kind: .blindZone, locations: [older])), at: now) == [
                .store(serial: 3, messageID: 0x0704, [older], alarms: [])
            ])
        _ = m.reportsDurable(serial: 3, messageID: 0x0704)
        // SOS is still on, as the newest report had it: nothing went on or off.
        #expect(m.received(header(0x0200, serial: 4), .location(newer), at: now) == [.store(serial: 4, messageID: 0x0200, [newer], alarms: [])])
    }

    /// The events' kinds are the codec's names of the bits: Domain's table of the standard's
    /// alarms (display names, confirmation) says the same name for every bit.
    @Test func everyAlarmBitHasOneNameInTheCodecAndTheDomain() {
        #expect(AlarmKind.all.map(\.name) == AlarmFlags.named.map(\.name))
        #expect(AlarmKind.all.map(\.mask) == AlarmFlags.named.map(\.flag.rawValue))
        #expect(AlarmKind.all.allSatisfy { !$0.chinese.isEmpty })
        #expect(AlarmKind.all.filter(\.confirmedByPlatform).map(\.bit) == [0, 3, 20, 21, 22, 27, 28])
    }

    /// Issue 14: a report dated ahead of the server's clock is stored (and quarantined there)
    /// but raises no alarm and moves no alarm state.
    @Test func aReportAheadOfTheServersClockRaisesNoAlarm() {
        var m = authenticated()
        var forged = position
        forged.alarm = .collisionWarning
        forged.time = DeviceTime(epochSeconds: now.epochSeconds + 3_600)
        #expect(
            m.received(header(0x0200, serial: 7), .location(forged), at: now) == [
                .aheadOfClock(count: 1), .store(serial: 7, messageID: 0x0200, [forged], alarms: []),
            ])
        _ = m.reportsDurable(serial: 7, messageID: 0x0200)
        var genuine = position
        genuine.alarm = .collisionWarning
        #expect(
            m.received(header(0x0200, serial: 8), .location(genuine), at: now) == [
                .store(
                    serial: 8, messageID: 0x0200, [genuine],
                    alarms: [TerminalSessionStateMachine.AlarmChange(kind: "collisionWarning", report: genuine, serial: 8)])
            ])
    }
}
