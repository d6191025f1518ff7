import Domain
import JT808
import Testing

/// A deterministic generator, so failures reproduce from the seed.
typealias SeededRandom = SplitMix64

/// Generates canonical messages: values that the wire can carry exactly (no padding characters
/// at the ends of fixed fields, valid dates, typed parameters as the standard types them).
struct MessageGenerator {
    var rng: SeededRandom

    mutating func int<T: FixedWidthInteger>(_: T.Type = T.self) -> T { T.random(in: T.min...T.max, using: &rng) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func bool() -> Bool { Bool.random(using: &rng) }
    mutating func bytes(_ range: ClosedRange<Int>) -> [UInt8] { (0..<int(range)).map { _ in int(UInt8.self) } }

    /// GBK-encodable text of at most `maxBytes` bytes, not starting with '0' (2019 left padding)
    /// and without padding characters at the ends.
    mutating func text(maxBytes: Int) -> String {
        let pieces = ["A", "b", "7", "z", "-", "粤", "京", "测", "试", "结", "束", "@"]
        var out = ""
        var used = 0
        for _ in 0..<int(0...maxBytes) {
            let p = pieces[int(0...pieces.count - 1)]
            let n = p.utf8.count == 1 ? 1 : 2
            if used + n > maxBytes { break }
            out += p
            used += n
        }
        return out
    }

    mutating func time() -> DeviceTime {
        DeviceTime(year: int(2000...2099), month: int(1...12), day: int(1...28), hour: int(0...23), minute: int(0...59), second: int(0...59))
    }

    mutating func location(extras withExtras: Bool = true) -> LocationReport {
        var x = LocationExtras()
        if withExtras {
            if bool() { x.mileage = int() }
            if bool() { x.fuel = int() }
            if bool() { x.recorderSpeed = int() }
            if bool() { x.alarmEventID = int() }
            if bool() { x.carriageTemperature = int() }
            if bool() { x.overspeed = OverspeedExtra(locationType: int(), areaID: bool() ? int() : nil) }
            if bool() { x.areaAlarm = AreaAlarmExtra(locationType: int(), areaID: int(), direction: int()) }
            if bool() { x.routeTime = RouteTimeExtra(sectionID: int(), drivingSeconds: int(), result: int()) }
            if bool() { x.vehicleSignals = int() }
            if bool() { x.ioStatus = int() }
            if bool() { x.analog = int() }
            if bool() { x.signalStrength = int() }
            if bool() { x.satellites = int() }
            // Vendor items after the standard ones, at the positions decoding will give them.
            let standard = [
                x.mileage != nil, x.fuel != nil, x.recorderSpeed != nil, x.alarmEventID != nil, x.carriageTemperature != nil,
                x.overspeed != nil, x.areaAlarm != nil, x.routeTime != nil, x.vehicleSignals != nil, x.ioStatus != nil,
                x.analog != nil, x.signalStrength != nil, x.satellites != nil,
            ].filter { $0 }.count
            for i in 0..<int(0...3) {
                x.others.append(RawExtra(id: UInt8(int(0xE0...0xFF)), bytes: bytes(0...40), position: UInt8(standard + i)))
            }
        }
        return LocationReport(
            alarm: AlarmFlags(rawValue: int()), status: StatusFlags(rawValue: int()), latitudeMicrodegrees: int(),
            longitudeMicrodegrees: int(), altitude: int(), speed: int(), course: int(), time: time(), extras: x
        )
    }

    mutating func parameter() -> TerminalParameter {
        switch int(0...4) {
        case 0: return TerminalParameter(id: TerminalParameter.ID.mainServerAddress, value: .string(text(maxBytes: 40)))
        case 1: return TerminalParameter(id: 0x0084, value: .byte(int()))
        case 2: return TerminalParameter(id: 0x0031, value: .word(int()))
        case 3: return TerminalParameter(id: UInt32(int(0x0001...0x0009)), value: .dword(int()))
        default:
            var raw = bytes(5...40)
            if raw.count == 4 { raw.append(0) }
            return TerminalParameter(id: 0xF000_0000 | UInt32(int(0...0xFFFF)), value: .bytes(raw))
        }
    }

    /// One message of the given case index (0..<count), and the editions it may travel in.
    static let count = 34
    mutating func message(_ index: Int) -> (Message, [ProtocolVersion]) {
        let modern: [ProtocolVersion] = [.v2013, .v2019]
        switch index {
        case 0: return (.terminalResponse(GeneralResponse(replySerial: int(), replyID: int(), rawResult: UInt8(int(0...3)))), modern)
        case 1: return (.heartbeat, modern)
        case 2: return (.logout, modern)
        case 3:
            let version = [ProtocolVersion.v2011, .v2013, .v2019][int(0...2)]
            let widths = version == .v2019 ? (11, 30, 30) : version == .v2013 ? (5, 20, 7) : (5, 8, 7)
            let plate = text(maxBytes: version == .v2011 ? 11 : 12)
            return (
                .registration(
                    Registration(
                        province: int(), city: int(), manufacturer: text(maxBytes: widths.0), model: text(maxBytes: widths.1),
                        terminalID: text(maxBytes: widths.2), plateColor: int(), plate: plate)), [version]
            )
        case 4: return (.authentication(Authentication(authCode: text(maxBytes: 30))), [.v2013])
        case 5:
            return (
                .authentication(
                    Authentication(
                        authCode: text(maxBytes: 60), imei: String(int(100_000_000_000_000...999_999_999_999_999)), softwareVersion: text(maxBytes: 20))),
                [.v2019]
            )
        case 6: return (.parameterReply(ParameterReply(replySerial: int(), parameters: (0..<int(0...8)).map { _ in parameter() })), modern)
        case 7:
            let iccid = String(int(10_000_000_000...99_999_999_999)) + String(int(100_000_000...999_999_999))
            return (
                .attributes(
                    TerminalAttributes(
                        terminalType: int(), manufacturer: text(maxBytes: 5), model: text(maxBytes: 20), terminalID: text(maxBytes: 7), iccid: iccid,
                        hardwareVersion: text(maxBytes: 10), firmwareVersion: text(maxBytes: 10), gnssAttributes: int(), communicationAttributes: int())),
                [.v2013]
            )
        case 8: return (.location(location()), modern)
        case 9: return (.locationReply(LocationReply(replySerial: int(), location: location())), modern)
        case 10:
            var batch = LocationBatch(kind: bool() ? .normal : .blindZone, locations: (0..<int(0...6)).map { _ in location() })
            batch.kind = UInt8(int(0...1))
            return (.locationBatch(batch), modern)
        case 11: return (.multimediaEvent(MultimediaEvent(mediaID: int(), mediaType: int(), format: int(), event: int(), channel: int())), modern)
        case 12:
            // Up to 3 KB of media: larger than one frame, so this also exercises sub-packages.
            return (
                .multimediaUpload(
                    MultimediaUpload(
                        event: MultimediaEvent(mediaID: int(), mediaType: 0, format: 0, event: int(), channel: int()), location: location(extras: false),
                        data: bytes(0...3000))), modern
            )
        case 13: return (.passthrough(Passthrough(kind: int(), data: bytes(0...100))), modern)
        case 14: return (.platformResponse(GeneralResponse(replySerial: int(), replyID: int(), rawResult: UInt8(int(0...4)))), modern)
        case 15: return (.resendRequest(ResendRequest(originalSerial: int(), packetIndices: (0..<int(0...20)).map { _ in int() })), modern)
        case 16:
            let ok = bool()
            return (
                .registrationResponse(
                    RegistrationResponse(replySerial: int(), result: ok ? .success : .terminalUnknown, authCode: ok ? text(maxBytes: 40) : nil)), modern
            )
        case 17: return (.setParameters((0..<int(0...8)).map { _ in parameter() }), modern)
        case 18: return (.queryParameters, modern)
        case 19: return (.terminalControl(TerminalControl(command: int(), parameters: text(maxBytes: 30))), modern)
        case 20: return (.querySpecificParameters((0..<int(0...10)).map { _ in int() }), modern)
        case 21: return (.queryAttributes, modern)
        case 22: return (.locateNow, modern)
        case 23: return (.tracking(TrackingControl(intervalSeconds: int(), validitySeconds: int())), modern)
        case 24:
            let v2019 = bool()
            return (
                .text(TextMessage(flags: TextMessage.Flags(rawValue: int()), textType: v2019 ? UInt8(int(1...2)) : nil, text: text(maxBytes: 200))),
                [v2019 ? .v2019 : .v2013]
            )
        case 27:
            let version = [ProtocolVersion.v2011, .v2013, .v2019][int(0...2)]
            // A 2011 name starts with a Chinese character, as names do: its first byte tells the layout.
            let name = "张" + text(maxBytes: 20)
            guard version != .v2011 else {
                return (
                    .driverIdentity(
                        DriverIdentity(
                            cardStatus: nil, time: nil, name: name, certificate: text(maxBytes: 40), authority: text(maxBytes: 30),
                            idNumber: String(int(100_000_000...999_999_999)))), [version]
                )
            }
            switch int(0...2) {
            case 0: return (.driverIdentity(DriverIdentity(cardStatus: .removed, time: time())), [version])
            case 1: return (.driverIdentity(DriverIdentity(cardStatus: .inserted, time: time(), readResult: UInt8(int(1...4)))), [version])
            default:
                return (
                    .driverIdentity(
                        DriverIdentity(
                            cardStatus: .inserted, time: time(), readResult: 0, name: name, certificate: text(maxBytes: 20), authority: text(maxBytes: 30),
                            validity: CardDate(year: int(2000...2099), month: int(1...12), day: int(1...28)),
                            idNumber: version == .v2019 ? String(int(100_000_000...999_999_999)) : nil)), [version]
                )
            }
        case 28:
            let items = (0..<int(0...20)).map { _ in CANBusData.Item(canID: int(), data: bytes(8...8)) }
            return (
                .canBusData(
                    CANBusData(
                        hour: UInt8(int(0...23)), minute: UInt8(int(0...59)), second: UInt8(int(0...59)), millisecond: UInt16(int(0...999)), items: items)),
                modern
            )
        case 29: return (.upgradeResult(UpgradeResult(kind: int(), result: int())), modern)
        case 30:
            let v2019 = bool()
            return (
                .upgradePackage(
                    UpgradePackage(kind: int(), manufacturer: text(maxBytes: v2019 ? 11 : 5), version: text(maxBytes: 30), package: bytes(0...2500))),
                [v2019 ? .v2019 : .v2013]
            )
        case 31: return (.linkCheck, modern)
        case 25: return (.multimediaUploadResponse(MultimediaUploadResponse(mediaID: int(), retransmitPacketIDs: (0..<int(0...20)).map { _ in int() })), modern)
        case 26: return (.alarmConfirmation(AlarmConfirmation(alarmSerial: int(), alarms: AlarmFlags(rawValue: int()))), modern)
        case 32:
            // A failure carries no ids.
            let result = UInt8(int(0...2))
            return (.cameraReply(CameraReply(replySerial: int(), result: result, mediaIDs: result == 0 ? (0..<int(0...20)).map { _ in int() } : [])), modern)
        default:
            return (
                .camera(
                    CameraCommand(
                        channel: int(), command: int(), interval: int(), saveFlag: int(), resolution: int(), quality: int(), brightness: int(), contrast: int(),
                        saturation: int(), chroma: int())), modern
            )
        }
    }
}

@Suite struct PropertyTests {
    /// Encode then decode gives the same message, for generated messages of every type, in
    /// every edition that carries them, through the splitter and the sub-package assembler.
    @Test(arguments: 0..<MessageGenerator.count)
    func encodeThenDecodeIsIdentity(_ kind: Int) throws {
        var gen = MessageGenerator(rng: SeededRandom(seed: UInt64(kind) &* 7919 &+ 1))
        for _ in 0..<150 {
            let (message, versions) = gen.message(kind)
            let version = versions[gen.int(0...versions.count - 1)]
            let digits = String(gen.int(1...99_999_999_999))
            let header = MessageHeader(
                messageID: message.messageID, version: version, phone: TerminalPhone(digits: digits, version: version)!, serial: gen.int())
            let frames = FrameEncoder.encode(message, header: header)
            var decoded: [DecodedFrame] = []
            var assembler = SubpackageAssembler<ContinuousClock.Instant>()
            for result in split(frames.flatMap { $0 }) {
                let frame = try result.get().withFrame { f throws(JT808Error) in try FrameDecoder().decode(f) }
                switch frame.content {
                case .message: decoded.append(frame)
                case .part(let bytes):
                    if case .complete(let h, let body) = assembler.add(header: frame.header, part: bytes, now: .now) {
                        decoded.append(try FrameDecoder().decode(reassembled: h, body: body))
                    }
                }
            }
            try #require(decoded.count == 1, "\(message)")
            #expect(decoded[0].message == message)
            #expect(decoded[0].header.phone.number == digits)
            #expect(decoded[0].header.serial == header.serial)
            #expect(decoded[0].bodyVersion == version)
        }
    }

    /// The splitter gives the same frames however the same byte stream is cut into reads.
    @Test(arguments: 0..<20)
    func splitterIsIndependentOfChunking(_ seed: Int) throws {
        var gen = MessageGenerator(rng: SeededRandom(seed: UInt64(seed) &+ 1000))
        var stream: [UInt8] = gen.bytes(0...10).filter { $0 != 0x7e }  // leading junk is dropped
        for _ in 0..<gen.int(1...12) {
            let header = MessageHeader(messageID: 0x0200, version: .v2013, phone: TerminalPhone(digits: "13912345678", version: .v2013)!, serial: gen.int())
            stream += FrameEncoder.encode(.location(gen.location()), header: header)[0]
            if gen.bool() {
                // Garbage between frames: a delimited run that is not a frame.
                stream += gen.bytes(1...20).map { $0 == 0x7d ? 0x7c : $0 } + [0x7e]
            }
        }
        let reference = split(stream).map { r in r.map(\.bytes) }
        #expect(reference.count >= 1)
        var cuts = SeededRandom(seed: UInt64(seed))
        var chunkings: [[Int]] = [[1], [2], [3], [7], [stream.count]]
        for _ in 0..<30 { chunkings.append((0..<stream.count).map { _ in Int.random(in: 1...64, using: &cuts) }) }
        for sizes in chunkings {
            let cycled = sizes.count == 1 ? Array(repeating: sizes[0], count: stream.count / sizes[0] + 1) : sizes
            let got = split(stream, chunks: cycled).map { r in r.map(\.bytes) }
            #expect(got == reference, "chunk sizes \(cycled.prefix(10))…")
        }
    }
}
