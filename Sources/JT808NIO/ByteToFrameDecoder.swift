import JT808
import NIOCore

/// A frame as the splitter delimited and unescaped it (its check code computed, not yet judged),
/// or the typed reason a run of bytes was not one. Errors travel as values: one bad frame must
/// not close the connection.
public enum UndecodedFrame: Hashable, Sendable {
    case frame(UnescapedFrame.Owned)
    /// Boxed, so that a frame is small enough to travel up the pipeline inside `NIOAny` without
    /// an allocation of its own.
    indirect case invalid(JT808Error)

    init(_ event: SplitEvent) {
        switch event {
        case .frame(let frame): self = .frame(frame.owned())
        case .error(let error): self = .invalid(error)
        }
    }
}

/// Told up the pipeline when a frame's first bytes arrived and when no frame is in progress any
/// more: the session gives a started frame a few seconds to complete (bytes dripping in slowly
/// must not hold a connection and its buffer).
public enum FrameProgress: Equatable, Sendable {
    case started
    case none
}

/// Bytes from the socket to frames: `FrameSplitter` (delimiting, unescaping, check code, size
/// bound). Frames are not decoded here: how depends on the terminal's device profile (version
/// pin, check-code policy, clock offset), which only the session learns, so the session decodes
/// them; `FrameToMessageHandler` does it by one decoder where that is all there is (a terminal).
public struct ByteToFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = UndecodedFrame

    private var splitter: FrameSplitter
    private var frameInProgress = false

    public init(maximumFrameLength: Int = Framing.maximumFrameLength) {
        splitter = FrameSplitter(maximumFrameLength: maximumFrameLength)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        buffer.withUnsafeReadableBytes { bytes in
            splitter.feed(bytes) { context.fireChannelRead(NIOAny(UndecodedFrame($0))) }
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
            splitter.finish { context.fireChannelRead(NIOAny(UndecodedFrame($0))) }
        }
        return .needMoreData
    }
}
