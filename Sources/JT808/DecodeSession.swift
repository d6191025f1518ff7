/// Decodes frames given as hex text, one per call, into `fleetd decode`'s JSON lines.
/// Sub-packages given in order on consecutive lines are put back together: the line of the part
/// that completes a message carries the whole decoded body.
public struct DecodeSession {
    public let profile: DeviceProfile?
    private let decoder: FrameDecoder
    private var assembler = SubpackageAssembler<ContinuousClock.Instant>()

    public init(profile: DeviceProfile? = nil) {
        self.profile = profile
        self.decoder = FrameDecoder(profile: profile)
    }

    /// The JSON line for one frame, and whether it decoded.
    public mutating func decode(hex text: String) -> (json: String, ok: Bool) {
        guard let bytes = Self.bytes(hex: text) else {
            return (#"{"error":"# + FrameJSON.errorObject(code: "badHex", message: "expected pairs of hex digits, spaces allowed") + "}", false)
        }
        let frame: UnescapedFrame.Owned
        do {
            // A frame that starts with 0x7e is as it travels; without delimiters it is the
            // unescaped content (header, body and check code).
            frame =
                bytes.first == Framing.delimiter
                ? try Framing.unescape(wire: bytes)
                : UnescapedFrame.Owned(unescapedWithDelimiters: bytes)
        } catch {
            return (FrameJSON.render(error: error), false)
        }
        return decode(frame)
    }

    public mutating func decode(_ frame: UnescapedFrame.Owned) -> (json: String, ok: Bool) {
        do throws(JT808Error) {
            var decoded = try frame.withFrame { f throws(JT808Error) in try decoder.decode(f) }
            if case .part(let part) = decoded.content {
                switch assembler.add(header: decoded.header, part: part, now: .now) {
                case .incomplete: break
                case .complete(let header, let body):
                    var whole: DecodedFrame
                    do throws(JT808Error) {
                        whole = try decoder.decode(reassembled: header, body: body)
                    } catch  where error.code == .unsupportedMessage {
                        return (FrameJSON.render(error: error, header: header, body: body), false)
                    }
                    whole.header.packet = decoded.header.packet
                    whole.quirks.formUnion(decoded.quirks)
                    decoded = whole
                case .rejected(let error): throw error
                }
            }
            return (FrameJSON.render(decoded, profile: profile), true)
        } catch {
            guard error.code == .unsupportedMessage else { return (FrameJSON.render(error: error), false) }
            // The header is sound: print it with the raw body.
            let parts = try? frame.withFrame { f throws(JT808Error) in
                let (header, _) = try decoder.header(of: f)
                return (header, [UInt8](decoder.body(of: f, header: header)))
            }
            return (FrameJSON.render(error: error, header: parts?.0, body: parts?.1), false)
        }
    }

    /// Hex digits to bytes; whitespace is ignored. Nil for anything else or an odd count.
    public static func bytes(hex: String) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): continue
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }
}
