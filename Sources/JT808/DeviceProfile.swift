/// What the platform knows about one terminal model: the edition it speaks, its quirks, and how
/// to read its vendor additional items. Loaded from `DeviceProfiles/*.json` (format in
/// DeviceProfiles/README.md); the codec itself only needs this value.
public struct DeviceProfile: Sendable, Hashable, Decodable {
    public enum ChecksumPolicy: String, Sendable, Decodable {
        /// A wrong check code rejects the frame (the default).
        case strict
        /// Accept it and count the frame: for models known to compute it wrongly.
        case lenient
    }

    public var name: String
    public var description: String
    public var vendor: String?
    public var models: [String]
    /// Pins the header layout instead of trusting the version flag.
    public var protocolVersion: ProtocolVersion?
    public var checksum: ChecksumPolicy
    public var utcOffsetMinutes: Int16
    /// Vendor additional items of 0x0200 by id.
    public var extras: [UInt8: ItemFormat]
    /// Which named items carry the traction battery's state: read for dispatch.
    public var telemetry: Telemetry?

    /// How to read one item's bytes.
    public indirect enum ValueFormat: Sendable, Hashable {
        /// Big-endian integer of 1, 2 or 4 bytes, scaled by 10^-decimals.
        case unsigned(bytes: Int, decimals: Int)
        case signed(bytes: Int, decimals: Int)
        /// GBK text; `length` nil = to the end.
        case string(length: Int?)
        /// BCD digits (trailing F padding dropped).
        case bcd(length: Int?)
        /// 6-byte BCD time in the device's offset.
        case time
        case bytes(length: Int?)
        /// Fields one after another.
        case structure([ItemFormat])
        /// Nested items: id and length words (or bytes), the length counting the id or not.
        case tlv(idBytes: Int, lengthBytes: Int, lengthIncludesID: Bool, items: [UInt32: ItemFormat])
    }

    public struct ItemFormat: Sendable, Hashable, Decodable {
        public var name: String
        public var format: ValueFormat

        enum CodingKeys: String, CodingKey { case name, type, decimals, length, fields, idBytes, lengthBytes, lengthIncludesId, items }

        public init(name: String, format: ValueFormat) {
            self.name = name
            self.format = format
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            let type = try c.decode(String.self, forKey: .type)
            let decimals = try c.decodeIfPresent(Int.self, forKey: .decimals) ?? 0
            let length = try c.decodeIfPresent(Int.self, forKey: .length)
            switch type {
            case "u8": format = .unsigned(bytes: 1, decimals: decimals)
            case "u16": format = .unsigned(bytes: 2, decimals: decimals)
            case "u32": format = .unsigned(bytes: 4, decimals: decimals)
            case "i8": format = .signed(bytes: 1, decimals: decimals)
            case "i16": format = .signed(bytes: 2, decimals: decimals)
            case "i32": format = .signed(bytes: 4, decimals: decimals)
            case "string": format = .string(length: length)
            case "bcd": format = .bcd(length: length)
            case "time": format = .time
            case "bytes": format = .bytes(length: length)
            case "struct": format = .structure(try c.decode([ItemFormat].self, forKey: .fields))
            case "tlv":
                let raw = try c.decode([String: ItemFormat].self, forKey: .items)
                var items: [UInt32: ItemFormat] = [:]
                for (k, v) in raw {
                    guard let id = parseHex(k) else {
                        throw DecodingError.dataCorruptedError(forKey: .items, in: c, debugDescription: "item id \(k) is not hex like 0x00B2")
                    }
                    items[id] = v
                }
                format = .tlv(
                    idBytes: try c.decodeIfPresent(Int.self, forKey: .idBytes) ?? 2,
                    lengthBytes: try c.decodeIfPresent(Int.self, forKey: .lengthBytes) ?? 2,
                    lengthIncludesID: try c.decodeIfPresent(Bool.self, forKey: .lengthIncludesId) ?? false,
                    items: items
                )
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .type, in: c, debugDescription: "unknown type \(type); use u8 u16 u32 i8 i16 i32 string bcd time bytes struct tlv")
            }
            if case .unsigned(_, let d) = format, d < 0 || d > 9 {
                throw DecodingError.dataCorruptedError(forKey: .decimals, in: c, debugDescription: "decimals must be 0...9")
            }
        }
    }

    enum CodingKeys: String, CodingKey { case name, description, vendor, models, protocolVersion, checksum, utcOffsetMinutes, extras, telemetry }

    public init(
        name: String, description: String = "", protocolVersion: ProtocolVersion? = nil, checksum: ChecksumPolicy = .strict,
        utcOffsetMinutes: Int16 = DeviceTime.chinaOffsetMinutes, extras: [UInt8: ItemFormat] = [:], telemetry: Telemetry? = nil
    ) {
        self.name = name
        self.description = description
        self.vendor = nil
        self.models = []
        self.protocolVersion = protocolVersion
        self.checksum = checksum
        self.utcOffsetMinutes = utcOffsetMinutes
        self.extras = extras
        self.telemetry = telemetry
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        vendor = try c.decodeIfPresent(String.self, forKey: .vendor)
        models = try c.decodeIfPresent([String].self, forKey: .models) ?? []
        if let v = try c.decodeIfPresent(String.self, forKey: .protocolVersion) {
            guard let version = ProtocolVersion(name: v) else {
                throw DecodingError.dataCorruptedError(forKey: .protocolVersion, in: c, debugDescription: "protocolVersion is 2011, 2013 or 2019")
            }
            protocolVersion = version
        }
        checksum = try c.decodeIfPresent(ChecksumPolicy.self, forKey: .checksum) ?? .strict
        utcOffsetMinutes = try c.decodeIfPresent(Int16.self, forKey: .utcOffsetMinutes) ?? DeviceTime.chinaOffsetMinutes
        var items: [UInt8: ItemFormat] = [:]
        for (k, v) in try c.decodeIfPresent([String: ItemFormat].self, forKey: .extras) ?? [:] {
            guard let id = parseHex(k), id <= 0xff else {
                throw DecodingError.dataCorruptedError(forKey: .extras, in: c, debugDescription: "extra id \(k) is not a byte in hex like 0xE1")
            }
            items[UInt8(id)] = v
        }
        extras = items
        telemetry = try c.decodeIfPresent(Telemetry.self, forKey: .telemetry)
        for path in [telemetry?.stateOfCharge, telemetry?.rangeKm, telemetry?.charging?.item].compactMap({ $0 }) where !isNumber(path) {
            throw DecodingError.dataCorruptedError(
                forKey: .telemetry, in: c, debugDescription: "\(path.joined(separator: ".")) names no integer item of this profile's extras")
        }
    }

    /// Whether a path of names leads to an integer item: an extra's name, then its fields' or nested items'.
    func isNumber(_ path: [String]) -> Bool {
        guard let first = path.first, var format = extras.values.first(where: { $0.name == first })?.format else { return false }
        for name in path.dropFirst() {
            switch format {
            case .structure(let fields):
                guard let field = fields.first(where: { $0.name == name }) else { return false }
                format = field.format
            case .tlv(_, _, _, let items):
                guard let item = items.values.first(where: { $0.name == name }) else { return false }
                format = item.format
            default: return false
            }
        }
        switch format {
        case .unsigned, .signed: return true
        default: return false
        }
    }

    /// Decodes a vendor item with this profile; nil when the profile does not know it or the
    /// bytes do not fit its format (then the item stays raw).
    public func decode(_ item: RawExtra) -> NamedValue? {
        guard !item.overran, let format = extras[item.id] else { return nil }
        return item.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            guard let value = try? format.format.read(&r, utcOffsetMinutes: utcOffsetMinutes) else { return nil }
            return NamedValue(name: format.name, value: value)
        }
    }
}

/// A decoded vendor value with its name.
public struct NamedValue: Sendable, Hashable {
    public var name: String
    public var value: ExtraValue
}

/// A value read with a profile's format.
public indirect enum ExtraValue: Sendable, Hashable {
    /// An integer scaled by 10^-decimals (exact: no floating point).
    case number(Int64, decimals: Int)
    case text(String)
    case bytes([UInt8])
    case time(DeviceTime)
    case fields([NamedValue])
}

extension DeviceProfile.ValueFormat {
    func read(_ r: inout ByteReader, utcOffsetMinutes: Int16) throws(JT808Error) -> ExtraValue {
        func length(_ n: Int?) -> Int { n ?? r.remaining }
        switch self {
        case .unsigned(let bytes, let decimals), .signed(let bytes, let decimals):
            let raw = try r.slice(bytes, "vendor integer")
            var v: UInt64 = 0
            for b in raw { v = v << 8 | UInt64(b) }
            var value = Int64(v)
            if case .signed = self, bytes < 8, v & (1 << (8 * bytes - 1)) != 0 {
                value = Int64(v) - (Int64(1) << (8 * bytes))
            }
            return .number(value, decimals: decimals)
        case .string(let n): return .text(GBK.decodeField(try r.slice(length(n), "vendor string")))
        case .bcd(let n): return .text(BCD.digits(try r.slice(length(n), "vendor BCD")))
        case .time: return .time(try DeviceTime.read(&r, utcOffsetMinutes: utcOffsetMinutes))
        case .bytes(let n): return .bytes(try r.array(length(n), "vendor bytes"))
        case .structure(let fields):
            var values: [NamedValue] = []
            for field in fields {
                values.append(NamedValue(name: field.name, value: try field.format.read(&r, utcOffsetMinutes: utcOffsetMinutes)))
            }
            return .fields(values)
        case .tlv(let idBytes, let lengthBytes, let includesID, let items):
            var values: [NamedValue] = []
            while r.remaining >= idBytes + lengthBytes {
                func word(_ n: Int) throws(JT808Error) -> Int { n == 1 ? Int(try r.u8()) : n == 2 ? Int(try r.u16()) : Int(try r.u32()) }
                // Length first, then id, as the vendors in DeviceProfiles/ lay it out.
                var count = try word(lengthBytes)
                let id = UInt32(try word(idBytes))
                if includesID { count -= idBytes }
                guard count >= 0 else { throw JT808Error(.badField, at: r.offsetInFrame, "nested item length below its id size") }
                var sub = try r.subReader(count, "nested item")
                if let format = items[id], let value = try? format.format.read(&sub, utcOffsetMinutes: utcOffsetMinutes) {
                    values.append(NamedValue(name: format.name, value: value))
                } else {
                    values.append(NamedValue(name: "0x" + hex4(id), value: .bytes([UInt8](sub.rest()))))
                }
            }
            return .fields(values)
        }
    }
}

func hex4(_ v: UInt32) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}

/// `0xE1`, `0x00B2` or `E1`.
func parseHex(_ s: String) -> UInt32? {
    let digits = s.hasPrefix("0x") || s.hasPrefix("0X") ? s.dropFirst(2) : Substring(s)
    return UInt32(digits, radix: 16)
}
