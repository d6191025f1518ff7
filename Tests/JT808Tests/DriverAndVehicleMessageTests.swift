import JT808
import Testing

/// 0x0702, 0x0705, 0x0108, 0x8108 and 0x8204 against SmallChi/JT808's own test bodies
/// (src/JT808.Protocol.Test/MessageBody/JT808_0x0702Test.cs, JT808_0x0705Test.cs,
/// JT808_0x0108Test.cs, JT808_0x8108Test.cs): each body framed, decoded, its values checked as
/// the anchor asserts them, and encoded back to the anchor's bytes.
@Suite struct DriverAndVehicleMessageTests {
    /// The body in a frame of `version` through the strict decoder, and the message encoded back.
    func roundTrip(_ id: UInt16, _ bodyHex: String, version: ProtocolVersion = .v2013) throws -> (DecodedFrame, [UInt8]) {
        let header = MessageHeader(messageID: id, version: version, phone: TerminalPhone(digits: "13912345678", version: version)!, serial: 7)
        let wire = FrameEncoder.encode(body: bytes(bodyHex), header: header, messageID: id)[0]
        let frame = try decodeWire(wire)
        let message = try #require(frame.message)
        #expect(message.messageID == id)
        return (frame, message.encodeBody(version: frame.bodyVersion))
    }

    @Test func driverIdentity2013CardRemoved() throws {
        // JT808_0x0702Test.Test1_2: status 2 (removed, driver off duty) at 2018-08-16 09:16:16.
        let body = "02180816091616"
        let (frame, back) = try roundTrip(0x0702, body)
        guard case .driverIdentity(let d)? = frame.message else { Issue.record("not 0x0702"); return }
        #expect(frame.bodyVersion == .v2013)
        #expect(d.cardStatus == 2 && d.time?.description == "2018-08-16T09:16:16+08:00" && d.readResult == nil && !d.signsIn)
        #expect(back == bytes(body))
        #expect(FrameJSON.render(frame).hasSuffix(#""body":{"cardStatus":2,"time":"2018-08-16T09:16:16+08:00"}}"#))
    }

    @Test func driverIdentity2013ReadFailed() throws {
        // Test2_2: inserted, read result 1 (the card's key was not accepted): no driver fields follow.
        let body = "0118081609161601"
        let (frame, back) = try roundTrip(0x0702, body)
        guard case .driverIdentity(let d)? = frame.message else { Issue.record("not 0x0702"); return }
        #expect(d.cardStatus == 1 && d.readResult == 1 && !d.signsIn && d.certificate.isEmpty)
        #expect(back == bytes(body))
    }

    @Test func driverIdentity2013Read() throws {
        // Test3_1: koike, certificate qwe123456aaa (NUL-padded to 20), authority qwertx, valid until 2018-08-16.
        let body = "0118081609161600056B6F696B6571776531323334353661616100000000000000000671776572747820180816"
        let (frame, back) = try roundTrip(0x0702, body)
        guard case .driverIdentity(let d)? = frame.message else { Issue.record("not 0x0702"); return }
        #expect(d.cardStatus == 1 && d.readResult == 0 && d.signsIn)
        #expect(d.name == "koike" && d.certificate == "qwe123456aaa" && d.authority == "qwertx")
        #expect(d.validity == CardDate(year: 2018, month: 8, day: 16) && d.idNumber == nil)
        #expect(back == bytes(body))
        #expect(
            FrameJSON.render(frame).hasSuffix(
                #""body":{"cardStatus":1,"time":"2018-08-16T09:16:16+08:00","readResult":0,"name":"koike","certificate":"qwe123456aaa","authority":"qwertx","validity":"2018-08-16"}}"#
            ))
    }

    @Test func driverIdentity2019AddsTheIDCardNumber() throws {
        // Test_2019_2: the 2013 fields, then the ID card number 12345678901234567 NUL-padded to 20.
        let body = "0119120111111100056B6F696B65717765313233343536616161000000000000000006717765727478201912013132333435363738393031323334353637000000"
        let (frame, back) = try roundTrip(0x0702, body, version: .v2019)
        guard case .driverIdentity(let d)? = frame.message else { Issue.record("not 0x0702"); return }
        #expect(frame.bodyVersion == .v2019)
        #expect(d.time?.description == "2019-12-01T11:11:11+08:00" && d.name == "koike" && d.certificate == "qwe123456aaa")
        #expect(d.validity?.description == "2019-12-01" && d.idNumber == "12345678901234567")
        #expect(back == bytes(body))
    }

    @Test func driverIdentity2011IsRecognisedByItsFirstBytes() throws {
        // The 2011 layout (name, ID number 20, certificate 40, authority) under the shared header:
        // no anchor has one, so laid out by hand from JT/T 808-2011 table 45.
        var body: [UInt8] = [4] + GBK.encode("张三")
        body += Array("330201198001011234".utf8) + [0, 0]
        body += Array("QC3302001234".utf8) + [UInt8](repeating: 0, count: 28)
        body += [UInt8(GBK.encode("宁波运管").count)] + GBK.encode("宁波运管")
        let (frame, back) = try roundTrip(0x0702, FrameJSON.hex(body))
        guard case .driverIdentity(let d)? = frame.message else { Issue.record("not 0x0702"); return }
        #expect(frame.bodyVersion == .v2011 && frame.header.version == .v2013)
        #expect(d.cardStatus == nil && d.time == nil && d.signsIn)
        #expect(d.name == "张三" && d.idNumber == "330201198001011234" && d.certificate == "QC3302001234" && d.authority == "宁波运管")
        #expect(back == body)
        // A two-letter ASCII name and the ID number's digits look like BCD, but make no date.
        var short: [UInt8] = [2] + Array("AB".utf8) + Array("330201198001011234".utf8) + [0, 0]
        short += Array("QC3302001234".utf8) + [UInt8](repeating: 0, count: 28) + [0]
        let (ascii, _) = try roundTrip(0x0702, FrameJSON.hex(short))
        guard case .driverIdentity(let named)? = ascii.message else { Issue.record("not 0x0702"); return }
        #expect(ascii.bodyVersion == .v2011 && named.name == "AB" && named.certificate == "QC3302001234" && named.authority.isEmpty)
    }

    @Test func driverIdentityWithAnImpossibleStatusOrDateIsAnError() throws {
        // Status 3 after a valid time is neither layout's; a validity of month 13 is no date.
        let header = MessageHeader(messageID: 0x0702, version: .v2019, phone: TerminalPhone(digits: "13912345678", version: .v2019)!, serial: 1)
        let badStatus = FrameEncoder.encode(body: bytes("03180816091616"), header: header, messageID: 0x0702)[0]
        #expect(codecError { _ = try decodeWire(badStatus) }?.code == .badField)
        let badDate = "0119120111111100056B6F696B65717765313233343536616161000000000000000006717765727478201913013132333435363738393031323334353637000000"
        let wire = FrameEncoder.encode(body: bytes(badDate), header: header, messageID: 0x0702)[0]
        #expect(codecError { _ = try decodeWire(wire) }?.code == .badField)
    }

    @Test func canBusData() throws {
        // JT808_0x0705Test.Test2: 2 items received from 20:00:05.350, each a CAN id and 8 bytes.
        let body = "0002200005015E010203040102030401020304050607080103040506070801"
        let (frame, back) = try roundTrip(0x0705, body)
        guard case .canBusData(let c)? = frame.message else { Issue.record("not 0x0705"); return }
        #expect(c.items.count == 2 && c.receiveTime == "20:00:05.350")
        #expect(c.items[0] == CANBusData.Item(canID: 0x0102_0304, data: [1, 2, 3, 4, 1, 2, 3, 4]))
        #expect(c.items[1] == CANBusData.Item(canID: 0x0506_0708, data: [1, 3, 4, 5, 6, 7, 8, 1]))
        #expect(back == bytes(body))
        #expect(
            FrameJSON.render(frame).hasSuffix(
                #""body":{"count":2,"receiveTime":"20:00:05.350","items":[{"canId":16909060,"data":"0102030401020304"},{"canId":84281096,"data":"0103040506070801"}]}}"#
            ))
        // A count that disagrees with the items is an error, not a guess.
        let short = "0003200005015E010203040102030401020304050607080103040506070801"
        let header = MessageHeader(messageID: 0x0705, version: .v2013, phone: TerminalPhone(digits: "13912345678", version: .v2013)!, serial: 1)
        #expect(codecError { _ = try decodeWire(FrameEncoder.encode(body: bytes(short), header: header, messageID: 0x0705)[0]) }?.code == .lengthMismatch)
    }

    @Test func upgradeResult() throws {
        // JT808_0x0108Test.Test2: type 0x34 (52, the GNSS module), result 0 (success).
        let (frame, back) = try roundTrip(0x0108, "3400")
        #expect(frame.message == .upgradeResult(UpgradeResult(kind: 52, result: 0)))
        #expect(back == [0x34, 0x00])
        #expect(FrameJSON.render(frame).hasSuffix(#""body":{"type":52,"result":0}}"#))
    }

    @Test func upgradePackageHasAWiderManufacturerIn2019() throws {
        // JT808_0x8108Test.Test2: type 0x34, manufacturer asdfg (5 bytes), version qscvhiuytrew, package 01..05.
        let body = "3461736466670C717363766869757974726577000000050102030405"
        let (frame, back) = try roundTrip(0x8108, body)
        let package = UpgradePackage(kind: 0x34, manufacturer: "asdfg", version: "qscvhiuytrew", package: [1, 2, 3, 4, 5])
        #expect(frame.message == .upgradePackage(package))
        #expect(back == bytes(body))
        #expect(
            FrameJSON.render(frame).hasSuffix(
                #""body":{"type":52,"manufacturer":"asdfg","version":"qscvhiuytrew","packageLength":5,"package":"0102030405"}}"#))
        // 2019: the manufacturer takes 11 bytes (JT/T 808-2019 table 17), the rest is unchanged.
        let body2019 = "34" + "6173646667000000000000" + "0C717363766869757974726577000000050102030405"
        let (frame2019, back2019) = try roundTrip(0x8108, body2019, version: .v2019)
        #expect(frame2019.message == .upgradePackage(package))
        #expect(back2019 == bytes(body2019))
        // A package length that disagrees with the bytes present is an error.
        let header = MessageHeader(messageID: 0x8108, version: .v2013, phone: TerminalPhone(digits: "13912345678", version: .v2013)!, serial: 1)
        let cut = FrameEncoder.encode(body: bytes(String(body.dropLast(2))), header: header, messageID: 0x8108)[0]
        #expect(codecError { _ = try decodeWire(cut) }?.code == .lengthMismatch)
    }

    @Test func linkCheckHasAnEmptyBody() throws {
        let header = MessageHeader(messageID: 0x8204, version: .v2019, phone: TerminalPhone(digits: "13912345678", version: .v2019)!, serial: 3)
        let frames = FrameEncoder.encode(.linkCheck, header: header)
        let frame = try decodeWire(frames[0])
        #expect(frame.message == .linkCheck && frame.header.bodyLength == 0)
        #expect(FrameJSON.render(frame).hasSuffix(#""body":{}}"#))
    }
}

/// The strict profile against the lenient one on go-jt808's two malformed vectors.
@Suite struct StrictItemsTests {
    @Test func locationWithAnItemOfImpossibleLength() throws {
        // go-0200-item-len-mismatch: item 0x11 declares length 0; go-jt808 refuses the report
        // (ErrBodyLengthInconsistency), and so does the strict profile.
        let v = Vector.named("go-0200-item-len-mismatch")
        let error = try #require(codecError { _ = try v.decode() })
        #expect(error.code == .badField && error.message.contains("0x11"))
        // Lenient: the position and every other item kept, the broken one marked.
        let frame = try v.decode(FrameDecoder(profile: profiles["lenient-legacy"]))
        let l = try #require(frame.location)
        #expect(l.latitudeMicrodegrees == 116_307_629 && l.time.description == "2020-07-07T19:23:59+08:00")
        #expect(l.extras.overspeed == nil && l.extras.others.contains(RawExtra(id: 0x11, bytes: [], position: 5)))
        #expect(l.extras.areaAlarm != nil && l.extras.satellites == 40 && l.extras.mileage == 11)
        #expect(l.extras.malformedCount == 1)
        #expect(FrameJSON.render(frame).contains(#""0x11":{"raw":"","badLength":true}"#))
    }

    @Test func batchWhoseItemsDisagreeWithItsCount() throws {
        // go-0704-count-mismatch: three items declared, the third's 32 bytes hold a 28-byte
        // position, an item 0x02 of length 1 and a dangling byte; go-jt808 refuses the batch.
        let v = Vector.named("go-0704-count-mismatch")
        let error = try #require(codecError { _ = try v.decode() })
        #expect(error.code == .badField || error.code == .lengthMismatch)
        let frame = try v.decode(FrameDecoder(profile: profiles["lenient-legacy"]))
        guard case .locationBatch(let batch)? = frame.message else { Issue.record("not a batch"); return }
        #expect(batch.locations.count == 3 && batch.rejected.isEmpty && batch.isBackfill)
        #expect(batch.locations[2].extras.malformedCount == 2 && batch.locations[0].extras.malformedCount == 0)
        let json = FrameJSON.render(frame)
        #expect(json.contains(#""0x02":{"raw":"00","badLength":true}"#) && json.contains(#""0x12":{"raw":"","overran":true}"#))
    }

    @Test func anItemRunningPastTheEndAndBytesAfterTheDeclaredItems() throws {
        // A 0x0200 whose last item declares 4 bytes and has 2; a batch of 1 with bytes after it.
        let fixed = "00000000" + "00000002" + "0158BCD2" + "06CA5E3E" + "0000" + "0000" + "0000" + "250101120000"
        let location = fixed + "0104000B"  // item 0x01 with 2 of its 4 bytes
        let header = MessageHeader(messageID: 0x0200, version: .v2013, phone: TerminalPhone(digits: "13912345678", version: .v2013)!, serial: 1)
        let wire = FrameEncoder.encode(body: bytes(location), header: header, messageID: 0x0200)[0]
        let error = try #require(codecError { _ = try decodeWire(wire) })
        #expect(error.code == .lengthMismatch && error.message.contains("0x1"))
        let lenient = try decodeWire(wire, FrameDecoder(profile: profiles["lenient-legacy"]))
        #expect(lenient.location?.extras.others == [RawExtra(id: 0x01, bytes: [0x00, 0x0B], overran: true, position: 0)])

        let batch = "0001" + "00" + "001C" + fixed + "0000"
        var batchHeader = header
        batchHeader.messageID = 0x0704
        let batchWire = FrameEncoder.encode(body: bytes(batch), header: batchHeader, messageID: 0x0704)[0]
        #expect(codecError { _ = try decodeWire(batchWire) }?.code == .lengthMismatch)
        guard case .locationBatch(let kept)? = try decodeWire(batchWire, FrameDecoder(profile: profiles["lenient-legacy"])).message else {
            Issue.record("not a batch")
            return
        }
        #expect(kept.locations.count == 1)
    }
}
