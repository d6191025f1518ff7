/// A terminal parameter value (0x8103 set, 0x0104 reply), typed as the standard's table types it.
public enum ParameterValue: Hashable, Sendable {
    case byte(UInt8)
    case word(UInt16)
    case dword(UInt32)
    case string(String)
    case bytes([UInt8])

    var encoded: [UInt8] {
        switch self {
        case .byte(let v): return [v]
        case .word(let v): return [UInt8(v >> 8), UInt8(v & 0xff)]
        case .dword(let v): return [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        case .string(let s): return GBK.encode(s)
        case .bytes(let b): return b
        }
    }

    public var integer: UInt32? {
        switch self {
        case .byte(let v): return UInt32(v)
        case .word(let v): return UInt32(v)
        case .dword(let v): return v
        case .string, .bytes: return nil
        }
    }
}

/// One parameter: its id and value.
public struct TerminalParameter: Hashable, Sendable {
    public var id: UInt32
    public var value: ParameterValue

    public init(id: UInt32, value: ParameterValue) {
        self.id = id
        self.value = value
    }

    /// Parameter ids the platform uses by name (JT/T 808-2019 table 14).
    public enum ID {
        public static let heartbeatInterval: UInt32 = 0x0001
        public static let tcpTimeout: UInt32 = 0x0002
        public static let tcpRetransmissions: UInt32 = 0x0003
        public static let mainServerAPN: UInt32 = 0x0010
        public static let mainServerAddress: UInt32 = 0x0013
        public static let serverTCPPort: UInt32 = 0x0018
        public static let reportStrategy: UInt32 = 0x0020
        public static let sleepReportInterval: UInt32 = 0x0027
        public static let emergencyReportInterval: UInt32 = 0x0028
        public static let defaultReportInterval: UInt32 = 0x0029
        public static let cornerAngle: UInt32 = 0x0030
        public static let maximumSpeed: UInt32 = 0x0055
        public static let overspeedDuration: UInt32 = 0x0056
        public static let continuousDrivingLimit: UInt32 = 0x0057
        public static let dailyDrivingLimit: UInt32 = 0x0058
        public static let minimumRest: UInt32 = 0x0059
        public static let odometer: UInt32 = 0x0080
        public static let plate: UInt32 = 0x0083
        public static let plateColor: UInt32 = 0x0084
    }

    /// Parameters of type STRING in the standard's table; the others are typed by their length.
    static func isString(_ id: UInt32) -> Bool {
        switch id {
        case 0x0010...0x0017, 0x001A, 0x001D, 0x0023...0x0026, 0x0040...0x0044, 0x0048, 0x0049, 0x0083: return true
        default: return false
        }
    }

    static func read(_ r: inout ByteReader) throws(JT808Error) -> TerminalParameter {
        let id = try r.u32("parameter id")
        let length = Int(try r.u8("parameter length"))
        let raw = try r.slice(length, "parameter value")
        let value: ParameterValue
        if isString(id) {
            value = .string(GBK.decodeField(raw))
        } else {
            switch length {
            case 1: value = .byte(raw[0])
            case 2: value = .word(UInt16(raw[0]) << 8 | UInt16(raw[1]))
            case 4: value = .dword(UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self)))
            default: value = .bytes([UInt8](raw))
            }
        }
        return TerminalParameter(id: id, value: value)
    }

    func write(into w: inout ByteWriter) {
        let bytes = value.encoded.prefix(255)
        w.u32(id)
        w.u8(UInt8(bytes.count))
        w.append(bytes)
    }

    /// A list prefixed by its count in one byte, as 0x8103 and 0x0104 carry it.
    static func readList(_ r: inout ByteReader) throws(JT808Error) -> [TerminalParameter] {
        let count = Int(try r.u8("parameter count"))
        var list: [TerminalParameter] = []
        list.reserveCapacity(count)
        for _ in 0..<count { list.append(try read(&r)) }
        return list
    }

    static func writeList(_ list: [TerminalParameter], into w: inout ByteWriter) {
        w.u8(UInt8(clamping: list.count))
        for p in list.prefix(255) { p.write(into: &w) }
    }
}

/// 0x0104 answer to a parameter query (0x8104 or 0x8106).
public struct ParameterReply: Hashable, Sendable {
    public var replySerial: UInt16
    public var parameters: [TerminalParameter]
    public init(replySerial: UInt16, parameters: [TerminalParameter]) {
        self.replySerial = replySerial
        self.parameters = parameters
    }

    public subscript(id: UInt32) -> ParameterValue? { parameters.first { $0.id == id }?.value }
}
