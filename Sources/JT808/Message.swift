/// Every message the platform receives from terminals and sends to them.
public enum Message: Hashable, Sendable {
    // Terminal -> platform
    case terminalResponse(GeneralResponse)  // 0x0001
    case heartbeat  // 0x0002
    case logout  // 0x0003
    case registration(Registration)  // 0x0100
    case authentication(Authentication)  // 0x0102
    case parameterReply(ParameterReply)  // 0x0104
    case attributes(TerminalAttributes)  // 0x0107
    case upgradeResult(UpgradeResult)  // 0x0108
    case location(LocationReport)  // 0x0200
    case locationReply(LocationReply)  // 0x0201
    case driverIdentity(DriverIdentity)  // 0x0702
    case locationBatch(LocationBatch)  // 0x0704
    case canBusData(CANBusData)  // 0x0705
    case multimediaEvent(MultimediaEvent)  // 0x0800
    case multimediaUpload(MultimediaUpload)  // 0x0801
    case cameraReply(CameraReply)  // 0x0805
    case passthrough(Passthrough)  // 0x0900
    // Platform -> terminal
    case platformResponse(GeneralResponse)  // 0x8001
    case resendRequest(ResendRequest)  // 0x8003
    case registrationResponse(RegistrationResponse)  // 0x8100
    case setParameters([TerminalParameter])  // 0x8103
    case queryParameters  // 0x8104
    case terminalControl(TerminalControl)  // 0x8105
    case querySpecificParameters([UInt32])  // 0x8106
    case queryAttributes  // 0x8107
    case upgradePackage(UpgradePackage)  // 0x8108
    case locateNow  // 0x8201
    case tracking(TrackingControl)  // 0x8202
    case alarmConfirmation(AlarmConfirmation)  // 0x8203
    case linkCheck  // 0x8204
    case text(TextMessage)  // 0x8300
    case multimediaUploadResponse(MultimediaUploadResponse)  // 0x8800
    case camera(CameraCommand)  // 0x8801
    /// A body sent RSA-encrypted: kept as bytes, never guessed at.
    case encrypted(messageID: UInt16, body: [UInt8])

    public enum ID {
        public static let terminalResponse: UInt16 = 0x0001
        public static let heartbeat: UInt16 = 0x0002
        public static let logout: UInt16 = 0x0003
        public static let registration: UInt16 = 0x0100
        public static let authentication: UInt16 = 0x0102
        public static let parameterReply: UInt16 = 0x0104
        public static let attributes: UInt16 = 0x0107
        public static let upgradeResult: UInt16 = 0x0108
        public static let location: UInt16 = 0x0200
        public static let locationReply: UInt16 = 0x0201
        public static let driverIdentity: UInt16 = 0x0702
        public static let locationBatch: UInt16 = 0x0704
        public static let canBusData: UInt16 = 0x0705
        public static let multimediaEvent: UInt16 = 0x0800
        public static let multimediaUpload: UInt16 = 0x0801
        public static let cameraReply: UInt16 = 0x0805
        public static let passthrough: UInt16 = 0x0900
        public static let platformResponse: UInt16 = 0x8001
        public static let resendRequest: UInt16 = 0x8003
        public static let registrationResponse: UInt16 = 0x8100
        public static let setParameters: UInt16 = 0x8103
        public static let queryParameters: UInt16 = 0x8104
        public static let terminalControl: UInt16 = 0x8105
        public static let querySpecificParameters: UInt16 = 0x8106
        public static let queryAttributes: UInt16 = 0x8107
        public static let upgradePackage: UInt16 = 0x8108
        public static let locateNow: UInt16 = 0x8201
        public static let tracking: UInt16 = 0x8202
        public static let alarmConfirmation: UInt16 = 0x8203
        public static let linkCheck: UInt16 = 0x8204
        public static let text: UInt16 = 0x8300
        public static let multimediaUploadResponse: UInt16 = 0x8800
        public static let camera: UInt16 = 0x8801
    }

    public var messageID: UInt16 {
        switch self {
        case .terminalResponse: return ID.terminalResponse
        case .heartbeat: return ID.heartbeat
        case .logout: return ID.logout
        case .registration: return ID.registration
        case .authentication: return ID.authentication
        case .parameterReply: return ID.parameterReply
        case .attributes: return ID.attributes
        case .upgradeResult: return ID.upgradeResult
        case .location: return ID.location
        case .locationReply: return ID.locationReply
        case .driverIdentity: return ID.driverIdentity
        case .locationBatch: return ID.locationBatch
        case .canBusData: return ID.canBusData
        case .multimediaEvent: return ID.multimediaEvent
        case .multimediaUpload: return ID.multimediaUpload
        case .cameraReply: return ID.cameraReply
        case .passthrough: return ID.passthrough
        case .platformResponse: return ID.platformResponse
        case .resendRequest: return ID.resendRequest
        case .registrationResponse: return ID.registrationResponse
        case .setParameters: return ID.setParameters
        case .queryParameters: return ID.queryParameters
        case .terminalControl: return ID.terminalControl
        case .querySpecificParameters: return ID.querySpecificParameters
        case .queryAttributes: return ID.queryAttributes
        case .upgradePackage: return ID.upgradePackage
        case .locateNow: return ID.locateNow
        case .tracking: return ID.tracking
        case .alarmConfirmation: return ID.alarmConfirmation
        case .linkCheck: return ID.linkCheck
        case .text: return ID.text
        case .multimediaUploadResponse: return ID.multimediaUploadResponse
        case .camera: return ID.camera
        case .encrypted(let id, _): return id
        }
    }

    /// The protocol edition a body was laid out in, where the body (not the header) tells:
    /// a 2011 registration is only recognisable by its length, a 2011 driver identity by its
    /// first bytes.
    public static func bodyVersion(messageID: UInt16, body: UnsafeRawBufferPointer, headerVersion: ProtocolVersion) -> ProtocolVersion {
        switch messageID {
        case ID.registration: return Registration.layout(bodyLength: body.count, headerVersion: headerVersion)
        case ID.driverIdentity: return DriverIdentity.layout(body: body, headerVersion: headerVersion)
        default: return headerVersion
        }
    }

    /// Decodes a complete (reassembled, unencrypted) body.
    ///
    /// `bodyOffset` is where the body starts in its frame, so errors point at frame bytes.
    @inlinable
    public static func decode(
        messageID: UInt16, body: UnsafeRawBufferPointer, bodyOffset: Int = 0, context: DecodeContext
    ) throws(JT808Error) -> Message {
        var r = ByteReader(body, frameOffset: bodyOffset)
        // The hot path first: no allocation for a position with standard extras.
        if messageID == ID.location {
            return .location(try LocationReport.read(&r, utcOffsetMinutes: context.utcOffsetMinutes, strict: context.strict))
        }
        return try decodeOther(messageID: messageID, &r, context: context)
    }

    @usableFromInline
    static func decodeOther(messageID: UInt16, _ r: inout ByteReader, context: DecodeContext) throws(JT808Error) -> Message {
        let v = context.version
        switch messageID {
        case ID.terminalResponse: return .terminalResponse(try GeneralResponse.read(&r))
        case ID.heartbeat: return .heartbeat
        case ID.logout: return .logout
        case ID.registration:
            let layout = Registration.layout(bodyLength: r.remaining, headerVersion: v)
            return .registration(try Registration.read(&r, version: layout))
        case ID.authentication: return .authentication(try Authentication.read(&r, version: v))
        case ID.parameterReply:
            return .parameterReply(ParameterReply(replySerial: try r.u16("reply serial"), parameters: try TerminalParameter.readList(&r)))
        case ID.attributes: return .attributes(try TerminalAttributes.read(&r, version: v))
        case ID.upgradeResult: return .upgradeResult(UpgradeResult(kind: try r.u8("upgrade type"), result: try r.u8("upgrade result")))
        case ID.driverIdentity:
            let layout = DriverIdentity.layout(body: UnsafeRawBufferPointer(rebasing: r.bytes[r.position...]), headerVersion: v)
            return .driverIdentity(try DriverIdentity.read(&r, version: layout, utcOffsetMinutes: context.utcOffsetMinutes))
        case ID.canBusData: return .canBusData(try CANBusData.read(&r))
        case ID.locationReply:
            let serial = try r.u16("reply serial")
            return .locationReply(
                LocationReply(replySerial: serial, location: try LocationReport.read(&r, utcOffsetMinutes: context.utcOffsetMinutes, strict: context.strict)))
        case ID.locationBatch: return .locationBatch(try LocationBatch.read(&r, context: context))
        case ID.multimediaEvent: return .multimediaEvent(try MultimediaEvent.read(&r))
        case ID.multimediaUpload: return .multimediaUpload(try MultimediaUpload.read(&r, context: context))
        case ID.cameraReply: return .cameraReply(try CameraReply.read(&r))
        case ID.passthrough: return .passthrough(Passthrough(kind: try r.u8("pass-through type"), data: [UInt8](r.rest())))
        case ID.platformResponse: return .platformResponse(try GeneralResponse.read(&r))
        case ID.resendRequest: return .resendRequest(try ResendRequest.read(&r, version: v))
        case ID.registrationResponse: return .registrationResponse(try RegistrationResponse.read(&r))
        case ID.setParameters: return .setParameters(try TerminalParameter.readList(&r))
        case ID.queryParameters: return .queryParameters
        case ID.terminalControl: return .terminalControl(TerminalControl(command: try r.u8("command"), parameters: r.restString()))
        case ID.querySpecificParameters:
            let count = Int(try r.u8("parameter count"))
            var ids: [UInt32] = []
            for _ in 0..<count { ids.append(try r.u32("parameter id")) }
            return .querySpecificParameters(ids)
        case ID.queryAttributes: return .queryAttributes
        case ID.upgradePackage: return .upgradePackage(try UpgradePackage.read(&r, version: v))
        case ID.locateNow: return .locateNow
        case ID.linkCheck: return .linkCheck
        case ID.tracking: return .tracking(TrackingControl(intervalSeconds: try r.u16("interval"), validitySeconds: try r.u32("validity")))
        case ID.alarmConfirmation:
            return .alarmConfirmation(AlarmConfirmation(alarmSerial: try r.u16("alarm serial"), alarms: AlarmFlags(rawValue: try r.u32("alarm type"))))
        case ID.text: return .text(try TextMessage.read(&r, version: v))
        case ID.multimediaUploadResponse: return .multimediaUploadResponse(try MultimediaUploadResponse.read(&r))
        case ID.camera: return .camera(try CameraCommand.read(&r))
        default:
            throw JT808Error(.unsupportedMessage, at: 0, "message id 0x\(String(messageID, radix: 16, uppercase: true)) is not decoded")
        }
    }

    /// The body bytes in the layout of `version`.
    public func encodeBody(version: ProtocolVersion) -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case .terminalResponse(let m), .platformResponse(let m): m.write(into: &w)
        case .heartbeat, .logout, .queryParameters, .queryAttributes, .locateNow, .linkCheck: break
        case .registration(let m): m.write(into: &w, version: version)
        case .authentication(let m): m.write(into: &w, version: version)
        case .parameterReply(let m):
            w.u16(m.replySerial)
            TerminalParameter.writeList(m.parameters, into: &w)
        case .attributes(let m): m.write(into: &w, version: version)
        case .upgradeResult(let m):
            w.u8(m.kind)
            w.u8(m.result)
        case .driverIdentity(let m): m.write(into: &w, version: version)
        case .canBusData(let m): m.write(into: &w)
        case .upgradePackage(let m): m.write(into: &w, version: version)
        case .location(let m): m.write(into: &w)
        case .locationReply(let m):
            w.u16(m.replySerial)
            m.location.write(into: &w)
        case .locationBatch(let m): m.write(into: &w)
        case .multimediaEvent(let m): m.write(into: &w)
        case .multimediaUpload(let m): m.write(into: &w)
        case .cameraReply(let m): m.write(into: &w)
        case .passthrough(let m):
            w.u8(m.kind)
            w.append(m.data)
        case .resendRequest(let m): m.write(into: &w, version: version)
        case .registrationResponse(let m): m.write(into: &w)
        case .setParameters(let list): TerminalParameter.writeList(list, into: &w)
        case .terminalControl(let m):
            w.u8(m.command)
            w.append(GBK.encode(m.parameters))
        case .querySpecificParameters(let ids):
            w.u8(UInt8(clamping: ids.count))
            for id in ids.prefix(255) { w.u32(id) }
        case .tracking(let m):
            w.u16(m.intervalSeconds)
            w.u32(m.validitySeconds)
        case .alarmConfirmation(let m):
            w.u16(m.alarmSerial)
            w.u32(m.alarms.rawValue)
        case .text(let m): m.write(into: &w, version: version)
        case .multimediaUploadResponse(let m): m.write(into: &w)
        case .camera(let m): m.write(into: &w)
        case .encrypted(_, let body): w.append(body)
        }
        return w.bytes
    }
}
