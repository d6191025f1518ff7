/// The decoded-frame JSON of `fleetd decode` (docs/JT808-JSON.md). A stable interface: keys
/// and number formats here are relied on by tools and people. Written by hand so that key order
/// is fixed and numbers are exact decimals, never binary floating point.
public enum FrameJSON {
    /// One frame's line.
    public static func render(_ frame: DecodedFrame, profile: DeviceProfile? = nil) -> String {
        var o = JSONObject()
        header(frame.header, version: frame.bodyVersion, into: &o)
        if !frame.quirks.isEmpty { o.raw("quirks", array(quirkNames(frame.quirks).map(quoted))) }
        switch frame.content {
        case .part(let bytes): o.raw("body", JSONObject().with { $0.string("raw", hex(bytes)) }.text)
        case .message(let message): o.raw("body", body(message, profile: profile))
        }
        return o.text
    }

    /// A line for a frame that could not be decoded. With a sound header (an unsupported
    /// message), the header and the raw body are printed too.
    public static func render(error: JT808Error, header: MessageHeader? = nil, body: [UInt8]? = nil) -> String {
        var o = JSONObject()
        if let header {
            self.header(header, version: header.version, into: &o)
            if let body { o.raw("body", JSONObject().with { $0.string("raw", hex(body)) }.text) }
        }
        o.raw("error", errorObject(code: error.code.description, message: error.message, offset: error.offset))
        return o.text
    }

    public static func errorObject(code: String, message: String, offset: Int? = nil) -> String {
        var e = JSONObject()
        e.string("code", code)
        e.string("message", message)
        if let offset { e.int("offset", offset) }
        return e.text
    }

    static func header(_ h: MessageHeader, version: ProtocolVersion, into o: inout JSONObject) {
        o.string("msgId", messageID(h.messageID))
        o.string("version", version.description)
        o.string("phone", h.phone.description)
        o.int("serial", Int(h.serial))
        o.bool("encrypted", h.isEncrypted)
        if let packet = h.packet {
            o.raw(
                "packet",
                JSONObject().with {
                    $0.int("total", Int(packet.total)); $0.int("index", Int(packet.index))
                }.text)
        }
    }

    static func quirkNames(_ q: FrameQuirks) -> [String] {
        var names: [String] = []
        if q.contains(.checksumIgnored) { names.append("checksumIgnored") }
        if q.contains(.danglingEscape) { names.append("danglingEscape") }
        if q.contains(.versionFlagMismatch) { names.append("versionFlagMismatch") }
        if q.contains(.shortBody) { names.append("shortBody") }
        return names
    }

    /// `0x0200`: lower-case x, upper-case digits, 4 digits.
    public static func messageID(_ id: UInt16) -> String { "0x" + hex4(UInt32(id)) }

    static func itemID(_ id: UInt8) -> String {
        let s = String(id, radix: 16, uppercase: true)
        return "0x" + (s.count < 2 ? "0" + s : s)
    }

    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        String(decoding: bytes.flatMap { [hexDigit($0 >> 4), hexDigit($0 & 0x0f)] }, as: UTF8.self)
    }

    /// A message's body alone, as `render` prints it under "body" (a command's answer on record).
    public static func body(of message: Message) -> String { body(message, profile: nil) }

    static func body(_ message: Message, profile: DeviceProfile?) -> String {
        var o = JSONObject()
        switch message {
        case .terminalResponse(let r), .platformResponse(let r):
            o.int("replySerial", Int(r.replySerial))
            o.string("replyId", messageID(r.replyID))
            o.int("result", Int(r.result))
        case .heartbeat, .logout, .queryParameters, .queryAttributes, .locateNow, .linkCheck: break
        case .registration(let r):
            o.int("province", Int(r.province))
            o.int("city", Int(r.city))
            o.string("manufacturer", r.manufacturer)
            o.string("model", r.model)
            o.string("terminalId", r.terminalID)
            o.int("plateColor", Int(r.plateColor))
            o.string("plate", r.plate)
        case .authentication(let a):
            o.string("authCode", a.authCode)
            if let imei = a.imei { o.string("imei", imei) }
            if let sw = a.softwareVersion { o.string("softwareVersion", sw) }
        case .parameterReply(let r):
            o.int("replySerial", Int(r.replySerial))
            o.int("count", r.parameters.count)
            o.raw("parameters", parameters(r.parameters))
        case .setParameters(let list):
            o.int("count", list.count)
            o.raw("parameters", parameters(list))
        case .querySpecificParameters(let ids):
            o.raw("ids", array(ids.map { quoted("0x" + hex4($0)) }))
        case .attributes(let a):
            o.int("terminalType", Int(a.terminalType))
            o.string("manufacturer", a.manufacturer)
            o.string("model", a.model)
            o.string("terminalId", a.terminalID)
            o.string("iccid", a.iccid)
            o.string("hardwareVersion", a.hardwareVersion)
            o.string("firmwareVersion", a.firmwareVersion)
            o.int("gnssAttributes", Int(a.gnssAttributes))
            o.int("communicationAttributes", Int(a.communicationAttributes))
        case .upgradeResult(let u):
            o.int("type", Int(u.kind))
            o.int("result", Int(u.result))
        case .upgradePackage(let p):
            o.int("type", Int(p.kind))
            o.string("manufacturer", p.manufacturer)
            o.string("version", p.version)
            o.int("packageLength", p.package.count)
            o.string("package", hex(p.package))
        case .driverIdentity(let d):
            if let status = d.cardStatus { o.int("cardStatus", Int(status)) }
            if let time = d.time { o.string("time", time.description) }
            if let result = d.readResult { o.int("readResult", Int(result)) }
            if d.signsIn {
                o.string("name", d.name)
                o.string("certificate", d.certificate)
                o.string("authority", d.authority)
                if let validity = d.validity { o.string("validity", validity.description) }
                if let id = d.idNumber { o.string("idNumber", id) }
            }
        case .canBusData(let c):
            o.int("count", c.items.count)
            o.string("receiveTime", c.receiveTime)
            o.raw(
                "items",
                array(
                    c.items.map { item in
                        JSONObject().with {
                            $0.int("canId", Int(item.canID)); $0.string("data", hex(item.data))
                        }.text
                    }))
        case .location(let l): return location(l, profile: profile)
        case .locationReply(let r):
            o.int("replySerial", Int(r.replySerial))
            o.raw("location", location(r.location, profile: profile))
        case .locationBatch(let b):
            o.int("count", b.locations.count + b.rejected.count)
            o.int("type", Int(b.kind))
            o.raw("items", array(b.locations.map { location($0, profile: profile) }))
            if !b.rejected.isEmpty {
                o.raw("rejected", array(b.rejected.map { errorObject(code: $0.code.description, message: $0.message, offset: $0.offset) }))
            }
        case .multimediaEvent(let e): event(e, into: &o)
        case .cameraReply(let c):
            o.int("replySerial", Int(c.replySerial))
            o.int("result", Int(c.result))
            o.raw("mediaIds", array(c.mediaIDs.map { String($0) }))
        case .multimediaUpload(let u):
            event(u.event, into: &o)
            if let l = u.location { o.raw("location", location(l, profile: profile)) }
            o.int("dataLength", u.data.count)
            o.string("data", hex(u.data))
        case .passthrough(let p):
            o.int("type", Int(p.kind))
            o.string("data", hex(p.data))
        case .multimediaUploadResponse(let r):
            o.int("mediaId", Int(r.mediaID))
            o.raw("packetIds", array(r.retransmitPacketIDs.map { String($0) }))
        case .resendRequest(let r):
            o.int("originalSerial", Int(r.originalSerial))
            o.raw("packetIds", array(r.packetIndices.map { String($0) }))
        case .registrationResponse(let r):
            o.int("replySerial", Int(r.replySerial))
            o.int("result", Int(r.result))
            if let code = r.authCode { o.string("authCode", code) }
        case .terminalControl(let c):
            o.int("command", Int(c.command))
            o.string("parameters", c.parameters)
        case .tracking(let t):
            o.int("intervalS", Int(t.intervalSeconds))
            o.int("validityS", Int(t.validitySeconds))
        case .alarmConfirmation(let c):
            o.int("alarmSerial", Int(c.alarmSerial))
            o.int("alarm", Int(c.alarms.rawValue))
        case .text(let t):
            o.int("flags", Int(t.flags.rawValue))
            if let type = t.textType { o.int("textType", Int(type)) }
            o.string("text", t.text)
        case .camera(let c):
            o.int("channel", Int(c.channel))
            o.int("command", Int(c.command))
            o.int("interval", Int(c.interval))
            o.int("saveFlag", Int(c.saveFlag))
            o.int("resolution", Int(c.resolution))
            o.int("quality", Int(c.quality))
            o.int("brightness", Int(c.brightness))
            o.int("contrast", Int(c.contrast))
            o.int("saturation", Int(c.saturation))
            o.int("chroma", Int(c.chroma))
        case .encrypted(_, let body): o.string("raw", hex(body))
        }
        return o.text
    }

    static func event(_ e: MultimediaEvent, into o: inout JSONObject) {
        o.int("mediaId", Int(e.mediaID))
        o.int("mediaType", Int(e.mediaType))
        o.int("format", Int(e.format))
        o.int("event", Int(e.event))
        o.int("channel", Int(e.channel))
    }

    static func parameters(_ list: [TerminalParameter]) -> String {
        var o = JSONObject()
        for p in list {
            let key = "0x" + hex4(p.id)
            switch p.value {
            case .byte(let v): o.int(key, Int(v))
            case .word(let v): o.int(key, Int(v))
            case .dword(let v): o.int(key, Int(v))
            case .string(let s): o.string(key, s)
            case .bytes(let b): o.raw(key, JSONObject().with { $0.string("raw", hex(b)) }.text)
            }
        }
        return o.text
    }

    public static func location(_ l: LocationReport, profile: DeviceProfile?) -> String {
        var o = JSONObject()
        o.int("alarm", Int(l.alarm.rawValue))
        o.int("status", Int(l.status.rawValue))
        o.raw("lat", decimal(l.latitudeE6, 6))
        o.raw("lon", decimal(l.longitudeE6, 6))
        o.int("altitudeM", Int(l.altitude))
        o.raw("speedKmh", decimal(Int64(l.speed), 1))
        o.int("course", Int(l.course))
        o.string("time", l.time.description)
        o.raw("extras", extras(l.extras, profile: profile))
        return o.text
    }

    /// A report's additional items as one JSON object keyed by item id (the `extras` of a location).
    public static func extras(_ x: LocationExtras, profile: DeviceProfile?) -> String {
        var items: [(key: String, value: String)] = []
        // The standard names are plain ASCII: no need to escape them (this runs for every stored report).
        func one(_ id: UInt8, _ name: StaticString, _ value: String) { items.append((itemID(id), "{\"\(name)\":\(value)}")) }
        if let v = x.mileage { one(0x01, "mileageKm", decimal(Int64(v), 1)) }
        if let v = x.fuel { one(0x02, "fuelL", decimal(Int64(v), 1)) }
        if let v = x.recorderSpeed { one(0x03, "speedKmh", decimal(Int64(v), 1)) }
        if let v = x.alarmEventID { one(0x04, "alarmEventId", String(v)) }
        if let v = x.carriageTemperature { one(0x06, "carriageTempC", String(v)) }
        if let v = x.overspeed {
            var o = JSONObject()
            o.int("locationType", Int(v.locationType))
            if let area = v.areaID { o.int("areaId", Int(area)) }
            items.append((itemID(0x11), o.text))
        }
        if let v = x.areaAlarm {
            items.append(
                (
                    itemID(0x12),
                    JSONObject().with {
                        $0.int("locationType", Int(v.locationType)); $0.int("areaId", Int(v.areaID)); $0.int("direction", Int(v.direction))
                    }.text
                ))
        }
        if let v = x.routeTime {
            items.append(
                (
                    itemID(0x13),
                    JSONObject().with {
                        $0.int("sectionId", Int(v.sectionID)); $0.int("drivingS", Int(v.drivingSeconds)); $0.int("result", Int(v.result))
                    }.text
                ))
        }
        if let v = x.vehicleSignals { one(0x25, "signals", String(v)) }
        if let v = x.ioStatus { one(0x2A, "io", String(v)) }
        if let v = x.analog { one(0x2B, "analog", String(v)) }
        if let v = x.signalStrength { one(0x30, "rssi", String(v)) }
        if let v = x.satellites { one(0x31, "satellites", String(v)) }
        for item in x.others {
            if let named = profile?.decode(item) {
                items.append((itemID(item.id), "{\(quoted(named.name)):\(value(named.value))}"))
            } else {
                var o = JSONObject()
                o.string("raw", hex(item.bytes))
                // The lenient profile keeps malformed items: say which.
                if item.overran {
                    o.bool("overran", true)
                } else if item.isMalformed {
                    o.bool("badLength", true)
                }
                items.append((itemID(item.id), o.text))
            }
        }
        // Standard items first in id order, then the others in wire order; an id seen twice
        // (it happens) becomes an array rather than a duplicate key.
        var o = JSONObject()
        var done = Set<String>()
        for (key, _) in items where !done.contains(key) {
            done.insert(key)
            let values = items.filter { $0.key == key }.map(\.value)
            o.raw(key, values.count == 1 ? values[0] : array(values))
        }
        return o.text
    }

    static func value(_ v: ExtraValue) -> String {
        switch v {
        case .number(let n, let d): return decimal(n, d)
        case .text(let s): return quoted(s)
        case .bytes(let b): return quoted(hex(b))
        case .time(let t): return quoted(t.description)
        case .fields(let fields):
            var o = JSONObject()
            for f in fields { o.raw(f.name, value(f.value)) }
            return o.text
        }
    }

    /// An exact decimal: `decimal(532, 1)` is `53.2`, `decimal(-81325702, 6)` is `-81.325702`.
    public static func decimal(_ value: Int64, _ decimals: Int) -> String {
        guard decimals > 0 else { return String(value) }
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let magnitude = value.magnitude
        let fraction = String(magnitude % scale)
        return (value < 0 ? "-" : "") + String(magnitude / scale) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let h = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A JSON object written in insertion order.
struct JSONObject {
    private var members: [String] = []

    mutating func raw(_ key: String, _ json: String) { members.append(FrameJSON.quoted(key) + ":" + json) }
    mutating func string(_ key: String, _ value: String) { raw(key, FrameJSON.quoted(value)) }
    mutating func int(_ key: String, _ value: Int) { raw(key, String(value)) }
    mutating func bool(_ key: String, _ value: Bool) { raw(key, value ? "true" : "false") }

    func with(_ build: (inout JSONObject) -> Void) -> JSONObject {
        var copy = self
        build(&copy)
        return copy
    }

    var text: String { "{" + members.joined(separator: ",") + "}" }
}
