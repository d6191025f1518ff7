import JT808
import NIOCore
import NIOPosix

/// Decodes a connection's frames by one `FrameDecoder` for good: a terminal's side, which reads
/// the platform's frames by the standard.
public final class FrameToMessageHandler: ChannelInboundHandler {
    public typealias InboundIn = UndecodedFrame
    public typealias InboundOut = InboundFrame

    private let decoder: FrameDecoder

    public init(decoder: FrameDecoder = FrameDecoder()) { self.decoder = decoder }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(InboundFrame(decoding: unwrapInboundIn(data), with: decoder)))
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// A terminal's end of a connection to a JT/T 808 server: bytes in become `InboundFrame`s,
    /// decoded by the same codec as the server's.
    public func addTerminalFrameHandlers() throws {
        try addHandler(ByteToMessageHandler(ByteToFrameDecoder()))
        try addHandler(FrameToMessageHandler())
    }
}

/// A TCP connection to a JT/T 808 server, as a terminal makes it: frames in, bytes out.
public func connectTerminal(host: String, port: Int) async throws -> NIOAsyncChannel<InboundFrame, ByteBuffer> {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: host, port: port) { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addTerminalFrameHandlers()
            return try NIOAsyncChannel<InboundFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
    }
}
