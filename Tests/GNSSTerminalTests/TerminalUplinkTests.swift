import Foundation
import JT808
import Logging
import Testing

@testable import GNSSTerminal

/// The terminal's state machine without sockets: events in, actions out, every frame it sends
/// decoded by the codec the server uses.
@Suite struct TerminalUplinkTests {
    /// One uplink with its journal and state in a folder of its own, and a clock the test moves.
    final class Harness {
        let directory: URL
        let phone = TerminalPhone(digits: "013912340808", version: .v2013)!
        var uplink: TerminalUplink
        var now = ContinuousClock.now
        var fixTime: Int64 = 1_790_000_000
        var platformSerial: UInt16 = 100

        init(settings: TerminalSettings = TerminalSettings(serverHost: "fleet.example", serverPort: 6808, reportInterval: 1)) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("uplink-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            uplink = try Self.makeUplink(directory, phone: phone, settings: settings, now: now)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        static func makeUplink(_ directory: URL, phone: TerminalPhone, settings: TerminalSettings, now: ContinuousClock.Instant) throws -> TerminalUplink {
            let stateURL = directory.appendingPathComponent("state.json")
            return TerminalUplink(
                identity: TerminalIdentity(phone: phone, plate: "浙B80808D", plateColor: 5), settings: settings,
                journal: try ReportJournal(directory: directory, capacity: 1000), state: try TerminalState.load(from: stateURL),
                stateURL: stateURL, logger: Logger(label: "uplink-test"), now: now
            )
        }

        /// Simulates a restart: a new uplink on the same folder.
        func restart() throws {
            uplink = try Self.makeUplink(directory, phone: phone, settings: uplink.settings, now: now)
        }

        func advance(_ duration: Duration) { now = now.advanced(by: duration) }

        /// The next fix, a second after the previous one.
        func fix(course: Double = 90) -> [TerminalUplink.Action] {
            fixTime += 1
            let fix = GNSSFix(time: fixTime, mode: .threeDimensional, latitude: 30 + Double(fixTime % 1000) / 1e5, longitude: 120, speed: 10, track: course)
            return uplink.fixed(fix, wallClock: fixTime, now: now)
        }

        /// A platform frame arriving.
        func platform(_ message: Message) -> [TerminalUplink.Action] {
            platformSerial += 1
            return uplink.received(MessageHeader(messageID: message.messageID, version: .v2013, phone: phone, serial: platformSerial), message, now: now)
        }

        func ack(_ frame: DecodedFrame, result: ResponseResult = .success) -> [TerminalUplink.Action] {
            platform(.platformResponse(GeneralResponse(replySerial: frame.header.serial, replyID: frame.header.messageID, result: result)))
        }

        /// Connects, registers if needed, authenticates: returns what was sent once online.
        func bringOnline() throws -> [DecodedFrame] {
            #expect(uplink.tick(now: now) == [.connect(host: uplink.settings.serverHost, port: uplink.settings.serverPort)])
            var sent = try sentFrames(uplink.connected(now: now))
            if case .registration? = sent.first?.message {
                sent = try sentFrames(
                    platform(.registrationResponse(RegistrationResponse(replySerial: sent[0].header.serial, result: .success, authCode: "CODE-1"))))
            }
            guard case .authentication? = sent.first?.message else {
                Issue.record("no authentication: \(sent)")
                return []
            }
            return try sentFrames(ack(sent[0]))
        }
    }

    static func frames(_ actions: [TerminalUplink.Action]) throws -> [DecodedFrame] {
        try actions.compactMap { action in
            guard case .send(let wire) = action else { return nil }
            return try Framing.unescape(wire: wire).withFrame { f throws(JT808Error) in try FrameDecoder().decode(f) }
        }
    }

    @Test func registersOnceThenUploadsTheBlindZoneBeforeLiveReports() throws {
        let h = try Harness()
        // Offline: 30 fixes are kept, nothing is sent.
        for _ in 0..<30 { #expect(h.fix().isEmpty) }
        #expect(h.uplink.journal.pendingCount == 30)

        #expect(h.uplink.tick(now: h.now) == [.connect(host: "fleet.example", port: 6808)])
        let registration = try sentFrames(h.uplink.connected(now: h.now))
        guard case .registration(let r)? = registration.first?.message else {
            Issue.record("expected 0x0100, got \(registration)")
            return
        }
        #expect(r.plate == "浙B80808D" && r.plateColor == 5 && r.terminalID == "2340808")
        let auth = try sentFrames(
            h.platform(.registrationResponse(RegistrationResponse(replySerial: registration[0].header.serial, result: .success, authCode: "CODE-1"))))
        #expect(auth.first?.message == .authentication(Authentication(authCode: "CODE-1")))
        #expect(try TerminalState.load(from: h.directory.appendingPathComponent("state.json")).authCode == "CODE-1")

        // Online: two 0x0704 batches of type 1 (26 reports of 39 bytes fit in 1023), nothing live.
        let backlog = try sentFrames(h.ack(auth[0]))
        let batches = backlog.compactMap { frame -> LocationBatch? in
            if case .locationBatch(let b)? = frame.message { return b } else { return nil }
        }
        #expect(batches.count == 2 && backlog.count == 2)
        #expect(batches.map(\.locations.count) == [26, 4] && batches.allSatisfy(\.isBackfill))
        #expect(batches.flatMap(\.locations) == h.uplink.journal.pending.map(\.report), "in order, each once")
        // A live fix waits while the backlog is in flight.
        #expect(h.fix().isEmpty)
        #expect(try sentFrames(h.ack(backlog[0])).isEmpty)
        #expect(h.uplink.journal.pendingCount == 5)
        let live = try sentFrames(h.ack(backlog[1]))
        guard case .location(let report)? = live.first?.message, live.count == 1 else {
            Issue.record("expected one 0x0200, got \(live)")
            return
        }
        #expect(report.time.epochSeconds == h.fixTime)
        #expect(try sentFrames(h.ack(live[0])).isEmpty)
        #expect(h.uplink.journal.pendingCount == 0)
    }

    @Test func unansweredReportsAreRetransmittedWithBackOffThenTheConnectionIsGivenUp() throws {
        let h = try Harness()
        _ = try h.bringOnline()
        let sent = try sentFrames(h.fix())
        #expect(sent.count == 1)
        #expect(h.fix().count == 1, "a second report joins the window")
        // Answer timeout 10 s, then 2x, 3x (T(n) = T(n-1) x (n+1)): resent at 10, 30, 60 s.
        h.advance(.seconds(9))
        #expect(try sentFrames(h.uplink.tick(now: h.now)).filter { $0.header.serial == sent[0].header.serial }.isEmpty)
        for wait in [1, 20, 30] {
            h.advance(.seconds(wait))
            let again = try sentFrames(h.uplink.tick(now: h.now))
            #expect(again.contains { $0.header.serial == sent[0].header.serial && $0.message == sent[0].message }, "resend after \(wait) s")
        }
        // After the third retry's 40 s the connection is given up; the reports stay.
        h.advance(.seconds(40))
        #expect(h.uplink.tick(now: h.now).contains(.close))
        _ = h.uplink.disconnected(now: h.now)
        #expect(h.uplink.journal.pendingCount == 2)
        // On the next connection they go up as blind-zone backlog.
        h.advance(.seconds(1))
        let next = try h.bringOnline()
        guard case .locationBatch(let batch)? = next.first?.message else {
            Issue.record("expected 0x0704, got \(next)")
            return
        }
        #expect(batch.locations.count == 2 && batch.isBackfill)
    }

    @Test func aRestartAuthenticatesWithTheStoredCodeAndResendsOnlyWhatWasNotAcknowledged() throws {
        let h = try Harness()
        _ = try h.bringOnline()
        let first = try sentFrames(h.fix())
        _ = try sentFrames(h.ack(first[0]))
        _ = h.fix()  // sent, never answered
        let odometer = h.uplink.odometer.meters
        #expect(odometer > 0)
        try h.restart()
        #expect(h.uplink.odometer.meters == odometer, "the mileage counter carries on across restarts")
        #expect(h.uplink.tick(now: h.now) == [.connect(host: "fleet.example", port: 6808)])
        let hello = try sentFrames(h.uplink.connected(now: h.now))
        #expect(hello.first?.message == .authentication(Authentication(authCode: "CODE-1")), "no second registration")
        let resent = try sentFrames(h.ack(hello[0]))
        guard case .locationBatch(let batch)? = resent.first?.message else {
            Issue.record("expected 0x0704, got \(resent)")
            return
        }
        #expect(batch.locations.map(\.time.epochSeconds) == [h.fixTime], "only the unacknowledged report")
    }

    @Test func aRefusedAuthenticationForgetsTheCodeAndRegistersAgain() throws {
        let h = try Harness()
        _ = try h.bringOnline()
        _ = h.uplink.disconnected(now: h.now)
        h.advance(.seconds(2))
        _ = h.uplink.tick(now: h.now)
        let hello = try sentFrames(h.uplink.connected(now: h.now))
        #expect(h.ack(hello[0], result: .failure) == [.close])
        _ = h.uplink.disconnected(now: h.now)
        h.advance(.seconds(2))
        _ = h.uplink.tick(now: h.now)
        guard case .registration? = try sentFrames(h.uplink.connected(now: h.now)).first?.message else {
            Issue.record("expected a registration after the refusal")
            return
        }
    }

    @Test func theTerminalAnswersThePlatformsCommands() throws {
        let h = try Harness()
        _ = try h.bringOnline()
        _ = try sentFrames(h.fix()).map { h.ack($0) }

        // 0x8103: accepted, applied, kept across restarts.
        let set = try sentFrames(
            h.platform(
                .setParameters([
                    TerminalParameter(id: TerminalParameter.ID.defaultReportInterval, value: .dword(5)),
                    TerminalParameter(id: TerminalParameter.ID.heartbeatInterval, value: .dword(45)),
                ])))
        #expect(set.first?.message == .terminalResponse(GeneralResponse(replySerial: h.platformSerial, replyID: 0x8103, result: .success)))
        #expect(h.uplink.settings.reportInterval == 5 && h.uplink.policy.interval == 5)
        #expect(try TerminalState.load(from: h.directory.appendingPathComponent("state.json")).settings?.heartbeatInterval == 45)
        // Unknown ids or absurd values: refused, nothing changed.
        let refused = try sentFrames(
            h.platform(
                .setParameters([
                    TerminalParameter(id: TerminalParameter.ID.defaultReportInterval, value: .dword(7)),
                    TerminalParameter(id: TerminalParameter.ID.serverTCPPort, value: .dword(70_000)),
                ])))
        #expect(refused.first?.message == .terminalResponse(GeneralResponse(replySerial: h.platformSerial, replyID: 0x8103, result: .failure)))
        #expect(h.uplink.settings.reportInterval == 5)

        // 0x8104 and 0x8106: the parameters, answering the query's serial.
        guard case .parameterReply(let all)? = try sentFrames(h.platform(.queryParameters)).first?.message else {
            Issue.record("no 0x0104")
            return
        }
        #expect(all.replySerial == h.platformSerial && all[TerminalParameter.ID.defaultReportInterval] == .dword(5))
        #expect(all[TerminalParameter.ID.mainServerAddress] == .string("fleet.example"))
        guard case .parameterReply(let some)? = try sentFrames(h.platform(.querySpecificParameters([0x0001]))).first?.message else {
            Issue.record("no 0x0104")
            return
        }
        #expect(some.parameters == [TerminalParameter(id: 0x0001, value: .dword(45))])

        // 0x8201: the last fix, now.
        guard case .locationReply(let located)? = try sentFrames(h.platform(.locateNow)).first?.message else {
            Issue.record("no 0x0201")
            return
        }
        #expect(located.replySerial == h.platformSerial && located.location.time.epochSeconds == h.fixTime)

        // 0x8202: every second for 3 s, although the interval is 5 s.
        #expect(
            try sentFrames(h.platform(.tracking(TrackingControl(intervalSeconds: 1, validitySeconds: 3)))).first?.message
                == .terminalResponse(GeneralResponse(replySerial: h.platformSerial, replyID: 0x8202, result: .success)))
        #expect(try sentFrames(h.fix()).count == 1)

        // 0x8300 is logged and acknowledged; what gps808 cannot do is "not supported".
        #expect(
            try sentFrames(h.platform(.text(TextMessage(flags: .display, text: "请回电")))).first?.message
                == .terminalResponse(GeneralResponse(replySerial: h.platformSerial, replyID: 0x8300, result: .success)))
        #expect(
            try sentFrames(h.platform(.terminalControl(TerminalControl(command: 4)))).first?.message
                == .terminalResponse(GeneralResponse(replySerial: h.platformSerial, replyID: 0x8105, result: .unsupported)))

        // 0x8107: what it is.
        guard case .attributes(let attributes)? = try sentFrames(h.platform(.queryAttributes)).first?.message else {
            Issue.record("0x8107 not answered with 0x0107")
            return
        }
        #expect(attributes.model == "GPS808" && attributes.firmwareVersion == "gps808" && attributes.terminalID == String(h.phone.description.suffix(7)))

        // 0x8801: one photo, answered 0x0805 with its id, then uploaded as 0x0801 in three
        // sub-packages with consecutive serials, the JPEG at the end of the reassembled body.
        let camera = CameraCommand(
            channel: 1, command: 1, interval: 0, saveFlag: 0, resolution: 1, quality: 5, brightness: 127, contrast: 63, saturation: 63, chroma: 127)
        let photo = try sentFrames(h.platform(.camera(camera)))
        #expect(photo.first?.message == .cameraReply(CameraReply(replySerial: h.platformSerial, result: 0, mediaIDs: [1])))
        let parts = photo.dropFirst()
        #expect(parts.map(\.header.messageID) == [0x0801, 0x0801, 0x0801] && parts.map { $0.header.packet?.index } == [1, 2, 3])
        #expect(zip(parts, parts.dropFirst()).allSatisfy { $0.header.serial &+ 1 == $1.header.serial })
        let body = parts.flatMap { frame -> [UInt8] in
            guard case .part(let bytes) = frame.content else { return [] }
            return bytes
        }
        #expect(body.suffix(SamplePhoto.jpeg.count).elementsEqual(SamplePhoto.jpeg) && body.count == SamplePhoto.jpeg.count + 8 + 28)
        // No video, no second camera.
        let video = CameraCommand(
            channel: 1, command: 0xFFFF, interval: 10, saveFlag: 0, resolution: 1, quality: 5, brightness: 127, contrast: 63, saturation: 63, chroma: 127)
        #expect(
            try sentFrames(h.platform(.camera(video))).first?.message
                == .terminalResponse(GeneralResponse(replySerial: h.platformSerial, replyID: 0x8801, result: .unsupported)))
    }

    @Test func aNewServerAddressIsAnsweredThenConnectedTo() throws {
        let h = try Harness()
        _ = try h.bringOnline()
        let actions = h.platform(
            .setParameters([
                TerminalParameter(id: TerminalParameter.ID.mainServerAddress, value: .string("backup.example")),
                TerminalParameter(id: TerminalParameter.ID.serverTCPPort, value: .dword(7808)),
            ]))
        #expect(actions.count == 2 && actions.last == .close)
        #expect(
            try sentFrames([actions[0]]).first?.message == .terminalResponse(GeneralResponse(replySerial: h.platformSerial, replyID: 0x8103, result: .success)))
        _ = h.uplink.disconnected(now: h.now)
        h.advance(.seconds(1))
        #expect(h.uplink.tick(now: h.now) == [.connect(host: "backup.example", port: 7808)])
    }

    @Test func aServerThatNeverAnswersTheHandshakeIsGivenUp() throws {
        let h = try Harness()
        _ = h.uplink.tick(now: h.now)
        #expect(try sentFrames(h.uplink.connected(now: h.now)).count == 1)
        h.advance(.seconds(9))
        #expect(h.uplink.tick(now: h.now).isEmpty)
        h.advance(.seconds(1))
        #expect(h.uplink.tick(now: h.now) == [.close], "10 s without 0x8100")
        _ = h.uplink.disconnected(now: h.now)
        #expect(!h.uplink.isOnline)
    }

    @Test func silenceIsFilledWithHeartbeats() throws {
        let h = try Harness(settings: TerminalSettings(serverHost: "fleet.example", heartbeatInterval: 30))
        _ = try h.bringOnline()
        h.advance(.seconds(29))
        #expect(try sentFrames(h.uplink.tick(now: h.now)).isEmpty)
        h.advance(.seconds(1))
        #expect(try sentFrames(h.uplink.tick(now: h.now)).map(\.message) == [.heartbeat])
        h.advance(.seconds(1))
        #expect(try sentFrames(h.uplink.tick(now: h.now)).isEmpty)
    }
}

private func sentFrames(_ actions: [TerminalUplink.Action]) throws -> [DecodedFrame] { try TerminalUplinkTests.frames(actions) }
