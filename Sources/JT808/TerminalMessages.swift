/// What decoding a body needs to know beyond its bytes.
public struct DecodeContext: Sendable {
    public var version: ProtocolVersion
    /// The device's clock offset for BCD times (China time by default).
    public var utcOffsetMinutes: Int16
    /// The strict profile (the default): a location whose additional items disagree with its
    /// body, or a 0x0704 batch whose count disagrees with its items, is an error. Lenient
    /// (`DeviceProfile.ChecksumPolicy.lenient`): what can be read is kept and marked.
    public var strict: Bool

    public init(version: ProtocolVersion, utcOffsetMinutes: Int16 = DeviceTime.chinaOffsetMinutes, strict: Bool = true) {
        self.version = version
        self.utcOffsetMinutes = utcOffsetMinutes
        self.strict = strict
    }
}

/// Result codes of the general responses 0x0001 and 0x8001.
public enum ResponseResult: UInt8, Sendable, Hashable {
    case success = 0
    case failure = 1
    case messageError = 2
    case unsupported = 3
    /// 0x8001 only: the alarm was acknowledged.
    case alarmAcknowledged = 4
}

/// 0x0001 terminal general response and 0x8001 platform general response.
public struct GeneralResponse: Hashable, Sendable {
    public var replySerial: UInt16
    public var replyID: UInt16
    public var result: UInt8

    public init(replySerial: UInt16, replyID: UInt16, result: ResponseResult) {
        self.init(replySerial: replySerial, replyID: replyID, rawResult: result.rawValue)
    }
    public init(replySerial: UInt16, replyID: UInt16, rawResult: UInt8) {
        self.replySerial = replySerial
        self.replyID = replyID
        self.result = rawResult
    }

    static func read(_ r: inout ByteReader) throws(JT808Error) -> GeneralResponse {
        GeneralResponse(replySerial: try r.u16("reply serial"), replyID: try r.u16("reply id"), rawResult: try r.u8("result"))
    }
    func write(into w: inout ByteWriter) {
        w.u16(replySerial)
        w.u16(replyID)
        w.u8(result)
    }
}

/// Widths of the fixed string fields that changed between editions (registration, attributes).
struct IdentityWidths {
    var manufacturer: Int
    var model: Int
    var terminalID: Int

    static func of(_ version: ProtocolVersion) -> IdentityWidths {
        switch version {
        case .v2011: return IdentityWidths(manufacturer: 5, model: 8, terminalID: 7)
        case .v2013: return IdentityWidths(manufacturer: 5, model: 20, terminalID: 7)
        case .v2019: return IdentityWidths(manufacturer: 11, model: 30, terminalID: 30)
        }
    }
}

extension ByteReader {
    /// A fixed-width GBK string. 2019 devices pad some fields on the left with ASCII '0'.
    mutating func fixedString(_ width: Int, _ field: StaticString, version: ProtocolVersion) throws(JT808Error) -> String {
        let raw = try slice(width, field)
        let leftPadded = version == .v2019 && raw.first == 0x30 && raw.last != 0 && raw.last != 0x20
        return GBK.decodeField(raw, trimLeadingZeros: leftPadded)
    }

    /// A string prefixed by its length in one byte.
    mutating func byteLengthString(_ field: StaticString) throws(JT808Error) -> String {
        let n = Int(try u8(field))
        return GBK.decodeField(try slice(n, field))
    }

    mutating func restString() -> String { GBK.decodeField(rest()) }
}

extension ByteWriter {
    mutating func fixedString(_ text: String, width: Int) { fixed(GBK.encode(text), width: width) }
    mutating func byteLengthString(_ text: String) {
        let bytes = GBK.encode(text).prefix(255)
        u8(UInt8(bytes.count))
        append(bytes)
    }
}

/// 0x0100 terminal registration.
public struct Registration: Hashable, Sendable {
    public var province: UInt16
    public var city: UInt16
    public var manufacturer: String
    public var model: String
    public var terminalID: String
    /// 0 when the vehicle has no plate yet (then `plate` holds the VIN, 2019).
    public var plateColor: UInt8
    public var plate: String

    public init(province: UInt16, city: UInt16, manufacturer: String, model: String, terminalID: String, plateColor: UInt8, plate: String) {
        self.province = province
        self.city = city
        self.manufacturer = manufacturer
        self.model = model
        self.terminalID = terminalID
        self.plateColor = plateColor
        self.plate = plate
    }

    /// The 2013 body without its plate is 37 bytes; a shorter body can only be the 2011 layout
    /// (8-byte model), which shares the 2013 header.
    static func layout(bodyLength: Int, headerVersion: ProtocolVersion) -> ProtocolVersion {
        if headerVersion == .v2019 { return .v2019 }
        return bodyLength < 37 ? .v2011 : .v2013
    }

    static func read(_ r: inout ByteReader, version: ProtocolVersion) throws(JT808Error) -> Registration {
        let widths = IdentityWidths.of(version)
        return Registration(
            province: try r.u16("province"), city: try r.u16("city"),
            manufacturer: try r.fixedString(widths.manufacturer, "manufacturer", version: version),
            model: try r.fixedString(widths.model, "model", version: version),
            terminalID: try r.fixedString(widths.terminalID, "terminal id", version: version),
            plateColor: try r.u8("plate colour"), plate: r.restString()
        )
    }

    func write(into w: inout ByteWriter, version: ProtocolVersion) {
        let widths = IdentityWidths.of(version)
        w.u16(province)
        w.u16(city)
        w.fixedString(manufacturer, width: widths.manufacturer)
        w.fixedString(model, width: widths.model)
        w.fixedString(terminalID, width: widths.terminalID)
        w.u8(plateColor)
        w.append(GBK.encode(plate))
    }
}

/// 0x0102 terminal authentication. 2019 adds the IMEI and the software version.
public struct Authentication: Hashable, Sendable {
    public var authCode: String
    public var imei: String?
    public var softwareVersion: String?

    public init(authCode: String, imei: String? = nil, softwareVersion: String? = nil) {
        self.authCode = authCode
        self.imei = imei
        self.softwareVersion = softwareVersion
    }

    static func read(_ r: inout ByteReader, version: ProtocolVersion) throws(JT808Error) -> Authentication {
        guard version == .v2019 else { return Authentication(authCode: r.restString()) }
        return Authentication(
            authCode: try r.byteLengthString("auth code"),
            imei: GBK.decodeField(try r.slice(15, "IMEI")),
            softwareVersion: GBK.decodeField(try r.slice(20, "software version"))
        )
    }

    func write(into w: inout ByteWriter, version: ProtocolVersion) {
        guard version == .v2019 else { return w.append(GBK.encode(authCode)) }
        w.byteLengthString(authCode)
        w.fixedString(imei ?? "", width: 15)
        w.fixedString(softwareVersion ?? "", width: 20)
    }
}

/// 0x0107 terminal attributes (answer to 0x8107).
public struct TerminalAttributes: Hashable, Sendable {
    public var terminalType: UInt16
    public var manufacturer: String
    public var model: String
    public var terminalID: String
    /// The SIM's ICCID as BCD digits.
    public var iccid: String
    public var hardwareVersion: String
    public var firmwareVersion: String
    public var gnssAttributes: UInt8
    public var communicationAttributes: UInt8

    public init(
        terminalType: UInt16, manufacturer: String, model: String, terminalID: String, iccid: String,
        hardwareVersion: String, firmwareVersion: String, gnssAttributes: UInt8, communicationAttributes: UInt8
    ) {
        self.terminalType = terminalType
        self.manufacturer = manufacturer
        self.model = model
        self.terminalID = terminalID
        self.iccid = iccid
        self.hardwareVersion = hardwareVersion
        self.firmwareVersion = firmwareVersion
        self.gnssAttributes = gnssAttributes
        self.communicationAttributes = communicationAttributes
    }

    static func read(_ r: inout ByteReader, version: ProtocolVersion) throws(JT808Error) -> TerminalAttributes {
        let widths = IdentityWidths.of(version == .v2011 ? .v2013 : version)
        return TerminalAttributes(
            terminalType: try r.u16("terminal type"),
            manufacturer: try r.fixedString(widths.manufacturer, "manufacturer", version: version),
            model: try r.fixedString(widths.model, "model", version: version),
            terminalID: try r.fixedString(widths.terminalID, "terminal id", version: version),
            iccid: BCD.digits(try r.slice(10, "ICCID")),
            hardwareVersion: try r.byteLengthString("hardware version"),
            firmwareVersion: try r.byteLengthString("firmware version"),
            gnssAttributes: try r.u8("GNSS attributes"), communicationAttributes: try r.u8("communication attributes")
        )
    }

    func write(into w: inout ByteWriter, version: ProtocolVersion) {
        let widths = IdentityWidths.of(version == .v2011 ? .v2013 : version)
        w.u16(terminalType)
        w.fixedString(manufacturer, width: widths.manufacturer)
        w.fixedString(model, width: widths.model)
        w.fixedString(terminalID, width: widths.terminalID)
        w.append(BCD.bytes(iccid, count: 10))
        w.byteLengthString(hardwareVersion)
        w.byteLengthString(firmwareVersion)
        w.u8(gnssAttributes)
        w.u8(communicationAttributes)
    }
}

/// BCD digit strings (ICCID and similar). A trailing 0xF nibble pads odd lengths.
public enum BCD {
    public static func digits(_ bytes: UnsafeRawBufferPointer) -> String {
        var out: [UInt8] = []
        for b in bytes { out.append(hexDigit(b >> 4)); out.append(hexDigit(b & 0x0f)) }
        while out.last == UInt8(ascii: "f") { out.removeLast() }
        return String(decoding: out, as: UTF8.self)
    }

    public static func bytes(_ digits: String, count: Int) -> [UInt8] {
        var nibbles = digits.utf8.map { c -> UInt8 in c <= 0x39 ? c &- 0x30 : (c | 0x20) &- 0x61 &+ 10 }
        if nibbles.count % 2 == 1 { nibbles.append(0x0f) }
        var out = [UInt8](repeating: 0, count: max(0, count - nibbles.count / 2))
        var i = 0
        while i + 1 < nibbles.count {
            out.append(nibbles[i] << 4 | nibbles[i + 1] & 0x0f)
            i += 2
        }
        return Array(out.suffix(count))
    }
}

/// 0x0201 answer to "locate now" (0x8201).
public struct LocationReply: Hashable, Sendable {
    public var replySerial: UInt16
    public var location: LocationReport
    public init(replySerial: UInt16, location: LocationReport) {
        self.replySerial = replySerial
        self.location = location
    }
}

/// 0x0704 batch of stored positions (type 1: blind-zone backfill).
///
/// One bad item does not lose the others: items that cannot be decoded are counted in `rejected`
/// with their error, and the rest are kept.
public struct LocationBatch: Hashable, Sendable {
    public enum Kind: UInt8, Sendable { case normal = 0, blindZone = 1 }
    public var kind: UInt8
    public var locations: [LocationReport]
    public var rejected: [JT808Error]

    public init(kind: Kind, locations: [LocationReport]) {
        self.kind = kind.rawValue
        self.locations = locations
        self.rejected = []
    }

    public var isBackfill: Bool { kind == Kind.blindZone.rawValue }

    static func read(_ r: inout ByteReader, context: DecodeContext) throws(JT808Error) -> LocationBatch {
        let count = Int(try r.u16("item count"))
        var batch = LocationBatch(kind: .normal, locations: [])
        batch.kind = try r.u8("location type")
        batch.locations.reserveCapacity(min(count, r.remaining / 30))
        for index in 0..<count {
            guard r.remaining >= 2 else {
                batch.rejected.append(JT808Error(.truncated, at: r.offsetInFrame, "\(count) items declared, \(index) present"))
                break
            }
            let start = r.offsetInFrame
            let length = Int(try r.u16("item length"))
            guard length <= r.remaining else {
                batch.rejected.append(JT808Error(.truncated, at: start, "item \(index + 1) declares \(length) bytes, \(r.remaining) left"))
                _ = r.rest()
                break
            }
            var item = try r.subReader(length, "location item")
            do {
                batch.locations.append(try LocationReport.read(&item, utcOffsetMinutes: context.utcOffsetMinutes, strict: context.strict))
            } catch {
                batch.rejected.append(error)
            }
        }
        if context.strict, let first = batch.rejected.first { throw first }
        if context.strict, r.remaining > 0 {
            throw JT808Error(.lengthMismatch, at: r.offsetInFrame, "\(count) items declared, \(r.remaining) bytes after them")
        }
        return batch
    }

    func write(into w: inout ByteWriter) {
        w.u16(UInt16(locations.count))
        w.u8(kind)
        for location in locations {
            var item = ByteWriter()
            location.write(into: &item)
            w.u16(UInt16(item.bytes.count))
            w.append(item.bytes)
        }
    }
}

/// 0x0805 answer to a camera command (0x8801): the result, and on success the ids of the media
/// taken, which the terminal then uploads (0x0801). 2013 and 2019 lay it out alike.
public struct CameraReply: Hashable, Sendable {
    public var replySerial: UInt16
    /// 0 success, 1 failure, 2 channel not supported.
    public var result: UInt8
    public var mediaIDs: [UInt32]

    public init(replySerial: UInt16, result: UInt8, mediaIDs: [UInt32] = []) {
        self.replySerial = replySerial
        self.result = result
        self.mediaIDs = mediaIDs
    }

    static func read(_ r: inout ByteReader) throws(JT808Error) -> CameraReply {
        let serial = try r.u16("reply serial")
        let result = try r.u8("result")
        // The count and the ids come only with a success.
        guard r.remaining > 0 else { return CameraReply(replySerial: serial, result: result) }
        let count = Int(try r.u16("media id count"))
        var ids: [UInt32] = []
        for _ in 0..<count { ids.append(try r.u32("media id")) }
        return CameraReply(replySerial: serial, result: result, mediaIDs: ids)
    }

    func write(into w: inout ByteWriter) {
        w.u16(replySerial)
        w.u8(result)
        guard result == 0 || !mediaIDs.isEmpty else { return }
        w.u16(UInt16(clamping: mediaIDs.count))
        for id in mediaIDs.prefix(Int(UInt16.max)) { w.u32(id) }
    }
}

/// 0x0800 multimedia event.
public struct MultimediaEvent: Hashable, Sendable {
    public var mediaID: UInt32
    /// 0 image, 1 audio, 2 video.
    public var mediaType: UInt8
    /// 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV.
    public var format: UInt8
    public var event: UInt8
    public var channel: UInt8

    public init(mediaID: UInt32, mediaType: UInt8, format: UInt8, event: UInt8, channel: UInt8) {
        self.mediaID = mediaID
        self.mediaType = mediaType
        self.format = format
        self.event = event
        self.channel = channel
    }

    static func read(_ r: inout ByteReader) throws(JT808Error) -> MultimediaEvent {
        MultimediaEvent(
            mediaID: try r.u32("media id"), mediaType: try r.u8("media type"), format: try r.u8("format"), event: try r.u8("event"),
            channel: try r.u8("channel"))
    }
    func write(into w: inout ByteWriter) {
        w.u32(mediaID)
        w.u8(mediaType)
        w.u8(format)
        w.u8(event)
        w.u8(channel)
    }
}

/// 0x0801 multimedia upload: metadata, the position when taken (2013 on), and the media bytes.
public struct MultimediaUpload: Hashable, Sendable {
    public var event: MultimediaEvent
    public var location: LocationReport?
    public var data: [UInt8]

    public init(event: MultimediaEvent, location: LocationReport?, data: [UInt8]) {
        self.event = event
        self.location = location
        self.data = data
    }

    static func read(_ r: inout ByteReader, context: DecodeContext) throws(JT808Error) -> MultimediaUpload {
        let event = try MultimediaEvent.read(&r)
        var location: LocationReport?
        if context.version != .v2011 {
            var fixed = try r.subReader(LocationReport.fixedLength, "location")
            location = try LocationReport.read(&fixed, utcOffsetMinutes: context.utcOffsetMinutes, strict: context.strict)
        }
        return MultimediaUpload(event: event, location: location, data: [UInt8](r.rest()))
    }

    func write(into w: inout ByteWriter) {
        event.write(into: &w)
        if var location {
            location.extras = LocationExtras()
            location.write(into: &w)
        }
        w.append(data)
    }
}

/// 0x0900 uplink pass-through: a type byte and opaque data.
public struct Passthrough: Hashable, Sendable {
    public var kind: UInt8
    public var data: [UInt8]
    public init(kind: UInt8, data: [UInt8]) {
        self.kind = kind
        self.data = data
    }
}
