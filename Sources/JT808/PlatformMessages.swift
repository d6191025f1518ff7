/// 0x8003 request to resend the listed sub-packages of a message.
public struct ResendRequest: Hashable, Sendable {
    /// Serial number of the first sub-package of the original message.
    public var originalSerial: UInt16
    public var packetIndices: [UInt16]

    public init(originalSerial: UInt16, packetIndices: [UInt16]) {
        self.originalSerial = originalSerial
        self.packetIndices = packetIndices
    }

    /// The count is a BYTE in 2011/2013 and a WORD in 2019.
    static func read(_ r: inout ByteReader, version: ProtocolVersion) throws(JT808Error) -> ResendRequest {
        let serial = try r.u16("original serial")
        let count = version == .v2019 ? Int(try r.u16("packet count")) : Int(try r.u8("packet count"))
        var indices: [UInt16] = []
        for _ in 0..<count { indices.append(try r.u16("packet id")) }
        return ResendRequest(originalSerial: serial, packetIndices: indices)
    }

    func write(into w: inout ByteWriter, version: ProtocolVersion) {
        w.u16(originalSerial)
        if version == .v2019 { w.u16(UInt16(clamping: packetIndices.count)) } else { w.u8(UInt8(clamping: packetIndices.count)) }
        for index in packetIndices.prefix(version == .v2019 ? 65535 : 255) { w.u16(index) }
    }
}

/// 0x8800 multimedia upload response: the media is stored, or these packets are missing.
public struct MultimediaUploadResponse: Hashable, Sendable {
    public var mediaID: UInt32
    /// Sub-packages to send again; empty when everything arrived.
    public var retransmitPacketIDs: [UInt16]

    public init(mediaID: UInt32, retransmitPacketIDs: [UInt16] = []) {
        self.mediaID = mediaID
        self.retransmitPacketIDs = retransmitPacketIDs
    }

    static func read(_ r: inout ByteReader) throws(JT808Error) -> MultimediaUploadResponse {
        let id = try r.u32("media id")
        // 2011 terminals' platforms may leave out the count when everything arrived.
        guard r.remaining > 0 else { return MultimediaUploadResponse(mediaID: id) }
        let count = Int(try r.u8("retransmit count"))
        var packets: [UInt16] = []
        for _ in 0..<count { packets.append(try r.u16("retransmit packet id")) }
        return MultimediaUploadResponse(mediaID: id, retransmitPacketIDs: packets)
    }

    func write(into w: inout ByteWriter) {
        w.u32(mediaID)
        w.u8(UInt8(clamping: retransmitPacketIDs.count))
        for id in retransmitPacketIDs.prefix(255) { w.u16(id) }
    }
}

/// 0x8100 registration response. The auth code follows only on success.
public struct RegistrationResponse: Hashable, Sendable {
    public enum Result: UInt8, Sendable {
        case success = 0
        case vehicleAlreadyRegistered = 1
        case vehicleUnknown = 2
        case terminalAlreadyRegistered = 3
        case terminalUnknown = 4
    }
    public var replySerial: UInt16
    public var result: UInt8
    public var authCode: String?

    public init(replySerial: UInt16, result: Result, authCode: String? = nil) {
        self.replySerial = replySerial
        self.result = result.rawValue
        self.authCode = result == .success ? authCode : nil
    }

    static func read(_ r: inout ByteReader) throws(JT808Error) -> RegistrationResponse {
        let serial = try r.u16("reply serial")
        let result = try r.u8("result")
        var response = RegistrationResponse(replySerial: serial, result: .success)
        response.result = result
        response.authCode = result == 0 ? r.restString() : nil
        return response
    }

    func write(into w: inout ByteWriter) {
        w.u16(replySerial)
        w.u8(result)
        if result == 0, let authCode { w.append(GBK.encode(authCode)) }
    }
}

/// 0x8105 terminal control: a command word and its `;`-separated parameters.
public struct TerminalControl: Hashable, Sendable {
    public var command: UInt8
    public var parameters: String
    public init(command: UInt8, parameters: String = "") {
        self.command = command
        self.parameters = parameters
    }
}

/// 0x8202 temporary position tracking.
public struct TrackingControl: Hashable, Sendable {
    /// Seconds between reports; 0 stops tracking.
    public var intervalSeconds: UInt16
    public var validitySeconds: UInt32
    public init(intervalSeconds: UInt16, validitySeconds: UInt32) {
        self.intervalSeconds = intervalSeconds
        self.validitySeconds = validitySeconds
    }
}

/// 0x8203 manual alarm confirmation: the platform confirms alarms the terminal keeps on until
/// it is answered (table 24, "收到应答后清零": bits 0, 3, 20-22, 27, 28).
public struct AlarmConfirmation: Hashable, Sendable {
    /// The serial of the report that raised them; 0 confirms every report of those alarms.
    public var alarmSerial: UInt16
    public var alarms: AlarmFlags
    public init(alarmSerial: UInt16, alarms: AlarmFlags) {
        self.alarmSerial = alarmSerial
        self.alarms = alarms
    }
}

/// 0x8300 text message. 2019 adds a type byte (1 notice, 2 service).
public struct TextMessage: Hashable, Sendable {
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let emergency = Flags(rawValue: 1 << 0)
        public static let display = Flags(rawValue: 1 << 2)
        public static let textToSpeech = Flags(rawValue: 1 << 3)
        public static let advertisingScreen = Flags(rawValue: 1 << 4)
        /// 2013: bit 5 = CAN fault code rather than navigation information.
        public static let canFaultCode = Flags(rawValue: 1 << 5)
    }
    public var flags: Flags
    public var textType: UInt8?
    public var text: String

    public init(flags: Flags, textType: UInt8? = nil, text: String) {
        self.flags = flags
        self.textType = textType
        self.text = text
    }

    static func read(_ r: inout ByteReader, version: ProtocolVersion) throws(JT808Error) -> TextMessage {
        let flags = Flags(rawValue: try r.u8("flags"))
        let type = version == .v2019 ? try r.u8("text type") : nil
        return TextMessage(flags: flags, textType: type, text: GBK.decode(r.rest()))
    }

    func write(into w: inout ByteWriter, version: ProtocolVersion) {
        w.u8(flags.rawValue)
        if version == .v2019 { w.u8(textType ?? 1) }
        w.append(GBK.encode(text))
    }
}

/// 0x8801 take a picture or record now.
public struct CameraCommand: Hashable, Sendable {
    public var channel: UInt8
    /// 0 stop, 0xFFFF record video, otherwise the number of pictures.
    public var command: UInt16
    /// Seconds between pictures, or recording time.
    public var interval: UInt16
    /// 1 save on the terminal, 0 upload in real time.
    public var saveFlag: UInt8
    public var resolution: UInt8
    /// 1 (best) to 10.
    public var quality: UInt8
    public var brightness: UInt8
    public var contrast: UInt8
    public var saturation: UInt8
    public var chroma: UInt8

    public init(
        channel: UInt8, command: UInt16, interval: UInt16, saveFlag: UInt8, resolution: UInt8, quality: UInt8,
        brightness: UInt8, contrast: UInt8, saturation: UInt8, chroma: UInt8
    ) {
        self.channel = channel
        self.command = command
        self.interval = interval
        self.saveFlag = saveFlag
        self.resolution = resolution
        self.quality = quality
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.chroma = chroma
    }

    static func read(_ r: inout ByteReader) throws(JT808Error) -> CameraCommand {
        CameraCommand(
            channel: try r.u8("channel"), command: try r.u16("command"), interval: try r.u16("interval"),
            saveFlag: try r.u8("save flag"), resolution: try r.u8("resolution"), quality: try r.u8("quality"),
            brightness: try r.u8("brightness"), contrast: try r.u8("contrast"), saturation: try r.u8("saturation"),
            chroma: try r.u8("chroma")
        )
    }

    func write(into w: inout ByteWriter) {
        w.u8(channel)
        w.u16(command)
        w.u16(interval)
        for b in [saveFlag, resolution, quality, brightness, contrast, saturation, chroma] { w.u8(b) }
    }
}
