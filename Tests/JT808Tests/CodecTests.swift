import Domain
import JT808
import Testing

@Suite struct FramingTests {
    @Test func escapingBothWays() throws {
        let content: [UInt8] = [0x30, 0x7e, 0x08, 0x7d, 0x55]
        let wire = Framing.wire(content: content)
        // 7e | 30 7d02 08 7d01 55 | check | 7e
        #expect(Array(wire.prefix(8)) == [0x7e, 0x30, 0x7d, 0x02, 0x08, 0x7d, 0x01, 0x55])
        let back = try Framing.unescape(wire: wire)
        #expect(back.bytes.dropLast() == content[...] && back.checksumValid)
    }

    @Test func missingDelimitersAreBadDelimiter() {
        #expect(codecError { _ = try Framing.unescape(wire: [0x00, 0x02, 0x7e]) }?.code == .badDelimiter)
        #expect(codecError { _ = try Framing.unescape(wire: [0x7e]) }?.code == .badDelimiter)
    }

    @Test func overlongFrameIsAnErrorAndTheNextFrameSurvives() throws {
        let good = Vector.named("sc-0002-heartbeat").bytes
        let stream = [0x7e] + [UInt8](repeating: 0x41, count: 5000) + good
        let results = split(stream)
        #expect(results.count == 2)
        #expect(codecError { _ = try results[0].get() }?.code == .frameTooLong)
        #expect(try results[1].get().bytes == Framing.unescape(wire: good).bytes)
    }

    @Test func badEscapeThenResynchronises() throws {
        let good = Vector.named("sc-0002-heartbeat").bytes
        let results = split([0x7e, 0x01, 0x7d, 0x03, 0x02, 0x7e] + good)
        #expect(codecError { _ = try results[0].get() }?.code == .badEscape)
        #expect(try results.last?.get().checksumValid == true)
    }

    @Test func missingClosingDelimiterAtTheEndOfTheStream() throws {
        let good = Vector.named("sc-0002-heartbeat").bytes
        var splitter = FrameSplitter()
        var frames: [UnescapedFrame.Owned] = []
        Array(good.dropLast()).withUnsafeBytes { chunk in
            splitter.feed(chunk) { if case .frame(let f) = $0 { frames.append(f.owned()) } }
        }
        #expect(frames.isEmpty && splitter.pendingBytes == good.count - 2)
        splitter.finish { if case .frame(let f) = $0 { frames.append(f.owned()) } }
        #expect(frames.count == 1 && frames[0].checksumValid)
    }

    @Test func twoFramesSharingOneDelimiter() throws {
        // Some terminals send 7e A 7e B 7e: the middle delimiter both closes and opens.
        let a = Vector.named("sc-0002-heartbeat").bytes
        let b = Vector.named("sc-0003-logout").bytes
        let frames = split(a + b.dropFirst())
        #expect(try frames.map { try $0.get().checksumValid } == [true, true])
    }
}

@Suite struct TextAndTimeTests {
    @Test(arguments: [("粤A12345", "d4c1413132333435"), ("测A1234", "b2e24131323334"), ("测试123@456#abc+结束", "b2e2cad431323340343536236162632bbde1caf8")])
    func gbkBothWays(_ text: String, _ hex: String) {
        #expect(FrameJSON.hex(GBK.encode(text)) == hex)
        #expect(GBK.decode(bytes(hex)) == text)
    }

    @Test func invalidGBKDoesNotFail() {
        // 0x81 alone is a lead byte without its trail byte.
        let text = GBK.decode([0x41, 0x81])
        #expect(text.hasPrefix("A"))
    }

    @Test func deviceTimeIsChinaTimeByDefault() {
        let t = DeviceTime(year: 2023, month: 1, day: 25, hour: 14, minute: 51, second: 58)
        #expect(t.epochSeconds == 1_674_629_518)  // 2023-01-25T06:51:58Z
        #expect(DeviceTime(epochSeconds: 1_674_629_518) == t)
        let utc = DeviceTime(year: 2023, month: 1, day: 25, hour: 6, minute: 51, second: 58, utcOffsetMinutes: 0)
        #expect(utc.epochSeconds == t.epochSeconds && utc.description == "2023-01-25T06:51:58+00:00")
    }

    @Test func invalidBCDTimeIsABadField() throws {
        var wire = try Framing.unescape(wire: Vector.named("sc-0200-basic").bytes).bytes.dropLast()
        // Month 13 in the BCD time (body offset 22 = frame offset 12 + 22 + 1).
        wire[12 + 23] = 0x13
        let error = codecError { _ = try decodeWire(Framing.wire(content: Array(wire))) }
        #expect(error?.code == .badField && error?.offset == 12 + 22)
    }

    @Test func alarmAndStatusBitsKeepTheir2019Meanings() {
        // Bit 2 is fatigue driving and bit 18 the day's cumulative driving time exceeded.
        #expect(AlarmFlags(rawValue: 1 << 2).names == ["fatigueDriving"])
        #expect(AlarmFlags(rawValue: 1 << 18).names == ["dailyDrivingTimeExceeded"])
        #expect(AlarmFlags(rawValue: 0b11).names == ["emergency", "overspeed"])
        // Bits 15-17, reserved before 2019: violation driving, tyre pressure, right-turn blind area.
        #expect(AlarmFlags(rawValue: 0b111 << 15).names == ["violationDriving", "tyrePressureWarning", "rightTurnBlindAreaAbnormal"])
        #expect(AlarmFlags.named.map(\.flag.rawValue.trailingZeroBitCount) == Array(0...31))
        let status = StatusFlags(rawValue: 0b11_0000_0011 | 1 << 2)
        #expect(status.contains([.accOn, .positioned, .southLatitude]) && status.load == 3)
    }

    @Test func phoneDigits() {
        let phone = TerminalPhone(digits: "13912345678", version: .v2013)!
        #expect(phone.description == "013912345678" && phone.number == "13912345678")
        #expect(phone.resized(for: .v2019).description == "00000000013912345678")
        #expect(TerminalPhone(digits: "123456789012345678901", version: .v2019) == nil)
    }
}

@Suite struct JSONTests {
    @Test func locationLineIsExactlyTheDocumentedJSON() {
        var session = DecodeSession()
        let line = session.decode(hex: Vector.named("sc-0200-basic").hex)
        #expect(line.ok)
        #expect(
            line.json
                == #"{"msgId":"0x0200","version":"2013","phone":"112233445566","serial":8888,"encrypted":false,"body":{"alarm":1,"status":2,"lat":12.222222,"lon":132.444444,"altitudeM":40,"speedKmh":6.0,"course":0,"time":"2018-07-15T10:10:10+08:00","extras":{"0x01":{"mileageKm":10.0},"0x02":{"fuelL":5.5}}}}"#
        )
    }

    @Test func registrationAndResponses() {
        var session = DecodeSession()
        #expect(
            session.decode(hex: Vector.named("sc-0100-2011").hex).json
                == #"{"msgId":"0x0100","version":"2011","phone":"000123456789","serial":10,"encrypted":false,"body":{"province":40,"city":50,"manufacturer":"1234","model":"tk12345","terminalId":"CHI123","plateColor":1,"plate":"粤A12345"}}"#
        )
        #expect(
            session.decode(hex: Vector.named("go-8001").hex).json
                == #"{"msgId":"0x8001","version":"2013","phone":"012345678901","serial":0,"encrypted":false,"body":{"replySerial":32767,"replyId":"0x0002","result":0}}"#
        )
        #expect(session.decode(hex: Vector.named("go-8100-2013").hex).json.hasSuffix(#""body":{"replySerial":0,"result":0,"authCode":"12345678901"}}"#))
        #expect(session.decode(hex: Vector.named("sc-0002-heartbeat").hex).json.hasSuffix(#""body":{}}"#))
    }

    /// No shared vector has a 0x8800; its body is laid out by hand from the standard (2013,
    /// table 81): media id DWORD, retransmit count BYTE, packet ids WORD each.
    @Test func multimediaUploadResponseBytes() throws {
        let all = Message.multimediaUploadResponse(MultimediaUploadResponse(mediaID: 0x0102_0304))
        #expect(all.encodeBody(version: .v2013) == [0x01, 0x02, 0x03, 0x04, 0x00])
        let some = Message.multimediaUploadResponse(MultimediaUploadResponse(mediaID: 9, retransmitPacketIDs: [2, 0x0103]))
        #expect(some.encodeBody(version: .v2013) == [0, 0, 0, 9, 2, 0x00, 0x02, 0x01, 0x03])
        // And as `fleetd decode` prints it.
        let frame = FrameEncoder.encode(
            .multimediaUploadResponse(MultimediaUploadResponse(mediaID: 9)),
            header: MessageHeader(messageID: 0x8800, version: .v2013, phone: TerminalPhone(digits: "13912345678", version: .v2013)!, serial: 1))[0]
        var session = DecodeSession()
        #expect(session.decode(hex: FrameJSON.hex(frame)).json.hasSuffix(#""body":{"mediaId":9,"packetIds":[]}}"#))
    }

    /// SmallChi/JT808's own vector (src/JT808.Protocol.Test/MessageBody/JT808_0x8203Test.cs):
    /// alarm serial 5554 and alarm type 123 serialise to `15B20000007B`, and back.
    @Test func alarmConfirmationBytes() throws {
        let confirmation = Message.alarmConfirmation(AlarmConfirmation(alarmSerial: 5554, alarms: AlarmFlags(rawValue: 123)))
        #expect(confirmation.encodeBody(version: .v2013) == bytes("15B20000007B"))
        let decoded = try bytes("15B20000007B").withUnsafeBytes { body throws(JT808Error) in
            try Message.decode(messageID: 0x8203, body: body, context: DecodeContext(version: .v2013))
        }
        guard case .alarmConfirmation(let c) = decoded else {
            Issue.record("not an alarm confirmation: \(decoded)")
            return
        }
        #expect(c.alarmSerial == 5554 && c.alarms.rawValue == 123)
        // An emergency alarm raised by report 7, as the gateway sends it: the whole frame.
        let frame = FrameEncoder.encode(
            .alarmConfirmation(AlarmConfirmation(alarmSerial: 7, alarms: .emergency)),
            header: MessageHeader(messageID: 0x8203, version: .v2013, phone: TerminalPhone(digits: "13912345678", version: .v2013)!, serial: 1))[0]
        #expect(FrameJSON.hex(frame) == "7e820300060139123456780001000700000001b07e")
        var session = DecodeSession()
        #expect(session.decode(hex: FrameJSON.hex(frame)).json.hasSuffix(#""body":{"alarmSerial":7,"alarm":1}}"#))
    }

    @Test func vendorItemsThroughAProfile() {
        var plain = DecodeSession()
        var huabao = DecodeSession(profile: profiles["huabao"])
        let hex = Vector.named("tr-0200-power-0x2b").hex
        // Given unescaped with delimiters: the session takes 7e-framed input as wire form, and
        // this frame has no bytes that need escaping, so both read the same.
        #expect(plain.decode(hex: hex).json.contains(#""0xE1":{"raw":"0072"}"#))
        #expect(huabao.decode(hex: hex).json.contains(#""0xE1":{"powerV":11.4}"#))
    }

    @Test func errorsAreTyped() {
        var session = DecodeSession()
        #expect(session.decode(hex: Vector.named("go-bad-checksum").hex).json.hasPrefix(#"{"error":{"code":"badChecksum","#))
        #expect(session.decode(hex: "7e 02 00 7d 03 7e").json.hasPrefix(#"{"error":{"code":"badEscape","#))
        #expect(session.decode(hex: "zz").json.hasPrefix(#"{"error":{"code":"badHex","#))
        let unsupported = session.decode(
            hex: Framing.wire(content: [0x12, 0x34, 0x00, 0x01, 0, 0, 0, 0, 0, 1, 0, 1, 0xAA]).map { String($0, radix: 16) }.map {
                $0.count == 1 ? "0" + $0 : $0
            }.joined())
        #expect(!unsupported.ok)
        #expect(
            unsupported.json.hasPrefix(#"{"msgId":"0x1234""#) && unsupported.json.contains(#""body":{"raw":"aa"}"#)
                && unsupported.json.contains("unsupportedMessage"))
    }

    @Test(arguments: [(Int64(532), 1, "53.2"), (0, 1, "0.0"), (-81_325_702, 6, "-81.325702"), (5, 6, "0.000005"), (42, 0, "42")])
    func exactDecimals(_ value: Int64, _ decimals: Int, _ text: String) {
        #expect(FrameJSON.decimal(value, decimals) == text)
    }
}

/// Hostile input: every mutation of every vector decodes or fails with a typed error; none traps.
/// (The libFuzzer target under Fuzz/ does this at scale; this keeps a floor in every test run.)
@Suite struct HostileInputTests {
    @Test func mutatedVectorsNeverCrash() throws {
        var rng = SeededRandom(seed: 42)
        var decoded = 0, rejected = 0
        for v in Vector.all {
            for _ in 0..<300 {
                var b = v.bytes
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<b.count, using: &rng)
                    switch Int.random(in: 0...2, using: &rng) {
                    case 0: b[i] = UInt8.random(in: 0...255, using: &rng)
                    case 1: b.remove(at: i); if b.isEmpty { b = [0x7e] }
                    default: b.insert(UInt8.random(in: 0...255, using: &rng), at: i)
                    }
                }
                for result in split(b) {
                    do {
                        _ = try result.get().withFrame { f throws(JT808Error) in try FrameDecoder(acceptsBadChecksum: true).decode(f) }
                        decoded += 1
                    } catch {
                        rejected += 1
                    }
                }
            }
        }
        #expect(decoded > 1000 && rejected > 1000)
    }
}
