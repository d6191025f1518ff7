import JT808
import JT808NIO
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@Suite struct ByteToFrameDecoderTests {
    let phone = TerminalPhone(digits: "13912345678", version: .v2013)!

    func wire(_ message: Message, serial: UInt16) -> [UInt8] {
        FrameEncoder.encode(message, header: MessageHeader(messageID: message.messageID, version: .v2013, phone: phone, serial: serial))[0]
    }

    func split(_ bytes: [UInt8]) throws -> UndecodedFrame {
        .frame(try Framing.unescape(wire: bytes))
    }

    func decoded(_ bytes: [UInt8]) throws -> InboundFrame {
        .frame(try Framing.unescape(wire: bytes).withFrame { f throws(JT808Error) in try FrameDecoder().decode(f) })
    }

    /// A terminal's pipeline: frames, decoded by the standard.
    func terminalChannel(maximumFrameLength: Int = Framing.maximumFrameLength) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ByteToFrameDecoder(maximumFrameLength: maximumFrameLength)))
        try channel.pipeline.syncOperations.addHandler(FrameToMessageHandler())
        return channel
    }

    var position: LocationReport {
        // 0x7e and 0x7d inside the coordinates: the frames carry escapes.
        LocationReport(
            latitudeMicrodegrees: 0x0172_7e7d, longitudeMicrodegrees: 0x0740_7d7e,
            time: DeviceTime(year: 2026, month: 11, day: 22, hour: 8, minute: 0, second: 0))
    }

    /// NIO's verifier feeds the input whole, byte by byte and in random chunkings, with and
    /// without reentrancy, and checks the same frames come out every time.
    @Test func framesComeOutTheSameHoweverTheBytesArrive() throws {
        let a = wire(.heartbeat, serial: 1), b = wire(.location(position), serial: 2), c = wire(.logout, serial: 3)
        let input = a + b + c
        let frames = [try split(a), try split(b), try split(c)]
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(ByteBuffer(bytes: input), frames)],
            decoderFactory: { ByteToFrameDecoder() }
        )
        #expect(frames.map { InboundFrame(decoding: $0, with: FrameDecoder()) } == [try decoded(a), try decoded(b), try decoded(c)])
    }

    /// Every vector that travels on the wire as one delimited frame, all of them in one stream:
    /// each comes out with the bytes the codec unescapes from it, however the stream is cut,
    /// and decodes to the message id and serial its source states.
    @Test func theVectorsComeOutAsTheCodecReadsThem() throws {
        let vectors = WireVector.all.filter { vector in
            vector.wireFrames.allSatisfy { $0.first == Framing.delimiter && $0.last == Framing.delimiter && (try? Framing.unescape(wire: $0)) != nil }
        }
        #expect(vectors.count >= 40)
        let frames = try vectors.flatMap { try $0.wireFrames.map(split) }
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(ByteBuffer(bytes: vectors.flatMap { $0.wireFrames.joined() }), frames)],
            decoderFactory: { ByteToFrameDecoder() }
        )
        for vector in vectors {
            let decoder = FrameDecoder(acceptsBadChecksum: vector.checksumValid == false)
            for frame in vector.wireFrames {
                let header: MessageHeader
                switch InboundFrame(decoding: try split(frame), with: decoder) {
                case .frame(let decoded): header = decoded.header
                case .unsupported(let unsupported): header = unsupported
                case .invalid(let error):
                    // The vectors of malformed content: the codec refuses them the same way.
                    #expect(throws: error) { try Framing.unescape(wire: frame).withFrame { f throws(JT808Error) in try decoder.decode(f) } }
                    continue
                }
                #expect(header.messageID == UInt16(vector.msgId.dropFirst(2), radix: 16), "\(vector.id)")
                if let serial = vector.expect.serial { #expect(Int(header.serial) == serial, "\(vector.id)") }
            }
        }
    }

    @Test func badFramesAreValuesAndTheStreamGoesOn() throws {
        let channel = try terminalChannel()
        var corrupt = wire(.heartbeat, serial: 1)
        corrupt[corrupt.count - 2] ^= 0xff  // the check code
        let good = wire(.location(position), serial: 2)
        let garbage: [UInt8] = [0x7e, 0x41, 0x42, 0x7d, 0x09, 0x7e]
        // A well-formed frame of a message id nobody decodes keeps its header (to answer it "unsupported").
        let phone = TerminalPhone(digits: "13912345678", version: .v2013)!
        let unknown = FrameEncoder.encode(body: [1], header: MessageHeader(messageID: 0x0F01, version: .v2013, phone: phone, serial: 3), messageID: 0x0F01)[0]
        try channel.writeInbound(ByteBuffer(bytes: corrupt + garbage + unknown + good))
        var codes: [String] = []
        var frames: [DecodedFrame] = []
        var unsupported: [UInt16] = []
        while let inbound = try channel.readInbound(as: InboundFrame.self) {
            switch inbound {
            case .invalid(let error): codes.append(error.code.description)
            case .unsupported(let header): unsupported.append(header.messageID)
            case .frame(let frame): frames.append(frame)
            }
        }
        #expect(codes == ["badChecksum", "badEscape"])
        #expect(unsupported == [0x0F01])
        #expect(frames.count == 1 && frames.first?.message == .location(position))
        // Nothing was thrown into the pipeline: bad input is data here, not an error that closes.
        try channel.throwIfErrorCaught()
    }

    /// The same frame reads differently by the decoder it is given: why the session, which
    /// learns the terminal's device profile, decodes, and not the pipeline.
    @Test func aFrameDecodesByTheDecoderItIsGiven() throws {
        var corrupt = wire(.heartbeat, serial: 1)
        corrupt[corrupt.count - 2] ^= 0xff  // the check code
        let frame = try split(corrupt)
        guard case .invalid(let error) = InboundFrame(decoding: frame, with: FrameDecoder()) else { Issue.record("accepted by the standard"); return }
        #expect(error.code == .badChecksum)
        guard case .frame(let lenient) = InboundFrame(decoding: frame, with: FrameDecoder(acceptsBadChecksum: true)) else { Issue.record("refused"); return }
        #expect(lenient.message == .heartbeat && lenient.quirks == .checksumIgnored)
    }

    @Test func aFrameCutByTheEndOfTheConnectionIsStillDecoded() throws {
        let channel = try terminalChannel()
        let frame = wire(.heartbeat, serial: 5)
        try channel.writeInbound(ByteBuffer(bytes: frame.dropLast()))
        #expect(try channel.readInbound(as: InboundFrame.self) == nil)
        channel.pipeline.fireChannelInactive()
        #expect(try channel.readInbound(as: InboundFrame.self) == (try decoded(frame)))
    }

    @Test func anEndlessFrameIsCutAtTheLimit() throws {
        let channel = try terminalChannel(maximumFrameLength: 64)
        try channel.writeInbound(ByteBuffer(bytes: [0x7e] + [UInt8](repeating: 0x30, count: 10_000) + wire(.heartbeat, serial: 6)))
        guard case .invalid(let error)? = try channel.readInbound(as: InboundFrame.self) else { Issue.record("no error"); return }
        #expect(error.code == .frameTooLong)
        #expect(try channel.readInbound(as: InboundFrame.self) == (try decoded(wire(.heartbeat, serial: 6))))
    }

    /// The session times a frame from its first bytes to its last: it is told both.
    @Test func aFrameInProgressIsToldUpThePipeline() throws {
        final class ProgressRecorder: ChannelInboundHandler {
            typealias InboundIn = UndecodedFrame
            var progress: [FrameProgress] = []
            func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
                if let event = event as? FrameProgress { progress.append(event) }
            }
        }
        let recorder = ProgressRecorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ByteToFrameDecoder()))
        try channel.pipeline.syncOperations.addHandler(recorder)
        let frame = wire(.heartbeat, serial: 7)
        try channel.writeInbound(ByteBuffer(bytes: frame.prefix(6)))
        #expect(recorder.progress == [.started])
        try channel.writeInbound(ByteBuffer(bytes: frame.dropFirst(6)))
        #expect(recorder.progress == [.started, .none])
    }
}
