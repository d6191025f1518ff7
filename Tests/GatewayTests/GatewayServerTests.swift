import Domain
import DomainTestSupport
import Foundation
import JT808
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import ServiceTestSupport
import TerminalTestSupport
import Testing

@testable import Gateway

@Suite struct GatewayServerTests {
    let logger = Logger(label: "gateway-test")
    let phone = "13912345678"

    var position: LocationReport {
        LocationReport(
            status: [.accOn, .positioned], latitudeMicrodegrees: 29_868_336, longitudeMicrodegrees: 121_543_990, speed: 452, course: 90,
            time: DeviceTime(year: 2026, month: 11, day: 22, hour: 8, minute: 0, second: 0))
    }

    /// Authenticates `terminal` and checks that the gateway accepted it, answering its serial.
    func authenticate(
        _ terminal: inout TestTerminal, code: String = "AC-7", _ send: (ByteBuffer) async throws -> Void, _ receive: () async throws -> Message?
    ) async throws {
        let serial = terminal.serial
        try await send(terminal.frame(.authentication(Authentication(authCode: code))))
        #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: serial, replyID: 0x0102, result: .success)))
    }

    /// The gateway's time of day unless a test sets it: an hour after `position` was reported.
    var anHourAfterThePosition: ManualClock { ManualClock(Date(timeIntervalSince1970: TimeInterval(position.time.epochSeconds + 3600))) }

    /// Runs a gateway on a free port for the duration of `body`, which may also shut it down.
    func withGateway(
        _ sink: RecordingSink, registry: KnownTerminals? = nil, perAddress: Int = 100, idleTimeout: TimeAmount = .seconds(30),
        connections: TerminalConnections = TerminalConnections(), clock: ManualClock? = nil, configure: (inout GatewayServer.Configuration) -> Void = { _ in },
        _ body: @Sendable (_ port: Int, _ shutdown: @Sendable () async -> Void) async throws -> Void
    ) async throws {
        let registry =
            registry
            ?? KnownTerminals(
                ["0" + phone: (id: 7, code: "AC-7"), "013912340000": (id: 8, code: "AC-8")],
                profiles: ["013912340000": "lenient"]
            )
        let profiles = DeviceProfileCatalog(profiles: [
            DeviceProfile(name: "lenient", checksum: .lenient, extras: [0xE1: .init(name: "socPercent", format: .unsigned(bytes: 1, decimals: 0))])
        ])
        try await TerminalTestSupport.withGateway(
            registry: registry, sink: sink, clock: clock ?? anHourAfterThePosition, connections: connections, profiles: profiles, logger: logger,
            configure: {
                $0.idleTimeout = idleTimeout
                $0.maximumConnectionsPerAddress = perAddress
                $0.subpackageTimeout = .milliseconds(300)
                configure(&$0)
            }, body
        )
    }

    @Test func registerAuthenticateReportAndGetTheAckAfterStorage() async throws {
        let sink = RecordingSink()
        try await withGateway(sink) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await send(
                    terminal.frame(
                        .registration(
                            Registration(
                                province: 33, city: 200, manufacturer: "70111", model: "M1", terminalID: "2345678", plateColor: 5, plate: "浙B12345D"
                            ))))
                #expect(try await receive() == .registrationResponse(RegistrationResponse(replySerial: 0, result: .success, authCode: "AC-7")))
                try await authenticate(&terminal, send, receive)
                try await send(terminal.frame(.location(position)))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 2, replyID: 0x0200, result: .success)))
                // The ack came after the sink had the position.
                let stored = await sink.stored
                #expect(stored.count == 1 && stored.first?.terminalID == 7 && stored.first?.latitudeE6 == 29_868_336)
                #expect(stored.first?.gnssTime == position.time.epochSeconds)
                // Garbage on the socket does not end the session.
                try await send(ByteBuffer(bytes: [0x7e, 1, 2, 3, 0x7e, 0x7d, 0x7e]))
                try await send(terminal.frame(.heartbeat))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 3, replyID: 0x0002, result: .success)))
            }
        }
    }

    @Test func nothingIsAcknowledgedWhileTheSinkIsDown() async throws {
        let sink = RecordingSink()
        try await withGateway(sink) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                await sink.setFailing(true)
                try await send(terminal.frame(.location(position)))
                // The next answer is the heartbeat's: the report was not acknowledged.
                try await send(terminal.frame(.heartbeat))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 2, replyID: 0x0002, result: .success)))
                await sink.setFailing(false)
                // The terminal retransmits (same serial, as the standard says) and now gets its ack.
                terminal.serial = 1
                try await send(terminal.frame(.location(position)))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0200, result: .success)))
                #expect(await sink.stored.count == 1)
            }
        }
    }

    /// While a report is being stored the session handles nothing more: what the terminal sent
    /// meanwhile waits (a few frames in the gateway, the rest in the kernel), then is handled in
    /// order, each acknowledged once stored. Sent at once and in pieces, past the frames a
    /// session keeps while it waits.
    @Test func aSessionHandlesNothingMoreWhileItsReportIsBeingStored() async throws {
        let sink = RecordingSink()
        try await withGateway(sink) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                await sink.hold()
                var three = ByteBuffer()
                for _ in 0..<3 { three.writeImmutableBuffer(terminal.frame(.location(position))) }
                try await send(three)
                while await sink.offered == 0 { try await Task.sleep(for: .milliseconds(5)) }
                for _ in 0..<(3 * TerminalSessionHandler.heldFrameLimit) { try await send(terminal.frame(.location(position))) }
                let count = 3 + 3 * TerminalSessionHandler.heldFrameLimit
                // Given time, the others still have not reached the sink.
                try await Task.sleep(for: .milliseconds(200))
                #expect(await sink.offered == 1)
                await sink.release()
                for serial in 1...UInt16(count) {
                    #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: serial, replyID: 0x0200, result: .success)))
                }
                #expect(await sink.stored.count == count)
                #expect(await sink.offered == count)
            }
        }
    }

    @Test func anIdleTerminalIsDisconnected() async throws {
        // Long enough that registering and authenticating fit in it on a loaded machine.
        try await withGateway(RecordingSink(), idleTimeout: .seconds(2)) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                // Nothing more from the terminal: the server closes the connection.
                #expect(try await receive() == nil)
            }
        }
    }

    @Test func aTerminalThatReconnectsReplacesItsOldSession() async throws {
        let connections = TerminalConnections()
        try await withGateway(RecordingSink(), connections: connections) { port, _ in
            try await withTerminalConnection(port: port) { sendOld, receiveOld in
                var old = TestTerminal(phone)
                try await authenticate(&old, sendOld, receiveOld)
                try await withTerminalConnection(port: port) { send, receive in
                    var new = TestTerminal(phone)
                    try await authenticate(&new, send, receive)
                    #expect(try await receiveOld() == nil)
                    try await send(new.frame(.heartbeat))
                    #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0002, result: .success)))
                    #expect(connections.connectedTerminals.count == 1)
                }
            }
        }
    }

    @Test func unknownTerminalsAreRefusedAndDisconnected() async throws {
        let sink = RecordingSink()
        try await withGateway(sink) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var stranger = TestTerminal("13800000000")
                try await send(
                    stranger.frame(
                        .registration(Registration(province: 0, city: 0, manufacturer: "X", model: "Y", terminalID: "Z", plateColor: 5, plate: "浙B0000"))))
                #expect(try await receive() == .registrationResponse(RegistrationResponse(replySerial: 0, result: .terminalUnknown)))
                // A report before authentication is dropped unanswered (and counts as a failure).
                try await send(stranger.frame(.location(position)))
                try await send(stranger.frame(.authentication(Authentication(authCode: "guess"))))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 2, replyID: 0x0102, result: .failure)))
                // Third failure: the server closes the connection.
                #expect(try await receive() == nil)
            }
            #expect(await sink.stored.isEmpty)
        }
    }

    @Test func shutdownClosesConnectedTerminals() async throws {
        try await withGateway(RecordingSink()) { port, shutdown in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                await shutdown()
                // The server ends the session rather than waiting for the terminal to leave.
                #expect(try await receive() == nil)
            }
        }
    }

    /// Whether the server closed the connection (an orderly end or a reset).
    func closed(_ receive: () async throws -> Message?) async -> Bool {
        do { return try await receive() == nil } catch { return true }
    }

    @Test func aFloodOfGarbageIsCutOffAndOthersAreServed() async throws {
        try await withGateway(RecordingSink()) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                // Delimited junk, over and over: three failures and the server hangs up.
                for _ in 0..<50 { try? await send(ByteBuffer(bytes: [0x7e, 0x00, 0x01, 0x02, 0x7e])) }
                #expect(await closed(receive))
            }
            // Another terminal is still served.
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
            }
        }
    }

    @Test func connectionsPerAddressAreLimited() async throws {
        try await withGateway(RecordingSink(), perAddress: 2) { port, _ in
            // Each connection proves it is being served before the next one opens (the server
            // may see simultaneous connections in any order).
            try await withTerminalConnection(port: port) { sendA, receiveA in
                var a = TestTerminal(phone)
                try await authenticate(&a, sendA, receiveA)
                try await withTerminalConnection(port: port) { sendB, receiveB in
                    var b = TestTerminal("13912340000")
                    try await authenticate(&b, code: "AC-8", sendB, receiveB)
                    // The third connection from 127.0.0.1 is closed at once.
                    try await withTerminalConnection(port: port) { _, receiveC in
                        #expect(await closed(receiveC))
                    }
                    // The first two still work.
                    try await sendA(a.frame(.heartbeat))
                    #expect(try await receiveA() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0002, result: .success)))
                }
            }
        }
    }

    @Test func platformCommandsReachTheTerminalAndReturnItsAnswer() async throws {
        let connections = TerminalConnections()
        let terminalPhone = TerminalPhone(digits: phone, version: .v2013)!
        try await withGateway(RecordingSink(), connections: connections) { port, _ in
            // Not connected yet: a clear error, not a hang.
            await #expect(throws: TerminalConnections.CommandError.notConnected) { try await connections.send(.queryParameters, to: terminalPhone) }
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                let reply = ParameterReply(replySerial: 0, parameters: [TerminalParameter(id: TerminalParameter.ID.heartbeatInterval, value: .dword(60))])
                try await withThrowingTaskGroup(of: Message.self) { group in
                    group.addTask { try await connections.send(.queryParameters, to: terminalPhone, timeout: .seconds(10)) }
                    // The terminal sees 0x8104 and answers with its serial.
                    #expect(try await receive() == .queryParameters)
                    var answer = reply
                    answer.replySerial = 1  // the platform's second message on this connection
                    try await send(terminal.frame(.parameterReply(answer)))
                    let got = try await group.next()
                    #expect(got == .parameterReply(answer))
                }
                // No answer: the command times out.
                await #expect(throws: TerminalConnections.CommandError.timedOut) {
                    try await connections.send(.locateNow, to: terminalPhone, timeout: .milliseconds(300))
                }
            }
        }
    }

    @Test func alarmsGoingOnBecomeEventsOnce() async throws {
        let sink = RecordingSink()
        try await withGateway(sink) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                // SOS on, still on, off, on again (with fatigue driving): three events raised.
                let alarms: [AlarmFlags] = [.emergency, .emergency, [], [.emergency, .fatigueDriving]]
                for (i, alarm) in alarms.enumerated() {
                    var report = position
                    report.alarm = alarm
                    report.time = DeviceTime(epochSeconds: position.time.epochSeconds + Int64(i) * 10)
                    try await send(terminal.frame(.location(report)))
                    #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: UInt16(i + 1), replyID: 0x0200, result: .success)))
                }
            }
        }
        // And SOS going off is its event cleared, at the report that cleared it.
        let events = await sink.events
        #expect(events.map { $0.cleared ? "\($0.kind) off" : $0.kind } == ["emergency", "emergency off", "emergency", "fatigueDriving"])
        let t = position.time.epochSeconds
        #expect(events.map(\.occurredAt) == [t, t + 20, t + 30, t + 30])
        // A confirmation names the report that raised the alarm: serials 1 and 4 after authentication.
        #expect(events.map(\.reportSerial) == [1, nil, 4, 4])
    }

    @Test func anAlarmStillOnAfterAReconnectIsNotANewEvent() async throws {
        let sink = RecordingSink()
        // The newest stored report of terminal 7 had SOS on.
        let registry = KnownTerminals(["0" + phone: (id: 7, code: "AC-7")], alarms: ["0" + phone: AlarmFlags.emergency.rawValue])
        try await withGateway(sink, registry: registry) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                var report = position
                report.alarm = [.emergency, .overspeed]
                try await send(terminal.frame(.location(report)))
                _ = try await receive()
            }
        }
        // Only over-speed went on; the SOS was already an event before the reconnect.
        #expect(await sink.events.map(\.kind) == ["overspeed"])
    }

    @Test func missingSubpackagesAreAskedForAgain() async throws {
        try await withGateway(RecordingSink()) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                // A 2,000-byte upload travels in two parts; only the first arrives.
                let upload = Message.multimediaUpload(
                    MultimediaUpload(
                        event: MultimediaEvent(mediaID: 9, mediaType: 0, format: 0, event: 1, channel: 1), location: position,
                        data: [UInt8](repeating: 0xAB, count: 2_000)
                    ))
                let parts = FrameEncoder.encode(upload, header: MessageHeader(messageID: upload.messageID, version: .v2013, phone: terminal.phone, serial: 1))
                #expect(parts.count == 2)
                try await send(ByteBuffer(bytes: parts[0]))
                try await Task.sleep(for: .milliseconds(500))
                // The next thing the terminal sends lets the gateway notice and ask for part 2.
                terminal.serial = 3
                try await send(terminal.frame(.heartbeat))
                #expect(try await receive() == .resendRequest(ResendRequest(originalSerial: 1, packetIndices: [2])))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 3, replyID: 0x0002, result: .success)))
            }
        }
    }

    @Test func mediaIsAnsweredWith0x8800OnlyOnceStored() async throws {
        let sink = RecordingSink()
        try await withGateway(sink) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                // A 2,500-byte photo of a collision alarm (event 3): three sub-packages.
                let photo = [UInt8]((0..<2_500).map { UInt8(truncatingIfNeeded: $0 * 7) })
                let upload = Message.multimediaUpload(
                    MultimediaUpload(
                        event: MultimediaEvent(mediaID: 77, mediaType: 0, format: 0, event: 3, channel: 2), location: position, data: photo
                    ))
                func sendParts(serial: UInt16) async throws {
                    for part in FrameEncoder.encode(
                        upload, header: MessageHeader(messageID: upload.messageID, version: .v2013, phone: terminal.phone, serial: serial))
                    {
                        try await send(ByteBuffer(bytes: part))
                    }
                }
                // While the store is down, the upload is not answered; the heartbeat after it is.
                await sink.setFailing(true)
                try await sendParts(serial: 1)
                terminal.serial = 4
                try await send(terminal.frame(.heartbeat))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 4, replyID: 0x0002, result: .success)))
                await sink.setFailing(false)
                try await sendParts(serial: 5)
                #expect(try await receive() == .multimediaUploadResponse(MultimediaUploadResponse(mediaID: 77)))
            }
        }
        let media = await sink.media
        #expect(media.count == 1)
        #expect(media.first?.data == [UInt8]((0..<2_500).map { UInt8(truncatingIfNeeded: $0 * 7) }))
        #expect(media.first.map { [$0.terminalID, Int32($0.event), Int32($0.channel)] } == [7, 3, 2])
        #expect(media.first?.takenAt == position.time.epochSeconds && media.first?.latitudeE6 == 29_868_336)
    }

    @Test func aTerminalsDeviceProfileAppliesOnceItIsKnown() async throws {
        let sink = RecordingSink()
        // An odometer and a vendor item: state of charge, which only the profile names.
        let report = {
            var report = position
            report.extras.mileage = 123_456
            report.extras.others = [RawExtra(id: 0xE1, bytes: [87])]
            return report
        }()
        /// A location frame whose check code is wrong.
        @Sendable func corrupt(_ terminal: inout TestTerminal) -> ByteBuffer {
            var bytes = Array(terminal.frame(.location(report)).readableBytesView)
            bytes[bytes.count - 2] ^= 0x5a
            return ByteBuffer(bytes: bytes)
        }
        try await withGateway(sink) { port, _ in
            // Terminal 8's model sends wrong check codes; its profile says to accept them.
            try await withTerminalConnection(port: port) { send, receive in
                var lenient = TestTerminal("13912340000")
                try await authenticate(&lenient, code: "AC-8", send, receive)
                try await send(corrupt(&lenient))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0200, result: .success)))
            }
            // Terminal 7 has no such profile: the same frame is not accepted (and not acknowledged).
            try await withTerminalConnection(port: port) { send, receive in
                var strict = TestTerminal(phone)
                try await authenticate(&strict, send, receive)
                try await send(corrupt(&strict))
                try await send(strict.frame(.heartbeat))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 2, replyID: 0x0002, result: .success)))
            }
        }
        #expect(await sink.stored.map(\.terminalID) == [8])
        // The extras are kept as JSON, the vendor item by its profile's name.
        #expect(await sink.stored.first?.extras == #"{"0x01":{"mileageKm":12345.6},"0xE1":{"socPercent":87}}"#)
        #expect(await sink.stored.first?.mileage == 123_456)
    }

    // MARK: trust at the terminals' door (issue 14)

    /// Issue 14, attack 1: a stranger who knows a bound terminal's phone number registers with
    /// another terminal ID, five times on one socket, then reports from Beijing. Now: refused
    /// (result 3 while the genuine terminal is online, 4 when not), cut off after three
    /// failures, its reports dropped, and the genuine session and its auth code untouched.
    @Test func aStrangerWithAKnownPhoneNumberCannotTakeTheVehicleOver() async throws {
        let sink = RecordingSink()
        let registry = KnownTerminals(["0" + phone: (id: 7, code: "AC-7")])
        // The genuine terminal and the stranger share 127.0.0.1 here: the attempt limits (tested
        // below) must not cut the stranger off before every refusal has been seen.
        let limits = AttemptLimits(failuresPerPhone: 10)
        let forged = Registration(province: 11, city: 0, manufacturer: "EVIL", model: "X1", terminalID: "9999999", plateColor: 5, plate: "浙B12345D")
        let beijing = LocationReport(
            status: [.accOn, .positioned], latitudeMicrodegrees: 39_904_200, longitudeMicrodegrees: 116_407_400, speed: 300, course: 0, time: position.time
        )
        try await withGateway(sink, registry: registry, configure: { $0.attemptLimits = limits }) { port, _ in
            try await withTerminalConnection(port: port) { sendGenuine, receiveGenuine in
                var genuine = TestTerminal(phone)
                try await authenticate(&genuine, sendGenuine, receiveGenuine)
                try await withTerminalConnection(port: port) { send, receive in
                    var stranger = TestTerminal(phone)
                    var five = ByteBuffer()
                    for _ in 0..<5 { five.writeImmutableBuffer(stranger.frame(.registration(forged))) }
                    try await send(five)
                    for serial: UInt16 in 0..<3 {
                        #expect(try await receive() == .registrationResponse(RegistrationResponse(replySerial: serial, result: .terminalAlreadyRegistered)))
                    }
                    #expect(await closed(receive))
                }
                try await withTerminalConnection(port: port) { send, receive in
                    var stranger = TestTerminal(phone)
                    try await send(stranger.frame(.location(beijing)))
                    try await send(stranger.frame(.authentication(Authentication(authCode: "guess"))))
                    #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0102, result: .failure)))
                }
                // The genuine session is undisturbed.
                try await sendGenuine(genuine.frame(.location(position)))
                #expect(try await receiveGenuine() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0200, result: .success)))
            }
            // Offline, the forged identity is still refused: no such terminal (4), or with the
            // right terminal ID but another vehicle's plate, no such vehicle (2).
            try await withTerminalConnection(port: port) { send, receive in
                var stranger = TestTerminal(phone)
                try await send(stranger.frame(.registration(forged)))
                #expect(try await receive() == .registrationResponse(RegistrationResponse(replySerial: 0, result: .terminalUnknown)))
                var otherPlate = forged
                otherPlate.terminalID = "2345678"
                otherPlate.plate = "京A00001"
                try await send(stranger.frame(.registration(otherPlate)))
                #expect(try await receive() == .registrationResponse(RegistrationResponse(replySerial: 1, result: .vehicleUnknown)))
            }
        }
        #expect(await registry.registrations == 0, "no auth code was issued to the stranger")
        #expect(await sink.stored.map(\.latitudeE6) == [29_868_336], "nothing from Beijing")
    }

    @Test func repeatedFailuresFromAnAddressCloseItsConnectionsAtOnce() async throws {
        let registry = KnownTerminals(["0" + phone: (id: 7, code: "AC-7")])
        let limits = AttemptLimits(failuresPerPhone: 2, failuresPerAddress: 3)
        try await withGateway(RecordingSink(), registry: registry, configure: { $0.attemptLimits = limits }) { port, _ in
            for attempt in 0..<3 {
                try await withTerminalConnection(port: port) { send, receive in
                    var guesser = TestTerminal("1390000000\(attempt)")
                    try await send(guesser.frame(.authentication(Authentication(authCode: "guess"))))
                    #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 0, replyID: 0x0102, result: .failure)))
                }
            }
            // 127.0.0.1 failed three times: its next attempt, even with the right code, is cut off unanswered.
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await send(terminal.frame(.authentication(Authentication(authCode: "AC-7"))))
                #expect(await closed(receive))
            }
        }
    }

    @Test func beforeAuthenticationSubpackagesAndMediaAreDroppedUnbufferedThenTheConnectionCloses() async throws {
        let sink = RecordingSink()
        try await withGateway(sink) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var stranger = TestTerminal(phone)
                let upload = Message.multimediaUpload(
                    MultimediaUpload(
                        event: MultimediaEvent(mediaID: 9, mediaType: 0, format: 0, event: 1, channel: 1), location: position,
                        data: [UInt8](repeating: 0xAB, count: 2_000)
                    ))
                for part in FrameEncoder.encode(upload, header: MessageHeader(messageID: upload.messageID, version: .v2013, phone: stranger.phone, serial: 0)) {
                    try await send(ByteBuffer(bytes: part))
                }
                stranger.serial = 2
                try await send(stranger.frame(.heartbeat))
                // Three messages dropped unanswered: the server hangs up.
                #expect(await closed(receive))
            }
        }
        #expect(await sink.media.isEmpty)
        #expect(await sink.stored.isEmpty)
    }

    @Test func aConnectionThatDoesNotAuthenticateInTimeIsClosed() async throws {
        // Long enough that authenticating fits in it on a loaded machine (the whole suite runs at once).
        try await withGateway(RecordingSink(), configure: { $0.authenticationTimeout = .seconds(2) }) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await send(
                    terminal.frame(
                        .registration(
                            Registration(
                                province: 33, city: 200, manufacturer: "70111", model: "M1", terminalID: "2345678", plateColor: 5, plate: "浙B12345D"
                            ))))
                #expect(try await receive() == .registrationResponse(RegistrationResponse(replySerial: 0, result: .success, authCode: "AC-7")))
                // Registered but never authenticated (the idle timeout is 30 s): closed.
                #expect(await closed(receive))
            }
            // Authenticated in time, the session outlives the deadline.
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                try await Task.sleep(for: .milliseconds(2_500))
                try await send(terminal.frame(.heartbeat))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0002, result: .success)))
            }
        }
    }

    @Test func aFrameDrippingInIsCutOff() async throws {
        try await withGateway(RecordingSink(), configure: { $0.frameTimeout = .milliseconds(300) }) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                // The first bytes of a report, and no more: the connection closes.
                let frame = Array(terminal.frame(.location(position)).readableBytesView)
                try await send(ByteBuffer(bytes: frame.prefix(6)))
                #expect(await closed(receive))
            }
        }
    }

    @Test func aReportWhoseItemsDisagreeWithItsBodyIsRefusedUnlessTheProfileIsLenient() async throws {
        let sink = RecordingSink()
        // Item 0x11 (over-speed) declared with no bytes, as in go-jt808's go-0200-item-len-mismatch.
        @Sendable func malformed(_ terminal: inout TestTerminal) -> ByteBuffer {
            var body = Message.location(position).encodeBody(version: .v2013)
            body += [0x11, 0x00, 0x31, 0x01, 0x09]
            defer { terminal.serial &+= 1 }
            let header = MessageHeader(messageID: 0x0200, version: .v2013, phone: terminal.phone, serial: terminal.serial)
            return ByteBuffer(bytes: FrameEncoder.encode(body: body, header: header, messageID: 0x0200)[0])
        }
        try await withGateway(sink) { port, _ in
            // The strict default: not stored, not acknowledged, and the session goes on.
            try await withTerminalConnection(port: port) { send, receive in
                var strict = TestTerminal(phone)
                try await authenticate(&strict, send, receive)
                try await send(malformed(&strict))
                try await send(strict.frame(.heartbeat))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 2, replyID: 0x0002, result: .success)))
            }
            // Terminal 8's lenient profile keeps the position and marks the broken item.
            try await withTerminalConnection(port: port) { send, receive in
                var lenient = TestTerminal("13912340000")
                try await authenticate(&lenient, code: "AC-8", send, receive)
                try await send(malformed(&lenient))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0200, result: .success)))
            }
        }
        #expect(await sink.stored.map(\.terminalID) == [8])
        #expect(await sink.stored.first?.extras == #"{"0x31":{"satellites":9},"0x11":{"raw":"","badLength":true}}"#)
    }

    @Test func anUnsupportedMessageIsAnsweredUnsupported() async throws {
        try await withGateway(RecordingSink()) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                let header = MessageHeader(messageID: 0x0F01, version: .v2013, phone: terminal.phone, serial: 1)
                try await send(ByteBuffer(bytes: FrameEncoder.encode(body: [1, 2, 3], header: header, messageID: 0x0F01)[0]))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0F01, result: .unsupported)))
                // The session goes on.
                terminal.serial = 2
                try await send(terminal.frame(.heartbeat))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 2, replyID: 0x0002, result: .success)))
            }
        }
    }

    /// Issue 14: a report dated 2099 with the collision bit is stored for the quarantine (the
    /// store puts it there) but becomes no event.
    @Test func aReportFromTheFutureWithTheCollisionBitIsNoEvent() async throws {
        let sink = RecordingSink()
        try await withGateway(sink) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                var forged = position
                forged.alarm = .collisionWarning
                forged.time = DeviceTime(year: 2099, month: 12, day: 31, hour: 8, minute: 0, second: 0)
                try await send(terminal.frame(.location(forged)))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0200, result: .success)))
                // The same alarm at a believable time is an event.
                var genuine = position
                genuine.alarm = .collisionWarning
                try await send(terminal.frame(.location(genuine)))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 2, replyID: 0x0200, result: .success)))
            }
        }
        #expect(await sink.events.map(\.occurredAt) == [position.time.epochSeconds])
    }

    /// The gateway believes a report up to ten minutes ahead of its clock, and no further: its
    /// clock, not the machine's, decides.
    @Test func aReportMoreThanTenMinutesAheadOfTheGatewaysClockIsNoEvent() async throws {
        let sink = RecordingSink()
        let clock = ManualClock(Date(timeIntervalSince1970: TimeInterval(position.time.epochSeconds - GNSSTimeSanity.maximumLead)))
        try await withGateway(sink, clock: clock) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                var report = position
                report.alarm = .collisionWarning
                try await send(terminal.frame(.location(report)))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0200, result: .success)))
                // One second later by the terminal's clock, the gateway's standing still: too far ahead.
                report.alarm = [.collisionWarning, .emergency]
                report.time = DeviceTime(epochSeconds: position.time.epochSeconds + 1)
                try await send(terminal.frame(.location(report)))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 2, replyID: 0x0200, result: .success)))
            }
        }
        #expect(await sink.events.map(\.kind) == ["collisionWarning"])
        #expect(await sink.stored.count == 2)
    }

    /// Past a sub-package budget (the terminal's, then the gateway's), the oldest message in
    /// progress is evicted for the newest, which completes.
    @Test(arguments: [(perTerminal: 2_500, total: 1 << 20), (perTerminal: 4 << 20, total: 2_500)])
    func subpackageBudgetsEvictTheOldestMessageFirst(budget: (perTerminal: Int, total: Int)) async throws {
        let sink = RecordingSink()
        try await withGateway(
            sink,
            configure: {
                $0.subpackageBytesPerTerminal = budget.perTerminal
                $0.subpackageBytesTotal = budget.total
                $0.subpackageTimeout = .seconds(30)
            }
        ) { port, _ in
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(phone)
                try await authenticate(&terminal, send, receive)
                func parts(_ mediaID: UInt32, serial: UInt16) -> [[UInt8]] {
                    let upload = Message.multimediaUpload(
                        MultimediaUpload(
                            event: MultimediaEvent(mediaID: mediaID, mediaType: 0, format: 0, event: 1, channel: 1), location: position,
                            data: [UInt8](repeating: UInt8(mediaID), count: 2_000)
                        ))
                    let header = MessageHeader(messageID: upload.messageID, version: .v2013, phone: terminal.phone, serial: serial)
                    return FrameEncoder.encode(upload, header: header)
                }
                // Parts are keyed by phone, message id and part count: the second upload has three
                // parts, so the two are distinct messages in progress.
                let first = parts(1, serial: 1)
                try await send(ByteBuffer(bytes: first[0]))
                let second = FrameEncoder.encode(
                    .multimediaUpload(
                        MultimediaUpload(
                            event: MultimediaEvent(mediaID: 2, mediaType: 0, format: 0, event: 1, channel: 1), location: position,
                            data: [UInt8](repeating: 2, count: 2_200)
                        )),
                    header: MessageHeader(messageID: 0x0801, version: .v2013, phone: terminal.phone, serial: 3)
                )
                #expect(second.count == 3)
                for part in second { try await send(ByteBuffer(bytes: part)) }
                #expect(try await receive() == .multimediaUploadResponse(MultimediaUploadResponse(mediaID: 2)))
                // The first upload's last part comes too late: its first was evicted.
                try await send(ByteBuffer(bytes: first[1]))
                terminal.serial = 6
                try await send(terminal.frame(.heartbeat))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 6, replyID: 0x0002, result: .success)))
            }
        }
        #expect(await sink.media.map(\.mediaID) == [2])
    }
}
