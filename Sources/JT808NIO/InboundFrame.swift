import JT808

/// A frame decoded: its message (or sub-package), or the typed reason it was none.
public enum InboundFrame: Equatable, Sendable {
    case frame(DecodedFrame)
    /// A well-formed frame with a message id the codec does not decode: answered "unsupported".
    case unsupported(MessageHeader)
    case invalid(JT808Error)

    /// `frame` decoded by `decoder`: the standard's, or a terminal's device profile.
    public init(decoding frame: UndecodedFrame, with decoder: FrameDecoder) {
        switch frame {
        case .invalid(let error):
            self = .invalid(error)
        case .frame(let frame):
            self = frame.withFrame { Self(decoding: $0, with: decoder) }
        }
    }

    private init(decoding frame: UnescapedFrame, with decoder: FrameDecoder) {
        do {
            self = .frame(try decoder.decode(frame))
        } catch  where error.code == .unsupportedMessage {
            guard let (header, _) = try? decoder.header(of: frame) else {
                self = .invalid(error)
                return
            }
            self = .unsupported(header)
        } catch {
            self = .invalid(error)
        }
    }
}
