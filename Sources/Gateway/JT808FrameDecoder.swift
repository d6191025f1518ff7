import JT808
import NIOCore
import Synchronization

/// What the frame layer hands up the pipeline: a decoded frame, or the typed reason a run of
/// bytes was not one. Errors travel as values: one bad frame must not close the connection.
public enum InboundFrame: Equatable, Sendable {
    case frame(DecodedFrame)
    /// A well-formed frame with a message id the codec does not decode: answered "unsupported".
    case unsupported(MessageHeader)
    case invalid(JT808Error)
}

/// Told up the pipeline when a frame's first bytes arrived and when no frame is in progress any
/// more: the session gives a started frame a few seconds to complete (bytes dripping in slowly
/// must not hold a connection and its buffer).
public enum FrameProgress: Equatable, Sendable {
    case started
    case none
}

/// How a connection's frames are decoded: the standard until the terminal is known, then its
/// device profile (version pin, check-code policy, clock offset). Shared by the pipeline's
/// decoder and the session that learns who the terminal is.
public final class DecoderSelection: Sendable {
    private let current: Mutex<FrameDecoder>

    public init(_ decoder: FrameDecoder = FrameDecoder()) { current = Mutex(decoder) }

    public var decoder: FrameDecoder {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
}

/// Bytes from the socket to decoded frames: `FrameSplitter` (delimiting, unescaping, check code,
/// size bound) then `FrameDecoder` (header, body, device profile).
public struct JT808FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = InboundFrame

    private var splitter: FrameSplitter
    private var frameInProgress = false
    /// Which decoder applies; the session switches it to the terminal's profile.
    public let selection: DecoderSelection

    public init(selection: DecoderSelection = DecoderSelection(), maximumFrameLength: Int = Framing.maximumFrameLength) {
        self.splitter = FrameSplitter(maximumFrameLength: maximumFrameLength)
        self.selection = selection
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let decoder = selection.decoder
        buffer.withUnsafeReadableBytes { bytes in
            splitter.feed(bytes) { event in
                context.fireChannelRead(NIOAny(Self.inbound(event, decoder)))
            }
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        if frameInProgress != (splitter.pendingBytes > 0) {
            frameInProgress.toggle()
            context.fireUserInboundEventTriggered(frameInProgress ? FrameProgress.started : FrameProgress.none)
        }
        return .needMoreData
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        _ = try decode(context: context, buffer: &buffer)
        if seenEOF {
            // The connection ended: a frame without its closing delimiter may still be whole.
            let decoder = selection.decoder
            splitter.finish { event in context.fireChannelRead(NIOAny(Self.inbound(event, decoder))) }
        }
        return .needMoreData
    }

    static func inbound(_ event: SplitEvent, _ decoder: FrameDecoder) -> InboundFrame {
        switch event {
        case .error(let error): return .invalid(error)
        case .frame(let frame):
            do {
                return .frame(try decoder.decode(frame))
            } catch where error.code == .unsupportedMessage {
                guard let (header, _) = try? decoder.header(of: frame) else { return .invalid(error) }
                return .unsupported(header)
            } catch {
                return .invalid(error)
            }
        }
    }
}
