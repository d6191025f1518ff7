import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// GBK text as JT/T 808 puts it on the wire (plates such as 粤A12345, text messages).
///
/// iconv's GB18030 table is a superset of GBK, so decoding accepts anything a terminal sends;
/// ASCII, the common case, never reaches iconv. One handle per direction serves the process,
/// under a lock: opening one costs 16 KB of heap each time (measured: it was most of what a
/// terminal connection allocated, as every registration decodes a plate).
public enum GBK {
    /// Decodes GBK bytes; bytes that are not valid GBK become U+FFFD rather than failing.
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return decoder.convert(Array(bytes)).map { String(decoding: $0, as: UTF8.self) }
            ?? String(decoding: bytes.map { $0 < 0x80 ? $0 : 0x3f }, as: UTF8.self)
    }

    /// Encodes text as GBK; characters GBK cannot represent become `?`.
    public static func encode(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        if utf8.allSatisfy({ $0 < 0x80 }) { return utf8 }
        return encoder.convert(utf8) ?? utf8.map { $0 < 0x80 ? $0 : 0x3f }
    }

    /// Decodes a fixed-width field: trailing NULs and spaces are padding; so are leading ASCII
    /// '0's that some 2019 devices use to left-pad (when `trimLeadingZeros`).
    public static func decodeField(_ bytes: UnsafeRawBufferPointer, trimLeadingZeros: Bool = false) -> String {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0 || bytes[end - 1] == 0x20 { end -= 1 }
        var start = 0
        while start < end, bytes[start] == 0 { start += 1 }
        if trimLeadingZeros {
            while start < end - 1, bytes[start] == 0x30 { start += 1 }
        }
        return decode(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
    }

    private static let decoder = Converter(from: "GB18030", to: "UTF-8")
    private static let encoder = Converter(from: "UTF-8", to: "GB18030")

    /// An iconv handle and the lock that serialises its use.
    private final class Converter: Sendable {
        /// `@unchecked Sendable`: an iconv handle must not be used by two threads at once; it is
        /// only touched inside `lock.withLock`.
        private struct Handle: @unchecked Sendable { var value: iconv_t? }
        private let lock: Mutex<Handle>

        init(from: String, to: String) {
            let handle = iconv_open(to, from)
            lock = Mutex(Handle(value: handle == iconv_t(bitPattern: -1) ? nil : handle))
        }

        func convert(_ input: [UInt8]) -> [UInt8]? {
            lock.withLock { handle in
                guard let handle = handle.value else { return nil }
                // Back to the initial shift state: each call is independent.
                _ = iconv(handle, nil, nil, nil, nil)
                return Self.convert(input, with: handle)
            }
        }

        private static func convert(_ input: [UInt8], with handle: iconv_t) -> [UInt8]? {
            var output = [UInt8](repeating: 0, count: input.count * 4 + 8)
            var source = input.map { CChar(bitPattern: $0) }
            let produced: Int? = source.withUnsafeMutableBufferPointer { src in
                output.withUnsafeMutableBufferPointer { dst in
                    var inPtr: UnsafeMutablePointer<CChar>? = src.baseAddress
                    var inLeft = src.count
                    var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self)
                    var outLeft = dst.count
                    while inLeft > 0 {
                        if iconv(handle, &inPtr, &inLeft, &outPtr, &outLeft) == -1 {
                            // Skip one undecodable byte, emit '?', and go on.
                            guard errno == EILSEQ || errno == EINVAL, outLeft > 0 else { return nil }
                            inPtr = inPtr! + 1
                            inLeft -= 1
                            outPtr!.pointee = 0x3f
                            outPtr = outPtr! + 1
                            outLeft -= 1
                        }
                    }
                    return dst.count - outLeft
                }
            }
            guard let produced else { return nil }
            return Array(output.prefix(produced))
        }
    }
}
