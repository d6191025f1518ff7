/// The wire framing of JT/T 808: `0x7e | escaped(content + check code) | 0x7e`, where
/// 0x7e inside is sent as `7d 02` and 0x7d as `7d 01`, and the check code is the XOR of the content.
public enum Framing {
    public static let delimiter: UInt8 = 0x7e
    public static let escape: UInt8 = 0x7d

    /// The largest unescaped frame the standard allows: a 2019 sub-package header (21 bytes),
    /// a 1023-byte body and the check code.
    public static let maximumFrameLength = 21 + 1023 + 1

    /// XOR of all bytes: the JT/T 808 check code of `content`.
    @inlinable
    public static func checkCode(_ content: UnsafeRawBufferPointer) -> UInt8 {
        var x: UInt8 = 0
        for b in content { x ^= b }
        return x
    }

    /// `content` (header + body, no check code) framed for the wire: check code appended,
    /// escaped, delimited.
    public static func wire(content: [UInt8]) -> [UInt8] {
        // Worst case every byte and the check code are escaped.
        let capacity = content.count * 2 + 4
        return [UInt8](unsafeUninitializedCapacity: capacity) { out, written in
            var n = 0
            var check: UInt8 = 0
            out[n] = delimiter
            n += 1
            for i in 0...content.count {
                let b: UInt8
                if i < content.count {
                    b = content[i]
                    check ^= b
                } else {
                    b = check
                }
                if b == delimiter || b == escape {
                    out[n] = escape
                    out[n + 1] = b == delimiter ? 0x02 : 0x01
                    n += 2
                } else {
                    out[n] = b
                    n += 1
                }
            }
            out[n] = delimiter
            written = n + 1
        }
    }

    /// One delimited wire frame (with its 0x7e at both ends) unescaped, check code included.
    public static func unescape(wire: [UInt8], limit: Int = maximumFrameLength) throws(JT808Error) -> UnescapedFrame.Owned {
        guard wire.count >= 2, wire.first == delimiter, wire.last == delimiter else {
            throw JT808Error(.badDelimiter, at: 0, "a frame starts and ends with 0x7e")
        }
        var splitter = FrameSplitter(maximumFrameLength: limit)
        var result: Result<UnescapedFrame.Owned, JT808Error>?
        wire.withUnsafeBytes { bytes in
            splitter.feed(bytes) { event in
                guard result == nil else { return }
                switch event {
                case .frame(let frame): result = .success(frame.owned())
                case .error(let error): result = .failure(error)
                }
            }
        }
        guard let result else { throw JT808Error(.truncated, at: 1, "empty frame") }
        return try result.get()
    }
}

/// One frame as the splitter found it between two delimiters: unescaped, check code last.
/// It borrows the splitter's buffer and is valid only inside the callback that received it.
public struct UnescapedFrame {
    /// Header, body and check code.
    public let bytes: UnsafeRawBufferPointer
    /// Whether the XOR of header and body equals the check code.
    public let checksumValid: Bool
    /// A lone 0x7d right before the closing delimiter was taken as a literal byte (a known device bug).
    public let toleratedDanglingEscape: Bool

    @inlinable
    init(bytes: UnsafeRawBufferPointer, checksumValid: Bool, toleratedDanglingEscape: Bool) {
        self.bytes = bytes
        self.checksumValid = checksumValid
        self.toleratedDanglingEscape = toleratedDanglingEscape
    }

    /// Header and body, without the check code.
    @inlinable public var content: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes.dropLast()) }

    public func owned() -> Owned {
        Owned(bytes: [UInt8](bytes), checksumValid: checksumValid, toleratedDanglingEscape: toleratedDanglingEscape)
    }

    /// An unescaped frame that owns its bytes, for frames kept beyond the splitter's callback.
    public struct Owned: Sendable, Hashable {
        public var bytes: [UInt8]
        public var checksumValid: Bool
        public var toleratedDanglingEscape: Bool

        public init(bytes: [UInt8], checksumValid: Bool, toleratedDanglingEscape: Bool = false) {
            self.bytes = bytes
            self.checksumValid = checksumValid
            self.toleratedDanglingEscape = toleratedDanglingEscape
        }

        /// Content without escaping (as traccar's frame decoder hands it on): the check code is
        /// taken from the last byte and verified.
        public init(unescapedWithDelimiters raw: [UInt8]) {
            var inner = raw
            if inner.first == Framing.delimiter { inner.removeFirst() }
            if inner.last == Framing.delimiter { inner.removeLast() }
            let valid = inner.withUnsafeBytes { Framing.checkCode($0) } == 0
            self.init(bytes: inner, checksumValid: valid)
        }

        public func withFrame<R, E: Error>(_ body: (UnescapedFrame) throws(E) -> R) throws(E) -> R {
            try bytes.withBytes { raw throws(E) -> R in
                try body(UnescapedFrame(bytes: raw, checksumValid: checksumValid, toleratedDanglingEscape: toleratedDanglingEscape))
            }
        }
    }
}

/// What the splitter found: a frame, or a typed error for bytes that could not be one.
public enum SplitEvent {
    case frame(UnescapedFrame)
    case error(JT808Error)
}

/// A streaming frame splitter: bytes in as they arrive from TCP, frames out.
///
/// It copes with frames split across reads, several frames in one read, garbage before the first
/// delimiter and between frames (a delimited run that is not a frame comes out as such and fails
/// to decode; it never swallows the next frame), a missing closing delimiter (the next 0x7e closes
/// the frame), invalid escapes and over-long frames (an error, then resynchronisation at the next
/// delimiter). Memory is bounded by `maximumFrameLength`; no allocation happens per frame.
public struct FrameSplitter: Sendable {
    public let maximumFrameLength: Int
    // Internal, not private: `feed` is inlinable so that it specialises in the caller.
    @usableFromInline var buffer: [UInt8]
    @usableFromInline var count = 0
    @usableFromInline var check: UInt8 = 0
    @usableFromInline var seenDelimiter = false
    @usableFromInline var escapePending = false
    @usableFromInline var overflow = false
    @usableFromInline var badEscapeOffset: Int?
    /// Bytes dropped before the first delimiter of the stream.
    @usableFromInline var discarded = 0
    public var discardedBytes: Int { discarded }

    public init(maximumFrameLength: Int = Framing.maximumFrameLength) {
        precondition(maximumFrameLength > 0)
        self.maximumFrameLength = maximumFrameLength
        buffer = [UInt8](repeating: 0, count: maximumFrameLength)
    }

    /// Bytes held for a frame whose closing delimiter has not arrived yet.
    public var pendingBytes: Int { count }

    /// Feeds one chunk of the stream; `handle` sees every complete frame or error, in order.
    @inlinable
    public mutating func feed<E: Error>(
        _ chunk: UnsafeRawBufferPointer,
        _ handle: (SplitEvent) throws(E) -> Void
    ) throws(E) {
        var index = 0
        let end = chunk.count
        if !seenDelimiter {
            while index < end, chunk[index] != Framing.delimiter { index += 1 }
            discarded += index
            guard index < end else { return }
            seenDelimiter = true
            index += 1
        }
        // The whole chunk is processed with the buffer borrowed once, in local state.
        let limit = maximumFrameLength
        var n = count, x = check, overflowed = overflow, pending = escapePending, badAt = badEscapeOffset
        defer {
            count = n
            check = x
            overflow = overflowed
            escapePending = pending
            badEscapeOffset = badAt
        }
        try buffer.withUnsafeMutableBufferPointer { (out: inout UnsafeMutableBufferPointer<UInt8>) throws(E) in
            let dst = out.baseAddress!
            let src = chunk.baseAddress
            while index < end {
                if !pending {
                    // The hot loop: copy and XOR plain bytes up to the next 0x7e or 0x7d, eight
                    // at a time while no byte of the word is special (the classic has-zero-byte
                    // test on the word XOR 0x7e.. and XOR 0x7d..), then byte by byte.
                    if let src {
                        var folded: UInt64 = 0
                        while index &+ 8 <= end, n &+ 8 <= limit {
                            let w = (src + index).loadUnaligned(as: UInt64.self)
                            let a = w ^ 0x7e7e_7e7e_7e7e_7e7e
                            let d = w ^ 0x7d7d_7d7d_7d7d_7d7d
                            let special = (((a &- 0x0101_0101_0101_0101) & ~a) | ((d &- 0x0101_0101_0101_0101) & ~d)) & 0x8080_8080_8080_8080
                            if special != 0 { break }
                            UnsafeMutableRawPointer(dst + n).storeBytes(of: w, as: UInt64.self)
                            folded ^= w
                            n &+= 8
                            index &+= 8
                        }
                        folded ^= folded >> 32
                        folded ^= folded >> 16
                        folded ^= folded >> 8
                        x ^= UInt8(truncatingIfNeeded: folded)
                    }
                    while index < end {
                        let b = chunk[index]
                        if b == Framing.delimiter || b == Framing.escape { break }
                        if n < limit {
                            dst[n] = b
                            n &+= 1
                            x ^= b
                        } else {
                            overflowed = true
                        }
                        index &+= 1
                    }
                    guard index < end else { break }
                    let special = chunk[index]
                    index &+= 1
                    if special == Framing.escape {
                        pending = true
                    } else {
                        try Self.emit(dst, &n, &x, &overflowed, &badAt, limit: limit, dangling: false, handle)
                    }
                    continue
                }
                let b = chunk[index]
                index &+= 1
                pending = false
                switch b {
                case 0x01: Self.put(Framing.escape, dst, &n, &x, &overflowed, limit: limit)
                case 0x02: Self.put(Framing.delimiter, dst, &n, &x, &overflowed, limit: limit)
                case Framing.delimiter:
                    // `7d 7e`: a device that forgot to escape its last byte. Keep it as 0x7d.
                    Self.put(Framing.escape, dst, &n, &x, &overflowed, limit: limit)
                    try Self.emit(dst, &n, &x, &overflowed, &badAt, limit: limit, dangling: true, handle)
                default:
                    if badAt == nil { badAt = n }
                }
            }
        }
    }

    @inlinable @inline(__always)
    static func put(_ b: UInt8, _ dst: UnsafeMutablePointer<UInt8>, _ n: inout Int, _ x: inout UInt8, _ overflowed: inout Bool, limit: Int) {
        if n < limit {
            dst[n] = b
            n += 1
            x ^= b
        } else {
            overflowed = true
        }
    }

    /// A delimiter ended the frame: hand it (or its error) on and start the next.
    @inlinable
    static func emit<E: Error>(
        _ dst: UnsafeMutablePointer<UInt8>, _ n: inout Int, _ x: inout UInt8, _ overflowed: inout Bool, _ badAt: inout Int?,
        limit: Int, dangling: Bool, _ handle: (SplitEvent) throws(E) -> Void
    ) throws(E) {
        defer {
            n = 0
            x = 0
            overflowed = false
            badAt = nil
        }
        if overflowed {
            try handle(.error(JT808Error(.frameTooLong, at: limit, "no closing 0x7e within \(limit) bytes")))
        } else if let offset = badAt {
            try handle(.error(JT808Error(.badEscape, at: offset, "0x7d must be followed by 0x01 or 0x02")))
        } else if n > 0 {
            let frame = UnsafeRawBufferPointer(start: UnsafeRawPointer(dst), count: n)
            try handle(.frame(UnescapedFrame(bytes: frame, checksumValid: x == 0, toleratedDanglingEscape: dangling)))
        }
    }

    /// The stream ended: whatever was pending since the last delimiter is reported as a frame
    /// with its closing delimiter missing (it may still decode).
    public mutating func finish<E: Error>(_ handle: (SplitEvent) throws(E) -> Void) throws(E) {
        if escapePending {
            escapePending = false
            if badEscapeOffset == nil { badEscapeOffset = count }
        }
        // A closing delimiter is what ends a frame: feed one.
        if seenDelimiter {
            let close: [UInt8] = [Framing.delimiter]
            try close.withBytes { raw throws(E) in try feed(raw, handle) }
        }
        seenDelimiter = false
    }

}
