/// How a frame deviated from the standard but was still accepted.
public struct FrameQuirks: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The check code was wrong and the device's profile says to accept it anyway.
    public static let checksumIgnored = FrameQuirks(rawValue: 1 << 0)
    /// A lone 0x7d right before the closing delimiter was taken literally.
    public static let danglingEscape = FrameQuirks(rawValue: 1 << 1)
    /// The version flag said one header layout, the body length the other.
    public static let versionFlagMismatch = FrameQuirks(rawValue: 1 << 2)
    /// The body was shorter than declared and the device's profile says to decode what is there.
    public static let shortBody = FrameQuirks(rawValue: 1 << 3)
}

/// What one frame carried: a whole message, or one part of a sub-packaged message.
public enum FrameContent: Hashable, Sendable {
    case message(Message)
    /// A sub-package's slice of the body; give it to a `SubpackageAssembler`.
    case part([UInt8])
}

/// A decoded frame.
public struct DecodedFrame: Hashable, Sendable {
    public var header: MessageHeader
    /// The edition the body was laid out in (2011 registrations share the 2013 header).
    public var bodyVersion: ProtocolVersion
    public var content: FrameContent
    public var quirks: FrameQuirks

    public init(header: MessageHeader, bodyVersion: ProtocolVersion, content: FrameContent, quirks: FrameQuirks = []) {
        self.header = header
        self.bodyVersion = bodyVersion
        self.content = content
        self.quirks = quirks
    }

    public var message: Message? {
        if case .message(let m) = content { return m }
        return nil
    }
}

/// Turns unescaped frames into messages, applying a device profile's version pin, checksum
/// policy and clock offset. A value type with no state: one per connection or one shared.
public struct FrameDecoder: Sendable {
    public var pinnedVersion: ProtocolVersion?
    /// A lenient profile: wrong check codes and bodies shorter than declared are accepted and
    /// flagged, malformed additional items and batch items kept and marked (`DecodeContext.strict`).
    public var acceptsBadChecksum: Bool
    public var utcOffsetMinutes: Int16

    public init(pinnedVersion: ProtocolVersion? = nil, acceptsBadChecksum: Bool = false, utcOffsetMinutes: Int16 = DeviceTime.chinaOffsetMinutes) {
        self.pinnedVersion = pinnedVersion
        self.acceptsBadChecksum = acceptsBadChecksum
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    public init(profile: DeviceProfile?) {
        self.init(
            pinnedVersion: profile?.protocolVersion, acceptsBadChecksum: profile?.checksum == .lenient,
            utcOffsetMinutes: profile?.utcOffsetMinutes ?? DeviceTime.chinaOffsetMinutes
        )
    }

    /// Checks the check code and parses the header.
    @inlinable
    public func header(of frame: UnescapedFrame) throws(JT808Error) -> (MessageHeader, FrameQuirks) {
        var quirks: FrameQuirks = frame.toleratedDanglingEscape ? .danglingEscape : []
        let content = frame.content
        if !frame.checksumValid {
            guard acceptsBadChecksum else {
                let expected = Framing.checkCode(content)
                let got = frame.bytes.last ?? 0
                throw JT808Error(
                    .badChecksum, at: frame.bytes.count - 1, "check code is 0x\(String(got, radix: 16)), content XORs to 0x\(String(expected, radix: 16))")
            }
            quirks.insert(.checksumIgnored)
        }
        let header = try MessageHeader.parse(content, pinned: pinnedVersion, allowShortBody: acceptsBadChecksum)
        if header.versionFlagMismatch { quirks.insert(.versionFlagMismatch) }
        if header.bodyShorterThanDeclared { quirks.insert(.shortBody) }
        return (header, quirks)
    }

    /// The body bytes of a frame whose header is `header`.
    @inlinable
    public func body(of frame: UnescapedFrame, header: MessageHeader) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: frame.bytes[header.length..<header.length + header.bodyLength])
    }

    /// Decodes one frame. A sub-package comes back as `.part`; an encrypted body as `.encrypted`.
    @inlinable
    public func decode(_ frame: UnescapedFrame) throws(JT808Error) -> DecodedFrame {
        let (header, quirks) = try header(of: frame)
        let body = body(of: frame, header: header)
        let version = Message.bodyVersion(messageID: header.messageID, body: body, headerVersion: header.version)
        let content: FrameContent
        if header.packet != nil {
            content = .part([UInt8](body))
        } else if header.isEncrypted {
            content = .message(.encrypted(messageID: header.messageID, body: [UInt8](body)))
        } else {
            content = .message(
                try Message.decode(
                    messageID: header.messageID, body: body, bodyOffset: header.length,
                    context: DecodeContext(version: version, utcOffsetMinutes: utcOffsetMinutes, strict: !acceptsBadChecksum)
                ))
        }
        return DecodedFrame(header: header, bodyVersion: version, content: content, quirks: quirks)
    }

    /// Decodes a body put together from sub-packages.
    public func decode(reassembled header: MessageHeader, body: [UInt8]) throws(JT808Error) -> DecodedFrame {
        let version = body.withUnsafeBytes { Message.bodyVersion(messageID: header.messageID, body: $0, headerVersion: header.version) }
        if header.isEncrypted {
            return DecodedFrame(header: header, bodyVersion: version, content: .message(.encrypted(messageID: header.messageID, body: body)))
        }
        let context = DecodeContext(version: version, utcOffsetMinutes: utcOffsetMinutes, strict: !acceptsBadChecksum)
        let result: Result<Message, JT808Error> = body.withUnsafeBytes { raw in
            Result { () throws(JT808Error) -> Message in try Message.decode(messageID: header.messageID, body: raw, context: context) }
        }
        return DecodedFrame(header: header, bodyVersion: version, content: .message(try result.get()))
    }
}

/// Builds wire frames: header, body, check code, escapes and delimiters; bodies longer than
/// the 1023 bytes a header can declare are split into sub-packages.
public enum FrameEncoder {
    public static let maximumBodyLength = 1023

    /// The wire frames for `message` (one, or one per sub-package with consecutive serials from
    /// `header.serial`).
    public static func encode(_ message: Message, header: MessageHeader) -> [[UInt8]] {
        let body = message.encodeBody(version: header.version)
        return encode(body: body, header: header, messageID: message.messageID)
    }

    public static func encode(body: [UInt8], header: MessageHeader, messageID: UInt16) -> [[UInt8]] {
        var header = header
        header.messageID = messageID
        guard body.count > maximumBodyLength else {
            header.packet = nil
            var w = ByteWriter(capacity: body.count + 24)
            header.write(bodyLength: body.count, into: &w)
            w.append(body)
            return [Framing.wire(content: w.bytes)]
        }
        let total = (body.count + maximumBodyLength - 1) / maximumBodyLength
        return (0..<total).map { i in
            var part = header
            part.serial = header.serial &+ UInt16(truncatingIfNeeded: i)
            part.packet = PacketInfo(total: UInt16(clamping: total), index: UInt16(i + 1))
            let slice = body[(i * maximumBodyLength)..<min(body.count, (i + 1) * maximumBodyLength)]
            var w = ByteWriter(capacity: slice.count + 24)
            part.write(bodyLength: slice.count, into: &w)
            w.append(slice)
            return Framing.wire(content: w.bytes)
        }
    }
}
