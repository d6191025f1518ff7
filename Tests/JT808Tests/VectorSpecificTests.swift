import JT808
import Testing

/// The vectors whose assertions need more than field equality: framing, errors, sub-packages,
/// vendor items, tolerances. Each test names the vector and the anchor's assertion it checks.
@Suite struct VectorSpecificTests {
    // MARK: Framing

    @Test func frameEscapeAndLeadingGarbage() throws {
        // tr-frame-escape: `7e 30 7d02 08 7d01 55 7e` unescapes to 30 7e 08 7d 55, and leading junk is skipped.
        let v = Vector.named("tr-frame-escape")
        let want = bytes(v.expect["unescaped"]!.string!)
        let inner = Array(want.dropFirst().dropLast())
        #expect(try Framing.unescape(wire: v.bytes).bytes == inner)
        let garbage = bytes(String(v.expect["withLeadingGarbage"]!.string!.split(separator: " ")[0]))
        let frames = split(garbage)
        #expect(frames.count == 1)
        var splitter = FrameSplitter()
        garbage.withUnsafeBytes { splitter.feed($0) { _ in } }
        #expect(splitter.discardedBytes == 2)
        #expect(try frames.first?.get().bytes == inner)
    }

    @Test func escapedCheckCodeDoesNotEndTheFrame() throws {
        // sc-0002-escaped-checksum: the check code 0x7e travels as 7d 02.
        let frame = try Vector.named("sc-0002-escaped-checksum").unescaped()
        #expect(frame.bytes.last == 0x7e)
        #expect(frame.checksumValid)
    }

    @Test func danglingEscapeBeforeTheEndIsTolerated() throws {
        // go-0002-unescaped-7d-checksum: go-jt808 accepts a raw 0x7d check code right before 7e.
        let v = Vector.named("go-0002-unescaped-7d-checksum")
        let frame = try v.decode()
        #expect(frame.message == .heartbeat)
        #expect(frame.quirks.contains(.danglingEscape))
        #expect(v.expect["decodeOk"] == .bool(true))
    }

    @Test func invalidEscapeIsRejected() {
        // go-invalid-escape: 7d 03 -> ErrUnqualifiedData.
        let error = codecError { _ = try Vector.named("go-invalid-escape").unescaped() }
        #expect(error?.code == .badEscape)
        #expect(error?.offset == 2)
    }

    @Test(arguments: ["go-header-too-short", "go-subpackage-header-too-short"])
    func shortHeadersAreTruncated(_ id: String) {
        // ErrHeaderLength2Short in go-jt808.
        #expect(codecError { _ = try Vector.named(id).decode() }?.code == .truncated)
    }

    @Test func badCheckCodeIsAnErrorByDefault() {
        // go-bad-checksum: ErrCheckCode; the check byte 0x54 should be 0x53.
        let error = codecError { _ = try decodeWire(Vector.named("go-bad-checksum").bytes) }
        #expect(error?.code == .badChecksum)
        #expect(error?.message.contains("0x53") == true)
    }

    @Test func bodyLengthThatDoesNotFitIsAMismatch() throws {
        // A body one byte shorter than its header says.
        var wire = Vector.named("sc-0200-basic").bytes
        wire.remove(at: wire.count - 3)
        let content = try Framing.unescape(wire: wire).bytes.dropLast()
        let error = codecError { _ = try decodeWire(Framing.wire(content: Array(content))) }
        #expect(error?.code == .lengthMismatch && error?.offset == 2)
    }

    // MARK: Headers and versions

    @Test func registration2011IsRecognisedByBodyLength() throws {
        for id in ["go-0100-2011", "sc-0100-2011"] {
            let frame = try Vector.named(id).decode()
            #expect(frame.bodyVersion == .v2011)
            #expect(frame.header.version == .v2013)
        }
    }

    @Test func registration2019HasTheVersionFlag() throws {
        let frame = try Vector.named("sc-0100-2019").decode()
        #expect(frame.header.version == .v2019)
        #expect(frame.header.protocolVersionNumber == 1)
        #expect(!frame.quirks.contains(.versionFlagMismatch))
    }

    @Test func versionBitOnA2013HeaderIsDetectedByLength() throws {
        // sc-0200-bit14-with-2013-header: the anchor must force 2013; we detect it, and a
        // profile can pin it.
        let v = Vector.named("sc-0200-bit14-with-2013-header")
        for decoder in [FrameDecoder(), FrameDecoder(profile: profiles["lenient-legacy"])] {
            let frame = try v.decode(decoder)
            #expect(frame.header.version == .v2013)
            #expect(frame.header.phone.description == "010030000681")
            let l = try #require(frame.location)
            #expect(l.latitudeMicrodegrees == 40_670_063 && l.longitudeMicrodegrees == 122_452_300)
            #expect(l.time.description == "2021-06-25T15:57:39+08:00")
        }
        #expect(try v.decode().quirks.contains(.versionFlagMismatch))
        // Pinned to 2019 the frame cannot fit: a clear error, not a misread.
        #expect(codecError { _ = try v.decode(FrameDecoder(pinnedVersion: .v2019)) }?.code == .lengthMismatch)
    }

    @Test func nonBCDPhoneIsKeptAsBytes() throws {
        // tr-8105-engine-stop: traccar packs a binary IMEI into the phone field.
        let frame = try Vector.named("tr-8105-engine-stop").decode()
        #expect(frame.header.phone.description == "0b3a73ce2ff2")
        #expect(frame.message == .terminalControl(TerminalControl(command: 0xf0)))
    }

    // MARK: Location reports

    @Test func locationFieldsOfTheFakeyanssFrame() throws {
        // fk-0200-ok: header fields asserted; the body as the vector's derived values.
        let v = Vector.named("fk-0200-ok")
        let frame = try v.decode()
        #expect(frame.header.bodyLength == v.int("bodyLength"))
        #expect(frame.header.encryption == 0 && frame.header.packet == nil && frame.header.version == .v2013)
        let l = try #require(frame.location)
        #expect(l.status.contains(.accOn) && l.status.contains(.positioned))
        #expect(FrameJSON.decimal(l.latitudeE6, 6) == "30.242718")
        #expect(FrameJSON.decimal(l.longitudeE6, 6) == "120.111154")
        #expect(l.altitude == 60 && l.course == 143)
        #expect(l.time.description == "2023-01-25T14:51:58+08:00")
        // The anchor asserts a check byte of 126 although the frame's is 0xFB: we keep the real one.
        #expect(try v.unescaped().bytes.last == 0xfb)
    }

    @Test func standardItemsOfSmallChisBasicFrame() throws {
        let frame = try Vector.named("sc-0200-basic").decode()
        let l = try #require(frame.location)
        #expect(l.extras.mileage == 100 && l.extras.fuel == 55)
        #expect(l.extras.others.isEmpty)
        #expect(frame.header.bodyLength == 38)
    }

    @Test(arguments: ["go-0200-all-items-2019-ids", "yz-0200-2013-all-items"])
    func everyStandardItem(_ id: String) throws {
        let l = try #require(try Vector.named(id).decode().location)
        let x = l.extras
        #expect(x.mileage == 11 && x.fuel == 22 && x.recorderSpeed == 33 && x.alarmEventID == 44)
        #expect(x.overspeed == OverspeedExtra(locationType: 66, areaID: 66))
        #expect(x.areaAlarm == AreaAlarmExtra(locationType: 77, areaID: 77, direction: 77))
        #expect(x.routeTime == RouteTimeExtra(sectionID: 88, drivingSeconds: 88, result: 88))
        #expect(x.vehicleSignals == 99 && x.ioStatus == 10 && x.analog == 20 && x.signalStrength == 30 && x.satellites == 40)
        // 0x05 tyre pressure (2019, 30 bytes): kept raw, three bytes of 55 then zeros.
        let tyres = try #require(x.others.first { $0.id == 0x05 })
        #expect(tyres.bytes == [55, 55, 55] + [UInt8](repeating: 0, count: 27))
        if id == "go-0200-all-items-2019-ids" { #expect(x.carriageTemperature == 1) }
        #expect(x.malformedCount == 0)
    }

    @Test func onlyTheOverrunningItemIsLost() throws {
        // sc-0200-bad-crc-invalid-item-lengths: 6 standard items, 12 unknown vendor items, and
        // 0xF6 declaring 4 bytes with only 2 left. Strictly, the bad check code rejects the frame.
        let v = Vector.named("sc-0200-bad-crc-invalid-item-lengths")
        #expect(codecError { _ = try decodeWire(v.bytes) }?.code == .badChecksum)
        let frame = try v.decode(FrameDecoder(profile: profiles["lenient-legacy"]))
        #expect(frame.quirks.contains(.checksumIgnored))
        let x = try #require(frame.location).extras
        let standard = [x.mileage != nil, x.recorderSpeed != nil, x.vehicleSignals != nil, x.analog != nil, x.signalStrength != nil, x.satellites != nil]
        #expect(standard.filter { $0 }.count == 6)
        let unknown = x.others.filter { !$0.overran }
        #expect(unknown.count == 12, "vendor and odd-length items: \(unknown.map(\.id))")
        let faulty = x.others.filter(\.overran)
        #expect(faulty.count == 1)
        #expect(faulty.first?.id == 0xF6 && faulty.first?.bytes == [0x14, 0x50])
    }

    @Test func zeroIDItemsAndNestedVendorItemDoNotThrow() throws {
        let frame = try Vector.named("sc-0200-zero-id-items").decode(FrameDecoder(profile: profiles["lenient-legacy"]))
        let x = try #require(frame.location).extras
        #expect(x.mileage == 9415 && x.analog == 0x0b29_0b29 && x.signalStrength == 23 && x.satellites == 27)
        #expect(x.others.filter { $0.id == 0x00 }.map(\.bytes.count) == [4, 12])
        #expect(x.others.first { $0.id == 0xEB }?.bytes.count == 14)
    }

    @Test func hardAccelerationFrameDecodesWithRaw7dBytes() throws {
        // tr-0200-alarm-acceleration-escaped-raw: traccar reads "hardAcceleration" from the vendor
        // block 0xE1..; the frame is given unescaped, so 7d a0 bytes inside are data.
        let frame = try Vector.named("tr-0200-alarm-acceleration-escaped-raw").decode()
        let l = try #require(frame.location)
        #expect(l.latitudeMicrodegrees == 22_708_065 && l.extras.mileage == 0x56)
        #expect(l.extras.others.contains { $0.id == 0xE1 })
    }

    @Test func positionIsProducedForTheUTCItemsFrame() throws {
        let l = try #require(try Vector.named("tr-0200-utc-items-0x2a").decode().location)
        #expect(l.extras.ioStatus == 0 && l.extras.satellites == 3 && l.extras.mileage == 0xa900)
    }

    // MARK: Vendor items through profiles

    @Test func subiaoADASItem() throws {
        // go-0200-2019-adas-0x64: every field of the ADAS alarm as go-jt808's example prints it.
        let v = Vector.named("go-0200-2019-adas-0x64")
        let frame = try v.decode()
        #expect(frame.header.bodyLength == 126)
        let l = try #require(frame.location)
        let raw = try #require(l.extras.others.first { $0.id == 0x64 })
        let adas = try #require(profiles["subiao-active-safety"]?.decode(raw)).value
        let e = v.expect["items"]!["0x64_ADAS"]!
        for (ours, theirs) in [
            ("alarmId", "alarmId"), ("flag", "flag"), ("eventType", "eventType"), ("level", "level"),
            ("frontSpeedKmh", "frontSpeed_kmh"), ("frontDistance100ms", "frontDistance_100ms"),
            ("departureType", "departureType"), ("roadSignType", "roadSignType"), ("roadSignData", "roadSignData"),
            ("speedKmh", "speed_kmh"), ("altitudeM", "altitude_m"), ("lat", "latRaw"), ("lon", "lonRaw"),
            ("vehicleState", "vehicleState"),
        ] {
            #expect(adas[ours]?.number?.0 == Int64(e[theirs]!.int!), "\(ours)")
        }
        #expect(adas["time"] == .time(DeviceTime(year: 2024, month: 11, day: 27, hour: 15, minute: 42, second: 10)))
        let mark = try #require(adas["alarmMark"])
        #expect(mark["terminalId"]?.text == "id00003")
        #expect(mark["time"] == .time(DeviceTime(year: 2024, month: 11, day: 27, hour: 15, minute: 42, second: 17)))
        #expect(mark["sequence"]?.number?.0 == 0 && mark["attachments"]?.number?.0 == 5)
        // The JT/T 1078 items of the same frame.
        let profile = try #require(profiles["subiao-active-safety"])
        let video = l.extras.others.compactMap { profile.decode($0) }.map(\.name)
        #expect(video.contains("videoAlarms") && video.contains("abnormalDriving"))
    }

    @Test func huabaoFuelInNestedItem() throws {
        // tr-0200-fuel-vendor-0xeb: traccar asserts fuel1 = 88.7.
        let l = try #require(try Vector.named("tr-0200-fuel-vendor-0xeb").decode().location)
        let raw = try #require(l.extras.others.first { $0.id == 0xEB })
        let sensors = try #require(profiles["huabao"]?.decode(raw)).value
        #expect(sensors["fuel1"]?["level"]?.number.map { FrameJSON.decimal($0.0, $0.1) } == "88.7")
        #expect(sensors["fuel2"]?.text == "000.88")
    }

    @Test func huabaoICCIDInNestedItem() throws {
        // tr-0200-iccid-0xeb: traccar asserts iccid 8942310221007544309 from sub-item 0x00B2.
        let l = try #require(try Vector.named("tr-0200-iccid-0xeb").decode().location)
        // Status bit 3: west longitude.
        #expect(l.longitudeE6 == -81_325_702)
        let sensors = try #require(profiles["huabao"]?.decode(l.extras.others.first { $0.id == 0xEB }!)).value
        #expect(sensors["iccid"]?.text == "8942310221007544309")
    }

    @Test func huabaoSupplyVoltage() throws {
        // tr-0200-power-0x2b: traccar asserts power 11.4 V (item 0xE1 = 0x0072).
        let l = try #require(try Vector.named("tr-0200-power-0x2b").decode().location)
        let power = try #require(profiles["huabao"]?.decode(l.extras.others.first { $0.id == 0xE1 }!))
        #expect(power.name == "powerV")
        #expect(power.value.number.map { FrameJSON.decimal($0.0, $0.1) } == "11.4")
    }

    // MARK: Batches

    @Test(arguments: ["go-0704-two-items", "yz-0704-2019"])
    func batchPositions(_ id: String) throws {
        let v = Vector.named(id)
        guard case .locationBatch(let batch)? = try v.decode().message else { Issue.record("not a batch"); return }
        #expect(batch.locations.count == v.int("count"))
        #expect(Int(batch.kind) == v.int("type"))
        for (l, p) in zip(batch.locations, v.expect["positions"]!.array!) {
            #expect(Int(l.latitudeMicrodegrees) == p["latRaw"]!.int && Int(l.longitudeMicrodegrees) == p["lonRaw"]!.int)
            #expect(Int(l.alarm.rawValue) == p["alarm"]!.int && Int(l.status.rawValue) == p["status"]!.int)
            #expect(Int(l.altitude) == p["altitude_m"]!.int && Int(l.speed) == p["speed_raw_0.1kmh"]!.int && Int(l.course) == p["course"]!.int)
            #expect(VectorTests.anchorTime(l.time) == p["time"]!.string)
        }
        if id == "go-0704-two-items" {
            // Each item is 28 bytes and carries an escaped 0x7e in its latitude (0x07203b7e).
            #expect(batch.locations.allSatisfy { $0.latitudeMicrodegrees == 0x0720_3b7e })
        }
    }

    @Test func truncatedBlindZoneBatchKeepsTheFirstPosition() throws {
        // sc-0704-truncated-second-item: SmallChi keeps 1 position of the cut batch with CRC off.
        let v = Vector.named("sc-0704-truncated-second-item")
        #expect(codecError { _ = try decodeWire(v.bytes) }?.code == .badChecksum)
        let frame = try v.decode(FrameDecoder(profile: profiles["lenient-legacy"]))
        #expect(frame.quirks.contains(.shortBody) && frame.quirks.contains(.checksumIgnored))
        guard case .locationBatch(let batch)? = frame.message else { Issue.record("not a batch"); return }
        #expect(batch.locations.count == v.int("errorRemainPositions"))
        #expect(batch.rejected.count == 1 && batch.rejected[0].code == .truncated)
        #expect(batch.isBackfill)
    }

    // MARK: Sub-packages

    @Test func subpackagesReassembleInEitherOrderDespiteUnrelatedSerials() throws {
        // sc-0104-subpackage-merge: two parts with serials 1233 and 1250.
        let v = Vector.named("sc-0104-subpackage-merge")
        let parts = try v.allFrames.map { try v.decode(frame: $0) }
        #expect(parts.map(\.header.serial) != [parts[0].header.serial, parts[0].header.serial &+ 1])
        for order in [[0, 1], [1, 0]] {
            var assembler = SubpackageAssembler<ContinuousClock.Instant>()
            let now = ContinuousClock.now
            var outcome: SubpackageAssembler<ContinuousClock.Instant>.Outcome = .incomplete
            for i in order {
                guard case .part(let bytes) = parts[i].content else { Issue.record("not a part"); return }
                if case .complete = outcome { Issue.record("complete before the last part") }
                outcome = assembler.add(header: parts[i].header, part: bytes, now: now)
            }
            guard case .complete(let header, let body) = outcome else { Issue.record("not complete"); return }
            #expect(header.serial == parts[0].header.serial, "the first part's header")
            let whole = try FrameDecoder().decode(reassembled: header, body: body)
            guard case .parameterReply(let reply)? = whole.message else { Issue.record("not 0x0104"); return }
            #expect(!reply.parameters.isEmpty)
            #expect(reply[TerminalParameter.ID.heartbeatInterval] == .dword(600))
            #expect(assembler.messagesInProgress == 0 && assembler.bufferedBytes == 0)
        }
    }

    @Test func aSilentPartIsRequestedAgainThenDropped() throws {
        // The anchor drops a merge after its timeout; we first ask for the missing part (0x8003).
        let v = Vector.named("sc-0104-subpackage-merge")
        let first = try v.decode(frame: v.allFrames[0])
        guard case .part(let bytes) = first.content else { Issue.record("not a part"); return }
        var assembler = SubpackageAssembler<ContinuousClock.Instant>(limits: .init(timeout: .seconds(5)))
        let t0 = ContinuousClock.now
        #expect({ if case .incomplete = assembler.add(header: first.header, part: bytes, now: t0) { true } else { false } }())
        #expect(assembler.expire(now: t0.advanced(by: .seconds(4))).isEmpty)
        let firstExpiry = assembler.expire(now: t0.advanced(by: .seconds(6)))
        guard case .resend(let key, let request)? = firstExpiry.first else { Issue.record("no resend"); return }
        #expect(key.messageID == 0x0104 && key.total == 2)
        #expect(request == ResendRequest(originalSerial: first.header.serial, packetIndices: [2]))
        let second = assembler.expire(now: t0.advanced(by: .seconds(12)))
        guard case .dropped(_, let missing)? = second.first else { Issue.record("not dropped"); return }
        #expect(missing == [2])
        #expect(assembler.messagesInProgress == 0 && assembler.bufferedBytes == 0)
    }

    @Test func unsupportedMessageAfterReassemblyKeepsHeaderAndBody() throws {
        // sc-1205-subpackage-2parts: a JT/T 1078 resource list in two parts.
        let v = Vector.named("sc-1205-subpackage-2parts")
        var session = DecodeSession()
        let lines = v.allFrames.map { session.decode(hex: $0) }
        #expect(lines[0].ok && lines[0].json.contains(#""packet":{"total":2,"index":1}"#))
        #expect(!lines[1].ok)
        #expect(lines[1].json.hasPrefix(#"{"msgId":"0x1205""#))
        #expect(lines[1].json.contains(#""code":"unsupportedMessage""#))
        let p1 = try v.decode(frame: v.allFrames[0]), p2 = try v.decode(frame: v.allFrames[1])
        #expect([p1, p2].map { $0.header.packet?.index } == [1, 2])
        guard case .part(let a) = p1.content, case .part(let b) = p2.content else { Issue.record("not parts"); return }
        #expect(lines[1].json.contains(FrameJSON.hex(a + b)))
    }

    @Test func multimediaFirstPartIsASubpackage() throws {
        let frame = try Vector.named("sc-0801-multimedia-part1").decode()
        #expect(frame.header.packet != nil)
        guard case .part(let bytes) = frame.content else { Issue.record("not a part"); return }
        // The JPEG starts after the 8-byte metadata and the 28-byte position.
        #expect(Array(bytes[36..<38]) == [0xff, 0xd8])
    }

    // MARK: Other messages

    @Test func parameterReplyWith91Parameters() throws {
        let v = Vector.named("go-0104-2019-91-params")
        guard case .parameterReply(let reply)? = try v.decode().message else { Issue.record("not 0x0104"); return }
        #expect(reply.parameters.count == v.int("paramCount"))
        #expect(reply[0x0100] == .dword(100) && reply[0x0101] == .word(5000))
        #expect(reply[TerminalParameter.ID.maximumSpeed] == .dword(60) && reply[TerminalParameter.ID.overspeedDuration] == .dword(20))
        #expect(reply[TerminalParameter.ID.tcpTimeout] == .dword(60))
        #expect(reply[TerminalParameter.ID.mainServerAddress] == .string("127.0.0.1:7000"))
    }

    @Test func vendorParameterBlockIsOneRawParameter() throws {
        // sc-0104-count-mismatch: SmallChi returns an empty list; the block is in fact one
        // 190-byte JT/T 1078 parameter 0x0077, which we keep.
        guard case .parameterReply(let reply)? = try Vector.named("sc-0104-count-mismatch").decode().message else { Issue.record("not 0x0104"); return }
        #expect(reply.replySerial == 2 && reply.parameters.count == 1)
        #expect(reply.parameters.first?.id == 0x0077)
        if case .bytes(let raw)? = reply.parameters.first?.value { #expect(raw.count == 190) } else { Issue.record("not raw") }
    }

    @Test func authenticationWithoutItsSideEffect() throws {
        // tr-0102-auth: traccar answers with 0x8001; that is the gateway's job, here the code decodes.
        #expect(try Vector.named("tr-0102-auth").decode().message == .authentication(Authentication(authCode: "authentication")))
    }

    @Test func multimediaEventAndUpload() throws {
        #expect(try Vector.named("go-0800").decode().message == .multimediaEvent(MultimediaEvent(mediaID: 123, mediaType: 0, format: 0, event: 7, channel: 1)))
        guard case .multimediaUpload(let u)? = try Vector.named("go-0801-with-location").decode().message else { Issue.record("not 0x0801"); return }
        #expect(u.event == MultimediaEvent(mediaID: 123, mediaType: 1, format: 2, event: 1, channel: 2))
        #expect(u.location?.latitudeMicrodegrees == 116_307_629 && u.location?.course == 99)
        #expect(u.data == [13, 123, 13, 123, 123])
    }

    @Test func encryptedBodyIsKeptNotDecoded() throws {
        // go-0801-rsa-flag: the RSA bit is set; the body must not be guessed at.
        let frame = try Vector.named("go-0801-rsa-flag").decode()
        #expect(frame.header.isEncrypted)
        guard case .encrypted(let id, let body)? = frame.message else { Issue.record("decoded an encrypted body"); return }
        #expect(id == 0x0801 && body.count == 5)
    }

    @Test func passthrough() throws {
        #expect(try Vector.named("sc-0900-passthrough").decode().message == .passthrough(Passthrough(kind: 0x83, data: Array("smallchi".utf8))))
    }

    @Test func emptyBodyQuery2019() throws {
        let frame = try Vector.named("go-8104-2019").decode()
        #expect(frame.message == .queryParameters && frame.header.bodyLength == 0 && frame.header.version == .v2019)
    }

    @Test func trackingControl() throws {
        #expect(try Vector.named("go-8202-tracking").decode().message == .tracking(TrackingControl(intervalSeconds: 5, validitySeconds: 600)))
    }

    @Test func textMessagesInGBK() throws {
        guard case .text(let a)? = try Vector.named("go-8300-text").decode().message else { Issue.record("not text"); return }
        #expect(a.flags.rawValue == 0xff && a.flags.contains([.emergency, .display, .textToSpeech, .advertisingScreen]))
        #expect(a.text == "测试123@456#abc+结束")
        #expect(try Vector.named("sc-8300-text-2013").decode().message == .text(TextMessage(flags: TextMessage.Flags(rawValue: 5), text: "smallchi 518")))
        #expect(
            try Vector.named("sc-8300-text-2019").decode().message
                == .text(TextMessage(flags: TextMessage.Flags(rawValue: 5), textType: 1, text: "smallchi 518")))
        let yz = Vector.named("yz-8300-2019")
        let frame = try yz.decode()
        #expect(frame.message == .text(TextMessage(flags: TextMessage.Flags(rawValue: 0x3f), textType: 1, text: "测试123@456#abc!...结束")))
        #expect(FrameEncoder.encode(frame.message!, header: frame.header) == [yz.bytes])
    }

    @Test func cameraCommand() throws {
        let v = Vector.named("go-8801-2019")
        let want = CameraCommand(
            channel: UInt8(v.int("channel")!), command: UInt16(v.int("command")!), interval: UInt16(v.int("intervalOrDuration")!),
            saveFlag: UInt8(v.int("saveFlag")!), resolution: UInt8(v.int("resolution")!), quality: UInt8(v.int("quality")!),
            brightness: UInt8(v.int("brightness")!), contrast: UInt8(v.int("contrast")!), saturation: UInt8(v.int("saturation")!),
            chroma: UInt8(v.int("chroma")!)
        )
        let frame = try v.decode()
        #expect(frame.message == .camera(want))
        #expect(FrameEncoder.encode(.camera(want), header: frame.header) == [v.bytes])
    }

    /// 0x0805, the camera command's answer: SmallChi/JT808's own body vector,
    /// src/JT808.Protocol.Test/MessageBody/JT808_0x0805Test.cs (serial 12456, result 0, two
    /// media ids 12306 and 12580), decoded and encoded back byte for byte.
    @Test func cameraReplyBody() throws {
        let body: [UInt8] = [0x30, 0xA8, 0x00, 0x00, 0x02, 0x00, 0x00, 0x30, 0x12, 0x00, 0x00, 0x31, 0x24]
        let message = try body.withUnsafeBytes { try Message.decode(messageID: 0x0805, body: $0, context: DecodeContext(version: .v2013)) }
        #expect(message == .cameraReply(CameraReply(replySerial: 12456, result: 0, mediaIDs: [12306, 12580])))
        #expect(message.encodeBody(version: .v2013) == body)
        // A failure (1) carries no ids, and is written without them.
        #expect(Message.cameraReply(CameraReply(replySerial: 7, result: 1)).encodeBody(version: .v2019) == [0x00, 0x07, 0x01])
    }
}
