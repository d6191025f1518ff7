/// Big-endian reads over borrowed bytes, with bounds checks that throw instead of trapping.
///
/// Offsets in errors are relative to the start of the unescaped frame (after the opening
/// delimiter), so a report can point at the byte that was wrong.
/// It borrows its bytes: use it only inside the `withUnsafeBytes` scope that made it.
public struct ByteReader {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    /// Read position within `bytes`.
    @usableFromInline var position: Int
    /// Where `bytes` starts within the frame, for error offsets.
    @usableFromInline let frameOffset: Int

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, frameOffset: Int = 0) {
        self.bytes = bytes
        self.position = 0
        self.frameOffset = frameOffset
    }

    @inlinable public var remaining: Int { bytes.count - position }
    /// The frame offset of the next byte to be read.
    @inlinable public var offsetInFrame: Int { frameOffset + position }

    @inlinable @inline(__always)
    func need(_ count: Int, _ field: StaticString) throws(JT808Error) {
        guard count <= bytes.count - position else {
            throw JT808Error(.truncated, at: offsetInFrame, "\(field) needs \(count) bytes, \(remaining) left")
        }
    }

    @inlinable @inline(__always)
    public mutating func u8(_ field: StaticString = "byte") throws(JT808Error) -> UInt8 {
        try need(1, field)
        defer { position += 1 }
        return bytes[position]
    }

    @inlinable @inline(__always)
    public mutating func u16(_ field: StaticString = "word") throws(JT808Error) -> UInt16 {
        try need(2, field)
        defer { position += 2 }
        return UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt16.self))
    }

    @inlinable @inline(__always)
    public mutating func u32(_ field: StaticString = "dword") throws(JT808Error) -> UInt32 {
        try need(4, field)
        defer { position += 4 }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    /// A view of the next `count` bytes, valid as long as the underlying buffer.
    @inlinable
    public mutating func slice(_ count: Int, _ field: StaticString = "bytes") throws(JT808Error) -> UnsafeRawBufferPointer {
        try need(count, field)
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    @inlinable
    public mutating func array(_ count: Int, _ field: StaticString = "bytes") throws(JT808Error) -> [UInt8] {
        [UInt8](try slice(count, field))
    }

    @inlinable
    public mutating func rest() -> UnsafeRawBufferPointer {
        defer { position = bytes.count }
        return UnsafeRawBufferPointer(rebasing: bytes[position...])
    }

    /// A reader over the next `count` bytes; this reader moves past them.
    @inlinable
    public mutating func subReader(_ count: Int, _ field: StaticString) throws(JT808Error) -> ByteReader {
        let start = offsetInFrame
        let view = try slice(count, field)
        return ByteReader(view, frameOffset: start)
    }
}

/// Big-endian writes into a growing byte array.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    public mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }
    public mutating func u32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }
    public mutating func append<S: Sequence<UInt8>>(_ other: S) { bytes.append(contentsOf: other) }

    /// Writes `value` into exactly `width` bytes: truncated, or padded on the right with `pad`.
    public mutating func fixed(_ value: [UInt8], width: Int, pad: UInt8 = 0) {
        bytes.append(contentsOf: value.prefix(width))
        if value.count < width { bytes.append(contentsOf: repeatElement(pad, count: width - value.count)) }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` with a typed error (the standard library's is untyped `rethrows`).
    @inlinable
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { raw in Result { () throws(E) -> R in try body(raw) } }
        return try result.get()
    }
}
