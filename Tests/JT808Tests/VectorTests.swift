import Foundation
import JT808
import Testing

/// Every vector of the anchors decodes to what its source asserts. Keys of `expect` that have a
/// generic meaning are checked here for every vector; the others are checked by a named test in
/// `VectorSpecificTests`, and `specificKeys` lists them so that no asserted value goes unchecked.
@Suite struct VectorTests {
    /// Keys of `expect` checked by `VectorSpecificTests`, per vector.
    static let specificKeys: [String: Set<String>] = [
        "go-0002-unescaped-7d-checksum": ["decodeOk", "tolerated"],
        "sc-0002-escaped-checksum": ["checksum"],
        "go-0100-2011": ["versionDetected"],
        "sc-0100-2019": ["versionFlag"],
        "tr-0102-auth": ["returns", "sideEffect"],
        "go-0104-2019-91-params": ["paramCount", "params"],
        "sc-0104-count-mismatch": ["paramCount", "paramList"],
        "sc-0104-subpackage-merge": ["packetTotal", "afterFirstPacket", "afterLastPacket", "orderIndependent", "timeoutDiscards"],
        "fk-0200-ok": ["msgId", "bodyLength", "encryption", "fragmented", "versionSign", "version", "body", "verifyCodeField"],
        "go-0200-2019-adas-0x64": ["bodyLength", "items"],
        "go-0200-all-items-2019-ids": ["items"],
        "go-0200-item-len-mismatch": ["error"],
        "sc-0200-bad-crc-invalid-item-lengths": ["parsesWith", "basicItemCount", "unknownItemCount", "exceptionItemCount", "faultyItem"],
        "sc-0200-basic": ["msgId", "bodyLength", "subpackage", "encryption", "items"],
        "sc-0200-bit14-with-2013-header": ["decodeWith", "noThrow", "quirk"],
        "sc-0200-zero-id-items": ["parsesWith", "noThrow", "items", "weirdItems"],
        "tr-0200-alarm-acceleration-escaped-raw": ["alarm"],
        "tr-0200-fuel-vendor-0xeb": ["fuel1"],
        "tr-0200-iccid-0xeb": ["iccid", "via"],
        "tr-0200-power-0x2b": ["power_V"],
        "tr-0200-utc-items-0x2a": ["positionProduced"],
        "yz-0200-2013-all-items": ["items"],
        "go-0704-count-mismatch": ["error"],
        "go-0704-two-items": ["count", "type", "itemLen", "positions"],
        "sc-0704-truncated-second-item": ["parsesWith", "errorRemainPositions"],
        "yz-0704-2019": ["count", "type", "positions"],
        "go-0800": ["multimediaId", "type", "format", "event", "channel"],
        "go-0801-rsa-flag": ["decodeOk", "encryption"],
        "go-0801-with-location": ["multimediaId", "type", "format", "event", "channel", "location", "packet"],
        "go-bad-checksum": ["error"],
        "go-header-too-short": ["error"],
        "go-subpackage-header-too-short": ["error"],
        "sc-0801-multimedia-part1": ["noThrow", "subpackage", "parsesWith"],
        "sc-0900-passthrough": ["passthroughType", "content"],
        "sc-1205-subpackage-2parts": ["packetTotal", "packetIndices", "reassembly"],
        "go-8104-2019": ["body"],
        "tr-8105-engine-stop": ["command", "controlByte"],
        "go-8202-tracking": ["interval_s", "validity_s"],
        "go-8300-text": ["flagByte", "flagBits", "text"],
        "sc-8300-text-2013": ["textFlag", "text"],
        "sc-8300-text-2019": ["textFlag", "textType", "text"],
        "yz-8300-2019": ["flag", "type", "text"],
        "go-8801-2019": ["channel", "command", "intervalOrDuration", "saveFlag", "resolution", "quality", "brightness", "contrast", "saturation", "chroma"],
        "go-invalid-escape": ["error", "reason"],
        "tr-frame-escape": ["unescaped", "withLeadingGarbage"],
    ]

    @Test func theCopiedVectorsAreAllThere() {
        #expect(Vector.all.count == 58)
        #expect(Set(Vector.all.map(\.id)).isSuperset(of: Self.specificKeys.keys))
    }

    /// The value before an anchor's annotation: `"123456789 (BCD 000…)"` is `123456789`.
    static func token(_ s: String) -> String { String(s.split(separator: " ").first ?? "") }

    static func strippedZeros(_ s: String) -> String {
        let d = s.drop { $0 == "0" }
        return d.isEmpty ? "0" : String(d)
    }

    /// The anchors write times as `2024-11-27 15:42:30`, China time.
    static func anchorTime(_ t: DeviceTime) -> String {
        String(t.description.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }

    @Test(arguments: Vector.all)
    func genericExpectations(_ v: Vector) throws {
        guard case .object(let expect) = v.expect else { Issue.record("expect is not an object"); return }
        var checked: Set<String> = []
        let specific = Self.specificKeys[v.id] ?? []
        if expect["error"] != nil || expect["unescaped"] != nil || v.msgId == "0x1205" || v.allFrames.count > 1 {
            // Negative vectors, framing-only vectors and multi-frame vectors are all specific.
            #expect(Set(expect.keys).subtracting(specific).isEmpty, "unchecked keys \(Set(expect.keys).subtracting(specific))")
            return
        }
        let frame = try v.decode()
        let h = frame.header
        #expect(FrameJSON.messageID(h.messageID) == v.msgId.uppercased().replacingOccurrences(of: "0X", with: "0x"))
        #expect(frame.bodyVersion.description == v.version || v.version == "n/a")
        func check(_ key: String, _ actual: @autoclosure () -> Int?) {
            guard let want = expect[key]?.int else { return }
            #expect(actual() == want, "\(key)")
            checked.insert(key)
        }
        func check(_ key: String, _ actual: @autoclosure () -> String?) {
            guard let want = expect[key]?.string else { return }
            #expect(actual() == Self.token(want), "\(key)")
            checked.insert(key)
        }
        check("serial", Int(h.serial))
        if let phone = expect["phone"]?.string {
            #expect(Self.strippedZeros(h.phone.description) == Self.strippedZeros(Self.token(phone)))
            checked.insert("phone")
        }
        check("phoneBcd", h.phone.description)
        check("protocolVersion", Int(h.protocolVersionNumber))

        switch frame.message {
        case .terminalResponse(let r)?, .platformResponse(let r)?:
            check("replySerial", Int(r.replySerial))
            check("ackSerial", Int(r.replySerial))
            check("replyMsgId", FrameJSON.messageID(r.replyID))
            check("ackMsgId", FrameJSON.messageID(r.replyID))
            check("result", Int(r.result))
        case .registrationResponse(let r)?:
            check("ackSerial", Int(r.replySerial))
            check("result", Int(r.result))
            if let code = expect["authCode"] {
                #expect(r.authCode == code.string)
                checked.insert("authCode")
            }
        case .registration(let r)?:
            check("provinceId", Int(r.province))
            check("cityId", Int(r.city))
            check("makerId", r.manufacturer)
            check("terminalModel", r.model)
            check("terminalId", r.terminalID)
            check("plateColor", Int(r.plateColor))
            check("plate", r.plate)
        case .authentication(let a)?:
            check("authCode", a.authCode)
            check("token", a.authCode)
            check("authCodeLen", a.authCode.utf8.count)
            check("imei", a.imei)
            check("softwareVersion", a.softwareVersion)
        case .parameterReply(let r)?:
            check("replySerial", Int(r.replySerial))
        case .heartbeat?, .logout?:
            if expect["body"] == .null { checked.insert("body") }
        default: break
        }
        if let l = frame.location {
            check("alarm", Int(l.alarm.rawValue))
            check("status", Int(l.status.rawValue))
            check("latRaw", Int(l.latitudeMicrodegrees))
            check("lonRaw", Int(l.longitudeMicrodegrees))
            check("altitude_m", Int(l.altitude))
            check("speed_raw_0.1kmh", Int(l.speed))
            check("course", Int(l.course))
            if let t = expect["time"]?.string {
                #expect(Self.anchorTime(l.time) == t)
                checked.insert("time")
            }
        }
        if expect["roundTrip"] == .bool(true) {
            // The anchor asserts decode -> encode gives the same bytes: so must we.
            let message = try #require(frame.message)
            #expect(FrameEncoder.encode(message, header: h) == [v.bytes])
            checked.insert("roundTrip")
        }
        let unchecked = Set(expect.keys).subtracting(checked).subtracting(specific)
        #expect(unchecked.isEmpty, "keys neither checked here nor by a specific test: \(unchecked)")
    }
}
