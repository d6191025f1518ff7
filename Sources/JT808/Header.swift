/// The protocol edition a frame follows. 2011 and 2013 share a header; only some bodies differ.
public enum ProtocolVersion: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case v2011 = 2011
    case v2013 = 2013
    case v2019 = 2019

    public var description: String { String(rawValue) }

    public init?(name: String) {
        guard let year = Int(name), let version = ProtocolVersion(rawValue: year) else { return nil }
        self = version
    }

    /// 2019 headers carry a version byte and a 10-byte terminal phone.
    public var hasLongHeader: Bool { self == .v2019 }
}

/// The terminal's phone number / id as it travels: 6 BCD bytes (2011/2013) or 10 (2019).
///
/// Kept as raw bytes, not digits: a few devices pack a binary IMEI here instead of BCD, and the
/// hex rendering of the bytes is then still a faithful, reversible id.
public struct TerminalPhone: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Up to 10 bytes, right-aligned in 80 bits: `high` holds bytes 0-7, `low` bytes 8-9.
    @usableFromInline var high: UInt64
    @usableFromInline var low: UInt16
    /// 6 or 10.
    public let byteCount: UInt8

    @inlinable
    init(reading bytes: UnsafeRawBufferPointer, at offset: Int, count: Int) {
        if count == 6 || count == 10 {
            // The two header widths, read as words: the last two bytes go to `low`.
            let head = count - 2
            var h = UInt64(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            if head == 8 { h = h << 32 | UInt64(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))) }
            high = h
            low = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + head, as: UInt16.self))
        } else {
            var h: UInt64 = 0
            var l: UInt16 = 0
            for i in 0..<count {
                // Shift the 80-bit value left by one byte and add the next.
                h = (h << 8) | UInt64(l >> 8)
                l = (l << 8) | UInt16(bytes[offset + i])
            }
            high = h
            low = l
        }
        byteCount = UInt8(count)
    }

    /// From digits (leading zeros added to fill 12 or 20 digits), for encoding.
    public init?(digits: String, version: ProtocolVersion) {
        let width = version.hasLongHeader ? 20 : 12
        let chars = Array(digits.utf8)
        guard chars.count <= width, chars.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 || $0 >= 0x61 && $0 <= 0x66 }) else { return nil }
        let padded = [UInt8](repeating: 0x30, count: width - chars.count) + chars
        var bytes: [UInt8] = []
        var i = 0
        while i < padded.count {
            bytes.append(Self.nibble(padded[i]) << 4 | Self.nibble(padded[i + 1]))
            i += 2
        }
        self = bytes.withUnsafeBytes { TerminalPhone(reading: $0, at: 0, count: bytes.count) }
    }

    /// The same terminal id in the other header width (2019 <-> 2013), zero-extended or cut on the left.
    public func resized(for version: ProtocolVersion) -> TerminalPhone {
        let width = version.hasLongHeader ? 10 : 6
        if Int(byteCount) == width { return self }
        let current = bytes
        let fitted =
            current.count > width
            ? Array(current.suffix(width))
            : [UInt8](repeating: 0, count: width - current.count) + current
        return fitted.withUnsafeBytes { TerminalPhone(reading: $0, at: 0, count: width) }
    }

    private static func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : c - 0x61 + 10 }

    public var bytes: [UInt8] {
        (0..<Int(byteCount)).map { i in
            let fromEnd = Int(byteCount) - 1 - i
            return fromEnd < 2
                ? UInt8(truncatingIfNeeded: low >> (8 * fromEnd))
                : UInt8(truncatingIfNeeded: high >> (8 * (fromEnd - 2)))
        }
    }

    /// The BCD digits with leading zeros kept (12 or 20 characters).
    public var description: String {
        let digits: [UInt8] = bytes.flatMap { [hexDigit($0 >> 4), hexDigit($0 & 0x0f)] }
        return String(decoding: digits, as: UTF8.self)
    }

    /// The digits without the leading zeros, as people write a phone number.
    public var number: String {
        let d = description.drop { $0 == "0" }
        return d.isEmpty ? "0" : String(d)
    }

    public static func < (a: TerminalPhone, b: TerminalPhone) -> Bool {
        (a.high, a.low, a.byteCount) < (b.high, b.low, b.byteCount)
    }
}

@inlinable func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

/// Total and 1-based index of a sub-package.
public struct PacketInfo: Hashable, Sendable {
    public var total: UInt16
    public var index: UInt16
    public init(total: UInt16, index: UInt16) {
        self.total = total
        self.index = index
    }
}

/// The message header, 2011/2013 or 2019 layout.
public struct MessageHeader: Hashable, Sendable {
    public var messageID: UInt16
    public var version: ProtocolVersion
    /// The 2019 protocol version byte (1 for JT/T 808-2019).
    public var protocolVersionNumber: UInt8
    public var phone: TerminalPhone
    public var serial: UInt16
    /// Bits 10-12 of the body attributes; bit 10 (value 1) is RSA.
    public var encryption: UInt8
    public var packet: PacketInfo?
    /// Declared body length (bits 0-9).
    public var bodyLength: Int
    /// Bit 14 was set although the 2013 layout is what fits (or the reverse): a device quirk.
    public var versionFlagMismatch: Bool
    /// Fewer body bytes arrived than the header declared (accepted only by lenient profiles).
    public var bodyShorterThanDeclared: Bool

    public init(
        messageID: UInt16, version: ProtocolVersion, phone: TerminalPhone, serial: UInt16,
        protocolVersionNumber: UInt8 = 1, encryption: UInt8 = 0, packet: PacketInfo? = nil, bodyLength: Int = 0
    ) {
        self.messageID = messageID
        self.version = version
        self.protocolVersionNumber = version.hasLongHeader ? protocolVersionNumber : 0
        self.phone = phone
        self.serial = serial
        self.encryption = encryption
        self.packet = packet
        self.bodyLength = bodyLength
        self.versionFlagMismatch = false
        self.bodyShorterThanDeclared = false
    }

    public var isEncrypted: Bool { encryption & 0b001 != 0 }

    /// Header bytes for a layout, sub-package words included.
    @inlinable
    static func length(long: Bool, subpackage: Bool) -> Int { (long ? 17 : 12) + (subpackage ? 4 : 0) }

    @inlinable
    public var length: Int { Self.length(long: version.hasLongHeader, subpackage: packet != nil) }

    /// Parses the header of `content` (header + body, check code removed).
    ///
    /// The layout is chosen by the version flag (bit 14), unless `pinned` says otherwise; when the
    /// declared body length does not fit that layout but fits the other one, the other one wins
    /// (real devices set the 2019 bit on 2013 headers, and the reverse).
    @inlinable
    ///
    /// With `allowShortBody`, a body shorter than declared is accepted as it is (`bodyLength`
    /// then says what is present), for lenient device profiles.
    public static func parse(_ content: UnsafeRawBufferPointer, pinned: ProtocolVersion? = nil, allowShortBody: Bool = false) throws(JT808Error)
        -> MessageHeader
    {
        guard content.count >= 4 else {
            throw JT808Error(.truncated, at: content.count, "header needs at least 12 bytes, frame has \(content.count)")
        }
        let id = UInt16(bigEndian: content.loadUnaligned(fromByteOffset: 0, as: UInt16.self))
        let attributes = UInt16(bigEndian: content.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let declaredLength = Int(attributes & 0x03ff)
        let subpackage = attributes & 0x2000 != 0
        let flag = attributes & 0x4000 != 0
        let preferLong = pinned.map { $0.hasLongHeader } ?? flag
        let n = content.count
        var long = preferLong
        var bodyLength = declaredLength
        var shortBody = false
        if length(long: preferLong, subpackage: subpackage) + bodyLength != n {
            if pinned == nil, length(long: !preferLong, subpackage: subpackage) + bodyLength == n {
                long = !preferLong
            } else {
                let needed = length(long: preferLong, subpackage: subpackage)
                if n < needed {
                    throw JT808Error(.truncated, at: n, "header needs \(needed) bytes, frame has \(n)")
                }
                if allowShortBody, n - needed < bodyLength {
                    bodyLength = n - needed
                    shortBody = true
                } else {
                    throw JT808Error(.lengthMismatch, at: 2, "body length \(bodyLength) declared, \(n - needed) present")
                }
            }
        }
        var p = 4
        var versionNumber: UInt8 = 0
        if long {
            versionNumber = content[4]
            p = 5
        }
        let phoneCount = long ? 10 : 6
        let phone = TerminalPhone(reading: content, at: p, count: phoneCount)
        p += phoneCount
        let serial = UInt16(bigEndian: content.loadUnaligned(fromByteOffset: p, as: UInt16.self))
        p += 2
        var packet: PacketInfo?
        if subpackage {
            packet = PacketInfo(
                total: UInt16(bigEndian: content.loadUnaligned(fromByteOffset: p, as: UInt16.self)),
                index: UInt16(bigEndian: content.loadUnaligned(fromByteOffset: p + 2, as: UInt16.self))
            )
        }
        var header = MessageHeader(
            messageID: id, version: long ? .v2019 : .v2013, phone: phone, serial: serial,
            protocolVersionNumber: versionNumber, encryption: UInt8((attributes >> 10) & 0b111),
            packet: packet, bodyLength: bodyLength
        )
        header.versionFlagMismatch = long != flag
        header.bodyShorterThanDeclared = shortBody
        return header
    }

    /// Appends the header for a body of `bodyLength` bytes.
    public func write(bodyLength: Int, into w: inout ByteWriter) {
        var attributes = UInt16(bodyLength & 0x03ff) | UInt16(encryption & 0b111) << 10
        if packet != nil { attributes |= 0x2000 }
        if version.hasLongHeader { attributes |= 0x4000 }
        w.u16(messageID)
        w.u16(attributes)
        if version.hasLongHeader { w.u8(protocolVersionNumber) }
        w.append(phone.resized(for: version).bytes)
        w.u16(serial)
        if let packet {
            w.u16(packet.total)
            w.u16(packet.index)
        }
    }
}
