import Gateway
import JT808
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@Suite struct JT808FrameDecoderTests {
    let phone = TerminalPhone(digits: "13912345678", version: .v2013)!

    func wire(_ message: Message, serial: UInt16) -> [UInt8] {
        FrameEncoder.encode(message, header: MessageHeader(messageID: message.messageID, version: .v2013, phone: phone, serial: serial))[0]
    }

    func decoded(_ bytes: [UInt8]) throws -> InboundFrame {
        .frame(try Framing.unescape(wire: bytes).withFrame { f throws(JT808Error) in try FrameDecoder().decode(f) })
    }

    var position: LocationReport {
        // 0x7e and 0x7d inside the coordinates: the frames carry escapes.
        LocationReport(latitudeMicrodegrees: 0x0172_7e7d, longitudeMicrodegrees: 0x0740_7d7e, time: DeviceTime(year: 2026, month: 11, day: 22, hour: 8, minute: 0, second: 0))
    }

    /// NIO's verifier feeds the input whole, byte by byte and in random chunkings, with and
    /// without reentrancy, and checks the same frames come out every time.
    @Test func framesComeOutTheSameHoweverTheBytesArrive() throws {
        let a = wire(.heartbeat, serial: 1), b = wire(.location(position), serial: 2), c = wire(.logout, serial: 3)
        let input = a + b + c
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(ByteBuffer(bytes: input), [try decoded(a), try decoded(b), try decoded(c)])],
            decoderFactory: { JT808FrameDecoder() }
        )
    }

    @Test func badFramesAreValuesAndTheStreamGoesOn() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(JT808FrameDecoder()))
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

    @Test func aFrameCutByTheEndOfTheConnectionIsStillDecoded() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(JT808FrameDecoder()))
        let frame = wire(.heartbeat, serial: 5)
        try channel.writeInbound(ByteBuffer(bytes: frame.dropLast()))
        #expect(try channel.readInbound(as: InboundFrame.self) == nil)
        channel.pipeline.fireChannelInactive()
        #expect(try channel.readInbound(as: InboundFrame.self) == (try decoded(frame)))
    }

    @Test func anEndlessFrameIsCutAtTheLimit() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(JT808FrameDecoder(maximumFrameLength: 64)))
        try channel.writeInbound(ByteBuffer(bytes: [0x7e] + [UInt8](repeating: 0x30, count: 10_000) + wire(.heartbeat, serial: 6)))
        guard case .invalid(let error)? = try channel.readInbound(as: InboundFrame.self) else { Issue.record("no error"); return }
        #expect(error.code == .frameTooLong)
        #expect(try channel.readInbound(as: InboundFrame.self) == (try decoded(wire(.heartbeat, serial: 6))))
    }
}
